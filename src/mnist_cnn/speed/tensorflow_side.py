"""TensorFlow's side of the execution plan: its threads, its deterministic operations, its batches.

Only imported where the TensorFlow backend runs (`runtime.use`, `runtime.planned_fit`): the
rest of the package is plain Keras. Effects measured: docs/training-speed.md.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import tensorflow as tf

from mnist_cnn.speed.plan import ExecutionPlan

THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def apply(plan: ExecutionPlan) -> ExecutionPlan:
    """Set TensorFlow up for `plan`; return the plan that will run (whole batches if the threads stay)."""
    if plan.deterministic:
        tf.config.experimental.enable_op_determinism()
    return use_threads(plan)


def use_threads(plan: ExecutionPlan) -> ExecutionPlan:
    """Set TensorFlow's thread pools as `plan` asks, where that can still be done.

    Where it cannot (TensorFlow has started, or you set the threads yourself), the threads are
    left alone and the returned plan runs whole batches, with the reason among its reasons.
    """
    if plan.threads_per_op is None:
        return plan
    wanted = (plan.threads_per_op, plan.shards)
    threading = tf.config.threading
    current = (threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads())
    if current == wanted:
        return plan
    yours = [f"{name}={os.environ[name]}" for name in THREAD_VARIABLES if os.environ.get(name)]
    yours += [f"tf.config.threading: {current[0]} per op, {current[1]} ops"] if any(current) else []
    if yours:
        return _whole_batches(plan, f"your thread settings are kept ({'; '.join(yours)})")
    try:
        threading.set_intra_op_parallelism_threads(plan.threads_per_op)
        threading.set_inter_op_parallelism_threads(plan.shards)
    except RuntimeError:
        fixed = _whole_batches(
            plan,
            "TensorFlow had started with its own threads (a model was built first): "
            "call mnist_cnn.speed.use() before building a model",
        )
        return dataclasses.replace(fixed, threads_fixed=True)
    return plan


def _whole_batches(plan: ExecutionPlan, reason: str) -> ExecutionPlan:
    # A plan with threads to set gives its reason for the shards first: that one is replaced.
    reasons = (f"whole batches: {reason}", *plan.reasons[1:])
    return dataclasses.replace(plan, shards=1, threads_per_op=None, reasons=reasons)


def batches(
    images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle_seed: int | None = None
) -> tf.data.Dataset:
    """Batches of (images, labels) in order, or reshuffled every epoch when given a seed.

    Keras builds the same pipeline from arrays, but with tf.data's autotuning on. Keras starts
    every epoch with a new iterator, and stopping the old one's autotuning thread held up the
    start of an epoch by up to 4 s in our runs (docs/training-speed.md).
    """
    images, labels = tf.constant(images), tf.constant(labels)
    order = tf.data.Dataset.range(len(images))
    if shuffle_seed is not None:
        order = order.shuffle(len(images), seed=shuffle_seed)
    dataset = order.batch(batch_size).map(lambda batch: (tf.gather(images, batch), tf.gather(labels, batch)))
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(2).with_options(options)
