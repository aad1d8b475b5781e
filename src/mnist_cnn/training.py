"""Train a model with the original notebook's recipe, run as the execution plan (`mnist_cnn.plan`) says."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mnist_cnn import backend, execution
from mnist_cnn.augment import DistortedBatches, Distortions
from mnist_cnn.backend import keras
from mnist_cnn.plan import ExecutionPlan

# The original recipe.
EPOCHS = 5
BATCH_SIZE = 64
VALIDATION_SPLIT = 0.1
SEED = 0


def train(
    model: keras.Model,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = EPOCHS,
    batch_size: int = BATCH_SIZE,
    validation_split: float = VALIDATION_SPLIT,
    seed: int = SEED,
    plan: ExecutionPlan | str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
    distortions: Distortions | None = None,
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Fit the compiled `model` on images (N, H, W, C) and one-hot labels (N, classes).

    `plan` is an `ExecutionPlan` (`mnist_cnn.plan`), or a mode for `execution.prepare`: "auto"
    (the fastest plan for this machine) or "plain" (the model exactly as built). Either way the
    trained weights end up in `model`, and the callbacks see `model`, as with `model.fit`. The
    last `validation_split` of the samples is held out for validation, as Keras's own
    `validation_split` does. The seed fixes the shuffling, so the same seed, plan and initial
    weights on the same machine give the same trained weights. With `distortions`, every epoch
    trains on freshly distorted copies of the images (`augment.DistortedBatches`), made outside
    the model: the model stays the plain network.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    image_shape = tuple(model.input_shape[1:])
    if images.shape[1:] != image_shape:
        raise ValueError(f"Expected images of shape (N, {', '.join(map(str, image_shape))}), found {images.shape}.")
    if labels.shape != (len(images), model.output_shape[-1]):
        raise ValueError(
            f"Expected one-hot labels of shape ({len(images)}, {model.output_shape[-1]}), found {labels.shape}."
        )
    if not 0 <= validation_split < 1:
        raise ValueError(f"Expected validation_split in [0, 1), found {validation_split}.")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"Expected at least 1 epoch and a batch size of at least 1, found {epochs} and {batch_size}.")
    if isinstance(plan, str):
        plan = execution.prepare(plan, batch_size=batch_size)
    backend.set_random_seed(seed)
    split = training_samples(len(images), validation_split)
    verbose = 1 if verbose == "auto" else verbose
    # The callbacks are given `model` itself, not the planned model that trains it: what they save
    # or stop is the user's model (`execution.PlannedModel` passes `stop_training` on).
    callbacks = keras.callbacks.CallbackList(
        list(callbacks),
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=math.ceil(split / batch_size),
    )
    data = fit_data(images, labels, split, batch_size, seed, plan, distortions)
    with backend.notices_dropped():  # TensorFlow's INFO line when it first reads batches made in Python
        execution.training_model(model, plan).fit(**data, epochs=epochs, callbacks=callbacks, verbose=verbose)
    return model.history


def fit_data(
    images: np.ndarray,
    labels: np.ndarray,
    split: int,
    batch_size: int,
    seed: int,
    plan: ExecutionPlan,
    distortions: Distortions | None = None,
) -> dict:
    """`fit`'s data arguments: the first `split` samples to train on, shuffled (and distorted), the rest to validate."""
    if plan.own_batches:
        from mnist_cnn.tensorflow_runtime import batches
    if distortions is not None:  # batches of its own, shuffled
        data = {"x": DistortedBatches(images[:split], labels[:split], batch_size, seed=seed, distortions=distortions)}
    elif plan.own_batches:
        data = {"x": batches(images[:split], labels[:split], batch_size, shuffle_seed=seed), "shuffle": False}
    else:
        data = {"x": images[:split], "y": labels[:split], "batch_size": batch_size, "shuffle": True}
    validation = (images[split:], labels[split:]) if split < len(images) else None
    if validation is not None and plan.own_batches:
        validation = batches(*validation, batch_size)
    return data | {"validation_data": validation}


def training_samples(samples: int, validation_split: float = VALIDATION_SPLIT) -> int:
    """How many of `samples` `train` fits on; the rest, at the end, are for validation."""
    return math.ceil(samples * (1 - validation_split))
