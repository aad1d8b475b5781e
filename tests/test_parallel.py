"""Sharded execution gives the whole batch's results, and sets TensorFlow's threads."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import layers

from mnist_cnn.parallel import CORES, ShardedSequential


def small_network(shards: int) -> ShardedSequential:
    keras.utils.set_random_seed(0)
    return ShardedSequential(
        [keras.Input(shape=(6, 6, 1)), layers.Conv2D(4, 3, activation="relu"), layers.Flatten(), layers.Dense(3)],
        shards=shards,
    )


@pytest.mark.parametrize("shards", [2, 3])
@pytest.mark.parametrize("batch", [1, 2, 5, 64])
def test_shards_compute_what_the_whole_batch_does(shards, batch):
    whole, sharded = small_network(1), small_network(shards)
    sharded.set_weights(whole.get_weights())
    images = np.random.default_rng(batch).uniform(size=(batch, 6, 6, 1)).astype("float32")
    expected = whole(images).numpy()
    np.testing.assert_allclose(sharded(images), expected, atol=1e-6)  # eager
    np.testing.assert_allclose(sharded.predict(images, verbose=0), expected, atol=1e-6)  # traced


def test_one_shard_per_core_by_default():
    assert small_network(None).shards == CORES >= 1


@pytest.mark.parametrize("shards", [0, -1])
def test_at_least_one_shard(shards):
    with pytest.raises(ValueError, match=f"at least 1 shard, found {shards}"):
        small_network(shards)


def thread_settings(**environment: str) -> list[str]:
    """TensorFlow's thread variables after a fresh Python imports the module."""
    script = (
        "import os, mnist_cnn.parallel; "
        "print(os.environ['TF_NUM_INTRAOP_THREADS'], os.environ['TF_NUM_INTEROP_THREADS'])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
    finished = subprocess.run(
        [sys.executable, "-c", script], env={**clean, **environment}, capture_output=True, text=True, check=True
    )
    return finished.stdout.split()


def test_import_sets_one_thread_per_op_and_an_op_per_core():
    assert thread_settings() == ["1", str(CORES)]


def test_import_keeps_the_users_own_thread_settings():
    assert thread_settings(TF_NUM_INTRAOP_THREADS="3") == ["3", str(CORES)]
