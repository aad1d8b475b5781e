"""Shared fixtures: the real data set (found by ../conftest.py's `mnist_path`) and a briefly trained model."""

from __future__ import annotations

import matplotlib
import pytest

from mnist_cnn.data import ARRAY_NAMES, load_mnist, one_hot, preprocess_images

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def mnist(mnist_path):
    """The real data set as a dict of the four arrays."""
    (x_train, y_train), (x_test, y_test) = load_mnist(mnist_path, verify=False)  # checked when found
    return dict(zip(ARRAY_NAMES, (x_train, y_train, x_test, y_test)))


@pytest.fixture(scope="session")
def trained_model(mnist):
    """The CNN trained for 2 epochs on 12,000 real images: enough to read clear digits."""
    from mnist_cnn.networks import build_model
    from mnist_cnn.training import train

    model = build_model(seed=0)
    images, labels = mnist["x_train"][:12_000], mnist["y_train"][:12_000]
    train(model, preprocess_images(images), one_hot(labels), epochs=2, seed=0, verbose=0)
    return model


def pytest_collection_modifyitems(config, items):
    """Skip the tests marked `tensorflow` when Keras runs on another backend (KERAS_BACKEND)."""
    marked = [item for item in items if "tensorflow" in item.keywords]
    if not marked:
        return  # and Keras is not imported yet
    from mnist_cnn.reading.quiet import notices_dropped

    with notices_dropped():  # TensorFlow's start-up notices, which would land among pytest's lines
        import keras

    if keras.backend.backend() == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"needs the TensorFlow backend; Keras runs on {keras.backend.backend()}")
    for item in marked:
        item.add_marker(skip)
