"""The notebooks' parameters: what each may be, checked in plain code, and where the results go.

A notebook sets its parameters as plain values in its `parameters` cell (papermill's convention),
each with a comment saying what it means. A run changes them in one of two ways: by editing that
cell, or from outside with papermill's parameters (`python -m mnist_cnn report -p EPOCHS 1`). The
environment says only where things are on this machine: MNIST_CNN_DATA (read by `data.load_mnist`),
MNIST_CNN_USPS (read by `reading.usps`) and MNIST_CNN_OUTPUT_DIR (where the results go).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from mnist_cnn.data import DATA_ENVIRONMENT_VARIABLE, TRAIN_SAMPLES
from mnist_cnn.reading.usps import USPS_ENVIRONMENT_VARIABLE
from mnist_cnn.speed.plan import MODES

OUTPUT_DIR_VARIABLE = "MNIST_CNN_OUTPUT_DIR"  # where the results go, when set: it replaces a notebook's OUTPUT_DIR
# The location variables: paths, made absolute for a kernel (which runs in notebooks/).
LOCATION_VARIABLES = (DATA_ENVIRONMENT_VARIABLE, USPS_ENVIRONMENT_VARIABLE, OUTPUT_DIR_VARIABLE)
MIN_TRAIN_SAMPLES = 1_000  # fewer leave too few per digit for the validation split and the plots
USPS_TEST_DIGITS = 4_649  # the USPS test digits (`usps.load()`'s second half) the third notebook may photograph
MIN_NUMBERS = 8  # joined-up numbers the number network learns from: one for each of `number_training.PARTS`

# Every parameter the notebooks set; `problem` says what each may be.
PARAMETERS = (
    "EPOCHS",
    "ORIGINAL_EPOCHS",
    "EPOCHS_PER_STEP",
    "FINAL_EPOCHS",
    "BATCH_SIZE",
    "VALIDATION_SPLIT",
    "SEED",
    "TRAIN_SAMPLES",
    "PHOTOS",
    "NON_DIGITS",
    "NON_DIGIT_PICTURES",
    "NUMBERS",
    "DATA",
    "USPS",
    "OUTPUT_DIR",
    "MIN_TEST_ACCURACY",
    "EXECUTION",
)


class ParameterError(ValueError):
    """A parameter whose value is not one the notebook can use; the message is one sentence."""


def problem(name: str, value: object) -> str | None:
    """What the parameter `name` should have been ("expected ..."), or None if `value` is allowed.

    SEED, DATA, USPS and names that are no parameter may be anything.
    """
    match name:
        case "EPOCHS" | "ORIGINAL_EPOCHS" | "EPOCHS_PER_STEP" | "BATCH_SIZE":
            return whole_number(value, 1)
        case "FINAL_EPOCHS":  # 0: the final recipe's own
            return whole_number(value, 0)
        case "TRAIN_SAMPLES":
            return whole_number(value, MIN_TRAIN_SAMPLES, TRAIN_SAMPLES)
        case "PHOTOS" | "NON_DIGIT_PICTURES":
            return whole_number(value, 10, USPS_TEST_DIGITS)
        case "NON_DIGITS":
            return whole_number(value, 1)
        case "NUMBERS":
            return whole_number(value, MIN_NUMBERS)
        case "VALIDATION_SPLIT":
            return number(value, 0, below=1)
        case "MIN_TEST_ACCURACY":
            return number(value, 0, at_most=1)
        case "EXECUTION":
            return None if value in MODES else f"expected one of {', '.join(map(repr, MODES))}"
        case "OUTPUT_DIR":
            return folder_problem(str(value))
        case _:
            return None


def whole_number(value: object, minimum: int, maximum: int | None = None) -> str | None:
    """None if `value` is an int from `minimum` to `maximum` (no limit if None), else what was expected."""
    expected = f"expected a whole number of at least {minimum}" + (
        f" and at most {maximum}" if maximum is not None else ""
    )
    if isinstance(value, bool) or not isinstance(value, int):
        return expected
    if value < minimum or (maximum is not None and value > maximum):
        return expected
    return None


def number(value: object, minimum: float, *, at_most: float | None = None, below: float | None = None) -> str | None:
    """None if `value` is a number of at least `minimum`, and at most `at_most` or below `below`; else what was
    expected. NaN is no number here."""
    limit = f" and at most {at_most}" if at_most is not None else f" and below {below}" if below is not None else ""
    expected = f"expected a number of at least {minimum}{limit}"
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return expected
    if value < minimum or (at_most is not None and value > at_most) or (below is not None and value >= below):
        return expected
    return None


def check(values: Mapping[str, object]) -> None:
    """Raise a ParameterError, one sentence, for the first of the known parameters in `values` that is not allowed."""
    for name, value in values.items():
        expected = problem(name, value)
        if expected is not None:
            raise ParameterError(f"{name} = {value!r}: {expected}.")


def check_notebook(namespace: dict[str, object]) -> None:
    """A notebook's setup: `parameters.check_notebook(globals())`.

    (1) Replace OUTPUT_DIR in `namespace` by $MNIST_CNN_OUTPUT_DIR when that variable is set (only
    that one, and it wins over a value papermill injected: the tests point it at a temporary
    folder; the recipe's values come from the parameters cell, or from papermill's parameters);
    (2) check every known parameter in `namespace`, raising a ParameterError (one sentence) for the
    first that is not allowed.
    """
    output_dir = os.environ.get(OUTPUT_DIR_VARIABLE)
    if output_dir and "OUTPUT_DIR" in namespace:
        namespace["OUTPUT_DIR"] = str(writable_folder(output_dir, f"{OUTPUT_DIR_VARIABLE}={output_dir!r}"))
    check({name: namespace[name] for name in PARAMETERS if name in namespace})


def folder_problem(path: str | os.PathLike) -> str | None:
    """Why `path` is not a folder this process can write in or create ("expected ..."), or None if it is."""
    existing = Path(path)
    try:
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
    except OSError as error:  # a name too long, a folder that cannot be looked into
        return f"expected a folder that can be written, but {existing} cannot be looked up ({error.strerror})"
    if not existing.is_dir():
        return f"expected a folder that can be written, but {existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"expected a folder that can be written, but {existing} is not writable"
    return None


def writable_folder(path: str | os.PathLike, subject: str | None = None) -> Path:
    """Return `path` if it is a folder this process can write in, or one it can create; create nothing.

    Otherwise raise a ParameterError that starts with `subject` (where the path came from), else the path.
    """
    expected = folder_problem(path)
    if expected is None:
        return Path(path)
    raise ParameterError(f"{subject or repr(str(path))}: {expected}.")


def kernel_environment(output_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """The environment for a notebook kernel, which runs in `notebooks/`: the location variables made absolute,
    MNIST_CNN_OUTPUT_DIR set to `output_dir` if given, and TensorFlow's C++ INFO lines off unless you set
    their level (the few it writes whatever the level go to the kernel's log: `runner.KERNEL_ARGUMENTS`)."""
    environment = {"TF_CPP_MIN_LOG_LEVEL": "1"} | dict(os.environ)
    for variable in LOCATION_VARIABLES:
        if environment.get(variable):
            environment[variable] = os.path.abspath(environment[variable])
    if output_dir is not None:
        environment[OUTPUT_DIR_VARIABLE] = os.path.abspath(output_dir)
    return environment
