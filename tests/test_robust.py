"""The robust model's recipe on a short run: the plain network, trained on distorted digits."""

from __future__ import annotations

import numpy as np

from mnist_cnn import robust
from mnist_cnn.augment import DistortedBatches, Distortions
from mnist_cnn.backend import keras
from mnist_cnn.data import one_hot, preprocess_images


def test_the_robust_model_is_the_plain_network(tmp_path):
    model = robust.build_robust_model(2000, epochs=1, seed=0)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert model.name == "robust_cnn" and "Dropout" in kinds
    assert not any(kind.startswith("Random") for kind in kinds)  # the distortions are made outside it
    model.save(tmp_path / "robust.keras")
    assert type(keras.saving.load_model(tmp_path / "robust.keras")) is keras.Sequential


def test_a_short_run_trains_on_distorted_digits(mnist, monkeypatch):
    images, labels = preprocess_images(mnist["x_train"][:1000]), one_hot(mnist["y_train"][:1000])
    distorted = []
    batch_of = DistortedBatches.__getitem__

    def spy(self, index):  # what training is given: the batches DistortedBatches makes
        batch = batch_of(self, index)
        distorted.append(batch[0])
        return batch

    monkeypatch.setattr(DistortedBatches, "__getitem__", spy)
    model = robust.build_robust_model(1000, epochs=1, seed=0)
    before = [weights.copy() for weights in model.get_weights()]
    history = robust.train_robust_model(model, images, labels, epochs=1, seed=0, verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(old, new) for old, new in zip(before, model.get_weights()))
    assert distorted and not any(np.array_equal(batch, images[: len(batch)]) for batch in distorted)
    assert robust.DISTORTIONS != Distortions.none()
