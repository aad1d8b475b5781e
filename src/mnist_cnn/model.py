"""The original notebook's CNN (93,322 parameters): a plain `keras.Sequential`, float32.

This is the network users see, train, save and reload: `models/mnist_cnn.keras` loads with
plain `keras.saving.load_model`, without this package. How training runs fast on a given
machine is the job of the execution plan (`mnist_cnn.plan`, run by `mnist_cnn.execution`), not
of the model.
"""

from __future__ import annotations

from mnist_cnn import backend, execution
from mnist_cnn.backend import keras
from mnist_cnn.data import IMAGE_SHAPE, NUM_CLASSES
from mnist_cnn.training import BATCH_SIZE

layers = keras.layers

INPUT_SHAPE = (*IMAGE_SHAPE, 1)


def original_cnn() -> keras.Sequential:
    """The original notebook's network, read top to bottom: three convolutions, two poolings, two dense layers."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mnist_cnn",
    )


def build_model(seed: int | None = None) -> keras.Sequential:
    """The original CNN (`original_cnn`), compiled with Adam and categorical cross-entropy.

    A `seed` makes its initial weights repeatable. Building the first model starts TensorFlow,
    which fixes its threads then: so the execution plan is prepared first, unless it was already
    (`execution.prepare_once`).
    """
    execution.prepare_once(BATCH_SIZE)
    if seed is not None:
        backend.set_random_seed(seed)
    model = original_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
