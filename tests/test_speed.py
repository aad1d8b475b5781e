"""The speed wing: the plan chosen per machine and backend, the model it trains exact, set up in one visible place
(`speed.use()`), and nothing global changed by importing the package or building a model."""

import dataclasses
import os
import subprocess
import sys
import types

import keras
import numpy as np
import pytest
from helpers import learnable_arrays

from mnist_cnn import speed
from mnist_cnn.networks import build_model
from mnist_cnn.speed import planned_model as planned_model_module
from mnist_cnn.speed import runtime
from mnist_cnn.speed.plan import (
    BACKEND_NAMES,
    MIN_SHARD,
    STEPS_PER_EXECUTION,
    ExecutionPlan,
    Machine,
    plan_execution,
    this_cpu,
)
from mnist_cnn.speed.planned_model import (
    PlannedModel,
    largest_convolution,
    planned_model,
    training_model,
    unseen_edge,
)
from mnist_cnn.training import train

layers = keras.layers

ZEN4 = Machine("AMD EPYC (Zen 4)", 2, frozenset({"avx2", "avx512f", "avx512_bf16"}))
ZEN3 = Machine("AMD EPYC (Zen 3)", 2, frozenset({"avx2"}))
WORKSTATION = dataclasses.replace(ZEN4, cores=16)
SERVER = dataclasses.replace(ZEN3, cores=64)
WITH_GPU = dataclasses.replace(ZEN4, gpus=("/physical_device:GPU:0",))
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
USE_FIRST = "call mnist_cnn.speed.use() before building a model"


# The plan: a pure function of the machine, the batch size, the mode and the backend.


def test_two_cores_with_bfloat16():
    plan = plan_execution(ZEN4, batch_size=64)
    assert (plan.device, plan.shards, plan.threads_per_op) == ("CPU", 2, 1)
    assert plan.crop_unseen_edge and plan.bfloat16 and plan.steps_per_execution == STEPS_PER_EXECUTION
    assert plan.own_batches and not plan.threads_fixed
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
    assert plan.describe().startswith("TensorFlow, GPU (AMD EPYC (Zen 4), 2 cores, avx2 avx512f avx512_bf16; GPU: ")
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


def test_a_run_records_the_backend_the_machine_and_the_choices():
    assert plan_execution(ZEN4, batch_size=64).record() == {
        "backend": "tensorflow",
        "machine": "AMD EPYC (Zen 4), 2 cores, avx2 avx512f avx512_bf16",
        "execution": "CPU: 2 shards per batch, 1 thread(s) per op, bfloat16 in the largest convolution, "
        "unseen edge skipped, 16 step(s) per call",
    }
    assert plan_execution(WITH_GPU, batch_size=64, mode="plain").record()["execution"] == (
        "GPU: whole batches, float32, 1 step(s) per call"
    )


def test_this_cpu_describes_its_model_cores_and_flags():
    cpu = this_cpu()
    assert cpu.cores >= 1 and cpu.cpu_model and cpu.gpus == ()
    assert cpu.describe().startswith(f"{cpu.cpu_model}, {cpu.cores} core")


# The GPUs of each backend, with stand-in devices: the plan takes the GPU branch when the backend has one.


@dataclasses.dataclass
class JaxDevice:
    platform: str
    name: str

    def __str__(self) -> str:
        return self.name


def test_gpus_on_jax_are_its_gpu_devices(monkeypatch):
    devices = [JaxDevice("cpu", "TFRT_CPU_0"), JaxDevice("gpu", "cuda:0"), JaxDevice("gpu", "cuda:1")]
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setitem(sys.modules, "jax", types.SimpleNamespace(devices=lambda: devices))
    assert runtime.gpus() == ("cuda:0", "cuda:1")


def test_gpus_on_torch_are_its_cuda_devices(monkeypatch):
    cuda = types.SimpleNamespace(device_count=lambda: 2, get_device_name=lambda index: f"NVIDIA H200 ({index})")
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    assert runtime.gpus() == ("NVIDIA H200 (0)", "NVIDIA H200 (1)")


@pytest.mark.tensorflow
def test_gpus_on_tensorflow_are_its_physical_gpus(monkeypatch):
    import tensorflow as tf

    devices = [
        tf.config.PhysicalDevice(name=f"/physical_device:{kind}:{index}", device_type=kind)
        for kind, index in [("CPU", 0), ("GPU", 0), ("GPU", 1)]
    ]

    def list_physical_devices(device_type=None):
        return [device for device in devices if device_type in (None, device.device_type)]

    monkeypatch.setattr(tf.config, "list_physical_devices", list_physical_devices)
    assert runtime.gpus() == ("/physical_device:GPU:0", "/physical_device:GPU:1")


@pytest.mark.parametrize("gpus, device", [((), "CPU"), (("NVIDIA H200",), "GPU")])
def test_this_machine_is_its_cpu_and_the_backends_gpus(monkeypatch, gpus, device):
    monkeypatch.setattr(runtime, "gpus", lambda: gpus)
    machine = runtime.this_machine()
    assert machine == dataclasses.replace(this_cpu(), gpus=gpus)
    plan = plan_execution(machine, batch_size=64)
    assert plan.device == device and plan.deterministic == bool(gpus) and plan.crop_unseen_edge != bool(gpus)


@pytest.mark.tensorflow
def test_training_on_a_machine_with_a_gpu_takes_the_gpu_plan(monkeypatch):
    from mnist_cnn.speed import tensorflow_side

    given = []
    monkeypatch.setattr(runtime, "gpus", lambda: ("/physical_device:GPU:0",))
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    monkeypatch.setattr(tensorflow_side, "apply", lambda plan: given.append(plan) or plan)  # no global change here
    monkeypatch.setattr(runtime, "_chosen", None)
    plan = runtime.plan_for(64)
    assert given == [plan] and plan.device == "GPU" and plan.machine.gpus == ("/physical_device:GPU:0",)
    assert (plan.shards, plan.crop_unseen_edge, plan.bfloat16, plan.deterministic) == (1, False, False, True)


@pytest.mark.tensorflow
def test_batches_smaller_than_use_planned_for_are_cut_into_fewer_shards(monkeypatch):
    from mnist_cnn.speed import tensorflow_side

    monkeypatch.setattr(runtime, "this_machine", lambda: Machine("sixteen cores", 16))
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    monkeypatch.setattr(tensorflow_side, "apply", lambda plan: plan)  # no global change here
    monkeypatch.setattr(runtime, "_chosen", ("auto", 64))  # as `use(batch_size=64)` leaves it
    shards = {size: runtime.plan_for(size).shards for size in (8, 16, 32, 64, 1024)}
    assert shards == {8: 1, 16: 1, 32: 2, 64: 4, 1024: 4}  # 4 threads per op, set for 64, stay
    assert runtime.plan_for(32).reasons[0] == "2 shard(s) of batches of 32, at least 16 images each"
    assert runtime.plan_for(32).threads_per_op == runtime.plan_for(64).threads_per_op == 4


def test_the_real_backend_reports_its_gpus_as_names():
    found = runtime.gpus()
    assert isinstance(found, tuple) and all(isinstance(name, str) and name for name in found)


# The planned model: the user's own layers and weights, computing what they compute.


def sequential(*network_layers) -> keras.Sequential:
    return keras.Sequential([keras.Input(shape=(28, 28, 1)), *network_layers])


def test_the_original_cnn_never_sees_two_edge_rows_and_columns():
    assert unseen_edge(build_model()) == 2
    assert largest_convolution(build_model()).output.shape == (None, 11, 11, 64)


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
    assert unseen_edge(network()) == 0


@pytest.mark.parametrize("stride, edge", [(4, 1), (5, 0)])
def test_an_edge_left_by_a_stride(stride, edge):
    # 3 x 3 windows every `stride` pixels: the last starts at 24 (4) or 25 (5) of 28 rows
    network = sequential(layers.Conv2D(4, 3, strides=stride), layers.Flatten(), layers.Dense(2))
    assert unseen_edge(network) == edge


def outputs_and_gradients(network, images, labels):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        probabilities = network(images, training=True)
        loss = keras.losses.categorical_crossentropy(labels, probabilities)
    return probabilities.numpy(), [gradient.numpy() for gradient in tape.gradient(loss, network.trainable_weights)]


@pytest.mark.tensorflow
def test_training_path_computes_what_the_plain_model_does():
    model = build_model(seed=0)
    plan = dataclasses.replace(plan_execution(ZEN3, batch_size=64), bfloat16=False)
    planned = training_model(model, plan)
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
        training_model(uncompiled, plan_execution(ZEN3, batch_size=64))


def test_a_plan_that_changes_nothing_runs_the_model_itself():
    model = build_model(seed=0)
    for plan in (plan_execution(ZEN4, batch_size=64, mode="plain"), plan_execution(WITH_GPU, batch_size=64)):
        assert planned_model(model, plan) is model
    assert training_model(model, plan_execution(ZEN4, batch_size=64, mode="plain")) is model


@pytest.mark.parametrize(
    "plan", [plan_execution(WITH_GPU, batch_size=64), plan_execution(ZEN4, batch_size=64, backend_name="jax")]
)
def test_steps_per_call_alone_leave_the_users_model_compiled_as_it_was(plan):
    model = build_model(seed=0)
    trained = training_model(model, plan)  # the model's own layers and optimizer, 16 steps per call
    assert trained is not model and trained.network is model and trained.optimizer is model.optimizer
    assert trained.steps_per_execution == STEPS_PER_EXECUTION and model.steps_per_execution == 1


def test_bfloat16_only_in_the_largest_convolution_and_only_while_training():
    model = build_model(seed=0)
    plan = plan_execution(ZEN4, batch_size=64)
    planned = training_model(model, plan)
    assert model.layers[planned.bfloat16_layer_index] is largest_convolution(model) is model.layers[2]
    images, _ = learnable_arrays(64)
    expected = keras.ops.convert_to_numpy(model(images))
    trained_path = keras.ops.convert_to_numpy(planned(images))
    assert trained_path.dtype == np.float32 and not np.array_equal(trained_path, expected)  # rounded in bfloat16
    np.testing.assert_allclose(trained_path, expected, atol=2e-2)
    predicting = planned_model(model, plan)
    assert predicting.bfloat16_layer_index is None
    np.testing.assert_allclose(keras.ops.convert_to_numpy(predicting(images)), expected, atol=1e-6)


@pytest.fixture
def on_zen4(monkeypatch):
    """`train()` in this process plans for ZEN4 (bfloat16, crop, 2 shards wanted), with whatever threads it finds."""
    monkeypatch.setattr(runtime, "this_machine", lambda: ZEN4)
    monkeypatch.setattr(runtime, "_chosen", None)
    monkeypatch.setattr(runtime, "_told", True)  # the line on how to get the rest: its own test, in a fresh process
    calls = []
    convolution = planned_model_module.bfloat16_convolution

    def counted(layer, inputs):
        calls.append(layer.name)
        return convolution(layer, inputs)

    monkeypatch.setattr(planned_model_module, "bfloat16_convolution", counted)
    return calls


@pytest.mark.tensorflow
def test_the_model_stays_float32_while_training_in_bfloat16(on_zen4):
    class Dtypes(keras.callbacks.Callback):
        seen: set = set()

        def on_train_batch_end(self, batch, logs=None):
            Dtypes.seen |= {layer.compute_dtype for layer in self.model.layers} | {w.dtype for w in self.model.weights}

    images, labels = learnable_arrays(128)
    model = build_model(seed=0)
    train(model, images, labels, epochs=1, callbacks=[Dtypes()], verbose=0)
    assert on_zen4 and set(on_zen4) == {largest_convolution(model).name}  # the plan trained through bfloat16
    assert Dtypes.seen == {"float32"}


@pytest.mark.tensorflow
def test_the_plain_model_holds_the_trained_weights(on_zen4):
    images, labels = learnable_arrays(512)
    model = build_model(seed=0)
    before = model.evaluate(images, labels, verbose=0, return_dict=True)
    initial = [weight.copy() for weight in model.get_weights()]
    history = train(model, images, labels, epochs=2, verbose=0)
    after = model.evaluate(images, labels, verbose=0, return_dict=True)
    assert on_zen4  # trained through the planned model
    assert all(not np.array_equal(a, b) for a, b in zip(initial, model.get_weights()))
    assert after["loss"] < 0.5 * before["loss"] and after["accuracy"] > 0.9
    assert history.model is model  # the callbacks saw the user's model, not the planned model that trained it
    assert {layer.compute_dtype for layer in model.layers} == {"float32"}


# TensorFlow's threads, in fresh processes: set by `use()` alone, never by an import or a model, never over yours.


def run_python(script: str, **environment: str) -> subprocess.CompletedProcess:
    """Run `script` in a fresh Python on TensorFlow, without TensorFlow's thread variables; return the finished run."""
    clean = {name: value for name, value in os.environ.items() if name not in THREAD_VARIABLES}
    finished = subprocess.run(
        [sys.executable, "-c", script],
        env={**clean, "KERAS_BACKEND": "tensorflow", **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished


def last_line(script: str, **environment: str) -> str:
    return run_python(script, **environment).stdout.strip().splitlines()[-1]


THREADS = """
import tensorflow as tf
from mnist_cnn.speed import tensorflow_side
from mnist_cnn.speed.plan import ExecutionPlan, Machine
{before}
plan = tensorflow_side.use_threads(ExecutionPlan(Machine("test", 2), shards=2, threads_per_op=1))
tf.constant(1.0) + 1  # start TensorFlow's runtime
threading = tf.config.threading
print(plan.shards, threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads(),
      plan.threads_fixed, repr(plan.reasons[0] if plan.reasons else ""))
"""


@pytest.mark.tensorflow
def test_threads_are_set_in_a_fresh_process():
    assert last_line(THREADS.format(before="")) == "2 1 2 False ''"


@pytest.mark.tensorflow
def test_your_own_thread_settings_are_kept():
    shards, intra, inter, fixed, reason = last_line(THREADS.format(before=""), TF_NUM_INTRAOP_THREADS="3").split(" ", 4)
    assert (shards, intra, inter, fixed) == ("1", "0", "0", "False")
    assert "TF_NUM_INTRAOP_THREADS=3" in reason


@pytest.mark.tensorflow
def test_your_own_tf_config_threads_are_kept():
    before = "tf.config.threading.set_intra_op_parallelism_threads(3)"
    shards, intra, inter, fixed, reason = last_line(THREADS.format(before=before)).split(" ", 4)
    assert (shards, intra, inter, fixed) == ("1", "3", "0", "False")
    assert "tf.config.threading: 3 per op, 0 ops" in reason


@pytest.mark.tensorflow
def test_once_tensorflow_has_started_without_the_package_batches_run_whole():
    shards, intra, inter, fixed, reason = last_line(THREADS.format(before="tf.constant(1.0) + 1")).split(" ", 4)
    assert (shards, intra, inter, fixed) == ("1", "0", "0", "True")
    assert "TensorFlow had started" in reason and USE_FIRST in reason


BUILD = """
import os
import tensorflow as tf
{before}
environment = dict(os.environ)
from mnist_cnn import networks
{build}
tf.constant(1.0) + 1  # start TensorFlow's runtime, if building did not
threading = tf.config.threading
changed = sorted(name for name in set(environment) | set(os.environ) if environment.get(name) != os.environ.get(name))
print(threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads(), changed)
"""
BUILDERS = {
    "original": "networks.build_model(seed=0)",
    "improved": "networks.build_improved_model(networks.FINAL_RECIPE, steps_per_epoch=10, seed=0)",
    "robust": "networks.build_robust_model(1000, epochs=1, seed=0)",
}


@pytest.mark.tensorflow
@pytest.mark.parametrize("builder", BUILDERS)
def test_building_a_model_leaves_tensorflows_threads_alone(builder):
    # 0: TensorFlow's own choice. A builder that set up the plan would leave 1 thread per op here.
    assert last_line(BUILD.format(before="", build=BUILDERS[builder])) == "0 0 []"


@pytest.mark.tensorflow
def test_building_a_model_keeps_the_threads_you_set():
    threading = "tf.config.threading"
    before = f"{threading}.set_intra_op_parallelism_threads(1); {threading}.set_inter_op_parallelism_threads(1)"
    assert last_line(BUILD.format(before=before, build=BUILDERS["original"])) == "1 1 []"


@pytest.mark.tensorflow
def test_importing_every_module_changes_nothing_global():
    script = """
import importlib, logging, os, pkgutil
import keras, tensorflow as tf  # what they change is theirs


LOGGERS = ["", "py.warnings", "tensorflow", "absl", "keras"]  # the root's, Python's warnings', TensorFlow's, Keras's


def settings(names):
    return [(name, logging.getLogger(name).level, logging.getLogger(name).handlers[:]) for name in names]


environment, before = dict(os.environ), settings(LOGGERS)
import mnist_cnn
names = [module.name for module in pkgutil.walk_packages(mnist_cnn.__path__, "mnist_cnn.")]
for name in names:
    importlib.import_module(name)
changed = sorted(name for name in set(environment) | set(os.environ) if environment.get(name) != os.environ.get(name))
own = [name for name in logging.Logger.manager.loggerDict if name.split(".")[0] == "mnist_cnn"]
logs = settings(LOGGERS) == before and not any(handlers for *_, handlers in settings(own))
threading = tf.config.threading
print(len(names), "mnist_cnn.speed.tensorflow_side" in names, "mnist_cnn.reading.distortions" in names, changed,
      logs, threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads())
"""
    count, *rest = last_line(script).split(" ", 1)
    assert int(count) > 30  # every module of the package and its wings, whatever its name
    assert rest == ["True True [] True 0 0"]


NATURAL_ORDER = """
import sys
import numpy as np
import tensorflow as tf
from mnist_cnn import speed
from mnist_cnn.networks import build_model
from mnist_cnn.speed import runtime
from mnist_cnn.training import train
{before}
model = build_model(seed=0)
images = np.random.default_rng(0).uniform(size=(64, 28, 28, 1)).astype("float32")
labels = np.eye(10, dtype="float32")[np.arange(64) % 10]
initial = model.get_weights()[0].copy()
for run in ("first", "second"):
    print(f"-- {{run}} train()", file=sys.stderr, flush=True)
    history = train(model, images, labels, epochs=1, batch_size=64, verbose=0)
    sys.stderr.flush()
print("-- trained", file=sys.stderr, flush=True)
plan = runtime.plan_for(64)
threading = tf.config.threading
print(plan.shards, plan.crop_unseen_edge, plan.steps_per_execution, plan.threads_fixed,
      threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads(),
      len(history.history["loss"]), not np.array_equal(initial, model.get_weights()[0]))
"""


def told(stderr: str) -> list[tuple[str, str]]:
    """The lines of stderr that say to call `use()` first, each with the step it was printed in."""
    step, lines = "before", []
    for line in stderr.splitlines():
        if line.startswith("-- "):
            step = line[3:]
        elif USE_FIRST in line:
            lines.append((step, line))
    return lines


@pytest.mark.tensorflow
def test_the_natural_order_trains_whole_batches_and_says_once_how_to_get_the_rest():
    wanted = plan_execution(runtime.this_machine(), batch_size=64)  # 2 shards on this project's 2 cores
    finished = run_python(NATURAL_ORDER.format(before=""))
    lines = told(finished.stderr)
    if wanted.shards > 1:
        assert [step for step, _ in lines] == ["first train()"], finished.stderr[-2000:]
        assert f"For {wanted.shards} shards per batch" in lines[0][1]
    else:
        assert lines == []  # no shards to miss, nothing to say
    fields = finished.stdout.strip().splitlines()[-1].split()
    # Whole batches, the unseen edge skipped, 16 steps per call; TensorFlow's own threads; it trained.
    assert fields == ["1", "True", str(STEPS_PER_EXECUTION), str(wanted.shards > 1), "0", "0", "1", "True"]


@pytest.mark.tensorflow
def test_use_before_building_gets_the_whole_plan_and_says_nothing():
    wanted = plan_execution(runtime.this_machine(), batch_size=64)
    finished = run_python(NATURAL_ORDER.format(before="print('use:', speed.use().shards)"))
    assert told(finished.stderr) == [] and "Training whole batches" not in finished.stderr
    threads = (wanted.threads_per_op, wanted.shards) if wanted.threads_per_op else (0, 0)  # 0: TensorFlow's own
    output = finished.stdout.strip().splitlines()
    assert output[0] == f"use: {wanted.shards}"
    assert output[-1].split() == [
        str(wanted.shards), "True", str(STEPS_PER_EXECUTION), "False", str(threads[0]), str(threads[1]), "1", "True"
    ]  # fmt: skip


@pytest.mark.tensorflow
def test_use_plain_trains_the_model_as_built():
    finished = run_python(NATURAL_ORDER.format(before="speed.use('plain')"))
    assert told(finished.stderr) == []
    assert finished.stdout.strip().splitlines()[-1].split() == ["1", "False", "1", "False", "0", "0", "1", "True"]


def test_the_wing_shows_use_and_the_two_seams_of_its_runtime():
    assert (speed.use, speed.planned_fit, speed.planned_predict) == (
        runtime.use,
        runtime.planned_fit,
        runtime.planned_predict,
    )
    with pytest.raises(AttributeError, match="has no attribute 'prepare'"):
        speed.prepare  # noqa: B018 (execution.prepare is speed.use now)
