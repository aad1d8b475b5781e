"""The robust model: it reads other people's handwriting, photographed, as well as MNIST's.

It is the second notebook's network and final recipe (dropout, a warm-up and cosine schedule,
weight averaging), trained on MNIST alone, but every epoch on digits distorted the ways other
writers, pens and cameras differ from MNIST (`augment.Distortions`: stroke width, slant,
rotation, uneven scale, elastic wobble, blur, lower resolution, faint ink, noise), in place of
the second notebook's small rotations, shifts and zooms. The distortions are made outside the
model, so what is saved is the plain `keras.Sequential`, loadable without this package. How well
it reads photos, per condition, is measured in the third notebook and
`benchmarks/handwriting.py` (docs/handwriting.md).
"""

from __future__ import annotations

import numpy as np

from mnist_cnn.augment import Distortions
from mnist_cnn.backend import keras
from mnist_cnn.improved import FINAL_RECIPE, build_improved_model, steps_per_epoch
from mnist_cnn.training import SEED, train

ROBUST_RECIPE = FINAL_RECIPE.with_(augmentation=False)  # the distortions below take its place
DISTORTIONS = Distortions()


def build_robust_model(train_samples: int, *, epochs: int = ROBUST_RECIPE.epochs, seed: int = SEED) -> keras.Sequential:
    """The robust model's network, compiled, its schedule spread over `epochs` of `train_samples` images."""
    recipe = ROBUST_RECIPE.with_(epochs=epochs)
    return build_improved_model(recipe, steps_per_epoch=steps_per_epoch(train_samples), seed=seed, name="robust_cnn")


def train_robust_model(
    model: keras.Model,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = ROBUST_RECIPE.epochs,
    seed: int = SEED,
    distortions: Distortions = DISTORTIONS,
    **options,
) -> keras.callbacks.History:
    """Train `model` on distorted copies of the images (N, 28, 28, 1) and one-hot labels; `options` go to `train`."""
    return train(model, images, labels, epochs=epochs, seed=seed, distortions=distortions, **options)
