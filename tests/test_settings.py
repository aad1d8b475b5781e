"""The notebooks' parameters: MNIST_CNN_* overrides typed like the defaults, and every value checked."""

import os

import pytest

from mnist_cnn import settings
from mnist_cnn.settings import SettingError, apply_overrides, check, kernel_environment, overrides, writable_folder

NOTEBOOK = {"EPOCHS": 5, "VALIDATION_SPLIT": 0.1, "DATA": "", "MIN_TEST_ACCURACY": 0.985, "EXECUTION": "auto"}


def test_unset_variables_override_nothing():
    assert overrides(NOTEBOOK, environ={}) == {}
    assert overrides(NOTEBOOK, environ={"MNIST_CNN_EPOCHS": ""}) == {}


@pytest.mark.parametrize(
    "name, raw, value",
    [("EPOCHS", "2", 2), ("VALIDATION_SPLIT", "0.25", 0.25), ("DATA", "/data/mnist.npz", "/data/mnist.npz")],
)
def test_the_environment_overrides_with_the_default_type(name, raw, value):
    result = overrides(NOTEBOOK, environ={f"MNIST_CNN_{name}": raw})
    assert result == {name: value} and type(result[name]) is type(NOTEBOOK[name])


def test_a_wrong_type_names_the_variable():
    with pytest.raises(
        SettingError, match=r"^MNIST_CNN_EPOCHS='five': expected a value of type int, like the default 5\.$"
    ):
        overrides(NOTEBOOK, environ={"MNIST_CNN_EPOCHS": "five"})
    assert issubclass(SettingError, ValueError)


@pytest.mark.parametrize(
    "name, raw, message",
    [
        ("EPOCHS", "0", "MNIST_CNN_EPOCHS=0: expected a whole number of at least 1."),
        (
            "TRAIN_SAMPLES",
            "5",
            "MNIST_CNN_TRAIN_SAMPLES=5: expected a whole number of at least 1000 and at most 60000.",
        ),
        ("VALIDATION_SPLIT", "1", "MNIST_CNN_VALIDATION_SPLIT=1: expected a number of at least 0 and below 1."),
        ("VALIDATION_SPLIT", "-0.5", "MNIST_CNN_VALIDATION_SPLIT=-0.5: expected a number of at least 0 and below 1."),
        ("VALIDATION_SPLIT", "nan", "MNIST_CNN_VALIDATION_SPLIT=nan: expected a number of at least 0 and below 1."),
        ("MIN_TEST_ACCURACY", "1.5", "MNIST_CNN_MIN_TEST_ACCURACY=1.5: expected a number of at least 0 and at most 1."),
        ("EXECUTION", "fast", "MNIST_CNN_EXECUTION='fast': expected one of 'auto', 'plain'."),
    ],
)
def test_a_value_outside_what_is_allowed_is_one_sentence(name, raw, message):
    defaults = {**NOTEBOOK, "TRAIN_SAMPLES": 60_000}
    with pytest.raises(SettingError) as error:
        overrides(defaults, environ={f"MNIST_CNN_{name}": raw})
    assert str(error.value) == message


@pytest.mark.parametrize(
    "name, raw", [("EPOCHS", "1"), ("VALIDATION_SPLIT", "0"), ("MIN_TEST_ACCURACY", "1"), ("EXECUTION", "plain")]
)
def test_values_at_the_limits_are_allowed(name, raw):
    assert overrides(NOTEBOOK, environ={f"MNIST_CNN_{name}": raw}) == {name: type(NOTEBOOK[name])(raw)}


@pytest.mark.parametrize(
    "values, message",
    [
        ({"EPOCHS": 1.5}, "EPOCHS = 1.5: expected a whole number of at least 1."),
        ({"TRAIN_SAMPLES": 5}, "TRAIN_SAMPLES = 5: expected a whole number of at least 1000 and at most 60000."),
        ({"EPOCHS": "5"}, "EPOCHS = '5': expected a whole number of at least 1."),
        ({"EXECUTION": "fast"}, "EXECUTION = 'fast': expected one of 'auto', 'plain'."),
    ],
)
def test_values_set_in_the_notebook_or_by_papermill_are_checked_too(values, message):
    with pytest.raises(SettingError) as error:
        check(values)
    assert str(error.value) == message


def test_a_notebook_gets_the_overrides_and_its_values_checked(monkeypatch, tmp_path):
    namespace = {**NOTEBOOK, "OUTPUT_DIR": "..", "unrelated": 3}
    for variable in [name for name in os.environ if name.startswith("MNIST_CNN_")]:
        monkeypatch.delenv(variable)  # as the test run sets MNIST_CNN_DATA and MNIST_CNN_OUTPUT_DIR
    monkeypatch.setenv("MNIST_CNN_EPOCHS", "1")
    monkeypatch.setenv("MNIST_CNN_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("MNIST_CNN_UNRELATED", "4")  # not a parameter: ignored
    apply_overrides(namespace)
    assert namespace == {**NOTEBOOK, "EPOCHS": 1, "OUTPUT_DIR": str(tmp_path), "unrelated": 3}
    monkeypatch.delenv("MNIST_CNN_EPOCHS")
    namespace["MIN_TEST_ACCURACY"] = 2.0  # as papermill would inject it
    with pytest.raises(SettingError, match=r"^MIN_TEST_ACCURACY = 2.0: expected a number of at least 0 and at most 1"):
        apply_overrides(namespace)


def test_an_output_folder_behind_a_file_is_refused(tmp_path):
    file = tmp_path / "hostname"
    file.write_text("a file")
    with pytest.raises(SettingError) as error:
        overrides({"OUTPUT_DIR": ".."}, environ={"MNIST_CNN_OUTPUT_DIR": str(file / "x")})
    assert str(error.value) == (
        f"MNIST_CNN_OUTPUT_DIR='{file / 'x'}': expected a folder that can be written, but {file} is not a folder."
    )


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
