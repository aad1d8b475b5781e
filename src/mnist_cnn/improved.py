"""A better CNN for MNIST, built one idea at a time: augmentation, dropout, schedule, averaging, batch norm.

The network is a little larger than the original: a 3 x 3 convolution of 32 filters and a
pooling, then two 3 x 3 convolutions of 64 filters and a pooling, and a dense layer of 128
units (188,234 parameters against the original's 93,322). `Recipe` names the ideas it is
trained with; `build_improved_model` builds it as a plain `keras.Sequential`, read top to bottom
like the original. Every idea is a flag, so the second notebook adds one at a time (an
ablation). `FINAL_RECIPE` is the one that notebook ends with.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from mnist_cnn import backend, execution
from mnist_cnn.backend import keras
from mnist_cnn.data import NUM_CLASSES
from mnist_cnn.model import INPUT_SHAPE
from mnist_cnn.training import BATCH_SIZE, EPOCHS, VALIDATION_SPLIT, training_samples

layers = keras.layers

LEARNING_RATE = 1e-3  # Adam's default, the original's
PEAK_LEARNING_RATE = 3e-3  # with the schedule: warm up to this, then cosine decay to almost 0
WARMUP_EPOCHS = 1
DROPOUT = 0.3  # of the units before and after the dense layer
EMA_MOMENTUM = 0.999  # the average weighs about the last 1,000 steps, a little over an epoch


@dataclass(frozen=True)
class Recipe:
    """The ideas a model is trained with; the defaults are none of them (the larger network alone)."""

    augmentation: bool = False  # small random rotations, shifts and zooms of each training image
    dropout: bool = False  # drop units at random while training, before and after the dense layer
    schedule: bool = False  # learning rate: linear warm-up, then cosine decay
    weight_averaging: bool = False  # end with an exponential moving average of the weights
    batch_norm: bool = False  # normalize each convolution's output over the batch
    epochs: int = EPOCHS

    def with_(self, **changes) -> Recipe:
        """A copy with some ideas changed: `recipe.with_(dropout=True)`."""
        return dataclasses.replace(self, **changes)


# The recipe the second notebook ends with (docs/improving.md).
FINAL_RECIPE = Recipe(augmentation=True, dropout=True, schedule=True, weight_averaging=True, epochs=10)


def steps_per_epoch(
    train_samples: int, batch_size: int = BATCH_SIZE, validation_split: float = VALIDATION_SPLIT
) -> int:
    """Training steps in an epoch of `train.train`, which holds out the last `validation_split`."""
    return math.ceil(training_samples(train_samples, validation_split) / batch_size)


def augmentation_layers(rotation_degrees: float = 10, shift: float = 0.1, zoom: float = 0.1) -> list[layers.Layer]:
    """Keras preprocessing layers that move each training image a little; inactive at inference."""
    return [
        layers.RandomRotation(rotation_degrees / 360, fill_mode="constant"),
        layers.RandomTranslation(shift, shift, fill_mode="constant"),
        layers.RandomZoom(zoom, fill_mode="constant"),
    ]


def build_improved_model(
    recipe: Recipe, *, steps_per_epoch: int, seed: int | None = None, name: str = "improved_cnn"
) -> keras.Sequential:
    """Build and compile the network of `recipe` (Adam, categorical cross-entropy, accuracy)."""
    if steps_per_epoch < 1:
        raise ValueError(f"Expected at least 1 step per epoch, found {steps_per_epoch}.")
    execution.prepare_once(BATCH_SIZE)  # before TensorFlow starts, as in `model.build_model`
    if seed is not None:
        backend.set_random_seed(seed)

    def convolution(filters: int) -> list[layers.Layer]:
        if not recipe.batch_norm:
            return [layers.Conv2D(filters, 3, activation="relu")]
        return [layers.Conv2D(filters, 3, use_bias=False), layers.BatchNormalization(), layers.ReLU()]

    model = keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            *(augmentation_layers() if recipe.augmentation else []),
            *convolution(32),
            layers.MaxPooling2D(2),
            *convolution(64),
            *convolution(64),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            *([layers.Dropout(DROPOUT)] if recipe.dropout else []),
            layers.Dense(128, activation="relu"),
            *([layers.Dropout(DROPOUT)] if recipe.dropout else []),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name=name,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate(recipe, steps_per_epoch), use_ema=recipe.weight_averaging, ema_momentum=EMA_MOMENTUM
        ),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def learning_rate(recipe: Recipe, steps_per_epoch: int) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """Adam's default rate, or with `recipe.schedule` a warm-up to the peak then cosine decay."""
    if not recipe.schedule:
        return LEARNING_RATE
    warmup = min(WARMUP_EPOCHS, recipe.epochs - 1) * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=PEAK_LEARNING_RATE / 10,
        warmup_target=PEAK_LEARNING_RATE,
        warmup_steps=warmup,
        decay_steps=recipe.epochs * steps_per_epoch - warmup,
        alpha=0.01,
    )
