"""How the model runs on the machine at hand: a plan, chosen per machine, applied while training.

The model is the plain network, and stays so. What makes it train fast here is a plan, chosen
from what the machine has (`plan_execution`, a pure function, so tests cover every branch):

- on a CPU, each batch is cut into shards run side by side, one thread per operation, since the
  network's operations are too small to share well between threads; never into shards smaller
  than `MIN_SHARD` images;
- on a CPU, the image edge that the network never sees (`unseen_edge`) is skipped;
- on a CPU with bfloat16 instructions, the largest convolution computes in bfloat16 while
  training (its weights stay float32);
- with a GPU, none of those: whole batches in float32;
- everywhere but the plain plan, `STEPS_PER_EXECUTION` training steps per call from Python.

A plan runs through an `ExecutionGraph`, a training-only model that shares the user's layers
and weights: whatever it learns, the user's model holds. Measured effects: README, "Training
speed".

TensorFlow fixes its thread pools when its runtime starts, which is when the first model is
built. `prepare()` chooses the plan and sets the threads; call it before building a model.
Later, it keeps TensorFlow's threads and plans whole batches, and says so. It never overrides
threads you set yourself (`TF_NUM_INTRAOP_THREADS`, `TF_NUM_INTEROP_THREADS`, or
`tf.config.threading`). Importing this module changes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import platform
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mnist_cnn.backend  # noqa: F401  (first: TensorFlow without its start-up notices)

import keras
import tensorflow as tf
from keras import layers, ops

MODES = ("auto", "plain")
MIN_SHARD = 16  # images: a smaller shard costs more in hand-offs than it saves
STEPS_PER_EXECUTION = 16  # 8 and 32 measured alike on 2 cores
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")
REPORTED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


@dataclass(frozen=True)
class Machine:
    """What a plan depends on: the CPU, its cores and instruction sets, and any GPUs."""

    cpu_model: str
    cores: int
    cpu_flags: frozenset[str] = frozenset()
    gpus: tuple[str, ...] = ()

    def describe(self) -> str:
        """For example 'AMD EPYC, 2 cores, avx2 avx512f avx512_bf16'."""
        flags = " ".join(flag for flag in REPORTED_FLAGS if flag in self.cpu_flags) or "no avx2"
        gpus = f"; GPU: {', '.join(self.gpus)}" if self.gpus else ""
        return f"{self.cpu_model}, {self.cores} core{'s' * (self.cores != 1)}, {flags}{gpus}"


@dataclass(frozen=True)
class ExecutionPlan:
    """How to run a model on `machine`; the default values are the plain path."""

    machine: Machine
    device: str = "CPU"
    shards: int = 1
    threads_per_op: int | None = None  # None: TensorFlow's own choice
    crop_unseen_edge: bool = False
    bfloat16: bool = False  # the largest convolution computes in bfloat16 while training
    steps_per_execution: int = 1
    reasons: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line of what runs and one per reason, for the notebook and the benchmark."""
        lines = [f"{self.device} ({self.machine.describe()}): {self.choices()}"]
        return "\n".join(lines + [f"- {reason}" for reason in self.reasons])

    def choices(self) -> str:
        """What runs, in a few words: shards and threads, precision, crop, steps per call."""
        choices = []
        if self.shards > 1:
            choices.append(f"{self.shards} shards per batch, {self.threads_per_op} thread(s) per op")
        else:
            choices.append("whole batches")
        choices.append("bfloat16 in the largest convolution" if self.bfloat16 else "float32")
        if self.crop_unseen_edge:
            choices.append("unseen edge skipped")
        choices.append(f"{self.steps_per_execution} step(s) per call")
        return ", ".join(choices)


def plan_execution(machine: Machine, *, batch_size: int, mode: str = "auto") -> ExecutionPlan:
    """Choose how to train on `machine` in batches of `batch_size`; `mode="plain"` changes nothing."""
    if mode not in MODES:
        raise ValueError(f"Expected an execution mode in {MODES}, found {mode!r}.")
    if batch_size < 1:
        raise ValueError(f"Expected a batch size of at least 1, found {batch_size}.")
    device = "GPU" if machine.gpus else "CPU"
    if mode == "plain":
        return ExecutionPlan(machine, device, reasons=("plain: the model as built, with TensorFlow's defaults",))
    if machine.gpus:
        return ExecutionPlan(
            machine,
            device,
            steps_per_execution=STEPS_PER_EXECUTION,
            reasons=("a GPU: whole batches in float32, none of the CPU's changes",),
        )
    shards = max(1, min(machine.cores, batch_size // MIN_SHARD))
    bfloat16 = any(flag in machine.cpu_flags for flag in BFLOAT16_FLAGS)
    reasons = [
        f"{shards} shard(s): one per core, at least {MIN_SHARD} images each"
        if shards > 1
        else f"whole batches: {machine.cores} core(s), batches of {batch_size}",
        "bfloat16: the CPU has bfloat16 instructions"
        if bfloat16
        else "float32: the CPU has no bfloat16 instructions (avx512_bf16, amx_bf16)",
        "the image edge that the network never sees is skipped",
    ]
    return ExecutionPlan(
        machine,
        device,
        shards=shards,
        threads_per_op=max(1, machine.cores // shards) if shards > 1 else None,
        crop_unseen_edge=True,
        bfloat16=bfloat16,
        steps_per_execution=STEPS_PER_EXECUTION,
        reasons=tuple(reasons),
    )


def this_machine() -> Machine:
    """Read the CPU's model, cores and flags (Linux's /proc/cpuinfo) and TensorFlow's GPUs."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    model, flags = platform.processor() or platform.machine(), frozenset()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = frozenset(value.split())
    gpus = tuple(device.name for device in tf.config.list_physical_devices("GPU"))
    return Machine(model, cores, flags, gpus)


def prepare(mode: str = "auto", *, batch_size: int) -> ExecutionPlan:
    """Plan for this machine and set TensorFlow's threads for it; return the plan that will run."""
    return use_threads(plan_execution(this_machine(), batch_size=batch_size, mode=mode))


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
        return _whole_batches(
            plan, "TensorFlow had started with its own threads: call execution.prepare() before building a model"
        )
    return plan


def _whole_batches(plan: ExecutionPlan, reason: str) -> ExecutionPlan:
    # A plan with threads to set gives its reason for the shards first: that one is replaced.
    reasons = (f"whole batches: {reason}", *plan.reasons[1:])
    return dataclasses.replace(plan, shards=1, threads_per_op=None, reasons=reasons)


class ExecutionGraph(keras.Model):
    """Runs `model`'s own layers, skipping `crop` edge rows and columns, `shards` slices at a time.

    It computes what `model` computes, through the same layers and weights: training it trains
    `model`. The shards go through the same layers and are joined in order, so the loss and its
    gradient are the same sums, added in another order.
    """

    def __init__(self, model: keras.Model, *, shards: int = 1, crop: int = 0):
        if shards < 1:
            raise ValueError(f"Expected at least 1 shard, found {shards}.")
        if crop and not isinstance(model, keras.Sequential):
            raise ValueError(f"Expected a keras.Sequential model to crop, found {type(model).__name__}.")
        super().__init__(name=f"{model.name}_execution")
        self.network, self.shards, self.crop = model, shards, crop
        self.built = True

    def call(self, inputs, training=None):
        if self.shards == 1:
            return self._run(inputs, training)
        # TensorFlow's oneDNN convolution fails on an empty shard, so a batch smaller than the
        # number of shards gets blank images appended, whose outputs are dropped at the end.
        size = ops.shape(inputs)[0]
        blanks = ops.zeros((ops.maximum(self.shards - size, 0), *inputs.shape[1:]), inputs.dtype)
        padded = ops.concatenate([inputs, blanks], axis=0)
        padded_size = ops.shape(padded)[0]
        bounds = [padded_size * shard // self.shards for shard in range(self.shards + 1)]
        outputs = [self._run(padded[start:stop], training) for start, stop in zip(bounds[:-1], bounds[1:])]
        return ops.concatenate(outputs, axis=0)[:size]

    def _run(self, inputs, training):
        if not self.crop:
            return self.network(inputs, training=training)
        outputs = inputs[:, : -self.crop, : -self.crop]
        for layer in self.network.layers:
            outputs = layer(outputs, training=training)
        return outputs


def execution_graph(model: keras.Model, plan: ExecutionPlan) -> ExecutionGraph:
    """An `ExecutionGraph` that runs `model` with the plan's shards and crop."""
    return ExecutionGraph(model, shards=plan.shards, crop=unseen_edge(model) if plan.crop_unseen_edge else 0)


def training_graph(model: keras.Model, plan: ExecutionPlan) -> ExecutionGraph:
    """`execution_graph` compiled as `model` is, with the model's own optimizer."""
    if not model.compiled:
        raise ValueError(f"Expected a compiled model (model.compile(...)), found {model.name!r} uncompiled.")
    graph = execution_graph(model, plan)
    settings = keras.saving.deserialize_keras_object(model.get_compile_config())
    settings.update(optimizer=model.optimizer, steps_per_execution=plan.steps_per_execution)
    graph.compile(**settings)
    return graph


@contextlib.contextmanager
def training_precision(model: keras.Model, plan: ExecutionPlan) -> Iterator[None]:
    """While inside, the largest convolution computes in bfloat16 if the plan says so."""
    convolution = largest_convolution(model) if plan.bfloat16 else None
    if convolution is None:
        yield
        return
    original = convolution.dtype_policy
    convolution.dtype_policy = "mixed_bfloat16"  # float32 weights, bfloat16 arithmetic
    try:
        yield
    finally:
        convolution.dtype_policy = original


def largest_convolution(model: keras.Model) -> layers.Conv2D | None:
    """The Conv2D layer with the most multiply-adds per image, or None if there is none."""
    convolutions = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    if not convolutions:
        return None
    return max(convolutions, key=lambda layer: math.prod(layer.kernel.shape) * math.prod(layer.output.shape[1:3]))


def unseen_edge(model: keras.Model) -> int:
    """How many last rows and columns of an image no output of `model` depends on.

    Valid (unpadded) convolutions and poolings drop whatever of their input does not fill a
    whole window. Traced back from the layer before `Flatten` to the image, that leaves an
    edge the network never looks at: 2 rows and 2 columns in the original CNN. Any layer
    other than such convolutions and poolings before `Flatten` makes it 0.
    """
    windows = []  # (kernel, stride) per spatial axis, per layer
    for layer in getattr(model, "layers", []):
        if isinstance(layer, layers.Flatten):
            break
        if not isinstance(layer, (layers.Conv2D, layers.MaxPooling2D)):
            return 0
        if layer.padding != "valid" or layer.data_format != "channels_last":
            return 0
        if isinstance(layer, layers.Conv2D):
            if tuple(layer.dilation_rate) != (1, 1):
                return 0
            windows.append(tuple(zip(layer.kernel_size, layer.strides)))
        else:
            windows.append(tuple(zip(layer.pool_size, layer.strides)))
    else:
        return 0
    edges = []
    for axis, size in enumerate(model.input_shape[1:3]):
        used = size
        for window in windows:  # forward: the size of each layer's output
            kernel, stride = window[axis]
            used = (used - kernel) // stride + 1
        for window in reversed(windows):  # back: how much of each layer's input that output uses
            kernel, stride = window[axis]
            used = (used - 1) * stride + kernel
        edges.append(size - used)
    return min(edges)
