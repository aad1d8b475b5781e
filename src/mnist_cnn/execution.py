"""How the model runs on the machine at hand: a plan, chosen per machine and backend, applied while training.

The model is the plain network, and stays so. What makes it train fast here is a plan, chosen
from what the machine has and which Keras backend runs (`plan_execution`, a pure function, so
tests cover every branch). With the TensorFlow backend (the default):

- on a CPU, each batch is cut into shards run side by side, one thread per operation, since the
  network's operations are too small to share well between threads; never into shards smaller
  than `MIN_SHARD` images;
- on a CPU, the image edge that the network never sees (`unseen_edge`) is skipped;
- on a CPU with bfloat16 instructions, the largest convolution computes in bfloat16 while
  training (its weights stay float32);
- with a GPU, none of those: whole batches in float32, with deterministic operations;
- everywhere but the plain plan, `STEPS_PER_EXECUTION` training steps per call from Python.

With JAX or PyTorch the model runs as built (JAX with `STEPS_PER_EXECUTION` steps per call):
the CPU plan's tricks are TensorFlow's, applied by `mnist_cnn.tensorflow_runtime`.

A plan runs through an `ExecutionGraph`, a training-only model that shares the user's layers
and weights: whatever it learns, the user's model holds. Measured effects: docs/training-speed.md.

TensorFlow fixes its thread pools when its runtime starts, which is when the first model is
built. `prepare()` chooses the plan and sets the threads; `build_model()` calls
`prepare_once()`, so the threads are ready whichever of the two a user calls first. Threads
you set yourself (`TF_NUM_INTRAOP_THREADS`, `TF_NUM_INTEROP_THREADS`, `tf.config.threading`)
are never overridden. Importing this module changes nothing.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
from dataclasses import dataclass
from pathlib import Path

from mnist_cnn import backend
from mnist_cnn.backend import keras

MODES = ("auto", "plain")
MIN_SHARD = 16  # images: a smaller shard costs more in hand-offs than it saves
STEPS_PER_EXECUTION = 16  # 8 and 32 measured alike on 2 cores
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")
REPORTED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


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
    """How to run a model on `machine` with a Keras backend; the default values are the plain path."""

    machine: Machine
    backend: str = "tensorflow"
    device: str = "CPU"
    shards: int = 1
    threads_per_op: int | None = None  # None: the backend's own choice
    crop_unseen_edge: bool = False
    bfloat16: bool = False  # the largest convolution computes in bfloat16 while training
    steps_per_execution: int = 1
    deterministic: bool = False  # TensorFlow's deterministic operations (on a GPU)
    own_batches: bool = False  # TensorFlow batches without tf.data's autotuning (`tensorflow_runtime.batches`)
    reasons: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line of what runs and one per reason, for the notebook and the benchmark."""
        lines = [f"{BACKEND_NAMES.get(self.backend, self.backend)}, {self.device} ({self.machine.describe()}): "]
        lines[0] += self.choices()
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
        if self.deterministic:
            choices.append("deterministic ops")
        choices.append(f"{self.steps_per_execution} step(s) per call")
        return ", ".join(choices)

    @property
    def as_built(self) -> bool:
        """Whether the plan runs the model itself, changing nothing of how it computes."""
        return self.shards == 1 and not self.crop_unseen_edge and not self.bfloat16 and self.steps_per_execution == 1


def plan_execution(
    machine: Machine, *, batch_size: int, mode: str = "auto", backend_name: str = "tensorflow"
) -> ExecutionPlan:
    """Choose how to train on `machine` with a Keras backend in batches of `batch_size`.

    `mode="plain"` changes nothing: the model as built, with the backend's defaults.
    """
    if mode not in MODES:
        raise ValueError(f"Expected an execution mode in {MODES}, found {mode!r}.")
    if batch_size < 1:
        raise ValueError(f"Expected a batch size of at least 1, found {batch_size}.")
    if backend_name not in BACKEND_NAMES:
        raise ValueError(f"Expected a Keras backend in {tuple(BACKEND_NAMES)}, found {backend_name!r}.")
    device = "GPU" if machine.gpus else "CPU"
    name = BACKEND_NAMES[backend_name]
    if mode == "plain":
        return ExecutionPlan(
            machine, backend_name, device, reasons=(f"plain: the model as built, with {name}'s defaults",)
        )
    if backend_name != "tensorflow":
        steps = 1 if backend_name == "torch" else STEPS_PER_EXECUTION  # Keras runs PyTorch one step per call
        return ExecutionPlan(
            machine,
            backend_name,
            device,
            steps_per_execution=steps,
            reasons=(
                f"the model as built on the {name} backend, {steps} step(s) per call: the CPU plan's shards, "
                "threads, crop and bfloat16 are TensorFlow's",
            ),
        )
    if machine.gpus:
        return ExecutionPlan(
            machine,
            backend_name,
            device,
            steps_per_execution=STEPS_PER_EXECUTION,
            deterministic=True,
            own_batches=True,
            reasons=(
                "a GPU: whole batches in float32, none of the CPU's changes",
                "deterministic operations: one seed gives one result",
            ),
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
        backend_name,
        device,
        shards=shards,
        threads_per_op=max(1, machine.cores // shards) if shards > 1 else None,
        crop_unseen_edge=True,
        bfloat16=bfloat16,
        steps_per_execution=STEPS_PER_EXECUTION,
        own_batches=True,
        reasons=tuple(reasons),
    )


def this_machine() -> Machine:
    """Read the CPU's model, cores and flags (Linux's /proc/cpuinfo, where there is one) and the backend's GPUs."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    model, flags = platform.processor() or platform.machine(), frozenset()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = frozenset(value.split())
    return Machine(model, cores, flags, gpus())


def gpus() -> tuple[str, ...]:
    """The GPUs the Keras backend in use can run on."""
    if backend.name() == "jax":
        import jax

        return tuple(str(device) for device in jax.devices() if device.platform == "gpu")
    if backend.name() == "torch":
        import torch

        return tuple(torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count()))
    return tuple(device.name for device in backend.tensorflow().config.list_physical_devices("GPU"))


_prepared = False  # whether `prepare` has run in this process


def prepare(mode: str = "auto", *, batch_size: int) -> ExecutionPlan:
    """Plan for this machine and backend, and set the runtime up for it; return the plan that will run.

    With TensorFlow that sets its threads (while it has not started) and, on a GPU, its
    deterministic operations; where the threads cannot be set, the plan runs whole batches and
    says why.
    """
    global _prepared
    plan = plan_execution(this_machine(), batch_size=batch_size, mode=mode, backend_name=backend.name())
    _prepared = True
    if plan.backend != "tensorflow":
        return plan
    from mnist_cnn import tensorflow_runtime

    return tensorflow_runtime.apply(plan)


def prepare_once(batch_size: int) -> None:
    """`prepare()` the default plan, unless a plan was prepared already: called before a model is built."""
    if not _prepared:
        prepare(batch_size=batch_size)


class ExecutionGraph(keras.Model):
    """Runs `model`'s own layers, skipping `crop` edge rows and columns, `shards` slices at a time.

    It computes what `model` computes, through the same layers and weights: training it trains
    `model`. The shards go through the same layers and are joined in order, so the loss and its
    gradient are the same sums, added in another order. With `bfloat16`, the layer at that index
    (a Conv2D) computes in bfloat16 from its float32 weights; the model itself is never changed.
    """

    def __init__(self, model: keras.Model, *, shards: int = 1, crop: int = 0, bfloat16: int | None = None):
        self.network = None  # set below: the properties read it while keras.Model starts
        if shards < 1:
            raise ValueError(f"Expected at least 1 shard, found {shards}.")
        if (crop or bfloat16 is not None) and not isinstance(model, keras.Sequential):
            raise ValueError(f"Expected a keras.Sequential model to crop or cast, found {type(model).__name__}.")
        super().__init__(name=f"{model.name}_execution")
        self.network, self.shards, self.crop, self.bfloat16 = model, shards, crop, bfloat16
        self.built = True

    # Callbacks are given the user's model (`training.train`): what they ask of it, fit asks here.
    @property
    def stop_training(self) -> bool:
        return self.network is not None and self.network.stop_training

    @stop_training.setter
    def stop_training(self, value: bool) -> None:
        if self.network is not None:
            self.network.stop_training = value

    @property
    def history(self) -> keras.callbacks.History | None:
        return getattr(self.network, "history", None)

    def call(self, inputs, training=None):
        if self.shards == 1:
            return self._run(inputs, training)
        # TensorFlow's oneDNN convolution fails on an empty shard, so a batch smaller than the
        # number of shards gets blank images appended, whose outputs are dropped at the end.
        size = keras.ops.shape(inputs)[0]  # a number where the backend knows it (JAX), else a tensor
        missing = max(self.shards - size, 0) if isinstance(size, int) else keras.ops.maximum(self.shards - size, 0)
        blanks = keras.ops.zeros((missing, *inputs.shape[1:]), inputs.dtype)
        padded = keras.ops.concatenate([inputs, blanks], axis=0)
        padded_size = keras.ops.shape(padded)[0]
        bounds = [padded_size * shard // self.shards for shard in range(self.shards + 1)]
        outputs = [self._run(padded[start:stop], training) for start, stop in zip(bounds[:-1], bounds[1:])]
        return keras.ops.concatenate(outputs, axis=0)[:size]

    def _run(self, inputs, training):
        if not self.crop and self.bfloat16 is None:
            return self.network(inputs, training=training)
        outputs = inputs[:, : -self.crop, : -self.crop] if self.crop else inputs
        for index, layer in enumerate(self.network.layers):
            if index == self.bfloat16:
                outputs = bfloat16_convolution(layer, outputs)
            else:
                outputs = layer(outputs, training=training)
        return outputs


def bfloat16_convolution(layer: keras.layers.Conv2D, inputs):
    """What `layer` computes, in bfloat16 from its float32 weights (as Keras's mixed_bfloat16 policy does)."""
    outputs = layer.convolution_op(keras.ops.cast(inputs, "bfloat16"), keras.ops.cast(layer.kernel, "bfloat16"))
    if layer.use_bias:
        outputs = outputs + keras.ops.reshape(keras.ops.cast(layer.bias, "bfloat16"), (1, 1, 1, -1))
    if layer.activation is not None:
        outputs = layer.activation(outputs)
    return keras.ops.cast(outputs, "float32")


def execution_graph(model: keras.Model, plan: ExecutionPlan, *, training: bool = False) -> keras.Model:
    """An `ExecutionGraph` that runs `model` as `plan` says, or `model` itself where it changes nothing.

    Only `training` computes in bfloat16, where the plan says so: predictions are float32.
    """
    crop = unseen_edge(model) if plan.crop_unseen_edge else 0
    convolution = largest_convolution(model) if plan.bfloat16 and training else None
    bfloat16 = model.layers.index(convolution) if convolution is not None else None
    if plan.shards == 1 and not crop and bfloat16 is None:
        return model
    return ExecutionGraph(model, shards=plan.shards, crop=crop, bfloat16=bfloat16)


def training_graph(model: keras.Model, plan: ExecutionPlan) -> keras.Model:
    """`execution_graph` for training, compiled as `model` is, with the model's own optimizer; `model` as built."""
    if not model.compiled:
        raise ValueError(f"Expected a compiled model (model.compile(...)), found {model.name!r} uncompiled.")
    if plan.as_built:
        return model
    graph = execution_graph(model, plan, training=True)
    settings = keras.saving.deserialize_keras_object(model.get_compile_config())
    settings.update(optimizer=model.optimizer, steps_per_execution=plan.steps_per_execution)
    graph.compile(**settings)
    return graph


def largest_convolution(model: keras.Model) -> keras.layers.Conv2D | None:
    """The (channels-last) Conv2D layer with the most multiply-adds per image, or None if there is none."""
    convolutions = [
        layer
        for layer in getattr(model, "layers", [])
        if isinstance(layer, keras.layers.Conv2D) and layer.data_format == "channels_last"
    ]
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
        if isinstance(layer, keras.layers.Flatten):
            break
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D)):
            return 0
        if layer.padding != "valid" or layer.data_format != "channels_last":
            return 0
        if isinstance(layer, keras.layers.Conv2D):
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
