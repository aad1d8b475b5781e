"""Save what a run produced (model, history, tables, metrics), each file whole or not at all.

Each file is written to a temporary name beside it and renamed into place when complete: a failed
run leaves the earlier file as it was. Keras is imported only to save a model, so that
finding a model's path (as `predict` does) imports no TensorFlow.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnist_cnn.data import array_sha256

if TYPE_CHECKING:
    import keras
    import pandas as pd

MODEL_PATH = Path("models/mnist_cnn.keras")  # where the first notebook saves its model, below its OUTPUT_DIR
IMPROVED_MODEL_PATH = Path("models/improved_cnn.keras")  # and where the second saves its own
ROBUST_MODEL_PATH = Path("models/robust_cnn.keras")  # and the third: the model `predict` uses when it is there
NUMBER_MODEL_PATH = Path("models/number_cnn.keras")  # the fourth's: `predict` reads joined-up numbers with it

# The libraries a result depends on, by name and module (the version is the module's: TensorFlow may be tensorflow-cpu).
LIBRARIES = {"keras": "keras", "numpy": "numpy", "scikit-learn": "sklearn", "matplotlib": "matplotlib"}
LIBRARIES |= {"seaborn": "seaborn", "livelossplot": "livelossplot"}


def write_atomically(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call `write(temporary_path)`, then rename the result to `path` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.{secrets.token_hex(6)}{path.suffix}")
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # the usual mode, as the umask says
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` atomically."""
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save the model in Keras format (`.keras`), atomically: plain `keras.saving.load_model` opens it."""
    if Path(path).suffix != ".keras":
        raise ValueError(f"Expected a model path ending in .keras, found {path}.")
    return write_atomically(path, model.save)


def library_versions() -> dict[str, str]:
    """The versions of Python, of the Keras backend in use and of the libraries a result depends on."""
    import keras

    libraries = {keras.backend.backend(): keras.backend.backend()} | LIBRARIES
    versions = {library: importlib.import_module(module).__version__ for library, module in libraries.items()}
    return {"python": platform.python_version()} | versions


def run_summary(
    model: keras.Model,
    *,
    scores: Mapping[str, Any],
    parameters: Mapping[str, Any],
    training_data: tuple[Any, Any],
    training_seconds: float,
    how_it_ran: Mapping[str, str],
) -> dict[str, Any]:
    """What `metrics.json` records of a run of `model`.

    `scores` holds the "train" and "test" scores and the "per_class" table; `training_data` is the
    (images, labels) trained on, recorded by checksum; `parameters` gets their count added;
    `how_it_ran` is the backend, the machine and how training ran there (`ExecutionPlan.record()`).
    """
    images, labels = training_data
    return {
        "train": dict(scores["train"]),
        "test": dict(scores["test"]),
        "per_class": scores["per_class"].to_dict(orient="index"),
        "parameters": {**parameters, "train_samples": len(images)},
        "parameter_count": model.count_params(),
        "training_seconds": round(training_seconds, 2),
        **how_it_ran,
        "date": time.strftime("%Y-%m-%d"),
        "versions": library_versions(),
        "data_sha256": {"x_train": array_sha256(images), "y_train": array_sha256(labels)},
    }


def save_run(
    output_dir: str | os.PathLike,
    model: keras.Model,
    *,
    history: keras.callbacks.History | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    model_path: str | os.PathLike = MODEL_PATH,
    metrics_path: str | os.PathLike = "reports/metrics.json",
    **run: Any,
) -> dict[str, Any]:
    """Save a run below `output_dir`, each file atomically; return its metrics (`run_summary` of `run`).

    Writes the model (`model_path`), the training history as `reports/history.csv` when given, each
    table as `reports/<name>` and the metrics (`metrics_path`, JSON); `predict`'s LiteRT export is
    `reading.export.export_litert`'s, which the notebooks call next.
    """
    output_dir, metrics = Path(output_dir), run_summary(model, **run)
    save_model(model, output_dir / model_path)
    if history is not None:  # a row per epoch
        rows = zip(range(1, 1 + len(history.epoch)), *history.history.values())
        lines = [",".join(["epoch", *history.history]), *(",".join(map(str, row)) for row in rows)]
        write_text(output_dir / "reports" / "history.csv", "\n".join(lines) + "\n")
    for name, table in (tables or {}).items():
        write_text(output_dir / "reports" / name, table.to_csv())
    write_text(output_dir / metrics_path, json.dumps(metrics, indent=2) + "\n")
    return metrics
