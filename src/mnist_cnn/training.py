"""Train a model with the original notebook's recipe, run as the execution plan says."""

from __future__ import annotations

import math
from collections.abc import Sequence

import mnist_cnn.backend  # noqa: F401  (first: TensorFlow without its start-up notices)

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn import execution

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
    plan: execution.ExecutionPlan | str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Fit the compiled `model` on images (N, H, W, C) and one-hot labels (N, classes).

    `plan` is an `execution.ExecutionPlan`, or a mode for `execution.prepare`: "auto" (the
    fastest plan for this machine) or "plain" (the model exactly as built). Either way the
    trained weights end up in `model`. The last `validation_split` of the samples is held out
    for validation, as Keras's own `validation_split` does. The seed fixes the shuffling, so
    the same seed, plan and initial weights on the same machine give the same trained weights.
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
    if isinstance(plan, str):
        plan = execution.prepare(plan, batch_size=batch_size)
    keras.utils.set_random_seed(seed)
    split = training_samples(len(images), validation_split)
    validation = batches(images[split:], labels[split:], batch_size) if split < len(images) else None
    graph = execution.training_graph(model, plan)
    with execution.training_precision(model, plan):
        return graph.fit(
            batches(images[:split], labels[:split], batch_size, shuffle_seed=seed),
            epochs=epochs,
            shuffle=False,  # `batches` shuffles
            validation_data=validation,
            callbacks=list(callbacks),
            verbose=verbose,
        )


def training_samples(samples: int, validation_split: float = VALIDATION_SPLIT) -> int:
    """How many of `samples` `train` fits on; the rest, at the end, are for validation."""
    return math.ceil(samples * (1 - validation_split))


def batches(
    images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle_seed: int | None = None
) -> tf.data.Dataset:
    """Batches of (images, labels) in order, or reshuffled every epoch when given a seed.

    Keras builds the same pipeline from arrays, but with tf.data's autotuning on. Keras starts
    every epoch with a new iterator, and stopping the old one's autotuning thread held up the
    start of an epoch by up to 4 s in our runs (README, "Training speed").
    """
    images, labels = tf.constant(images), tf.constant(labels)
    order = tf.data.Dataset.range(len(images))
    if shuffle_seed is not None:
        order = order.shuffle(len(images), seed=shuffle_seed)
    dataset = order.batch(batch_size).map(lambda batch: (tf.gather(images, batch), tf.gather(labels, batch)))
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(2).with_options(options)
