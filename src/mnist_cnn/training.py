"""Train the CNN with the original notebook's recipe."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from mnist_cnn.model import INPUT_SHAPE

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
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Fit `model` on preprocessed images (N, 28, 28, 1) and one-hot labels (N, 10).

    The last `validation_split` of the samples is held out for validation, as Keras does.
    The seed fixes the shuffling, so the same seed and initial weights on the same machine
    give the same trained weights.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if images.shape[1:] != INPUT_SHAPE:
        raise ValueError(f"Expected images of shape (N, 28, 28, 1), found {images.shape}.")
    if labels.shape != (len(images), model.output_shape[-1]):
        raise ValueError(
            f"Expected one-hot labels of shape ({len(images)}, {model.output_shape[-1]}), "
            f"found {labels.shape}."
        )
    if not 0 <= validation_split < 1:
        raise ValueError(f"Expected validation_split in [0, 1), found {validation_split}.")
    keras.utils.set_random_seed(seed)
    return model.fit(
        images,
        labels,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=validation_split,
        callbacks=list(callbacks),
        verbose=verbose,
    )
