"""The improved network: one idea per flag, a plain keras.Sequential, and a schedule that warms up then decays."""

import keras
import numpy as np
import pytest
from helpers import learnable_arrays
from keras import layers

from mnist_cnn import ablation, improved
from mnist_cnn.improved import Recipe, build_improved_model
from mnist_cnn.plan import Machine, plan_execution

PLAN = plan_execution(Machine("test", 2), batch_size=64)


def layer_types(recipe: Recipe) -> list[type]:
    return [type(layer) for layer in build_improved_model(recipe, steps_per_epoch=10).layers]


def test_the_larger_network_alone_is_the_baseline():
    model = build_improved_model(Recipe(), steps_per_epoch=10)
    assert type(model) is keras.Sequential and model.count_params() == 188_234
    assert [layer.output.shape for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.Dense))] == [
        (None, 26, 26, 32), (None, 11, 11, 64), (None, 9, 9, 64), (None, 128), (None, 10),
    ]  # fmt: skip
    assert not model.optimizer.use_ema


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
    assert averaged.optimizer.use_ema and averaged.optimizer.ema_momentum == improved.EMA_MOMENTUM


def test_augmentation_changes_training_images_only():
    model = build_improved_model(Recipe(augmentation=True), steps_per_epoch=10, seed=0)
    images, _ = learnable_arrays(8)
    augment = keras.Sequential(model.layers[:3])
    np.testing.assert_array_equal(augment(images, training=False), images)
    assert not np.allclose(augment(images, training=True), images)


def test_the_schedule_warms_up_then_decays():
    recipe = Recipe(schedule=True, epochs=5)
    schedule = improved.learning_rate(recipe, steps_per_epoch=100)
    rates = [float(schedule(step)) for step in (0, 50, 100, 300, 499)]
    assert rates[0] < rates[1] < rates[2] == pytest.approx(improved.PEAK_LEARNING_RATE)
    assert rates[2] > rates[3] > rates[4] and rates[4] < 0.05 * improved.PEAK_LEARNING_RATE
    assert improved.learning_rate(Recipe(), steps_per_epoch=100) == improved.LEARNING_RATE


def test_steps_per_epoch_follow_the_held_out_split():
    assert improved.steps_per_epoch(60_000) == 844  # 54,000 training images in batches of 64
    assert improved.steps_per_epoch(100, batch_size=32, validation_split=0) == 4
    with pytest.raises(ValueError, match="at least 1 step per epoch, found 0"):
        build_improved_model(Recipe(), steps_per_epoch=0)


def test_a_step_trains_scores_and_tabulates():
    images, labels = learnable_arrays(256)
    digits = labels.argmax(axis=1)
    recipe = Recipe(dropout=True, schedule=True, epochs=3)
    model = build_improved_model(recipe, steps_per_epoch=improved.steps_per_epoch(256), seed=0)
    step = ablation.run_step("+ dropout", model, images, labels, images, digits, epochs=3, seed=0, plan=PLAN)
    assert step.test_accuracy > 0.9 and step.epochs == 3 and step.probabilities.shape == (256, 10)
    weaker = ablation.Step("baseline", step.test_accuracy - 0.05, 2.0, 1, 10, step.probabilities)
    table = ablation.ablation_table([weaker, step])
    assert table.index.tolist() == ["baseline", "+ dropout"]
    assert table["change (points)"].iloc[1] == pytest.approx(5.0)
    assert table["test errors"].iloc[1] == round((1 - step.test_accuracy) * 256)
    with pytest.raises(ValueError, match="at least one step"):
        ablation.ablation_table([])
