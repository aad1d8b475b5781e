"""The notebook's settings come from MNIST_CNN_* environment variables, typed like the defaults and checked."""

import os

import pytest

from mnist_cnn import settings
from mnist_cnn.settings import SettingError, kernel_environment, setting, writable_folder


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
    with pytest.raises(
        SettingError, match=r"^MNIST_CNN_EPOCHS='five': expected a value of type int, like the default 5\.$"
    ):
        setting("EPOCHS", 5)
    assert issubclass(SettingError, ValueError)


@pytest.mark.parametrize(
    "raw, default, limits, message",
    [
        ("0", 5, {"minimum": 1}, "MNIST_CNN_SETTING=0: expected a whole number of at least 1."),
        ("1", 0.1, {"minimum": 0, "below": 1}, "MNIST_CNN_SETTING=1: expected a number of at least 0 and below 1."),
        (
            "-0.5",
            0.1,
            {"minimum": 0, "below": 1},
            "MNIST_CNN_SETTING=-0.5: expected a number of at least 0 and below 1.",
        ),
        ("nan", 0.1, {"minimum": 0, "below": 1}, "MNIST_CNN_SETTING=nan: expected a number of at least 0 and below 1."),
        (
            "1.5",
            0.985,
            {"minimum": 0, "maximum": 1},
            "MNIST_CNN_SETTING=1.5: expected a number of at least 0 and at most 1.",
        ),
        ("2", 0.1, {"below": 1}, "MNIST_CNN_SETTING=2: expected a number below 1."),
        ("fast", "auto", {"choices": ("auto", "plain")}, "MNIST_CNN_SETTING='fast': expected one of 'auto', 'plain'."),
        ("48", 64, {"choices": (32, 64)}, "MNIST_CNN_SETTING='48': expected one of 32, 64."),
    ],
)
def test_a_value_outside_what_is_allowed_is_one_sentence(monkeypatch, raw, default, limits, message):
    monkeypatch.setenv("MNIST_CNN_SETTING", raw)
    with pytest.raises(SettingError) as error:
        setting("SETTING", default, **limits)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "raw, default, limits",
    [
        ("1", 5, {"minimum": 1}),
        ("0", 0.1, {"minimum": 0, "below": 1}),
        ("1", 0.985, {"minimum": 0, "maximum": 1}),
        ("plain", "auto", {"choices": ("auto", "plain")}),
    ],
)
def test_values_at_the_limits_are_allowed(monkeypatch, raw, default, limits):
    monkeypatch.setenv("MNIST_CNN_SETTING", raw)
    assert setting("SETTING", default, **limits) == type(default)(raw)


def test_the_default_is_returned_unchecked_when_unset(monkeypatch):
    monkeypatch.delenv("MNIST_CNN_SETTING", raising=False)
    assert setting("SETTING", 0.985, minimum=0, maximum=1) == 0.985


def test_a_writable_folder_is_returned_and_nothing_is_created(tmp_path):
    assert writable_folder(tmp_path) == tmp_path
    assert writable_folder(str(tmp_path / "out" / "deeper")) == tmp_path / "out" / "deeper"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("below", ["", "deeper/still"])
def test_a_file_in_the_way_of_a_folder_names_it(tmp_path, below):
    file = tmp_path / "out"
    file.write_text("not a folder")
    path = file / below if below else file
    expected = f"MNIST_CNN_OUTPUT_DIR='{path}': expected a folder that can be written, but {file} is not a folder."
    with pytest.raises(SettingError) as error:
        writable_folder(path, "OUTPUT_DIR")
    assert str(error.value) == expected
    assert [child.name for child in tmp_path.iterdir()] == ["out"] and file.read_text() == "not a folder"


def test_a_folder_that_cannot_be_written_names_itself(tmp_path, monkeypatch):
    # os.access, rather than a read-only folder, which root (as in containers) could still write.
    monkeypatch.setattr(settings.os, "access", lambda path, mode: os.fspath(path) != str(tmp_path))
    with pytest.raises(SettingError) as error:
        writable_folder(tmp_path / "out")
    assert (
        str(error.value)
        == f"'{tmp_path / 'out'}': expected a folder that can be written, but {tmp_path} is not writable."
    )


def test_kernel_environment_makes_paths_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MNIST_CNN_DATA", "data/mnist.npz")
    environment = kernel_environment("out")
    assert environment["MNIST_CNN_DATA"] == os.path.join(str(tmp_path), "data", "mnist.npz")
    assert environment["MNIST_CNN_OUTPUT_DIR"] == os.path.join(str(tmp_path), "out")
