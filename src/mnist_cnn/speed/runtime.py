"""The plan at work in this process: chosen once, in one visible place, and taken by training.

`use()` is that place: it chooses the plan for this machine and Keras backend (`plan.plan_execution`)
and sets the backend up for it; with TensorFlow that means its thread pools, which can be set only
before TensorFlow starts, that is before the first model is built. So a notebook calls it first,
and so may a script:

    from mnist_cnn import speed
    speed.use()             # or speed.use("plain"): the model exactly as built

`training.train` reaches the plan through `planned_fit`, and `evaluation.predict` through
`planned_predict`: nothing else in the package knows of it. Where nobody called `use()`, training
takes the fastest plan the started runtime still allows and says in one line how to get the rest.
Threads you set yourself (`TF_NUM_INTRAOP_THREADS`, `tf.config.threading`) are never overridden.
Importing this module, or building a model, changes nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
from collections.abc import Callable, Iterator

import keras
import numpy as np

from mnist_cnn.speed.plan import ExecutionPlan, Machine, plan_execution, this_cpu
from mnist_cnn.speed.planned_model import planned_model, training_model

DEFAULT_BATCH_SIZE = 64  # the original recipe's
PREDICTION_BATCH_SIZE = 1024  # large batches keep the cores busy: no gradients to hold in memory
_chosen: str | None = None  # the mode `use` chose in this process, if it was called
_told = False  # whether the line on how to get the rest was printed


def use(mode: str = "auto", *, batch_size: int = DEFAULT_BATCH_SIZE) -> ExecutionPlan:
    """Choose how training runs in this process, set the backend up for it, and return the plan.

    `mode` is "auto" (the fastest plan for this machine) or "plain" (the model exactly as built).
    Call it before building a model: with TensorFlow, the threads can be set only until then.
    """
    global _chosen
    plan = _set_up(mode, batch_size)
    _chosen = mode
    return plan


def plan_for(batch_size: int) -> ExecutionPlan:
    """The plan training runs in batches of `batch_size`: the mode `use` chose, else "auto" as far as it can go."""
    global _told
    plan = _set_up(_chosen or "auto", batch_size)
    if _chosen is None and not _told and plan.threads_fixed:
        wanted = plan_execution(plan.machine, batch_size=batch_size, backend_name=plan.backend)
        print(
            f"Training whole batches: TensorFlow started before its threads could be set. For {wanted.shards} "
            "shards per batch as well, call mnist_cnn.speed.use() before building a model.",
            file=sys.stderr,
        )
        _told = True
    return plan


def planned_fit(
    model: keras.Model,
    training: tuple[np.ndarray, np.ndarray] | Iterator[tuple[np.ndarray, np.ndarray]],
    validation: tuple[np.ndarray, np.ndarray] | None,
    *,
    batch_size: int,
    seed: int,
    samples: int = 0,
) -> Callable[..., keras.callbacks.History]:
    """`fit`, given its data, of the model that trains the compiled `model` as the plan says: call it with epochs etc.

    `training` is (images, labels), shuffled each epoch by `seed`, or endless batches of its own
    (an iterator, of which an epoch takes as many as `samples` images make).
    """
    plan = plan_for(batch_size)
    if plan.own_batches:
        from mnist_cnn.speed.tensorflow_side import batches
    if not isinstance(training, tuple):
        data = {"x": training, "steps_per_epoch": math.ceil(samples / batch_size), "shuffle": False}
    elif plan.own_batches:
        data = {"x": batches(*training, batch_size, shuffle_seed=seed), "shuffle": False}
    else:
        data = {"x": training[0], "y": training[1], "batch_size": batch_size, "shuffle": True}
    if validation is not None and plan.own_batches:
        validation = batches(*validation, batch_size)
    return functools.partial(training_model(model, plan).fit, **data, validation_data=validation)


def planned_predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """`model`'s predictions for `images`, in large batches, run as the plan says (in float32)."""
    network = planned_model(model, plan_for(DEFAULT_BATCH_SIZE))
    return network.predict(images, batch_size=PREDICTION_BATCH_SIZE, verbose=0)


def this_machine() -> Machine:
    """This machine's CPU (`plan.this_cpu`) and the GPUs of the Keras backend in use."""
    return dataclasses.replace(this_cpu(), gpus=gpus())


def gpus() -> tuple[str, ...]:
    """The GPUs the Keras backend in use can run on."""
    if keras.backend.backend() == "jax":
        import jax

        return tuple(str(device) for device in jax.devices() if device.platform == "gpu")
    if keras.backend.backend() == "torch":
        import torch

        return tuple(torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count()))
    import tensorflow as tf

    return tuple(device.name for device in tf.config.list_physical_devices("GPU"))


def _set_up(mode: str, batch_size: int) -> ExecutionPlan:
    plan = plan_execution(this_machine(), batch_size=batch_size, mode=mode, backend_name=keras.backend.backend())
    if plan.backend != "tensorflow":
        return plan
    from mnist_cnn.speed import tensorflow_side

    return tensorflow_side.apply(plan)
