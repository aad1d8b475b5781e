"""Shared fixtures: the real data when MNIST_CNN_DATA names it, and a briefly trained model."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """The real MNIST .npz named by MNIST_CNN_DATA; tests that need it skip without it."""
    path = os.environ.get("MNIST_CNN_DATA")
    if not path:
        pytest.skip("MNIST_CNN_DATA is not set: point it at a Keras-layout mnist.npz to run this test")
    return Path(path)


@pytest.fixture(scope="session")
def mnist(mnist_path):
    """The real data set as a dict of the four arrays."""
    with np.load(mnist_path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


@pytest.fixture(scope="session")
def trained_model(mnist):
    """The CNN trained for 2 epochs on 12,000 real images: enough to read clear digits."""
    from mnist_cnn.data import one_hot, preprocess_images
    from mnist_cnn.model import build_model
    from mnist_cnn.training import train

    model = build_model(seed=0)
    images, labels = mnist["x_train"][:12_000], mnist["y_train"][:12_000]
    train(model, preprocess_images(images), one_hot(labels), epochs=2, seed=0, verbose=0)
    return model


def pytest_collection_modifyitems(config, items):
    """Skip the tests marked `tensorflow` when Keras runs on another backend (KERAS_BACKEND)."""
    from mnist_cnn import backend

    if backend.name() == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"needs the TensorFlow backend; Keras runs on {backend.name()}")
    for item in items:
        if "tensorflow" in item.keywords:
            item.add_marker(skip)
