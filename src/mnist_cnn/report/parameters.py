"""The notebooks' parameters: what each may be, their overrides from the environment, and where files go."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from operator import ge, le, lt
from pathlib import Path

from mnist_cnn.data import TRAIN_SAMPLES
from mnist_cnn.speed.plan import MODES

PREFIX = "MNIST_CNN_"
MODEL_PATH = Path("models/mnist_cnn.keras")  # where the first notebook saves its model, below OUTPUT_DIR
IMPROVED_MODEL_PATH = Path("models/improved_cnn.keras")  # and where the second saves its own
ROBUST_MODEL_PATH = Path("models/robust_cnn.keras")  # and the third: the model `predict` uses when it is there
EXPORTED_SUFFIX = ".tflite"  # the LiteRT export of a saved model, beside it
MIN_TRAIN_SAMPLES = 1_000  # fewer leave too few per digit for the validation split and the plots
USPS_TEST_DIGITS = 4_649  # the USPS test digits (`usps.load()`'s second half) the third notebook may photograph


class SettingError(ValueError):
    """A setting whose value is not one the notebook can use; the message is one sentence."""


@dataclass(frozen=True)
class Allowed:
    """What a notebook parameter may be: a number within limits, one of some choices, or a writable folder."""

    minimum: float | None = None
    maximum: float | None = None
    below: float | None = None
    choices: tuple[int | float | str, ...] | None = None
    folder: bool = False
    whole: bool = False  # a count: an int

    def problem(self, value: object) -> str | None:
        """What `value` should have been ("expected ..."), or None if it is allowed."""
        if self.choices is not None and value not in self.choices:
            return f"expected one of {', '.join(map(repr, self.choices))}"
        limits = [
            (words, limit, holds)
            for words, limit, holds in (
                ("at least", self.minimum, ge),
                ("at most", self.maximum, le),
                ("below", self.below, lt),
            )
            if limit is not None
        ]
        if not limits:
            return None
        kind = "a whole number" if self.whole else "a number"
        of = "of " if self.minimum is not None or self.maximum is not None else ""  # "of at least 1", but "below 1"
        expected = f"expected {kind} {of}{' and '.join(f'{words} {limit}' for words, limit, _ in limits)}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return expected
        if self.whole and not isinstance(value, int):
            return expected
        if not all(holds(value, limit) for _, limit, holds in limits):  # NaN fails every comparison
            return expected
        return None


# The notebooks' parameters and what each may be. A notebook sets them as plain values in its
# `parameters` cell (papermill's convention); `apply_overrides` then takes MNIST_CNN_<NAME> from
# the environment and checks every one, and the report command checks them before it starts.
PARAMETERS = {
    "EPOCHS": Allowed(minimum=1, whole=True),
    "ORIGINAL_EPOCHS": Allowed(minimum=1, whole=True),
    "EPOCHS_PER_STEP": Allowed(minimum=1, whole=True),
    "FINAL_EPOCHS": Allowed(minimum=0, whole=True),
    "BATCH_SIZE": Allowed(minimum=1, whole=True),
    "VALIDATION_SPLIT": Allowed(minimum=0, below=1),
    "SEED": Allowed(),
    "TRAIN_SAMPLES": Allowed(minimum=MIN_TRAIN_SAMPLES, maximum=TRAIN_SAMPLES, whole=True),
    "PHOTOS": Allowed(minimum=10, maximum=USPS_TEST_DIGITS, whole=True),
    "DATA": Allowed(),
    "USPS": Allowed(),
    "OUTPUT_DIR": Allowed(folder=True),
    "MIN_TEST_ACCURACY": Allowed(minimum=0, maximum=1),
    "EXECUTION": Allowed(choices=MODES),
}


def overrides(defaults: Mapping[str, object], environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """The `MNIST_CNN_<NAME>` variables set for the names in `defaults`, each typed like its default and checked."""
    environ = os.environ if environ is None else environ
    values = {}
    for name, default in defaults.items():
        variable, raw = PREFIX + name, environ.get(PREFIX + name)
        if raw is None or raw == "":
            continue
        try:
            value = type(default)(raw)
        except ValueError:
            raise SettingError(
                f"{variable}={raw!r}: expected a value of type {type(default).__name__}, like the default {default!r}."
            ) from None
        problem = _problem(name, value)
        if problem is not None:
            shown = repr(raw) if isinstance(default, str) or PARAMETERS.get(name, Allowed()).choices else raw
            raise SettingError(f"{variable}={shown}: {problem}.")
        values[name] = value
    return values


def check(values: Mapping[str, object]) -> None:
    """Raise a SettingError, one sentence, for the first of the known parameters in `values` that is not allowed."""
    for name, value in values.items():
        problem = _problem(name, value)
        if problem is not None:
            raise SettingError(f"{name} = {value!r}: {problem}.")


def apply_overrides(namespace: dict[str, object]) -> None:
    """Override a notebook's parameters (its globals) from `MNIST_CNN_<NAME>` variables, then check them all."""
    defaults = {name: namespace[name] for name in PARAMETERS if name in namespace}
    namespace.update(overrides(defaults))
    check({name: namespace[name] for name in defaults})


def _problem(name: str, value: object) -> str | None:
    allowed = PARAMETERS.get(name, Allowed())
    return folder_problem(str(value)) if allowed.folder else allowed.problem(value)


def folder_problem(path: str | os.PathLike) -> str | None:
    """Why `path` is not a folder this process can write in or create ("expected ..."), or None if it is."""
    existing = Path(path)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"expected a folder that can be written, but {existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"expected a folder that can be written, but {existing} is not writable"
    return None


def writable_folder(path: str | os.PathLike, name: str | None = None) -> Path:
    """Return `path` if it is a folder this process can write in, or one it can create; create nothing.

    `name` is the parameter the path comes from, which the error names as its variable.
    """
    problem = folder_problem(path)
    if problem is None:
        return Path(path)
    subject = f"{PREFIX}{name}={str(path)!r}" if name else repr(str(path))
    raise SettingError(f"{subject}: {problem}.")


def no_model(path: str | os.PathLike, what: str = "trained model") -> str:
    """The sentence for a model that is not there yet, and how to make it."""
    return f"no {what} at {path}: run `make report` (or the notebook) to train and save it"


def exported_path(model_path: str | os.PathLike) -> Path:
    """Where the LiteRT export of a saved `.keras` model lives: beside it, as `.tflite`."""
    return Path(model_path).with_suffix(EXPORTED_SUFFIX)


def kernel_environment(output_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """The environment for a notebook kernel, which runs in `notebooks/`: paths made absolute."""
    environment = dict(os.environ)
    for name in ("DATA", "OUTPUT_DIR"):
        value = environment.get(PREFIX + name)
        if value:
            environment[PREFIX + name] = os.path.abspath(value)
    if output_dir is not None:
        environment[PREFIX + "OUTPUT_DIR"] = os.path.abspath(output_dir)
    return environment
