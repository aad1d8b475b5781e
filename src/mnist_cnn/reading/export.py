"""A saved model's LiteRT export, which `predict` runs without TensorFlow.

The export is written beside the `.keras` file (`models/mnist_cnn.tflite`), atomically, by the
notebooks after they save a model and by `python -m mnist_cnn export`; `saved_models` runs it.
The export needs Keras (and TensorFlow), imported when it is called.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mnist_cnn.reading.quiet import notices_dropped
from mnist_cnn.saving import write_atomically

if TYPE_CHECKING:
    import keras

EXPORTED_SUFFIX = ".tflite"  # the LiteRT export of a saved model, beside it


def no_model(path: str | os.PathLike, what: str = "trained model") -> str:
    """The sentence for a model that is not there yet, and how to make it."""
    return f"no {what} at {path}: run `make report` (or the notebook) to train and save it"


def exported_path(model_path: str | os.PathLike) -> Path:
    """Where the LiteRT export of a saved `.keras` model lives: beside it, as `.tflite`."""
    return Path(model_path).with_suffix(EXPORTED_SUFFIX)


def export_litert(model: keras.Model, model_path: str | os.PathLike) -> Path | None:
    """Write `model`, saved at `model_path`, as LiteRT (`.tflite`, float32) beside it, atomically.

    Keras exports LiteRT from the TensorFlow backend: with another, `python -m mnist_cnn export`
    does it in a TensorFlow process; without TensorFlow, nothing is written (stderr says so).
    TensorFlow's INFO records of the conversion ("Assets written to ...") are held back.
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
        with notices_dropped():  # the converter's own INFO lines, and the two options it says it ignores
            return write_atomically(
                exported, lambda temporary: model.export(str(temporary), format="litert", verbose=False)
            )
    finally:
        logger.setLevel(level)
