"""Read the digits in image files, or folders of them: photos or scans of your handwriting, fast.

Each picture goes through `reading.preparation`, which finds its digits (one, or a number written
left to right) and prepares each as MNIST's were; `reading.saved_models` runs the saved model, in
LiteRT from the `.tflite` file exported beside it. Neither imports TensorFlow, so reading a photo
takes a fraction of a second, process start included (docs/predict.md). An in-memory Keras model
works too.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mnist_cnn.data import preprocess_images
from mnist_cnn.reading.preparation import WORKING_SIZE, Box, Digit, NoDigit, find_digits
from mnist_cnn.reading.saved_models import NetworkError, load_network
from mnist_cnn.saving import MODEL_PATH, ROBUST_MODEL_PATH


class PredictError(ValueError):
    """An input or model that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class DigitReading:
    """One digit read in a picture: the digit, all ten probabilities, and its box (left, top, width, height)."""

    digit: int
    probabilities: tuple[float, ...]
    box: Box

    def ranking(self, top: int) -> list[tuple[int, float]]:
        """The `top` most probable digits as (digit, probability), most probable first."""
        order = np.argsort(self.probabilities)[::-1][:top]
        return [(int(digit), self.probabilities[digit]) for digit in order]

    def to_dict(self) -> dict:
        left, top, width, height = self.box
        box = {"left": left, "top": top, "width": width, "height": height}
        return {"digit": self.digit, "probabilities": list(self.probabilities), "box": box}


@dataclass(frozen=True)
class Prediction:
    """What `classify` read in one picture: its digits left to right, or an error."""

    path: str
    digits: tuple[DigitReading, ...] = ()
    error: str | None = None

    @property
    def number(self) -> str:
        """The digits read, left to right, as a string: "7", or "305" for a number."""
        return "".join(str(reading.digit) for reading in self.digits)

    @property
    def digit(self) -> int | None:
        """The digit, when the picture holds exactly one."""
        return self.digits[0].digit if len(self.digits) == 1 else None

    def to_dict(self) -> dict:
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        single = self.digits[0].to_dict() if len(self.digits) == 1 else {}
        return {"path": self.path, "number": self.number, **single, "digits": [d.to_dict() for d in self.digits]}


def default_model() -> Path:
    """The robust model (reads photos of other people's handwriting) when it is saved, else the original."""
    return ROBUST_MODEL_PATH if ROBUST_MODEL_PATH.is_file() else MODEL_PATH


def classify(
    paths: str | os.PathLike | Sequence[str | os.PathLike], model: str | os.PathLike | object | None = None
) -> list[Prediction]:
    """Read the digits in image files, or in every image in a folder, with a saved model or a Keras model.

    `model` is the path of a saved `.keras` model (its exported `.tflite` runs), of a `.tflite`
    file, or a Keras model in memory; by default `default_model()`. Returns one `Prediction` per
    image, in order; an image that cannot be read gets its error instead, and the others are
    still read. A model that cannot be used raises `PredictError`.
    """
    try:
        network = load_network(default_model() if model is None else model)
    except NetworkError as error:
        raise PredictError(str(error)) from None
    images = list(image_files([paths] if isinstance(paths, (str, os.PathLike)) else paths))
    # Decoding and OpenCV release the GIL: one thread per core.
    with ThreadPoolExecutor(max_workers=min(len(images), os.cpu_count() or 1) or 1) as pool:
        found = list(pool.map(_found, images))
    prepared = [digit.image for each in found for digit in each.digits]
    probabilities = iter(network(preprocess_images(np.stack(prepared))) if prepared else [])
    return [
        Prediction(str(path), tuple(_reading(next(probabilities), digit.box) for digit in each.digits), each.error)
        for (path, _), each in zip(images, found)
    ]


@dataclass(frozen=True)
class Found:
    """What the preparation found in one image: its digits, left to right, or why there are none."""

    digits: tuple[Digit, ...] = ()
    error: str | None = None


def _found(image: tuple[Path, str | None]) -> Found:
    path, error = image
    if error is not None:
        return Found(error=error)
    try:
        return Found(tuple(find_digits(read_image(path))))
    except (PredictError, NoDigit) as problem:
        return Found(error=str(problem))


def _reading(probabilities: np.ndarray, box: Box) -> DigitReading:
    return DigitReading(int(probabilities.argmax()), tuple(map(float, probabilities)), box)


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
    """Open an image file as RGB, flattening any transparency onto white.

    A JPEG larger than `preparation.WORKING_SIZE` is decoded at a reduced scale (PIL's draft mode),
    which is as sharp as the preparation uses and several times faster for a phone's photo.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open(path, "rb") as file, Image.open(file) as opened:
                opened.draft("RGB", (WORKING_SIZE, WORKING_SIZE))
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
    return Image.alpha_composite(background, image).convert("RGB")
