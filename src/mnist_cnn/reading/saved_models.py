"""A trained model as a function from prepared images to probabilities, however it runs.

`load_network` gives one for a saved model, run by LiteRT from the `.tflite` file exported
beside it (this module imports no TensorFlow, so a new process reads a photo in a fraction of a
second: docs/predict.md), or for a Keras model in memory. `keras_network` calls a Keras model
directly, which is fastest for one image at a time (the drawing pad: docs/draw.md). The images
are prepared as `data.preprocess_images` prepares them: float32, (N, 28, 28, 1), the shape the
LiteRT network checks (`data.check_images`). `load_model` loads the `.keras` file itself, in Keras,
with one sentence for a file that is not a saved model.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_cnn.data import INPUT_SHAPE, check_images
from mnist_cnn.reading.export import EXPORTED_SUFFIX, exported_path, no_model
from mnist_cnn.reading.quiet import notices_dropped

if TYPE_CHECKING:
    import keras

Network = Callable[[np.ndarray], np.ndarray]  # preprocessed images (N, 28, 28, 1) -> probabilities (N, 10)
LITERT_BATCH = 4096  # images per LiteRT call: its tensors for far more would take gigabytes


class NetworkError(ValueError):
    """A saved model that cannot be run; the message is one line for the user."""


def load_network(model: str | os.PathLike | keras.Model, input_shape: tuple[int, ...] = INPUT_SHAPE) -> Network:
    """A `Network` for a saved `.keras` model (its checked `.tflite` export runs), a `.tflite` file, or a Keras model.

    A Keras model in memory runs through `model.predict`, in batches, for any number of images. A
    saved model must read `input_shape`: MNIST's, or the number network's (`joined_numbers.NUMBER_INPUT_SHAPE`).
    """
    if hasattr(model, "predict"):  # a Keras model in memory
        return lambda images: model.predict(images, verbose=0)
    path = Path(model)
    return litert_network(path if path.suffix == EXPORTED_SUFFIX else check_export(path), input_shape)


def keras_network(model: keras.Model) -> Network:
    """A `Network` that calls the Keras model directly, in inference mode: milliseconds for one image."""
    import keras  # imported already wherever a Keras model exists

    return lambda images: keras.ops.convert_to_numpy(model(images, training=False))


def check_export(model_path: str | os.PathLike) -> Path:
    """The `.tflite` export of `model_path`, after checking it exists and is not older than the model."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise NetworkError(no_model(model_path))
    exported = exported_path(model_path)
    rebuild = f"rebuild it with `python -m mnist_cnn export --model {model_path}`"
    if not exported.is_file():
        raise NetworkError(f"{model_path} has no LiteRT export beside it ({exported}): {rebuild}")
    if exported.stat().st_mtime < model_path.stat().st_mtime:
        raise NetworkError(f"{exported} is older than {model_path}, so it may be another model: {rebuild}")
    return exported


def litert_network(path: str | os.PathLike, input_shape: tuple[int, ...] = INPUT_SHAPE) -> Network:
    """A `Network` that runs a `.tflite` file reading `input_shape` in LiteRT, on every core, for any number of
    images at once."""
    path = Path(path)
    if not path.is_file():
        raise NetworkError(no_model(path, "exported model"))
    from ai_edge_litert.interpreter import Interpreter

    try:
        # With its XNNPACK delegate, on every core: twice as fast as LiteRT's own kernels here (docs/predict.md).
        interpreter = Interpreter(model_path=str(path), num_threads=os.cpu_count() or 1)
    except (RuntimeError, ValueError) as error:
        raise NetworkError(f"{path} is not a LiteRT model that can be loaded: {error}") from None
    (input_details,) = interpreter.get_input_details()
    (output_details,) = interpreter.get_output_details()
    found = tuple(int(size) for size in input_details["shape"][1:])
    if found != tuple(input_shape):
        shape, expected = (", ".join(map(str, each)) for each in (found, input_shape))
        mnist = "MNIST's prepared " if tuple(input_shape) == INPUT_SHAPE else ""
        raise NetworkError(f"{path} reads images of shape (N, {shape}), not {mnist}(N, {expected})")

    def run(images: np.ndarray) -> np.ndarray:
        interpreter.resize_tensor_input(input_details["index"], images.shape)
        with notices_dropped():  # where the delegate is applied, it says so on stderr: a notice, dropped
            interpreter.allocate_tensors()
        interpreter.set_tensor(input_details["index"], images)
        interpreter.invoke()
        return interpreter.get_tensor(output_details["index"]).copy()

    def network(images: np.ndarray) -> np.ndarray:
        if tuple(input_shape) == INPUT_SHAPE:
            images = check_images(images, channel=True)
        images = np.asarray(images, dtype=np.float32)
        if len(images) <= LITERT_BATCH:
            return run(images)
        return np.concatenate(
            [run(images[start : start + LITERT_BATCH]) for start in range(0, len(images), LITERT_BATCH)]
        )

    return network


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
