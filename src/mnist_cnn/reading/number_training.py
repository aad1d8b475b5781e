"""The number network, and what it learns from: MNIST digits written joined up and photographed.

`number_cnn` is a plain `keras.Sequential`: five convolutions over a frame three digits wide, then in
each of three places the probability of each digit and of none.

It learns from numbers of two and three training digits written joined up and photographed by
`photos` under a condition drawn at random, each found by the preparation as one mark and framed as
`joined_numbers.frame` frames it; from single digits beside them, read "one digit, then none"; and
from non-digits in the training fonts (`non_digits`), alone and written joined up as a number is, whose
answer to learn is "every answer equally likely" in each place (Outlier Exposure, as the robust model's).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from mnist_cnn.reading import non_digits, photos
from mnist_cnn.reading.joined_numbers import (
    NONE,
    NUMBER_ANSWERS,
    NUMBER_INPUT_SHAPE,
    NUMBER_PLACES,
    frame,
    may_be_number,
)
from mnist_cnn.reading.preparation import Digit, NoDigit, find_digits

if TYPE_CHECKING:
    import keras

EPOCHS = 10  # the fourth notebook's
PEAK_LEARNING_RATE = 3e-3  # after a warm-up epoch, then down along a cosine, as the robust model's
BATCH_SIZE = 64  # `training.train`'s
DROPOUT = 0.3  # of the units before and after the dense layer, as the robust model's
NUMBERS = 24_000  # joined-up numbers the fourth notebook's number network learns from
SINGLES = 0.15  # of `training_set`'s numbers: as many single digits beside them, read "one digit, then none"
OUTLIERS = 0.35  # ... and as many non-digits
JOINED_OUTLIERS = 0.35  # ... and as many non-digits written joined up, as a number is
JOINED_KINDS = ("letters", "symbols", "scribbles", "drawings")  # what those are joined up from
PARTS = 8  # `training_set` is made in this many parts, side by side


def number_cnn() -> keras.Sequential:
    """The number network, read top to bottom: five convolutions in three blocks over a frame three digits wide,
    then in each of `NUMBER_PLACES` places the probability of each digit and of none (`NUMBER_ANSWERS`)."""
    import keras  # imported when a network is built: this module's data needs none
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=NUMBER_INPUT_SHAPE),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(128, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(DROPOUT),
            layers.Dense(256, activation="relu"),
            layers.Dropout(DROPOUT),
            layers.Dense(NUMBER_PLACES * NUMBER_ANSWERS),
            layers.Reshape((NUMBER_PLACES, NUMBER_ANSWERS)),
            layers.Softmax(),
        ],
        name="number_cnn",
    )


def build_number_model(train_samples: int, *, epochs: int = EPOCHS, seed: int | None = None) -> keras.Sequential:
    """The number network compiled with Adam and cross-entropy in each place, its learning rate warmed up over the
    first of `epochs` of `train_samples` (numbers and non-digits, in batches of 64), then decayed along a cosine, as
    the robust model's; a `seed` fixes its weights."""
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    steps = math.ceil(train_samples / BATCH_SIZE)
    warmup = steps if epochs > 1 else 0
    learning_rate = keras.optimizers.schedules.CosineDecay(
        PEAK_LEARNING_RATE / 10,
        decay_steps=epochs * steps - warmup,
        alpha=0.01,
        warmup_target=PEAK_LEARNING_RATE,
        warmup_steps=warmup,
    )
    model = number_cnn()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def training_set(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames to train the number network on: (numbers, answers, outliers).

    `count` numbers of two or three of `images` (MNIST's, with their `labels`) written joined up and
    photographed under a condition of `photos` drawn at random, and `SINGLES` as many single digits,
    each found by the preparation as one mark: frames (N, 28, 84) uint8 and one-hot answers
    (N, places, answers). Then `OUTLIERS` as many non-digits in the training fonts (`non_digits`),
    photographed the same way, and `JOINED_OUTLIERS` as many of two or three of them written joined up
    as the numbers are: the wide marks found in them. They are made in `PARTS` parts, each
    from its own random stream, on every core: the same seed gives the same frames on any machine.
    """
    if count < PARTS:
        raise ValueError(f"Expected at least {PARTS} numbers, found {count}.")
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.dtype != np.uint8 or labels.shape != (len(images),):
        raise ValueError(f"Expected uint8 images (N, H, W) and labels (N,), found {images.shape} and {labels.shape}.")
    sizes = np.diff(np.linspace(0, count, PARTS + 1).round().astype(int))
    with ThreadPoolExecutor(max_workers=min(PARTS, os.cpu_count() or 1)) as pool:
        parts = list(pool.map(lambda part: _part(images, labels, sizes[part], [seed, 8, part]), range(PARTS)))
    return tuple(np.concatenate(each) for each in zip(*parts))


def _part(images: np.ndarray, labels: np.ndarray, count: int, seed: list[int]) -> tuple[np.ndarray, ...]:
    """One part of `training_set`: its numbers, single digits and outliers, from one random stream."""
    rng = np.random.default_rng(seed)
    conditions = list(photos.CONDITIONS)
    frames, answers, outliers = [], [], []
    while len(frames) < count + round(SINGLES * count):
        condition = conditions[int(rng.integers(len(conditions)))]
        length = 1 if len(frames) >= count else 2 + len(frames) % 2
        chosen = rng.choice(len(images), length, replace=False)
        picture = (
            photos.photograph_number(list(images[chosen]), condition, rng, touching=True)
            if length > 1
            else photos.photograph(images[chosen[0]], condition, rng)
        )
        marks = _marks(picture)
        if len(marks) == 1:
            frames.append(frame(marks[0].strokes, marks[0].stroke_width))
            answers.append([*labels[chosen], *[NONE] * (NUMBER_PLACES - length)])
    while len(outliers) < round(OUTLIERS * count):
        kind = non_digits.KINDS[len(outliers) % len(non_digits.KINDS)]
        picture = non_digits.DRAWERS[kind](rng, True)
        if kind != "things":
            picture = photos.photograph(picture, conditions[int(rng.integers(len(conditions)))], rng)
        outliers.extend(_wide_marks_framed(picture))
    outliers = outliers[: round(OUTLIERS * count)]
    joined = []
    while len(joined) < round(JOINED_OUTLIERS * count):
        parts = [_non_digit(rng) for _ in range(int(rng.integers(2, NUMBER_PLACES + 1)))]
        condition = conditions[int(rng.integers(len(conditions)))]
        picture = photos.photograph_number(parts, condition, rng, touching=True)
        joined.extend(_wide_marks_framed(picture))
    outliers += joined[: round(JOINED_OUTLIERS * count)]
    one_hot = np.eye(NUMBER_ANSWERS, dtype=np.float32)[np.array(answers)]
    return (
        np.stack(frames),
        one_hot,
        np.stack(outliers) if outliers else np.zeros((0, *NUMBER_INPUT_SHAPE[:2]), np.uint8),
    )


def _non_digit(rng: np.random.Generator) -> np.ndarray:
    """A letter, symbol, scribble or drawing (`JOINED_KINDS`) prepared as a digit, to join up with others."""
    while True:
        try:
            return non_digits.training_picture(JOINED_KINDS[int(rng.integers(len(JOINED_KINDS)))], rng)
        except NoDigit:
            continue


def _wide_marks_framed(picture: np.ndarray) -> list[np.ndarray]:
    """The marks in a picture of non-digits that `predict` would show the number network, framed."""
    return [frame(mark.strokes, mark.stroke_width) for mark in _marks(picture) if may_be_number(mark)]


def _marks(picture: np.ndarray) -> list[Digit]:
    try:
        return find_digits(picture)
    except NoDigit:
        return []
