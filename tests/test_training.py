"""Training lowers the loss, repeats exactly with a seed, and rejects misshapen input."""

import numpy as np
import pytest
from helpers import learnable_arrays

from mnist_cnn.model import build_model
from mnist_cnn.training import batches, train


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


def test_validation_holds_out_the_last_samples():
    images, labels = learnable_arrays(200)
    labels[:] = np.eye(10)[0]  # the first 180 samples are all digit 0 ...
    labels[180:] = np.eye(10)[1]  # ... and the last 20 all digit 1, which training never sees
    history = train(build_model(seed=0), images, labels, epochs=3, validation_split=0.1, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    assert history.history["val_accuracy"][-1] == 0.0


def test_no_validation_without_a_split():
    images, labels = learnable_arrays(64)
    history = train(build_model(seed=0), images, labels, epochs=1, validation_split=0, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]


def test_batches_keep_images_with_their_labels():
    images = np.arange(10, dtype="float32").reshape(10, 1, 1, 1) * np.ones((1, 28, 28, 1), "float32")
    labels = np.eye(10, dtype="float32")
    ordered = list(batches(images, labels, batch_size=4))
    assert [len(batch_images) for batch_images, _ in ordered] == [4, 4, 2]
    shuffled = list(batches(images, labels, batch_size=4, shuffle_seed=0))
    firsts = [int(image[0, 0, 0]) for batch_images, _ in shuffled for image in batch_images]
    assert sorted(firsts) == list(range(10)) and firsts != list(range(10))
    for batch_images, batch_labels in ordered + shuffled:
        np.testing.assert_array_equal(batch_images.numpy()[:, 0, 0, 0], batch_labels.numpy().argmax(axis=1))


def test_each_epoch_is_reshuffled():
    images, labels = np.zeros((50, 28, 28, 1), "float32"), np.eye(10, dtype="float32")[np.arange(50) % 10]
    dataset = batches(images, labels, batch_size=50, shuffle_seed=0)
    first, second = (next(iter(dataset))[1].numpy().argmax(axis=1) for _ in range(2))
    assert sorted(first) == sorted(second) and list(first) != list(second)


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
        (
            np.zeros((4, 28, 28, 1), np.float32),
            np.zeros(4, np.float32),
            r"one-hot labels of shape \(4, 10\), found \(4,\)",
        ),
    ],
)
def test_misshapen_input(images, labels, message):
    with pytest.raises(ValueError, match=message):
        train(build_model(), images, labels, epochs=1, verbose=0)


def test_validation_split_out_of_range():
    images, labels = learnable_arrays(8)
    with pytest.raises(ValueError, match=r"validation_split in \[0, 1\), found 1.5"):
        train(build_model(), images, labels, validation_split=1.5, verbose=0)
