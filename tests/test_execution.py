"""The execution plan: chosen per machine and backend, exact, applied only while training, changing nothing global."""

import dataclasses
import os
import subprocess
import sys
import types

import numpy as np
import pytest
from helpers import learnable_arrays

from mnist_cnn import backend, execution
from mnist_cnn.backend import keras
from mnist_cnn.execution import PlannedModel
from mnist_cnn.model import build_model
from mnist_cnn.plan import (
    BACKEND_NAMES,
    MIN_SHARD,
    STEPS_PER_EXECUTION,
    ExecutionPlan,
    Machine,
    plan_execution,
    this_cpu,
)
from mnist_cnn.training import train

layers = keras.layers

ZEN4 = Machine("AMD EPYC (Zen 4)", 2, frozenset({"avx2", "avx512f", "avx512_bf16"}))
ZEN3 = Machine("AMD EPYC (Zen 3)", 2, frozenset({"avx2"}))
WORKSTATION = dataclasses.replace(ZEN4, cores=16)
SERVER = dataclasses.replace(ZEN3, cores=64)
WITH_GPU = dataclasses.replace(ZEN4, gpus=("/physical_device:GPU:0",))


def test_two_cores_with_bfloat16():
    plan = plan_execution(ZEN4, batch_size=64)
    assert (plan.device, plan.shards, plan.threads_per_op) == ("CPU", 2, 1)
    assert plan.crop_unseen_edge and plan.bfloat16 and plan.steps_per_execution == STEPS_PER_EXECUTION
    assert plan.describe().startswith("TensorFlow, CPU (AMD EPYC (Zen 4), 2 cores, avx2 avx512f avx512_bf16): 2 shards")


def test_no_bfloat16_without_its_instructions():
    plan = plan_execution(ZEN3, batch_size=64)
    assert not plan.bfloat16 and plan.shards == 2
    assert "no bfloat16 instructions" in plan.describe()


@pytest.mark.parametrize("machine, shards, threads", [(WORKSTATION, 4, 4), (SERVER, 4, 16)])
def test_many_cores_keep_shards_large(machine, shards, threads):
    plan = plan_execution(machine, batch_size=64)
    assert (plan.shards, plan.threads_per_op) == (shards, threads)


@pytest.mark.parametrize("cores", [1, 2, 3, 8, 16, 64, 128])
@pytest.mark.parametrize("batch_size", [1, 8, 31, 32, 64, 256])
def test_never_shards_of_fewer_than_min_shard_images(cores, batch_size):
    plan = plan_execution(dataclasses.replace(ZEN3, cores=cores), batch_size=batch_size)
    assert plan.shards == 1 or batch_size // plan.shards >= MIN_SHARD
    assert plan.shards <= cores
    assert (plan.threads_per_op is None) == (plan.shards == 1)


def test_a_gpu_gets_none_of_the_cpu_changes_and_deterministic_ops():
    plan = plan_execution(WITH_GPU, batch_size=64)
    assert (plan.device, plan.shards, plan.threads_per_op) == ("GPU", 1, None)
    assert not plan.crop_unseen_edge and not plan.bfloat16
    assert plan.deterministic and "deterministic ops" in plan.describe()
    assert not plan_execution(ZEN4, batch_size=64).deterministic


@pytest.mark.parametrize("machine", [ZEN4, WITH_GPU])
@pytest.mark.parametrize("backend_name", ["tensorflow", "jax", "torch"])
def test_plain_mode_changes_nothing(machine, backend_name):
    plan = plan_execution(machine, batch_size=64, mode="plain", backend_name=backend_name)
    assert plan == ExecutionPlan(machine, backend_name, plan.device, reasons=plan.reasons)
    assert plan.as_built and not plan.own_batches


@pytest.mark.parametrize("machine", [ZEN4, WITH_GPU])
@pytest.mark.parametrize("backend_name, steps", [("jax", STEPS_PER_EXECUTION), ("torch", 1)])
def test_other_backends_run_the_model_as_built_and_say_so(machine, backend_name, steps):
    plan = plan_execution(machine, batch_size=64, backend_name=backend_name)
    assert (plan.shards, plan.threads_per_op, plan.steps_per_execution) == (1, None, steps)
    assert not (plan.crop_unseen_edge or plan.bfloat16 or plan.deterministic or plan.own_batches)
    name = BACKEND_NAMES[backend_name]
    assert plan.describe().startswith(f"{name}, {plan.device} (") and "are TensorFlow's" in plan.describe()


def test_bad_mode_and_batch_size():
    with pytest.raises(ValueError, match=r"execution mode in \('auto', 'plain'\), found 'fast'"):
        plan_execution(ZEN4, batch_size=64, mode="fast")
    with pytest.raises(ValueError, match="batch size of at least 1, found 0"):
        plan_execution(ZEN4, batch_size=0)
    with pytest.raises(ValueError, match=r"Keras backend in \('tensorflow', 'jax', 'torch'\), found 'mxnet'"):
        plan_execution(ZEN4, batch_size=64, backend_name="mxnet")


def test_this_machine_is_its_cpu_and_the_backends_gpus():
    machine, found = execution.this_machine(), execution.gpus()
    assert machine.cores >= 1 and machine.cpu_model
    assert isinstance(found, tuple) and all(isinstance(name, str) for name in found)
    assert machine.gpus == found and this_cpu().gpus == ()


@dataclasses.dataclass
class JaxDevice:
    platform: str
    name: str

    def __str__(self) -> str:
        return self.name


def test_gpus_on_jax_are_its_gpu_devices(monkeypatch):
    devices = [JaxDevice("cpu", "TFRT_CPU_0"), JaxDevice("gpu", "cuda:0"), JaxDevice("gpu", "cuda:1")]
    monkeypatch.setattr(backend, "name", lambda: "jax")
    monkeypatch.setitem(sys.modules, "jax", types.SimpleNamespace(devices=lambda: devices))
    assert execution.gpus() == ("cuda:0", "cuda:1")


def test_gpus_on_torch_are_its_cuda_devices(monkeypatch):
    cuda = types.SimpleNamespace(device_count=lambda: 2, get_device_name=lambda index: f"NVIDIA H200 ({index})")
    monkeypatch.setattr(backend, "name", lambda: "torch")
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    assert execution.gpus() == ("NVIDIA H200 (0)", "NVIDIA H200 (1)")


@pytest.mark.tensorflow
def test_gpus_on_tensorflow_are_its_physical_gpus(monkeypatch):
    tf = backend.tensorflow()
    devices = [
        tf.config.PhysicalDevice(name=f"/physical_device:{kind}:{index}", device_type=kind)
        for kind, index in [("CPU", 0), ("GPU", 0), ("GPU", 1)]
    ]

    def list_physical_devices(device_type=None):
        return [device for device in devices if device_type in (None, device.device_type)]

    monkeypatch.setattr(tf.config, "list_physical_devices", list_physical_devices)
    assert execution.gpus() == ("/physical_device:GPU:0", "/physical_device:GPU:1")


def sequential(*network_layers) -> keras.Sequential:
    return keras.Sequential([keras.Input(shape=(28, 28, 1)), *network_layers])


def test_the_original_cnn_never_sees_two_edge_rows_and_columns():
    assert execution.unseen_edge(build_model()) == 2
    assert execution.largest_convolution(build_model()).output.shape == (None, 11, 11, 64)


@pytest.mark.parametrize(
    "network",
    [
        lambda: sequential(layers.Conv2D(4, 3, padding="same"), layers.Flatten(), layers.Dense(2)),
        lambda: sequential(layers.RandomRotation(0.1), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(2)),
        lambda: sequential(layers.Conv2D(4, 3), layers.GlobalAveragePooling2D(), layers.Dense(2)),
        lambda: sequential(layers.Conv2D(4, 3, dilation_rate=2), layers.Flatten(), layers.Dense(2)),
    ],
)
def test_no_edge_skipped_where_the_network_may_see_it(network):
    assert execution.unseen_edge(network()) == 0


@pytest.mark.parametrize("stride, edge", [(4, 1), (5, 0)])
def test_an_edge_left_by_a_stride(stride, edge):
    # 3 x 3 windows every `stride` pixels: the last starts at 24 (4) or 25 (5) of 28 rows
    network = sequential(layers.Conv2D(4, 3, strides=stride), layers.Flatten(), layers.Dense(2))
    assert execution.unseen_edge(network) == edge


def outputs_and_gradients(network, images, labels):
    tf = backend.tensorflow()
    with tf.GradientTape() as tape:
        probabilities = network(images, training=True)
        loss = keras.losses.categorical_crossentropy(labels, probabilities)
    return probabilities.numpy(), [gradient.numpy() for gradient in tape.gradient(loss, network.trainable_weights)]


@pytest.mark.tensorflow
def test_training_path_computes_what_the_plain_model_does():
    model = build_model(seed=0)
    plan = dataclasses.replace(plan_execution(ZEN3, batch_size=64), bfloat16=False)
    planned = execution.training_model(model, plan)
    assert (planned.shards, planned.crop, planned.bfloat16_layer_index) == (2, 2, None)
    images, labels = learnable_arrays(64)
    images[:, 26:, :] = 1.0  # ink in the rows and columns the network never sees
    images[:, :, 26:] = 1.0
    expected_outputs, expected_gradients = outputs_and_gradients(model, images, labels)
    outputs, gradients = outputs_and_gradients(planned, images, labels)
    np.testing.assert_allclose(outputs, expected_outputs, atol=1e-6)
    assert len(gradients) == len(expected_gradients) == 10
    for ours, theirs in zip(gradients, expected_gradients):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def small_network() -> keras.Sequential:
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input(shape=(6, 6, 1)), layers.Conv2D(4, 3, activation="relu"), layers.Flatten(), layers.Dense(3)]
    )


@pytest.mark.parametrize("shards", [2, 3])
@pytest.mark.parametrize("batch", [1, 2, 5, 64])
def test_shards_compute_what_the_whole_batch_does(shards, batch):
    network = small_network()
    sharded = PlannedModel(network, shards=shards)
    images = np.random.default_rng(batch).uniform(size=(batch, 6, 6, 1)).astype("float32")
    expected = keras.ops.convert_to_numpy(network(images))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(sharded(images)), expected, atol=1e-6)  # eager
    np.testing.assert_allclose(sharded.predict(images, verbose=0), expected, atol=1e-6)  # traced


def test_planned_model_arguments_are_checked():
    with pytest.raises(ValueError, match="at least 1 shard, found 0"):
        PlannedModel(small_network(), shards=0)
    functional = keras.Model(*(lambda x: (x, layers.Flatten()(x)))(keras.Input((6, 6, 1))))
    with pytest.raises(ValueError, match="keras.Sequential model to crop or cast, found Functional"):
        PlannedModel(functional, crop=2)
    uncompiled = small_network()
    with pytest.raises(ValueError, match="compiled model .* uncompiled"):
        execution.training_model(uncompiled, plan_execution(ZEN3, batch_size=64))


def test_bfloat16_only_in_the_largest_convolution_and_only_while_training():
    model = build_model(seed=0)
    plan = plan_execution(ZEN4, batch_size=64)
    planned = execution.training_model(model, plan)
    assert model.layers[planned.bfloat16_layer_index] is execution.largest_convolution(model) is model.layers[2]
    images, _ = learnable_arrays(64)
    expected = keras.ops.convert_to_numpy(model(images))
    trained_path = keras.ops.convert_to_numpy(planned(images))
    assert trained_path.dtype == np.float32 and not np.array_equal(trained_path, expected)  # rounded in bfloat16
    np.testing.assert_allclose(trained_path, expected, atol=2e-2)
    predicting = execution.planned_model(model, plan)
    assert predicting.bfloat16_layer_index is None
    np.testing.assert_allclose(keras.ops.convert_to_numpy(predicting(images)), expected, atol=1e-6)


def test_the_model_stays_float32_while_training_in_bfloat16():
    class Dtypes(keras.callbacks.Callback):
        seen: set = set()

        def on_train_batch_end(self, batch, logs=None):
            Dtypes.seen |= {layer.compute_dtype for layer in self.model.layers} | {w.dtype for w in self.model.weights}

    images, labels = learnable_arrays(128)
    train(build_model(seed=0), images, labels, epochs=1, plan=plan_execution(ZEN4, batch_size=64), callbacks=[Dtypes()])
    assert Dtypes.seen == {"float32"}


def test_the_plain_model_holds_the_trained_weights():
    images, labels = learnable_arrays(512)
    model = build_model(seed=0)
    before = model.evaluate(images, labels, verbose=0, return_dict=True)
    initial = [weight.copy() for weight in model.get_weights()]
    history = train(model, images, labels, epochs=2, plan=plan_execution(ZEN4, batch_size=64), verbose=0)
    after = model.evaluate(images, labels, verbose=0, return_dict=True)
    assert all(not np.array_equal(a, b) for a, b in zip(initial, model.get_weights()))
    assert after["loss"] < 0.5 * before["loss"] and after["accuracy"] > 0.9
    assert history.model is model  # the callbacks saw the user's model, not the planned model that trained it
    assert {layer.compute_dtype for layer in model.layers} == {"float32"}


def run_python(script: str, **environment: str) -> str:
    """Run `script` in a fresh Python without TensorFlow's thread variables; return its stdout."""
    from mnist_cnn.tensorflow_runtime import THREAD_VARIABLES

    clean = {name: value for name, value in os.environ.items() if name not in THREAD_VARIABLES}
    finished = subprocess.run(
        [sys.executable, "-c", script], env={**clean, **environment}, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished.stdout.strip().splitlines()[-1]


THREADS = """
import tensorflow as tf
from mnist_cnn import tensorflow_runtime
from mnist_cnn.plan import ExecutionPlan, Machine
{before}
plan = tensorflow_runtime.use_threads(ExecutionPlan(Machine("test", 2), shards=2, threads_per_op=1))
tf.constant(1.0) + 1  # start TensorFlow's runtime
threading = tf.config.threading
print(plan.shards, threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads(),
      repr(plan.reasons[0] if plan.reasons else ""))
"""


@pytest.mark.tensorflow
def test_threads_are_set_in_a_fresh_process():
    assert run_python(THREADS.format(before="")) == "2 1 2 ''"


NATURAL_ORDER = """
import tensorflow as tf
from mnist_cnn import execution
from mnist_cnn.model import build_model
build_model()  # starts TensorFlow: the plan was prepared just before
plan = execution.prepare(batch_size=64)  # as train() does
threading = tf.config.threading
print(plan.shards, threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads())
"""


@pytest.mark.tensorflow
def test_building_the_model_first_still_gets_the_fast_plan():
    wanted = plan_execution(execution.this_machine(), batch_size=64)  # this machine's plan: 2 shards on 2 cores
    threads = (wanted.threads_per_op, wanted.shards) if wanted.threads_per_op else (0, 0)  # 0: TensorFlow's own
    assert run_python(NATURAL_ORDER) == f"{wanted.shards} {threads[0]} {threads[1]}"


@pytest.mark.tensorflow
def test_your_own_thread_settings_are_kept():
    shards, intra, inter, reason = run_python(THREADS.format(before=""), TF_NUM_INTRAOP_THREADS="3").split(" ", 3)
    assert (shards, intra, inter) == ("1", "0", "0")
    assert "TF_NUM_INTRAOP_THREADS=3" in reason


@pytest.mark.tensorflow
def test_once_tensorflow_has_started_without_the_package_batches_run_whole():
    output = run_python(THREADS.format(before="tf.constant(1.0) + 1"))
    shards, intra, inter, reason = output.split(" ", 3)
    assert (shards, intra, inter) == ("1", "0", "0")
    assert "TensorFlow had started" in reason and "execution.prepare() before building a model" in reason


@pytest.mark.tensorflow
def test_importing_the_package_changes_nothing_global():
    script = """
import logging, os, sys
environment, handlers = dict(os.environ), list(logging.getLogger().handlers)
import mnist_cnn, mnist_cnn.backend
import tensorflow as tf
import importlib, pkgutil
modules = [importlib.import_module(f"mnist_cnn.{module.name}") for module in pkgutil.iter_modules(mnist_cnn.__path__)]
assert len(modules) > 20, modules  # every module of the package, whatever its name
changed = sorted(name for name in set(environment) | set(os.environ) if environment.get(name) != os.environ.get(name))
print(changed, os.environ.get("TF_NUM_INTRAOP_THREADS"), logging.getLogger().handlers == handlers,
      tf.config.threading.get_intra_op_parallelism_threads())
"""
    assert run_python(script) == "[] None True 0"
