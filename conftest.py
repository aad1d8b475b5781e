"""Settings for every pytest run, the notebooks' included (nbval starts its kernel from here), and MNIST.

The notebooks write their models and reports under MNIST_CNN_OUTPUT_DIR (their setup,
`parameters.check_notebook`, puts it in place of their OUTPUT_DIR): during tests that is a temporary
folder, so a test run (nbval's included) never replaces a user's own results.

The tests that read MNIST, the notebooks' cells and every test using the `mnist_path` fixture,
are marked `data` (`-m "not data"` leaves them out). When some are selected, MNIST is found once
before the first test, as a user's run finds it (tests/data_source.py); when it cannot be had,
the run stops there with one sentence saying how to provide it: no test is skipped for lack of it.
In several processes (pytest-xdist's `-n`, as the make targets run), the first process looks
before any starts, unless `-m` leaves out `data`: the processes themselves could not stop the run
in one sentence.
"""

import os
import tempfile
from pathlib import Path

import pytest

from mnist_cnn.report.parameters import kernel_environment
from tests.data_source import MnistNotFound, find_mnist

MNIST_PATH = pytest.StashKey[Path]()


class Marks(dict):
    """Each marker's name as True or False, for Python to evaluate a `-m` expression: `and`, `or`, `not`, names."""

    def __missing__(self, name: str) -> bool:
        return False


def selects_data(expression: str) -> bool:
    """Whether `-m expression` ("" for none) selects a test marked `data` and nothing else."""
    return not expression or bool(eval(compile(expression, "-m", "eval"), {"__builtins__": {}}, Marks(data=True)))


def pytest_configure(config):
    if not os.environ.get("MNIST_CNN_OUTPUT_DIR"):
        os.environ["MNIST_CNN_OUTPUT_DIR"] = tempfile.mkdtemp(prefix="mnist_cnn-test-")
    os.environ.update(kernel_environment())
    runs_workers = getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput")
    if runs_workers and not config.option.collectonly and selects_data(config.option.markexpr):
        find_mnist_or_stop(config)


def pytest_itemcollected(item):
    """Mark `data` each notebook cell and each test that uses the real data set (before `-m` selects)."""
    if item.path.suffix == ".ipynb" or "mnist_path" in getattr(item, "fixturenames", ()):
        item.add_marker("data")


def pytest_collection_finish(session):
    """Find MNIST if a selected test reads it, or end the run with one sentence."""
    if session.config.option.collectonly or not any(item.get_closest_marker("data") for item in session.items):
        return
    find_mnist_or_stop(session.config)


def find_mnist_or_stop(config: pytest.Config) -> None:
    try:
        config.stash[MNIST_PATH] = find_mnist()
    except MnistNotFound as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def mnist_path(pytestconfig) -> Path:
    """The real MNIST, found before the first test: a Keras-layout .npz or a folder of the IDX files."""
    return pytestconfig.stash[MNIST_PATH]
