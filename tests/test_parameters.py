"""The notebooks' parameters: every value checked, in one sentence; only OUTPUT_DIR comes from the environment."""

import os

import pytest

from mnist_cnn.report import parameters
from mnist_cnn.report.parameters import ParameterError, check, check_notebook, kernel_environment, writable_folder

NOTEBOOK = {"EPOCHS": 5, "VALIDATION_SPLIT": 0.1, "DATA": "", "MIN_TEST_ACCURACY": 0.985, "EXECUTION": "auto"}


@pytest.mark.parametrize(
    "values, message",
    [
        ({"EPOCHS": 0}, "EPOCHS = 0: expected a whole number of at least 1."),
        ({"EPOCHS": 1.5}, "EPOCHS = 1.5: expected a whole number of at least 1."),
        ({"EPOCHS": "5"}, "EPOCHS = '5': expected a whole number of at least 1."),
        ({"EPOCHS": True}, "EPOCHS = True: expected a whole number of at least 1."),
        ({"FINAL_EPOCHS": -1}, "FINAL_EPOCHS = -1: expected a whole number of at least 0."),
        ({"TRAIN_SAMPLES": 5}, "TRAIN_SAMPLES = 5: expected a whole number of at least 1000 and at most 60000."),
        (
            {"TRAIN_SAMPLES": 60_001},
            "TRAIN_SAMPLES = 60001: expected a whole number of at least 1000 and at most 60000.",
        ),
        ({"PHOTOS": 9}, "PHOTOS = 9: expected a whole number of at least 10 and at most 4649."),
        ({"NON_DIGITS": 0}, "NON_DIGITS = 0: expected a whole number of at least 1."),
        ({"NUMBERS": 7}, "NUMBERS = 7: expected a whole number of at least 8."),
        (
            {"NON_DIGIT_PICTURES": 5000},
            "NON_DIGIT_PICTURES = 5000: expected a whole number of at least 10 and at most 4649.",
        ),
        ({"VALIDATION_SPLIT": 1}, "VALIDATION_SPLIT = 1: expected a number of at least 0 and below 1."),
        ({"VALIDATION_SPLIT": -0.5}, "VALIDATION_SPLIT = -0.5: expected a number of at least 0 and below 1."),
        ({"VALIDATION_SPLIT": float("nan")}, "VALIDATION_SPLIT = nan: expected a number of at least 0 and below 1."),
        ({"VALIDATION_SPLIT": "0.1"}, "VALIDATION_SPLIT = '0.1': expected a number of at least 0 and below 1."),
        ({"MIN_TEST_ACCURACY": 1.5}, "MIN_TEST_ACCURACY = 1.5: expected a number of at least 0 and at most 1."),
        ({"EXECUTION": "fast"}, "EXECUTION = 'fast': expected one of 'auto', 'plain'."),
        ({"EPOCHS": 2, "BATCH_SIZE": 0}, "BATCH_SIZE = 0: expected a whole number of at least 1."),
    ],
)
def test_a_value_that_is_not_allowed_is_one_sentence(values, message):
    with pytest.raises(ParameterError) as error:
        check(values)
    assert str(error.value) == message
    assert issubclass(ParameterError, ValueError)


@pytest.mark.parametrize(
    "values",
    [
        {"EPOCHS": 1, "FINAL_EPOCHS": 0, "BATCH_SIZE": 1},
        {"TRAIN_SAMPLES": 1000, "PHOTOS": 4649, "NUMBERS": 8},
        {"TRAIN_SAMPLES": 60_000, "PHOTOS": 10},
        {"VALIDATION_SPLIT": 0, "MIN_TEST_ACCURACY": 1},
        {"VALIDATION_SPLIT": 0.999, "MIN_TEST_ACCURACY": 0},
        {"EXECUTION": "plain", "SEED": "anything", "DATA": 3, "USPS": None, "NOT_A_PARAMETER": -1},
    ],
)
def test_values_at_the_limits_and_unchecked_ones_are_allowed(values):
    assert check(values) is None  # raises a ParameterError for a value out of its range


def test_every_parameter_is_checked_or_deliberately_free(tmp_path):
    (tmp_path / "file").write_text("a file")
    wrong = str(tmp_path / "file" / "x")  # neither a number, nor a mode, nor a folder
    free = {"SEED", "DATA", "USPS"}
    for name in parameters.PARAMETERS:
        assert (parameters.problem(name, wrong) is None) == (name in free), name


def test_a_notebook_gets_only_its_output_folder_from_the_environment(monkeypatch, tmp_path):
    namespace = {**NOTEBOOK, "OUTPUT_DIR": "..", "unrelated": 3}
    monkeypatch.setenv("MNIST_CNN_EPOCHS", "1")  # no longer read: the recipe is the notebook's, or papermill's
    monkeypatch.setenv("MNIST_CNN_OUTPUT_DIR", str(tmp_path))
    check_notebook(namespace)
    assert namespace == {**NOTEBOOK, "OUTPUT_DIR": str(tmp_path), "unrelated": 3}
    monkeypatch.delenv("MNIST_CNN_OUTPUT_DIR")
    namespace["OUTPUT_DIR"] = ".."
    check_notebook(namespace)
    assert namespace["OUTPUT_DIR"] == ".."
    namespace["MIN_TEST_ACCURACY"] = 2.0  # as papermill would inject it
    with pytest.raises(ParameterError) as error:
        check_notebook(namespace)
    assert str(error.value) == "MIN_TEST_ACCURACY = 2.0: expected a number of at least 0 and at most 1."


def test_a_notebook_without_an_output_folder_gets_none(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_CNN_OUTPUT_DIR", str(tmp_path))
    namespace = dict(NOTEBOOK)
    check_notebook(namespace)
    assert namespace == NOTEBOOK


def test_an_output_folder_behind_a_file_names_the_variable(monkeypatch, tmp_path):
    file = tmp_path / "hostname"
    file.write_text("a file")
    monkeypatch.setenv("MNIST_CNN_OUTPUT_DIR", str(file / "x"))
    with pytest.raises(ParameterError) as error:
        check_notebook({"OUTPUT_DIR": ".."})
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
    expected = f"--output-dir '{path}': expected a folder that can be written, but {file} is not a folder."
    with pytest.raises(ParameterError) as error:
        writable_folder(path, f"--output-dir {str(path)!r}")
    assert str(error.value) == expected
    with pytest.raises(ParameterError, match=r"^OUTPUT_DIR = '.*': expected a folder that can be written, but "):
        check({"OUTPUT_DIR": str(path)})
    assert [child.name for child in tmp_path.iterdir()] == ["out"] and file.read_text() == "not a folder"


def test_a_folder_that_cannot_be_written_names_itself(tmp_path, monkeypatch):
    # os.access, rather than a read-only folder, which root (as in containers) could still write.
    monkeypatch.setattr(parameters.os, "access", lambda path, mode: os.fspath(path) != str(tmp_path))
    with pytest.raises(ParameterError) as error:
        writable_folder(tmp_path / "out")
    assert (
        str(error.value)
        == f"'{tmp_path / 'out'}': expected a folder that can be written, but {tmp_path} is not writable."
    )


def test_kernel_environment_makes_the_locations_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MNIST_CNN_DATA", "data/mnist.npz")
    monkeypatch.setenv("MNIST_CNN_USPS", "usps.mat")
    monkeypatch.setenv("MNIST_CNN_EPOCHS", "1")  # not a location: passed on as it is, and read by nothing
    environment = kernel_environment("out")
    assert environment["MNIST_CNN_DATA"] == os.path.join(str(tmp_path), "data", "mnist.npz")
    assert environment["MNIST_CNN_USPS"] == os.path.join(str(tmp_path), "usps.mat")
    assert environment["MNIST_CNN_OUTPUT_DIR"] == os.path.join(str(tmp_path), "out")
    assert environment["MNIST_CNN_EPOCHS"] == "1"


def test_a_kernel_gets_tensorflows_info_lines_off_unless_you_set_their_level(monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    assert parameters.kernel_environment()["TF_CPP_MIN_LOG_LEVEL"] == "1"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    assert parameters.kernel_environment()["TF_CPP_MIN_LOG_LEVEL"] == "0"
