"""Save what a run produced (model, metrics, history) without ever losing an earlier copy.

Every file is written to a temporary name beside its destination and renamed into place
only once complete, so an interrupted run leaves the previous file untouched.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import keras
import pandas as pd

from mnist_cnn.data import array_sha256

LIBRARIES = ("tensorflow", "keras", "numpy", "scikit-learn", "matplotlib", "seaborn", "livelossplot")


def write_atomically(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call `write(temporary_path)`, then rename the result to `path` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(descriptor)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's file is private; give it the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` atomically."""
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save the model in Keras format (`.keras`) atomically."""
    if Path(path).suffix != ".keras":
        raise ValueError(f"Expected a model path ending in .keras, found {path}.")
    return write_atomically(path, model.save)


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a saved model with Keras's safe mode, as plain `keras.saving.load_model` does."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No trained model at {path}: run `make report` (or the notebook) to train and save it."
        )
    return keras.saving.load_model(path, safe_mode=True)


def save_history(history: Mapping[str, Sequence[float]], path: str | os.PathLike) -> Path:
    """Save `History.history` as CSV, one row per epoch."""
    table = pd.DataFrame(dict(history))
    table.insert(0, "epoch", range(1, len(table) + 1))
    return write_text(path, table.to_csv(index=False))


def save_metrics(metrics: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Save a run's metrics as indented JSON."""
    return write_text(path, json.dumps(metrics, indent=2) + "\n")


def library_versions() -> dict[str, str]:
    """The versions of Python and of the libraries a result depends on."""
    return {"python": platform.python_version()} | {
        library: metadata.version(library) for library in LIBRARIES
    }


def run_summary(
    *,
    train_scores: Mapping[str, float],
    test_scores: Mapping[str, float],
    per_class: pd.DataFrame,
    parameters: Mapping[str, Any],
    parameter_count: int,
    training_seconds: float,
    training_data: Mapping[str, Any],
) -> dict[str, Any]:
    """Gather what `metrics.json` records of a run; `training_data` maps names to arrays."""
    return {
        "train": dict(train_scores),
        "test": dict(test_scores),
        "per_class": per_class.to_dict(orient="index"),
        "parameters": dict(parameters),
        "parameter_count": parameter_count,
        "training_seconds": round(training_seconds, 2),
        "versions": library_versions(),
        "data_sha256": {name: array_sha256(array) for name, array in training_data.items()},
    }
