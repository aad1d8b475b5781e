"""The tests find MNIST as a user's run does (data_source.py), or the run stops with one sentence (../conftest.py)."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from tests.data_source import DOWNLOAD_TIMEOUT, MnistNotFound, find_mnist, keras_cache

ROOT = Path(__file__).resolve().parents[1]
NEEDS_DATA = "tests/test_data.py::test_real_npz_loads_as_keras_gives_it"  # uses the mnist_path fixture
NEEDS_NONE = "tests/test_data.py::test_explicit_path_wins_over_environment_variable"


class Network:
    """Stands in for Keras's download: records the socket timeout of each attempt, and serves `arrays` if any."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []
        self.arrays: dict[str, np.ndarray] | None = None

    def __call__(self, url: str, target: str, progress=None) -> None:
        self.timeouts.append(socket.getdefaulttimeout())
        if self.arrays is None:
            raise urllib.error.URLError("[Errno -2] Name or service not known")
        np.savez(target, **self.arrays)


@pytest.fixture
def network(tmp_path, monkeypatch) -> Network:
    """MNIST_CNN_DATA unset, Keras's cache an empty folder, and its download a stand-in that fails until given arrays.

    Keras checks its cached file against the sha256 of its own download, which no stand-in can match:
    that check passes here (the arrays are still checked against MNIST's, by `load_mnist`).
    """
    from keras.src.backend import config
    from keras.src.utils import file_utils

    network = Network()
    monkeypatch.delenv("MNIST_CNN_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))  # Keras reads KERAS_HOME at import.
    monkeypatch.setattr(file_utils, "urlretrieve", network)
    monkeypatch.setattr(file_utils, "validate_file", lambda *args, **kwargs: True)
    return network


def test_mnist_cnn_data_comes_first(mnist_path, network, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_DATA", str(mnist_path))
    assert find_mnist() == mnist_path
    assert network.timeouts == []  # no download tried


def test_a_named_copy_that_is_not_there_stops_the_run_even_with_a_cache(mnist, network, tmp_path, monkeypatch):
    keras_cache().parent.mkdir(parents=True)
    np.savez(keras_cache(), **mnist)
    monkeypatch.setenv("MNIST_CNN_DATA", str(tmp_path / "absent.npz"))
    with pytest.raises(MnistNotFound, match=rf"not found at {tmp_path}/absent\.npz.*MNIST_CNN_DATA"):
        find_mnist()
    assert network.timeouts == []


def test_then_keras_cache(mnist, network, tmp_path):
    cache = tmp_path / "datasets" / "mnist.npz"
    cache.parent.mkdir()
    np.savez(cache, **mnist)
    assert find_mnist() == keras_cache() == cache
    assert network.timeouts == []


def test_then_keras_download_with_a_timeout(mnist, network, tmp_path):
    network.arrays = mnist
    previous_timeout = socket.getdefaulttimeout()
    assert find_mnist(timeout=3.0) == tmp_path / "datasets" / "mnist.npz"
    assert network.timeouts == [3.0]
    assert socket.getdefaulttimeout() == previous_timeout


def test_without_any_the_message_is_one_sentence_saying_how_to_provide_it(network, tmp_path):
    with pytest.raises(MnistNotFound) as raised:
        find_mnist()
    message = str(raised.value)
    assert re.fullmatch(r"[^\n]+\.", message) and not re.search(r"\.\s", message), message
    assert "MNIST_CNN_DATA" in message and str(tmp_path / "datasets" / "mnist.npz") in message
    assert "Name or service not known" in message and '-m "not data"' in message
    assert network.timeouts == [DOWNLOAD_TIMEOUT]


def pytest_run(*arguments: str, keras_home: Path) -> subprocess.CompletedProcess:
    """pytest on this project in a fresh process without MNIST_CNN_DATA, with an empty Keras cache and no network."""
    environment = {name: value for name, value in os.environ.items() if name.lower() != "no_proxy"}
    environment.pop("MNIST_CNN_DATA", None)
    # A proxy on a closed port: the download fails at once even where there is a network.
    environment |= {
        "KERAS_HOME": str(keras_home),
        "https_proxy": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    if importlib.util.find_spec("jax"):  # Keras downloads alike on every backend; JAX imports in half TensorFlow's time
        environment["KERAS_BACKEND"] = "jax"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *arguments]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("processes", [[], ["-n", "2", "--dist", "loadfile"]], ids=["one process", "two"])
def test_without_data_the_run_stops_before_any_test_with_the_sentence(tmp_path, processes):
    finished = pytest_run(*processes, NEEDS_NONE, NEEDS_DATA, "notebooks/mnist_cnn.ipynb", keras_home=tmp_path)
    assert finished.returncode == pytest.ExitCode.USAGE_ERROR, finished.stdout + finished.stderr
    assert "passed" not in finished.stdout and "INTERNALERROR" not in finished.stdout + finished.stderr
    if processes:  # stopped before the processes start: the sentence alone, on stderr
        assert finished.stdout == "" and len(finished.stderr.strip().splitlines()) == 1
    else:
        assert "no tests ran" in finished.stdout
    last_line = (finished.stdout + finished.stderr).strip().splitlines()[-1]
    assert "MNIST_CNN_DATA is unset" in last_line and '-m "not data"' in last_line
    assert str(tmp_path / "datasets" / "mnist.npz") in last_line


def test_notebook_cells_and_tests_reading_mnist_are_marked_data(tmp_path):
    selection = [NEEDS_NONE, NEEDS_DATA, "notebooks/mnist_cnn.ipynb"]
    finished = pytest_run("--collect-only", "-m", "not data", *selection, keras_home=tmp_path)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert [line for line in finished.stdout.splitlines() if "::" in line] == [NEEDS_NONE]
    deselected = re.search(r"1/\d+ tests collected \((\d+) deselected\)", finished.stdout)
    assert deselected and int(deselected[1]) > 2, finished.stdout  # NEEDS_DATA and the notebook's cells


def test_in_two_processes_tests_left_out_of_data_run_without_it(tmp_path):
    finished = pytest_run("-n", "2", "-m", "not data", NEEDS_NONE, NEEDS_DATA, keras_home=tmp_path)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert re.search(r"^1 passed in ", finished.stdout, flags=re.MULTILINE), finished.stdout  # the other deselected
