"""The model is the original notebook's CNN: a plain keras.Sequential, float32, compiled with Adam."""

import keras
import numpy as np
from keras import layers

from mnist_cnn.model import build_model


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
