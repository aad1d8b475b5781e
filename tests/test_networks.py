"""The networks: the original CNN, the improved network one idea per flag, the robust model trained on distorted
digits; each a plain keras.Sequential, float32, compiled, and built without changing anything else."""

import keras
import numpy as np
import pytest
from helpers import learnable_arrays
from keras import layers

from mnist_cnn import ablation, networks, training
from mnist_cnn.data import one_hot, preprocess_images
from mnist_cnn.networks import Recipe, build_improved_model, build_model, build_robust_model
from mnist_cnn.reading.distortions import Distortions

# The original notebook's CNN.


def test_the_original_layers_shapes_and_parameter_count():
    model = build_model()
    assert type(model) is keras.Sequential
    assert model.count_params() == 93_322
    assert [type(layer) for layer in model.layers] == [
        layers.Conv2D,
        layers.MaxPooling2D,
        layers.Conv2D,
        layers.MaxPooling2D,
        layers.Conv2D,
        layers.Flatten,
        layers.Dense,
        layers.Dense,
    ]
    assert [layer.output.shape for layer in model.layers] == [
        (None, 26, 26, 32),
        (None, 13, 13, 32),
        (None, 11, 11, 64),
        (None, 5, 5, 64),
        (None, 3, 3, 64),
        (None, 576),
        (None, 64),
        (None, 10),
    ]


def test_float32_throughout():
    model = build_model()
    assert {layer.compute_dtype for layer in model.layers} == {"float32"}
    assert {weight.dtype for weight in model.weights} == {"float32"}


def test_compiled_with_the_original_recipe():
    model = build_model()
    assert model.optimizer.__class__.__name__ == "Adam"
    assert model.loss == "categorical_crossentropy"
    assert model.steps_per_execution == 1  # how many steps per call is the training path's choice
    assert model.output_shape == (None, 10)


def test_output_is_a_probability_per_digit():
    probabilities = build_model(seed=0).predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0)
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_seed_fixes_the_initial_weights():
    first, second, other = build_model(seed=7), build_model(seed=7), build_model(seed=8)
    assert all(np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights()))
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])


# The second notebook's network: one idea per flag, a schedule that warms up then decays.


def layer_types(recipe: Recipe) -> list[type]:
    return [type(layer) for layer in build_improved_model(recipe, steps_per_epoch=10).layers]


def test_the_larger_network_alone_is_the_baseline():
    model = build_improved_model(Recipe(), steps_per_epoch=10)
    assert type(model) is keras.Sequential and model.count_params() == 188_234
    assert [layer.output.shape for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.Dense))] == [
        (None, 26, 26, 32), (None, 11, 11, 64), (None, 9, 9, 64), (None, 128), (None, 10),
    ]  # fmt: skip
    assert not model.optimizer.use_ema
    assert model.steps_per_execution == 1 and {weight.dtype for weight in model.weights} == {"float32"}


def test_each_idea_adds_its_layers_and_nothing_else():
    baseline = layer_types(Recipe())
    augmented = layer_types(Recipe(augmentation=True))
    assert augmented[:3] == [layers.RandomRotation, layers.RandomTranslation, layers.RandomZoom]
    assert augmented[3:] == baseline
    assert layer_types(Recipe(dropout=True)).count(layers.Dropout) == 2
    normalized = layer_types(Recipe(batch_norm=True))
    assert normalized.count(layers.BatchNormalization) == normalized.count(layers.Conv2D) == 3
    assert layers.Dropout not in baseline and layers.BatchNormalization not in baseline
    averaged = build_improved_model(Recipe(weight_averaging=True), steps_per_epoch=10)
    assert averaged.optimizer.use_ema and averaged.optimizer.ema_momentum == networks.EMA_MOMENTUM


def test_a_recipe_changes_one_idea_at_a_time():
    recipe = Recipe().with_(dropout=True)
    assert recipe == Recipe(dropout=True) and Recipe() == Recipe(epochs=training.EPOCHS)
    assert networks.FINAL_RECIPE.with_(augmentation=False) == networks.ROBUST_RECIPE
    assert networks.FINAL_RECIPE.augmentation and not networks.ROBUST_RECIPE.augmentation


def test_augmentation_changes_training_images_only():
    model = build_improved_model(Recipe(augmentation=True), steps_per_epoch=10, seed=0)
    images, _ = learnable_arrays(8)
    augment = keras.Sequential(model.layers[:3])
    np.testing.assert_array_equal(augment(images, training=False), images)
    assert not np.allclose(augment(images, training=True), images)


def test_the_schedule_warms_up_then_decays():
    recipe = Recipe(schedule=True, epochs=5)
    schedule = networks.learning_rate(recipe, steps_per_epoch=100)
    rates = [float(schedule(step)) for step in (0, 50, 100, 300, 499)]
    assert rates[0] < rates[1] < rates[2] == pytest.approx(networks.PEAK_LEARNING_RATE)
    assert rates[2] > rates[3] > rates[4] and rates[4] < 0.05 * networks.PEAK_LEARNING_RATE
    assert networks.learning_rate(Recipe(), steps_per_epoch=100) == networks.LEARNING_RATE


def test_steps_per_epoch_must_be_at_least_one():
    with pytest.raises(ValueError, match="at least 1 step per epoch, found 0"):
        build_improved_model(Recipe(), steps_per_epoch=0)


def test_a_recipe_trains_scores_and_tabulates():
    images, labels = learnable_arrays(256)
    digits = labels.argmax(axis=1)
    recipe = Recipe(dropout=True, schedule=True, epochs=3)
    model = build_improved_model(recipe, steps_per_epoch=training.steps_per_epoch(256), seed=0)
    trained = ablation.train_and_score("+ dropout", model, images, labels, images, digits, epochs=3, seed=0)
    assert trained.test_accuracy > 0.9 and trained.epochs == 3 and trained.probabilities.shape == (256, 10)
    assert trained.parameters == model.count_params() and trained.training_seconds > 0
    weaker = ablation.TrainedRecipe("baseline", trained.test_accuracy - 0.05, 2.0, 1, 10, trained.probabilities)
    table = ablation.ablation_table([weaker, trained])
    assert table.index.tolist() == ["baseline", "+ dropout"]
    assert table["change (points)"].iloc[1] == pytest.approx(5.0)
    assert table["test errors"].iloc[1] == round((1 - trained.test_accuracy) * 256)
    with pytest.raises(ValueError, match="at least one step"):
        ablation.ablation_table([])


# The third notebook's robust model: the same network and recipe, trained on distorted digits.


def test_the_robust_model_is_the_plain_network(tmp_path):
    model = build_robust_model(2000, epochs=1, seed=0)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert model.name == "robust_cnn" and "Dropout" in kinds and model.optimizer.use_ema
    assert not any(kind.startswith("Random") for kind in kinds)  # the distortions are made outside it
    assert model.count_params() == build_improved_model(networks.ROBUST_RECIPE, steps_per_epoch=10).count_params()
    model.save(tmp_path / "robust.keras")
    assert type(keras.saving.load_model(tmp_path / "robust.keras")) is keras.Sequential


def test_the_robust_schedule_spans_its_epochs():
    model = build_robust_model(1000, epochs=3, seed=0)  # 900 training images: 15 steps of 64 per epoch
    schedule = model.optimizer.get_config()["learning_rate"]["config"]
    assert schedule["warmup_steps"] + schedule["decay_steps"] == 3 * training.steps_per_epoch(1000) == 45
    with_outliers = build_robust_model(1000, outliers=100, epochs=3, seed=0)  # 1,000 images: 16 steps per epoch
    schedule = with_outliers.optimizer.get_config()["learning_rate"]["config"]
    assert schedule["warmup_steps"] + schedule["decay_steps"] == 3 * 16


def test_a_short_run_trains_on_distorted_digits(mnist, monkeypatch):
    images, labels = preprocess_images(mnist["x_train"][:1000]), one_hot(mnist["y_train"][:1000])
    distorted = []
    batch_of = training.DistortedBatches.__getitem__

    def spy(self, index):  # what training is given: the batches DistortedBatches makes
        batch = batch_of(self, index)
        distorted.append(batch[0])
        return batch

    monkeypatch.setattr(training.DistortedBatches, "__getitem__", spy)
    model = build_robust_model(1000, epochs=1, seed=0)
    before = [weights.copy() for weights in model.get_weights()]
    history = training.train(model, images, labels, epochs=1, seed=0, distort=Distortions(), verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(old, new) for old, new in zip(before, model.get_weights()))
    assert len(distorted) >= training.steps_per_epoch(1000)  # an epoch's batches at least
    first = np.concatenate(distorted[:3])
    unchanged = sum(bool((image == images).all(axis=(1, 2, 3)).any()) for image in first)
    assert unchanged < 0.5 * len(first)  # a few images get none of the distortions, by chance
