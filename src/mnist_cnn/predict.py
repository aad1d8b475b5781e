"""Classify photos or scans of single handwritten digits with the saved model, fast.

Each image is prepared the way MNIST's digits were: grayscale, light ink on a dark
background, the digit scaled to fit a 20x20 box and placed in a 28x28 frame with its centre
of mass in the middle. The network runs in LiteRT from `models/mnist_cnn.tflite`, which is
exported beside the Keras model whenever it is saved: this module imports no TensorFlow, so
classifying a digit takes a fraction of a second, process start included (docs/predict.md).
An in-memory Keras model works too.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mnist_cnn.data import IMAGE_SHAPE, preprocess_images
from mnist_cnn.settings import EXPORTED_SUFFIX, MODEL_PATH, exported_path, no_model

DIGIT_BOX = 20  # MNIST fits each digit into a 20x20 box inside the 28x28 frame.
MIN_CONTRAST = 40  # below this difference between ink and background, the image is blank

Network = Callable[[np.ndarray], np.ndarray]  # preprocessed images (N, 28, 28, 1) -> probabilities (N, 10)


class PredictError(ValueError):
    """An input or model that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Prediction:
    """What `classify` found for one image: the digit and all ten probabilities, or an error."""

    path: str
    digit: int | None = None
    probabilities: tuple[float, ...] | None = None
    error: str | None = None

    def ranking(self, top: int) -> list[tuple[int, float]]:
        """The `top` most probable digits as (digit, probability), most probable first."""
        order = np.argsort(self.probabilities)[::-1][:top]
        return [(int(digit), self.probabilities[digit]) for digit in order]

    def to_dict(self) -> dict:
        return {name: value for name, value in asdict(self).items() if value is not None}


def classify(
    paths: str | os.PathLike | Sequence[str | os.PathLike], model: str | os.PathLike | object = MODEL_PATH
) -> list[Prediction]:
    """Classify image files, or every image in a folder, with a saved model or a Keras model.

    `model` is the path of the saved `.keras` model (its exported `.tflite` runs), of a
    `.tflite` file, or a Keras model in memory. Returns one `Prediction` per image, in order;
    an image that cannot be used gets its error instead, and the others are still classified.
    A model that cannot be used raises `PredictError`.
    """
    network = load_network(model)
    images = list(image_files([paths] if isinstance(paths, (str, os.PathLike)) else paths))
    prepared, found = [], []  # found: per image, its row in `prepared` or its error
    for path, error in images:
        if error is None:
            try:
                prepared.append(prepare_digit(read_image(path)))
                found.append(len(prepared) - 1)
                continue
            except PredictError as problem:
                error = str(problem)
        found.append(error)
    probabilities = network(preprocess_images(np.stack(prepared))) if prepared else None
    return [
        Prediction(str(path), error=row)
        if isinstance(row, str)
        else Prediction(str(path), int(probabilities[row].argmax()), tuple(map(float, probabilities[row])))
        for (path, _), row in zip(images, found)
    ]


def image_files(paths: Iterable[str | os.PathLike]) -> Iterable[tuple[Path, str | None]]:
    """Each path as (path, None), a folder as its image files in sorted order; (path, error) if unusable."""
    extensions = {extension for extension, _ in Image.registered_extensions().items()}
    for path in map(Path, paths):
        if path.is_dir():
            try:
                files = sorted(child for child in path.iterdir() if child.suffix.lower() in extensions)
            except OSError as error:
                yield path, f"the folder cannot be read: {error.strerror or error}"
                continue
            if not files:
                yield path, f"no image files in this folder (expected {', '.join(sorted(COMMON_EXTENSIONS))}, ...)"
            yield from ((file, None) for file in files)
        elif path.exists():
            yield path, None
        else:
            yield path, "no such file or folder"


COMMON_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".webp")
BOMB_MESSAGE = re.compile(r"Image size \((\d+) pixels\) exceeds limit of (\d+) pixels")


def read_image(path: str | os.PathLike) -> Image.Image:
    """Open an image file as 8-bit grayscale, flattening any transparency onto white."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open(path, "rb") as file, Image.open(file) as opened:
                image = ImageOps.exif_transpose(opened).convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        found = BOMB_MESSAGE.search(str(error))
        size = f"{int(found[1]):,} pixels, over the limit of {int(found[2]):,}" if found else str(error)
        raise PredictError(f"the image is too large to read safely: {size} (a decompression bomb?)") from None
    except PermissionError:
        raise PredictError("the file cannot be read: permission denied") from None
    except UnidentifiedImageError:
        size = path.stat().st_size
        raise PredictError(
            "the file is empty, not an image" if size == 0 else f"not an image that can be read ({size:,} bytes)"
        ) from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data, I/O errors
        raise PredictError(f"the image cannot be read (truncated or corrupt?): {error}") from None
    background = Image.new("RGBA", image.size, "white")
    return Image.alpha_composite(background, image).convert("L")


def prepare_digit(image: Image.Image) -> np.ndarray:
    """Turn a grayscale image of one digit into a 28x28 uint8 array like MNIST's."""
    pixels = np.asarray(image.convert("L"), dtype=np.float32)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    if np.median(border) > 127:  # dark ink on light paper: invert to MNIST's light on dark
        pixels, border = 255 - pixels, 255 - border
    pixels = np.clip(pixels - np.median(border), 0, None)
    if pixels.max() < MIN_CONTRAST:
        raise PredictError(
            f"no digit found: the image is blank (ink and background differ by {pixels.max():.0f} "
            f"of 255, expected at least {MIN_CONTRAST})"
        )
    rows, columns = np.nonzero(pixels > 0.25 * pixels.max())
    digit = pixels[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
    digit = Image.fromarray((digit * (255 / digit.max())).astype(np.uint8))
    scale = DIGIT_BOX / max(digit.size)
    size = (max(1, round(digit.width * scale)), max(1, round(digit.height * scale)))
    digit = np.asarray(digit.resize(size, Image.Resampling.LANCZOS), dtype=np.float32)

    frame = np.zeros(IMAGE_SHAPE, dtype=np.float32)
    centre_row, centre_column = _centre_of_mass(digit)
    top = int(np.clip(round(IMAGE_SHAPE[0] / 2 - centre_row), 0, IMAGE_SHAPE[0] - digit.shape[0]))
    left = int(np.clip(round(IMAGE_SHAPE[1] / 2 - centre_column), 0, IMAGE_SHAPE[1] - digit.shape[1]))
    frame[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return np.clip(frame, 0, 255).astype(np.uint8)


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, columns = np.indices(image.shape)
    total = image.sum()
    return float((rows * image).sum() / total), float((columns * image).sum() / total)


def load_network(model: str | os.PathLike | object) -> Network:
    """A function from preprocessed images to probabilities, for a model path or a Keras model."""
    if hasattr(model, "predict"):  # a Keras model in memory
        return lambda images: model.predict(images, verbose=0)
    path = Path(model)
    if path.suffix != EXPORTED_SUFFIX:
        path = check_export(path)
    if not path.is_file():
        raise PredictError(no_model(path, "exported model"))
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    try:
        # LiteRT's own kernels, without the XNNPACK delegate it adds by default: that delegate
        # announces itself on stderr ("INFO: Created TensorFlow Lite XNNPACK delegate") and saved
        # only 0.2 s on 1,000 images (docs/predict.md).
        interpreter = Interpreter(
            model_path=str(path), experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        )
    except (RuntimeError, ValueError) as error:
        raise PredictError(f"{path} is not a LiteRT model that can be loaded: {error}") from None
    return lambda images: _run(interpreter, images)


def check_export(model_path: Path) -> Path:
    """The `.tflite` export of `model_path`, after checking it exists and is not older than the model."""
    if not model_path.is_file():
        raise PredictError(no_model(model_path))
    exported = exported_path(model_path)
    rebuild = f"rebuild it with `python -m mnist_cnn export --model {model_path}`"
    if not exported.is_file():
        raise PredictError(f"{model_path} has no LiteRT export beside it ({exported}): {rebuild}")
    if exported.stat().st_mtime < model_path.stat().st_mtime:
        raise PredictError(f"{exported} is older than {model_path}, so it may be another model: {rebuild}")
    return exported


def _run(interpreter, images: np.ndarray) -> np.ndarray:
    (input_details,) = interpreter.get_input_details()
    (output_details,) = interpreter.get_output_details()
    interpreter.resize_tensor_input(input_details["index"], images.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_details["index"], images.astype(np.float32))
    interpreter.invoke()
    return interpreter.get_tensor(output_details["index"]).copy()
