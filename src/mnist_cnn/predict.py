"""Classify a photo or scan of one handwritten digit with the saved model.

The image is prepared the way MNIST's digits were: grayscale, light ink on a dark
background, the digit scaled to fit a 20x20 box and placed in a 28x28 frame with its
centre of mass in the middle.
"""

from __future__ import annotations

import os
from pathlib import Path

import mnist_cnn.backend  # noqa: F401  (first: TensorFlow without its start-up notices)

import keras
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mnist_cnn.artifacts import load_model
from mnist_cnn.data import IMAGE_SHAPE, preprocess_images
from mnist_cnn.settings import MODEL_PATH

DIGIT_BOX = 20  # MNIST fits each digit into a 20x20 box inside the 28x28 frame.
MIN_CONTRAST = 40  # below this difference between ink and background, the image is blank


def read_image(path: str | os.PathLike) -> Image.Image:
    """Open an image file as 8-bit grayscale, flattening any transparency onto white."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No image at {path}.")
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGBA")
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path} is not an image that can be read (PNG, JPEG, ...): {error}") from error
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
        raise ValueError(
            f"No digit found: the image is blank (ink and background differ by {pixels.max():.0f} "
            f"of 255, expected at least {MIN_CONTRAST})."
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


def classify(
    image_path: str | os.PathLike, model: keras.Model | str | os.PathLike = MODEL_PATH, top: int = 3
) -> list[tuple[int, float]]:
    """Return the `top` most probable digits for an image file, as (digit, probability)."""
    if not isinstance(model, keras.Model):
        model = load_model(model)
    digit = prepare_digit(read_image(image_path))
    probabilities = model.predict(preprocess_images(digit[np.newaxis]), verbose=0)[0]
    best = np.argsort(probabilities)[::-1][:top]
    return [(int(label), float(probabilities[label])) for label in best]


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, columns = np.indices(image.shape)
    total = image.sum()
    return float((rows * image).sum() / total), float((columns * image).sum() / total)
