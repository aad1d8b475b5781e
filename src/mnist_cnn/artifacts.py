"""Save what a run produced (model, metrics, history) without ever losing an earlier copy.

Every file is written atomically (`mnist_cnn.atomic`), so an interrupted run leaves the
previous file untouched.
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
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mnist_cnn import backend
from mnist_cnn.atomic import write_atomically, write_text
from mnist_cnn.backend import keras
from mnist_cnn.data import array_sha256
from mnist_cnn.execution import ExecutionPlan
from mnist_cnn.settings import exported_path, no_model

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
    exported = exported_path(model_path)
    if backend.name() != "tensorflow":
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
        with backend.notices_dropped():
            return write_atomically(
                exported, lambda temporary: model.export(str(temporary), format="litert", verbose=False)
            )
    finally:
        logger.setLevel(level)


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a saved model with Keras's safe mode, as plain `keras.saving.load_model` does."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(no_model(path))
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
    """The versions of Python, of the Keras backend in use and of the libraries a result depends on."""
    libraries = {backend.name(): backend.name()} | LIBRARIES
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
    plan: ExecutionPlan,
) -> dict[str, Any]:
    """Gather what `metrics.json` records of a run; `training_data` maps names to arrays."""
    return {
        "train": dict(train_scores),
        "test": dict(test_scores),
        "per_class": per_class.to_dict(orient="index"),
        "parameters": dict(parameters),
        "parameter_count": parameter_count,
        "training_seconds": round(training_seconds, 2),
        "backend": plan.backend,
        "machine": plan.machine.describe(),
        "execution": f"{plan.device}: {plan.choices()}",
        "date": time.strftime("%Y-%m-%d"),
        "versions": library_versions(),
        "data_sha256": {name: array_sha256(array) for name, array in training_data.items()},
    }


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
