"""Train a model with the original notebook's recipe, on the images as they are or distorted afresh each epoch.

`train` fits the model as this machine's plan says (`mnist_cnn.speed`); what it learns, the model holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import keras
import numpy as np

from mnist_cnn import speed
from mnist_cnn.data import INPUT_SHAPE, check_images

EPOCHS = 5  # the original recipe: 5 epochs in batches of 64, the last 10 % held out
BATCH_SIZE = 64
VALIDATION_SPLIT = 0.1
SEED = 0

Distort = Callable[[np.ndarray, np.random.Generator], np.ndarray]  # a batch of images -> distorted copies


def train(
    model: keras.Model,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = EPOCHS,
    batch_size: int = BATCH_SIZE,
    validation_split: float = VALIDATION_SPLIT,
    seed: int = SEED,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    distort: Distort | None = None,
    outliers: np.ndarray | None = None,
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Fit the compiled `model` on images (N, 28, 28, 1), or the shape it reads, and one-hot labels; return its history.

    The last `validation_split` is held out for validation, as Keras does. The seed (set for the process, as
    `keras.utils.set_random_seed` does) fixes the shuffling: the same seed, plan and initial weights give the same
    weights on the same machine. With `distort`, each epoch trains on fresh distorted copies (`DistortedBatches`).
    `outliers` (no digit) join the training part labelled "every class equally likely" (Outlier Exposure).
    """
    checked = check_images if model.input_shape[1:] == INPUT_SHAPE else lambda each, channel: np.asarray(each)
    images, labels = checked(images, channel=True), np.asarray(labels)
    if labels.shape != (len(images), *model.output_shape[1:]):
        raise ValueError(
            f"Expected one-hot labels of shape {(len(images), *model.output_shape[1:])}, found {labels.shape}."
        )
    if not 0 <= validation_split < 1:
        raise ValueError(f"Expected validation_split in [0, 1), found {validation_split}.")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"Expected at least 1 epoch and a batch size of at least 1, found {epochs} and {batch_size}.")
    keras.utils.set_random_seed(seed)
    split = training_samples(len(images), validation_split)
    training = (images[:split], labels[:split])
    if outliers is not None:
        unsure = np.full((len(outliers), *labels.shape[1:]), 1 / labels.shape[-1], labels.dtype)
        training = tuple(map(np.concatenate, zip(training, (checked(outliers, channel=True), unsure))))
    if distort is not None:
        training = DistortedBatches(*training, batch_size, seed=seed, distort=distort)
    validation = (images[split:], labels[split:]) if split < len(images) else None
    options = {"epochs": epochs, "batch_size": batch_size, "seed": seed, "callbacks": callbacks}
    return speed.planned_fit(model, training, validation, **options, verbose=1 if verbose == "auto" else verbose)


def training_samples(samples: int, validation_split: float = VALIDATION_SPLIT) -> int:
    """How many of `samples` `train` fits on; the rest, at the end, are for validation."""
    return math.ceil(samples * (1 - validation_split))


def steps_per_epoch(
    train_samples: int, batch_size: int = BATCH_SIZE, validation_split: float = VALIDATION_SPLIT, outliers: int = 0
) -> int:
    """Training steps in an epoch of `train`, which holds out the last `validation_split` and adds `outliers`."""
    return math.ceil((training_samples(train_samples, validation_split) + outliers) / batch_size)


class DistortedBatches(keras.utils.PyDataset):
    """An epoch's batches of images distorted by `distort`, and their labels; reshuffled, distorted afresh each epoch.

    Epoch e's order comes from `numpy.random.default_rng([seed, e])` and its batch i's distortions
    from `default_rng([seed, e, i + 1])`: the same seed gives the same batches.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, *, seed: int, distort: Distort):
        super().__init__()
        self.images, self.labels, self.batch_size, self.seed, self.distort = images, labels, batch_size, seed, distort
        self.epoch, self.order = 0, np.random.default_rng([seed, 0]).permutation(len(images))

    def __len__(self) -> int:
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, index + 1])
        return self.distort(self.images[rows], rng), self.labels[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))
