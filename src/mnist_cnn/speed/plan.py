"""The execution plan: how the model trains on the machine at hand, chosen per machine and Keras backend.

The model is the plain network, and stays so. What makes it train fast here is a plan, chosen
from what the machine has and which Keras backend runs (`plan_execution`, a pure function, so
tests cover every branch). With the TensorFlow backend (the default):

- on a CPU, each batch is cut into shards run side by side, one thread per operation, since the
  network's operations are too small to share well between threads; never into shards smaller
  than `MIN_SHARD` images;
- on a CPU, the image edge that the network never sees (`planned_model.unseen_edge`) is skipped;
- on a CPU with bfloat16 instructions, the largest convolution computes in bfloat16 while
  training (its weights stay float32);
- with a GPU, none of those: whole batches in float32, with deterministic operations;
- everywhere but the plain plan, `STEPS_PER_EXECUTION` training steps per call from Python.

With JAX or PyTorch the model runs as built (JAX with `STEPS_PER_EXECUTION` steps per call):
the CPU plan's tricks are TensorFlow's (its threads set by `tensorflow_side`).

This module only chooses, and imports no backend: `runtime` adds the backend's GPUs to the CPU
read here (`this_machine`) and sets the backend up for a plan (`use`); `planned_model` runs it.
Measured effects: docs/training-speed.md.
"""

from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

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
    cpu_flags: frozenset[str] = field(default=frozenset(), repr=False)  # a set's order differs per process
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
    own_batches: bool = False  # TensorFlow batches without tf.data's autotuning (`tensorflow_side.batches`)
    threads_fixed: bool = False  # the runtime had started with its own threads: whole batches
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

    def record(self) -> dict[str, str]:
        """What a run's metrics record of how it ran: the backend, the machine, and the device and choices."""
        return {
            "backend": self.backend,
            "machine": self.machine.describe(),
            "execution": f"{self.device}: {self.choices()}",
        }

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


def this_cpu() -> Machine:
    """This machine's CPU: its model, cores and flags (from Linux's /proc/cpuinfo, where there is one); no GPUs."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    model, flags = platform.processor() or platform.machine(), frozenset()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = frozenset(value.split())
    return Machine(model, cores, flags)
