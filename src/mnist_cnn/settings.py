"""Read the notebook's settings, each overridable by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "MNIST_CNN_"
MODEL_PATH = Path("models/mnist_cnn.keras")  # where the first notebook saves its model, below OUTPUT_DIR
IMPROVED_MODEL_PATH = Path("models/improved_cnn.keras")  # and where the second saves its own
EXPORTED_SUFFIX = ".tflite"  # the LiteRT export of a saved model, beside it


def setting(name: str, default: int | float | str) -> int | float | str:
    """Return `$MNIST_CNN_<NAME>` converted to the type of `default`, or `default` if unset."""
    variable = PREFIX + name
    raw = os.environ.get(variable)
    if raw is None or raw == "":
        return default
    try:
        return type(default)(raw)
    except ValueError:
        raise ValueError(
            f"{variable}={raw!r}: expected a value of type {type(default).__name__}, like the default {default!r}."
        ) from None


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
