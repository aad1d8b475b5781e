"""The CNN has the original notebook's layers and weights, plus a crop, and computes the same function."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from helpers import learnable_arrays
from mnist_cnn.model import STEPS_PER_EXECUTION, build_model, cpu_has_bfloat16
from mnist_cnn.parallel import ShardedSequential


def original_cnn() -> keras.Sequential:
    """The network exactly as the original notebook built it."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def test_architecture_and_parameter_count():
    model = build_model()
    assert model.count_params() == 93_322
    assert [type(layer) for layer in model.layers] == [
        layers.Cropping2D, layers.Conv2D, layers.MaxPooling2D, layers.Conv2D, layers.MaxPooling2D,
        layers.Conv2D, layers.Flatten, layers.Dense, layers.Dense,
    ]
    assert [layer.output.shape for layer in model.layers] == [
        (None, 26, 26, 1), (None, 24, 24, 32), (None, 12, 12, 32), (None, 10, 10, 64),
        (None, 5, 5, 64), (None, 3, 3, 64), (None, 576), (None, 64), (None, 10),
    ]


def test_same_outputs_and_gradients_as_the_original_cnn():
    model, original = build_model(seed=0, bfloat16=False), original_cnn()
    original.set_weights(model.get_weights())
    images, labels = learnable_arrays(64)
    images[:, 26:, :] = 1.0  # ink in the rows and columns the network never sees
    images[:, :, 26:] = 1.0
    gradients = []
    for network in (model, original):
        with tf.GradientTape() as tape:
            probabilities = network(images, training=True)
            loss = keras.losses.categorical_crossentropy(labels, probabilities)
        gradients.append(tape.gradient(loss, network.trainable_weights))
        np.testing.assert_allclose(probabilities, original(images), atol=1e-6)
    for ours, theirs in zip(*gradients):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_bfloat16_changes_only_the_arithmetic_of_the_second_convolution():
    exact, fast = build_model(seed=0, bfloat16=False), build_model(seed=0, bfloat16=True)
    assert [layer.compute_dtype for layer in fast.layers if isinstance(layer, layers.Conv2D)] == [
        "float32", "bfloat16", "float32",
    ]
    assert {weight.dtype for weight in fast.weights} == {"float32"}
    images, _ = learnable_arrays(64)
    np.testing.assert_allclose(fast.predict(images, verbose=0), exact.predict(images, verbose=0), atol=0.02)


def test_bfloat16_by_default_where_the_cpu_has_it():
    second_convolution = build_model().layers[3]
    assert (second_convolution.compute_dtype == "bfloat16") == cpu_has_bfloat16()


def test_compiled_with_the_original_recipe():
    model = build_model()
    assert isinstance(model, ShardedSequential)
    assert model.optimizer.__class__.__name__ == "Adam"
    assert model.loss == "categorical_crossentropy"
    assert model.steps_per_execution == STEPS_PER_EXECUTION
    assert model.output_shape == (None, 10)


def test_output_is_a_probability_per_digit():
    probabilities = build_model(seed=0).predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0)
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_seed_fixes_the_initial_weights():
    first, second, other = build_model(seed=7), build_model(seed=7), build_model(seed=8)
    assert all(np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights()))
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])
