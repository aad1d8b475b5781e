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
import math
import sys
from collections.abc import Sequence

import keras
import numpy as np

from mnist_cnn.speed.plan import MIN_SHARD, ExecutionPlan, Machine, plan_execution, this_cpu
from mnist_cnn.speed.planned_model import planned_model, training_model

DEFAULT_BATCH_SIZE = 64  # the original recipe's
PREDICTION_BATCH_SIZE = 1024  # large batches keep the cores busy: no gradients to hold in memory
_chosen: tuple[str, int] | None = None  # the mode and batch size `use` chose in this process, if it was called
_told = False  # whether the line on how to get the rest was printed


def use(mode: str = "auto", *, batch_size: int = DEFAULT_BATCH_SIZE) -> ExecutionPlan:
    """Choose how training runs in this process, set the backend up for it, and return the plan.

    `mode` is "auto" (the fastest plan for this machine) or "plain" (the model exactly as built).
    Call it before building a model: with TensorFlow, the threads can be set only until then.
    """
    global _chosen
    plan = _set_up(mode, batch_size)
    _chosen = (mode, batch_size)
    return plan


def plan_for(batch_size: int, *, training: bool = False) -> ExecutionPlan:
    """The plan in force: the one `use` chose, else "auto" for `batch_size` as far as the started runtime allows.

    `use`'s threads stay as they are, but batches smaller than it planned for are cut into fewer shards, none
    under `MIN_SHARD` images. Without `use`, the first `training` run that gets whole batches says in one line
    how to get the rest.
    """
    global _told
    plan = _set_up(*(_chosen or ("auto", batch_size)))
    most = max(1, batch_size // MIN_SHARD)
    if plan.shards > most:
        reason = f"{most} shard(s) of batches of {batch_size}, at least {MIN_SHARD} images each"
        plan = dataclasses.replace(plan, shards=most, reasons=(reason, *plan.reasons[1:]))
    if training and _chosen is None and not _told and plan.threads_fixed:
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
    training: tuple[np.ndarray, np.ndarray] | keras.utils.PyDataset,
    validation: tuple[np.ndarray, np.ndarray] | None,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 1,
) -> keras.callbacks.History:
    """Fit the compiled `model` as the plan says, on `training` and `validation`; return its history.

    `training` is (images, labels), reshuffled each epoch by `seed`, or batches of its own (a
    PyDataset). The model the plan trains runs `model`'s own layers and weights, so what it learns,
    `model` holds; the callbacks are given `model` itself.
    """
    plan = plan_for(batch_size, training=True)
    if plan.own_batches:
        from mnist_cnn.speed.tensorflow_side import batches
    if isinstance(training, keras.utils.PyDataset):
        data, steps = {"x": training, "shuffle": False}, len(training)
    elif plan.own_batches:
        data = {"x": batches(*training, batch_size, shuffle_seed=seed), "shuffle": False}
    else:
        data = {"x": training[0], "y": training[1], "batch_size": batch_size, "shuffle": True}
    if not isinstance(training, keras.utils.PyDataset):
        steps = math.ceil(len(training[0]) / batch_size)
    if validation is not None and plan.own_batches:
        validation = batches(*validation, batch_size)
    callbacks = keras.callbacks.CallbackList(
        list(callbacks),
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
    )
    training_model(model, plan).fit(
        **data, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=verbose
    )
    return model.history


def planned_predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """`model`'s predictions for `images`, in large batches, run as the plan says (in float32)."""
    network = planned_model(model, plan_for(PREDICTION_BATCH_SIZE))
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
