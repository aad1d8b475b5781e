"""Train a model with the original notebook's recipe, on the images as they are or distorted afresh each epoch.

`train` fits the user's model through `mnist_cnn.speed`, which runs it as the plan chosen for this
machine says (`speed.use`): the weights it learns end up in the model itself, which stays the
plain network.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import keras
import numpy as np

from mnist_cnn import speed
from mnist_cnn.data import check_images

# The original recipe.
EPOCHS = 5
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
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Fit the compiled `model` on images (N, 28, 28, 1) and one-hot labels (N, classes); return its history.

    The last `validation_split` of the samples is held out for validation, as Keras's own
    `validation_split` does. The seed fixes the shuffling, so the same seed, plan and initial
    weights on the same machine give the same trained weights. With `distort`, every epoch
    trains on freshly distorted copies of the images (`DistortedBatches`), made outside the model.
    """
    images, labels = check_images(images, channel=True), np.asarray(labels)
    if labels.shape != (len(images), model.output_shape[-1]):
        raise ValueError(
            f"Expected one-hot labels of shape ({len(images)}, {model.output_shape[-1]}), found {labels.shape}."
        )
    if not 0 <= validation_split < 1:
        raise ValueError(f"Expected validation_split in [0, 1), found {validation_split}.")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"Expected at least 1 epoch and a batch size of at least 1, found {epochs} and {batch_size}.")
    keras.utils.set_random_seed(seed)
    split = training_samples(len(images), validation_split)
    verbose = 1 if verbose == "auto" else verbose
    # The callbacks are given `model` itself, not the model the plan trains it through: what they
    # save or stop is the user's model.
    callbacks = keras.callbacks.CallbackList(
        list(callbacks),
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=math.ceil(split / batch_size),
    )
    training = (images[:split], labels[:split])
    if distort is not None:
        training = DistortedBatches(*training, batch_size, seed=seed, distort=distort)
    validation = (images[split:], labels[split:]) if split < len(images) else None
    fit = speed.planned_fit(model, training, validation, batch_size=batch_size, seed=seed)
    fit(epochs=epochs, callbacks=callbacks, verbose=verbose)
    return model.history


def training_samples(samples: int, validation_split: float = VALIDATION_SPLIT) -> int:
    """How many of `samples` `train` fits on; the rest, at the end, are for validation."""
    return math.ceil(samples * (1 - validation_split))


def steps_per_epoch(
    train_samples: int, batch_size: int = BATCH_SIZE, validation_split: float = VALIDATION_SPLIT
) -> int:
    """Training steps in an epoch of `train`, which holds out the last `validation_split`."""
    return math.ceil(training_samples(train_samples, validation_split) / batch_size)


class DistortedBatches(keras.utils.PyDataset):
    """Batches of images distorted by `distort`, with their labels, reshuffled and distorted afresh each epoch.

    The order of epoch e comes from `numpy.random.default_rng([seed, e])`, and batch i's
    distortions from `default_rng([seed, e, i + 1])`, so a batch is the same whenever, and in
    whichever worker, it is made. Keyword arguments go to `keras.utils.PyDataset`.
    """

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, batch_size: int, *, seed: int, distort: Distort, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        images, labels = check_images(images, channel=True), np.asarray(labels)
        if labels.ndim == 0 or len(labels) != len(images):
            raise ValueError(f"Expected one label per image ({len(images)}), found labels of shape {labels.shape}.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"Expected a positive whole batch size, found {batch_size!r}.")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"Expected a whole seed of 0 or more, found {seed!r}.")
        self.images, self.labels, self.distort = images, labels, distort
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.epoch = 0
        self.order = self._shuffled()

    def _shuffled(self) -> np.ndarray:
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))

    def __len__(self) -> int:
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"Batch {index} does not exist: expected 0 to {len(self) - 1}.")
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        # index + 1: the shuffle's [seed, epoch] reads as [seed, epoch, 0], so each batch's stream is its own.
        rng = np.random.default_rng([self.seed, self.epoch, index + 1])
        return self.distort(self.images[rows], rng), self.labels[rows]

    def on_epoch_end(self) -> None:
        """Go on to the next epoch: a new order, new distortions."""
        self.epoch += 1
        self.order = self._shuffled()
