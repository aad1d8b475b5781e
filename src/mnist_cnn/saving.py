"""Save what a run produced (model, history, tables, metrics), each file whole or not at all, and load a model.

Every file is written to a temporary name beside its destination and renamed into place when
complete, so an interrupted or failed run leaves the earlier file untouched and no temporary
behind. Keras is imported where a model is saved or loaded, so that finding a saved model's path
(as `predict` does) imports no TensorFlow.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnist_cnn.data import array_sha256

if TYPE_CHECKING:
    import keras
    import pandas as pd

MODEL_PATH = Path("models/mnist_cnn.keras")  # where the first notebook saves its model, below its OUTPUT_DIR
IMPROVED_MODEL_PATH = Path("models/improved_cnn.keras")  # and where the second saves its own
ROBUST_MODEL_PATH = Path("models/robust_cnn.keras")  # and the third: the model `predict` uses when it is there
EXPORTED_SUFFIX = ".tflite"  # the LiteRT export of a saved model, beside it

# The libraries a result depends on, by the name they are known by and the module they import as,
# after the backend's own (versions come from the modules: TensorFlow is installed as tensorflow
# or as tensorflow-cpu).
LIBRARIES = {
    "keras": "keras",
    "numpy": "numpy",
    "scikit-learn": "sklearn",
    "matplotlib": "matplotlib",
    "seaborn": "seaborn",
    "livelossplot": "livelossplot",
}


def write_atomically(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call `write(temporary_path)`, then rename the result to `path` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(descriptor)
    try:
        write(Path(temporary))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # mkstemp's file is private; give it the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` atomically."""
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def exported_path(model_path: str | os.PathLike) -> Path:
    """Where the LiteRT export of a saved `.keras` model lives: beside it, as `.tflite`."""
    return Path(model_path).with_suffix(EXPORTED_SUFFIX)


def no_model(path: str | os.PathLike, what: str = "trained model") -> str:
    """The sentence for a model that is not there yet, and how to make it."""
    return f"no {what} at {path}: run `make report` (or the notebook) to train and save it"


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save the model in Keras format (`.keras`), then its LiteRT export beside it, each atomically.

    The `.keras` file is the model; the `.tflite` file runs it for `python -m mnist_cnn predict`
    without TensorFlow. Written second, it is never older than the model it was made from.
    """
    if Path(path).suffix != ".keras":
        raise ValueError(f"Expected a model path ending in .keras, found {path}.")
    saved = write_atomically(path, model.save)
    export_litert(model, saved)
    return saved


def export_litert(model: keras.Model, model_path: str | os.PathLike) -> Path | None:
    """Write `model`, saved at `model_path`, as LiteRT (`.tflite`, float32) beside it, atomically.

    Keras exports LiteRT from the TensorFlow backend: with another, the saved file is exported by
    `python -m mnist_cnn export` in a TensorFlow process; without TensorFlow, not at all (a line
    on stderr says so, and None is returned). The conversion reports its steps at INFO level: in
    C++ (dropped like TensorFlow's start-up notices) and in Python, where TensorFlow shows INFO
    records in Jupyter ("Assets written to ..."); its logger is held at WARNING meanwhile.
    """
    import keras

    exported = exported_path(model_path)
    if keras.backend.backend() != "tensorflow":
        if importlib.util.find_spec("tensorflow") is None:
            print(f"No LiteRT export of {model_path}: it needs TensorFlow, which is not installed.", file=sys.stderr)
            return None
        command = [sys.executable, "-m", "mnist_cnn", "export", "--model", str(model_path)]
        subprocess.run(command, env=os.environ | {"KERAS_BACKEND": "tensorflow"}, check=True, capture_output=True)
        return exported
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        return write_atomically(
            exported, lambda temporary: model.export(str(temporary), format="litert", verbose=False)
        )
    finally:
        logger.setLevel(level)


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a saved `.keras` model with Keras's safe mode, as plain `keras.saving.load_model` does."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(no_model(path))
    # The package's models are .keras zip archives holding config.json. Of any other file Keras
    # says "File not found" or raises a KeyError: say instead what is there.
    if path.suffix != ".keras":
        found = f"a file named {path.name}"
    elif not zipfile.is_zipfile(path):
        with path.open("rb") as file:
            found = f"a file that is not a zip archive, beginning {file.read(16)!r}"
    else:
        with zipfile.ZipFile(path) as archive:
            found = None if "config.json" in archive.namelist() else "a zip archive without config.json"
    if found is not None:
        raise ValueError(
            f"{path} is there but is not a saved Keras model: expected a .keras file, "
            f"the zip archive holding config.json that model.save writes, found {found}."
        )
    return keras.saving.load_model(path, safe_mode=True)


def save_history(history: Mapping[str, Sequence[float]], path: str | os.PathLike) -> Path:
    """Save `History.history` as CSV, one row per epoch."""
    rows = zip(range(1, 1 + len(next(iter(history.values()), []))), *history.values())
    lines = [",".join(["epoch", *history]), *(",".join(map(str, row)) for row in rows)]
    return write_text(path, "\n".join(lines) + "\n")


def save_metrics(metrics: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Save a run's metrics as indented JSON."""
    return write_text(path, json.dumps(metrics, indent=2) + "\n")


def library_versions() -> dict[str, str]:
    """The versions of Python, of the Keras backend in use and of the libraries a result depends on."""
    import keras

    libraries = {keras.backend.backend(): keras.backend.backend()} | LIBRARIES
    return {"python": platform.python_version()} | {
        library: importlib.import_module(module).__version__ for library, module in libraries.items()
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
    how_it_ran: Mapping[str, str],
) -> dict[str, Any]:
    """Gather what `metrics.json` records of a run; `training_data` maps names to arrays.

    `how_it_ran` says on what: the backend, the machine and how training ran there (`ExecutionPlan.record()`).
    """
    return {
        "train": dict(train_scores),
        "test": dict(test_scores),
        "per_class": per_class.to_dict(orient="index"),
        "parameters": dict(parameters),
        "parameter_count": parameter_count,
        "training_seconds": round(training_seconds, 2),
        **how_it_ran,
        "date": time.strftime("%Y-%m-%d"),
        "versions": library_versions(),
        "data_sha256": {name: array_sha256(array) for name, array in training_data.items()},
    }


def save_run(
    output_dir: str | os.PathLike,
    model: keras.Model,
    *,
    scores: Mapping[str, Any],
    parameters: Mapping[str, Any],
    training_data: tuple[Any, Any],
    training_seconds: float,
    how_it_ran: Mapping[str, str],
    history: keras.callbacks.History | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    model_path: str | os.PathLike = MODEL_PATH,
    metrics_path: str | os.PathLike = "reports/metrics.json",
) -> dict[str, Any]:
    """Save a run below `output_dir`, each file atomically; return its metrics (`run_summary`).

    Writes the model and its LiteRT export (`model_path`), the metrics (`metrics_path`), the
    training history as `reports/history.csv` when given, and each table as `reports/<name>`.
    `scores` holds the "train" and "test" scores and the "per_class" table; `training_data` is
    the (images, labels) trained on, recorded by checksum; `parameters` gets their count added;
    `how_it_ran` is `ExecutionPlan.record()`.
    """
    output_dir = Path(output_dir)
    images, labels = training_data
    metrics = run_summary(
        train_scores=scores["train"],
        test_scores=scores["test"],
        per_class=scores["per_class"],
        parameters={**parameters, "train_samples": len(images)},
        parameter_count=model.count_params(),
        training_seconds=training_seconds,
        training_data={"x_train": images, "y_train": labels},
        how_it_ran=how_it_ran,
    )
    save_model(model, output_dir / model_path)
    if history is not None:
        save_history(history.history, output_dir / "reports" / "history.csv")
    for name, table in (tables or {}).items():
        write_text(output_dir / "reports" / name, table.to_csv())
    save_metrics(metrics, output_dir / metrics_path)
    return metrics


def describe_run(metrics: Mapping[str, Any]) -> str:
    """A short Markdown summary of a run's `metrics.json`: results, settings, machine, versions."""
    settings = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in metrics["parameters"].items())
    versions = ", ".join(f"{name} {version}" for name, version in metrics["versions"].items())
    return "\n".join(
        [
            "## Summary of this run",
            "",
            "| | |",
            "|---|---|",
            f"| test accuracy | {metrics['test']['accuracy']:.2%} (loss {metrics['test']['loss']:.4f}) |",
            f"| train accuracy | {metrics['train']['accuracy']:.2%} (loss {metrics['train']['loss']:.4f}) |",
            f"| training time | {metrics['training_seconds']:.0f} s |",
            f"| settings | {settings} |",
            f"| parameters | {metrics['parameter_count']:,} |",
            f"| machine | {metrics['machine']} |",
            f"| how it trained | {metrics['execution']} ({metrics['backend']} backend) |",
            f"| versions | {versions} |",
            f"| date | {metrics['date']} |",
        ]
    )
