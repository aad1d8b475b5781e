"""Run each batch on all CPU cores at once: one slice of the batch per core, one thread per op.

This network's operations are small: a batch of 64 is 64 images of at most 26 x 26 pixels.
Split across threads, each convolution spends much of its time handing work between them.
It is faster to cut the batch into one shard per core and run the shards side by side, each
operation on a single thread. TensorFlow reads its thread settings once, when it starts, so
importing this module sets them (unless you have set them yourself):

- `TF_NUM_INTRAOP_THREADS=1`: each operation runs on one thread;
- `TF_NUM_INTEROP_THREADS=<cores>`: as many operations run at once as there are cores.

On our 2-core machine this cut a training step from 10.2 to 8.8 ms (README, "Training speed").
The results are those of the whole batch: the shards go through the same layers and their
outputs are joined in order, so the loss and its gradient are the same sums, added up in a
different order.
"""

from __future__ import annotations

import os

import keras
from keras import ops


def available_cores() -> int:
    """The number of CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


CORES = available_cores()

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", str(CORES))


@keras.saving.register_keras_serializable(package="mnist_cnn")
class ShardedSequential(keras.Sequential):
    """A `keras.Sequential` model that runs each batch as `shards` slices side by side.

    It computes what `keras.Sequential` computes; only the execution differs. The number of
    shards is not saved with the model: a loaded model uses the cores of the machine it runs on.
    """

    def __init__(self, layers=None, trainable=True, name=None, shards: int | None = None):
        super().__init__(layers, trainable=trainable, name=name)
        self.shards = CORES if shards is None else shards
        if self.shards < 1:
            raise ValueError(f"Expected at least 1 shard, found {self.shards}.")

    def call(self, inputs, training=None, mask=None):
        run_layers = super().call
        if self.shards == 1:
            return run_layers(inputs, training=training, mask=mask)
        # TensorFlow's oneDNN convolution fails on an empty shard, so a batch smaller than the
        # number of shards gets blank images appended, whose outputs are dropped at the end.
        size = ops.shape(inputs)[0]
        blanks = ops.zeros((ops.maximum(self.shards - size, 0), *inputs.shape[1:]), inputs.dtype)
        padded = ops.concatenate([inputs, blanks], axis=0)
        padded_size = ops.shape(padded)[0]
        bounds = [padded_size * shard // self.shards for shard in range(self.shards + 1)]
        outputs = [
            run_layers(padded[start:stop], training=training)
            for start, stop in zip(bounds[:-1], bounds[1:])
        ]
        return ops.concatenate(outputs, axis=0)[:size]
