"""Read the notebook's settings, each overridable by an environment variable, and check them where they are read."""

from __future__ import annotations

import os
from collections.abc import Sequence
from operator import ge, le, lt
from pathlib import Path

PREFIX = "MNIST_CNN_"
MODEL_PATH = Path("models/mnist_cnn.keras")  # where the first notebook saves its model, below OUTPUT_DIR
IMPROVED_MODEL_PATH = Path("models/improved_cnn.keras")  # and where the second saves its own
ROBUST_MODEL_PATH = Path("models/robust_cnn.keras")  # and the third: the model `predict` uses when it is there
EXPORTED_SUFFIX = ".tflite"  # the LiteRT export of a saved model, beside it


class SettingError(ValueError):
    """A setting whose value is not one the notebook can use; the message is one sentence."""


def setting(
    name: str,
    default: int | float | str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    below: float | None = None,
    choices: Sequence[int | float | str] | None = None,
) -> int | float | str:
    """Return `$MNIST_CNN_<NAME>` converted to the type of `default`, or `default` if unset.

    A value from the environment must also be at least `minimum`, at most `maximum`, less than
    `below` and one of `choices`, where given; otherwise this raises a SettingError.
    """
    variable = PREFIX + name
    raw = os.environ.get(variable)
    if raw is None or raw == "":
        return default
    try:
        value = type(default)(raw)
    except ValueError:
        raise SettingError(
            f"{variable}={raw!r}: expected a value of type {type(default).__name__}, like the default {default!r}."
        ) from None
    if choices is not None and value not in choices:
        raise SettingError(f"{variable}={raw!r}: expected one of {', '.join(map(repr, choices))}.")
    limits = [
        (words, limit, holds)
        for words, limit, holds in (("at least", minimum, ge), ("at most", maximum, le), ("below", below, lt))
        if limit is not None
    ]
    if not all(holds(value, limit) for _, limit, holds in limits):  # NaN fails every comparison
        kind = "a whole number" if isinstance(default, int) else "a number"
        allowed = " and ".join(f"{words} {limit}" for words, limit, _ in limits)
        of = "of " if minimum is not None or maximum is not None else ""  # "of at least 1", but "below 1"
        raise SettingError(f"{variable}={raw}: expected {kind} {of}{allowed}.")
    return value


def writable_folder(path: str | os.PathLike, name: str | None = None) -> Path:
    """Return `path` if it is a folder this process can write in, or one it can create; create nothing.

    `name` is the setting the path comes from (as for `setting`), which the error names.
    """
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        problem = f"{existing} is not a folder"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"{existing} is not writable"
    else:
        return path
    subject = f"{PREFIX}{name}={str(path)!r}" if name else repr(str(path))
    raise SettingError(f"{subject}: expected a folder that can be written, but {problem}.")


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
