"""The network as the page's pad runs it: layers it can run, batch norm folded, the weights' precision by size."""

from __future__ import annotations

import base64

import keras
import numpy as np
import pytest
from keras import layers

from mnist_cnn.networks import Recipe, build_improved_model, original_cnn
from mnist_cnn.reading.browser_network import batch_norm_as_scale_and_shift, browser_network, network_layers


def test_the_original_cnn_keeps_float32_weights_in_order():
    model = original_cnn()
    described, weights = network_layers(model)
    assert [layer["kind"] for layer in described] == [
        *("conv2d", "max_pooling2d", "conv2d", "max_pooling2d", "conv2d", "flatten", "dense", "dense")
    ]
    np.testing.assert_array_equal(weights, np.concatenate([np.ravel(array) for array in model.get_weights()]))
    page = browser_network(model)
    assert page["float_bits"] == 32
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(page["weights"]), "<f4"), weights)


def test_a_network_too_large_for_the_page_in_float32_goes_as_float16():
    model = build_improved_model(Recipe(batch_norm=True, dropout=True), steps_per_epoch=1, seed=0)
    page = browser_network(model)
    _, weights = network_layers(model)
    assert page["float_bits"] == 16
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(page["weights"]), "<f2"), weights.astype("<f2"))
    assert "dropout" not in {layer["kind"] for layer in page["layers"]}


def test_batch_norm_is_a_scale_and_a_shift_at_inference():
    layer = layers.BatchNormalization(epsilon=1e-3)
    layer.build((None, 4))
    rng = np.random.default_rng(0)
    layer.set_weights([rng.uniform(0.5, 2, 4), rng.normal(size=4), rng.normal(size=4), rng.uniform(0.1, 3, 4)])
    inputs = rng.normal(size=(8, 4)).astype("float32")
    scale, shift = batch_norm_as_scale_and_shift(layer)
    expected = keras.ops.convert_to_numpy(layer(inputs, training=False))
    np.testing.assert_allclose(inputs * scale + shift, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("layer", "found"),
    [
        (layers.Conv2D(4, 3, padding="same"), "Expected Conv2D with valid padding, .* found 'same' padding"),
        (layers.Conv2D(4, 3, activation="softmax"), "strides \\(1, 1\\), activation 'softmax'"),
        (layers.AveragePooling2D(2), "found AveragePooling2D"),
        (layers.Conv2D(4, 3, activation="tanh"), "with linear, relu or softmax activations, found Conv2D"),
    ],
)
def test_a_layer_the_page_cannot_run_is_named(layer, found):
    model = keras.Sequential([keras.Input((28, 28, 1)), layer])
    with pytest.raises(ValueError, match=found):
        network_layers(model)
