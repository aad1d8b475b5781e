"""Training lowers the loss, repeats exactly with a seed, holds out the last samples, and rejects misshapen input."""

import subprocess
import sys

import keras
import numpy as np
import pytest
from helpers import learnable_arrays

from mnist_cnn import speed, training
from mnist_cnn.networks import build_model
from mnist_cnn.speed import runtime
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


@pytest.mark.tensorflow
def test_batches_keep_images_with_their_labels():
    from mnist_cnn.speed.tensorflow_side import batches

    images = np.arange(10, dtype="float32").reshape(10, 1, 1, 1) * np.ones((1, 28, 28, 1), "float32")
    labels = np.eye(10, dtype="float32")
    ordered = list(batches(images, labels, batch_size=4))
    assert [len(batch_images) for batch_images, _ in ordered] == [4, 4, 2]
    shuffled = list(batches(images, labels, batch_size=4, shuffle_seed=0))
    firsts = [int(image[0, 0, 0]) for batch_images, _ in shuffled for image in batch_images]
    assert sorted(firsts) == list(range(10)) and firsts != list(range(10))
    for batch_images, batch_labels in ordered + shuffled:
        np.testing.assert_array_equal(batch_images.numpy()[:, 0, 0, 0], batch_labels.numpy().argmax(axis=1))


@pytest.mark.tensorflow
def test_each_epoch_is_reshuffled():
    from mnist_cnn.speed.tensorflow_side import batches

    images, labels = np.zeros((50, 28, 28, 1), "float32"), np.eye(10, dtype="float32")[np.arange(50) % 10]
    dataset = batches(images, labels, batch_size=50, shuffle_seed=0)
    first, second = (next(iter(dataset))[1].numpy().argmax(axis=1) for _ in range(2))
    assert sorted(first) == sorted(second) and list(first) != list(second)


def test_callbacks_are_called():
    class CountEpochs(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            CountEpochs.epochs += 1

    images, labels = learnable_arrays(64)
    train(build_model(seed=0), images, labels, epochs=2, callbacks=[CountEpochs()], verbose=0)
    assert CountEpochs.epochs == 2


@pytest.mark.parametrize("mode", ["auto", pytest.param("plain", marks=pytest.mark.slow)])
def test_model_checkpoint_saves_the_users_model(tmp_path, monkeypatch, mode):
    monkeypatch.setattr(runtime, "_chosen", None)  # `use()`'s choice holds for this test only
    if mode == "plain":
        speed.use("plain")  # sets no threads: nothing else in this process changes
    images, labels = learnable_arrays(128)
    model = build_model(seed=0)
    path = tmp_path / "checkpoint.keras"
    callback = keras.callbacks.ModelCheckpoint(path)
    train(model, images, labels, epochs=1, callbacks=[callback], verbose=0)
    assert runtime.plan_for(64).as_built == (mode == "plain")
    assert callback.model is model
    # Loaded with plain Keras, in a Python that cannot import this package: the same predictions.
    np.save(tmp_path / "images.npy", images[:16])
    np.save(tmp_path / "expected.npy", keras.ops.convert_to_numpy(model(images[:16])))
    script = (
        "import sys; sys.modules['mnist_cnn'] = None\n"
        "import keras, numpy as np\n"
        f"model = keras.saving.load_model({str(path)!r})\n"
        f"found = keras.ops.convert_to_numpy(model(np.load({str(tmp_path / 'images.npy')!r})))\n"
        f"print(model.name, np.abs(found - np.load({str(tmp_path / 'expected.npy')!r})).max() < 1e-5)\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert finished.stdout.split() == ["mnist_cnn", "True"], finished.stderr[-2000:]


def test_a_callback_can_stop_training():
    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    images, labels = learnable_arrays(64)
    history = train(build_model(seed=0), images, labels, epochs=5, callbacks=[StopAfterFirstEpoch()], verbose=0)
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize("epochs, batch_size", [(0, 64), (-2, 64), (1, 0)])
def test_epochs_and_batch_size_below_one(epochs, batch_size):
    images, labels = learnable_arrays(8)
    with pytest.raises(ValueError, match=f"at least 1 epoch and a batch size of at least 1, found {epochs} and"):
        train(build_model(), images, labels, epochs=epochs, batch_size=batch_size, verbose=0)


@pytest.mark.parametrize(
    "images, labels, message",
    [
        (
            np.zeros((4, 28, 28), np.float32),
            np.zeros((4, 10), np.float32),
            r"\(N, 28, 28, 1\), found shape \(4, 28, 28\)",
        ),
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


def test_training_samples_and_steps_follow_the_held_out_split():
    assert training.training_samples(60_000) == 54_000 and training.training_samples(101, 0.1) == 91  # rounded up
    assert training.steps_per_epoch(60_000) == 844  # 54,000 training images in batches of 64
    assert training.steps_per_epoch(100, batch_size=32, validation_split=0) == 4


def test_the_steps_a_callback_is_told_are_the_steps_of_an_epoch():
    class Steps(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.told = self.params["steps"]

    images, labels = learnable_arrays(100)
    steps = Steps()
    train(build_model(seed=0), images, labels, epochs=1, batch_size=32, callbacks=[steps], verbose=0)
    assert steps.told == training.steps_per_epoch(100, batch_size=32) == 3  # 90 of 100 images, in batches of 32


def test_distort_is_given_the_training_images_only_and_what_it_returns_is_trained_on():
    images, labels = learnable_arrays(100)
    index = {image.tobytes(): number for number, image in enumerate(images)}
    given = []

    def distort(batch, rng):
        assert isinstance(rng, np.random.Generator)
        given.extend(index[image.tobytes()] for image in batch)
        return np.full_like(batch, np.nan)  # trained on, these make the loss NaN

    # No ReLU between them and the loss: where TensorFlow uses oneDNN (CPUs with AVX-512), a convolution's
    # fused ReLU turns NaN into 0.
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = train(model, images, labels, epochs=2, batch_size=32, validation_split=0.1, distort=distort, verbose=0)
    assert set(given) == set(range(90))  # every training image, never one of the 10 held out for validation
    assert len(history.history["loss"]) == 2 and np.isnan(history.history["loss"]).all()


@pytest.mark.parametrize(
    "distort",
    [
        None,
        lambda images, rng: images,
    ],
    ids=["arrays", "distorted"],
)
def test_an_epoch_is_one_pass_over_the_training_images(distort):
    images, labels = learnable_arrays(1000)  # 900 training images: 29 batches of 32, the last of 4
    model = build_model(seed=0)
    train(model, images, labels, epochs=2, batch_size=32, distort=distort, verbose=0)
    assert int(model.optimizer.iterations) == 2 * training.steps_per_epoch(1000, batch_size=32) == 58


def test_outliers_join_the_training_part_with_every_class_equally_likely(monkeypatch):
    fitted = {}
    monkeypatch.setattr(
        speed, "planned_fit", lambda model, training, validation, **options: fitted.update(t=training, v=validation)
    )
    images, labels = learnable_arrays(100)
    outliers = np.full((7, 28, 28, 1), 0.5, np.float32)
    train(build_model(seed=0), images, labels, outliers=outliers, epochs=1, verbose=0)
    (seen, seen_labels), (validation, _) = fitted["t"], fitted["v"]
    assert len(seen) == 90 + 7 and len(validation) == 10  # the outliers never enter the validation part
    np.testing.assert_array_equal(seen[-7:], outliers)
    np.testing.assert_allclose(seen_labels[-7:], 0.1)
    np.testing.assert_array_equal(seen_labels[:90], labels[:90])
    assert training.steps_per_epoch(100, batch_size=32, outliers=7) == 4  # 97 images in batches of 32


def test_outliers_of_the_wrong_shape_are_refused_in_one_line():
    images, labels = learnable_arrays(20)
    with pytest.raises(ValueError, match=r"Expected images of shape \(N, 28, 28, 1\), found shape \(3, 28, 28\)"):
        train(build_model(seed=0), images, labels, outliers=np.zeros((3, 28, 28), np.float32), epochs=1, verbose=0)
