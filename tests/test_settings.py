"""The notebook's settings come from MNIST_CNN_* environment variables, typed like the defaults."""

import os

import pytest

from mnist_cnn.settings import kernel_environment, setting


def test_default_when_unset(monkeypatch):
    monkeypatch.delenv("MNIST_CNN_EPOCHS", raising=False)
    assert setting("EPOCHS", 5) == 5


@pytest.mark.parametrize(
    "raw, default, value", [("2", 5, 2), ("0.25", 0.1, 0.25), ("/data/mnist.npz", "", "/data/mnist.npz")]
)
def test_environment_overrides_with_the_default_type(monkeypatch, raw, default, value):
    monkeypatch.setenv("MNIST_CNN_SETTING", raw)
    result = setting("SETTING", default)
    assert result == value and type(result) is type(default)


def test_wrong_type_names_the_variable(monkeypatch):
    monkeypatch.setenv("MNIST_CNN_EPOCHS", "five")
    with pytest.raises(ValueError, match=r"MNIST_CNN_EPOCHS='five': expected a value of type int"):
        setting("EPOCHS", 5)


def test_kernel_environment_makes_paths_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MNIST_CNN_DATA", "data/mnist.npz")
    environment = kernel_environment("out")
    assert environment["MNIST_CNN_DATA"] == os.path.join(str(tmp_path), "data", "mnist.npz")
    assert environment["MNIST_CNN_OUTPUT_DIR"] == os.path.join(str(tmp_path), "out")
