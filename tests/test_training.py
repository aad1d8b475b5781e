"""Training lowers the loss, repeats exactly with a seed, and rejects misshapen input."""

import numpy as np
import pytest

from helpers import learnable_arrays
from mnist_cnn.model import build_model
from mnist_cnn.training import train


def test_short_run_lowers_the_loss():
    images, labels = learnable_arrays()
    history = train(build_model(seed=0), images, labels, epochs=3, batch_size=32, seed=0, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 3 and "val_loss" in history.history
    assert losses[-1] < 0.5 * losses[0]


def test_same_seed_gives_identical_weights():
    images, labels = learnable_arrays(256)
    weights = []
    for _ in range(2):
        model = build_model(seed=3)
        train(model, images, labels, epochs=2, batch_size=32, seed=3, verbose=0)
        weights.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


def test_callbacks_are_called():
    import keras

    class CountEpochs(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            CountEpochs.epochs += 1

    images, labels = learnable_arrays(64)
    train(build_model(seed=0), images, labels, epochs=2, callbacks=[CountEpochs()], verbose=0)
    assert CountEpochs.epochs == 2


@pytest.mark.parametrize(
    "images, labels, message",
    [
        (np.zeros((4, 28, 28), np.float32), np.zeros((4, 10), np.float32), r"\(N, 28, 28, 1\), found \(4, 28, 28\)"),
        (np.zeros((4, 28, 28, 1), np.float32), np.zeros(4, np.float32), r"one-hot labels of shape \(4, 10\), found \(4,\)"),
    ],
)
def test_misshapen_input(images, labels, message):
    with pytest.raises(ValueError, match=message):
        train(build_model(), images, labels, epochs=1, verbose=0)


def test_validation_split_out_of_range():
    images, labels = learnable_arrays(8)
    with pytest.raises(ValueError, match=r"validation_split in \[0, 1\), found 1.5"):
        train(build_model(), images, labels, validation_split=1.5, verbose=0)
