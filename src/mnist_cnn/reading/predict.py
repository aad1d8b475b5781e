"""Read the digits in image files, or folders of them: photos or scans of your handwriting, fast.

Each picture goes through `reading.preparation`, which finds its marks (one digit, or a number
written left to right) and prepares each as MNIST's were; `reading.saved_models` runs the saved
model, in LiteRT from the `.tflite` file exported beside it. Neither imports TensorFlow, so reading
a photo takes a fraction of a second, process start included (docs/predict.md). An in-memory Keras
model works too.

A mark whose most probable digit is less likely than `NOT_A_DIGIT_BELOW` is **not a digit** (a
letter, a scribble, a thing): the robust model learned to be unsure of such pictures (Outlier
Exposure, `reading.non_digits`). A number is read from the marks that are digits; in a picture
with a digit, a mark as tall as the digits is one of them unless the network is less than
`AMONG_DIGITS_BELOW` sure of it (a number's oddly written digit, not a letter or a speck). A wide
mark that is not a digit, or that the network reads as a digit with doubt, may be a number written
joined up: when the number network is saved (`saving.NUMBER_MODEL_PATH`), it reads such marks whole
(`reading.joined_numbers`), and a doubted digit gives way to a number it is sure of.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mnist_cnn.data import NUM_CLASSES, preprocess_images
from mnist_cnn.reading import joined_numbers
from mnist_cnn.reading.export import EXPORTED_SUFFIX
from mnist_cnn.reading.preparation import WORKING_SIZE, Box, Digit, NoDigit, find_digits
from mnist_cnn.reading.saved_models import Network, NetworkError, check_export, load_network
from mnist_cnn.saving import MODEL_PATH, NUMBER_MODEL_PATH, ROBUST_MODEL_PATH

NOT_A_DIGIT_BELOW = 0.45  # a mark whose top probability is lower is not a digit (chosen: docs/predict.md)
AMONG_DIGITS_BELOW = 0.2  # ... but beside a digit, a mark of the digits' height is one down to this
DIGITS_HEIGHT = (0.7, 1.4)  # ... that height: these fractions of the median height of the digits beside it
DOUBTED_DIGIT_BELOW = 0.99  # a wide mark read as a digit less surely is shown to the number network too, ...
NUMBER_OVER_DIGIT = 0.9  # ... and read as the number it reads at least this surely (chosen: docs/handwriting.md)
SMALL_FILE = 1024  # bytes: pictures smaller on average (a 28 x 28 PNG is about 300) are prepared in one thread
HEIF_EXTENSIONS = (".heic", ".heics", ".heif", ".heifs", ".hif")  # an iPhone's photos, read through pillow-heif


class PredictError(ValueError):
    """An input or model that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class MarkReading:
    """One mark read in a picture: its likeliest digit, the ten probabilities, its box (left, top, width, height)."""

    digit: int
    probabilities: tuple[float, ...]
    box: Box
    image: np.ndarray | None = field(default=None, repr=False, compare=False)  # the 28x28 the network read
    among_digits: bool = False  # whether it stands beside digits of its height (`read_marks` tells)
    joined: bool = False  # whether it is one digit of a joined-up number, read whole by the number network

    @property
    def is_digit(self) -> bool:
        """Whether the mark is read as a digit: its top probability is at least `NOT_A_DIGIT_BELOW`, or
        `AMONG_DIGITS_BELOW` for a mark among digits of its height; a joined-up number's digits are."""
        if self.joined:
            return True
        return self.probabilities[self.digit] >= (AMONG_DIGITS_BELOW if self.among_digits else NOT_A_DIGIT_BELOW)

    def ranking(self, top: int) -> list[tuple[int, float]]:
        """The `top` most probable digits as (digit, probability), most probable first."""
        order = np.argsort(self.probabilities)[::-1][:top]
        return [(int(digit), self.probabilities[digit]) for digit in order]

    def to_dict(self) -> dict:
        """The mark as `predict --json` gives it: digit, probability, score, box, ... (docs/predict.md)."""
        left, top, width, height = self.box
        box = {"left": left, "top": top, "width": width, "height": height}
        score = self.probabilities[self.digit]
        return {
            "digit": self.digit,
            "is_digit": self.is_digit,
            "score": score,
            "probabilities": list(self.probabilities),
            "box": box,
            "joined": self.joined,
        }


@dataclass(frozen=True)
class Prediction:
    """What `classify` read in one picture: its marks left to right (`marks`), or an error."""

    path: str
    marks: tuple[MarkReading, ...] = ()
    error: str | None = None

    @property
    def digits(self) -> tuple[MarkReading, ...]:
        """The marks read as digits, left to right."""
        return tuple(mark for mark in self.marks if mark.is_digit)

    @property
    def number(self) -> str:
        """The digits read, left to right, as a string: "7", or "305" for a number; "" when none is a digit."""
        return "".join(str(reading.digit) for reading in self.digits)

    @property
    def digit(self) -> int | None:
        """The digit, when the picture holds exactly one."""
        return self.digits[0].digit if len(self.digits) == 1 else None

    @property
    def is_digit(self) -> bool:
        """Whether any mark in the picture is a digit; False: "not a digit"."""
        return bool(self.digits)

    def to_dict(self) -> dict:
        """The picture's reading as `predict --json` gives it, or its path and error (docs/predict.md)."""
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        single = self.digits[0].to_dict() if len(self.digits) == 1 else {}
        digits = [mark.to_dict() for mark in self.digits]
        others = [mark.to_dict() for mark in self.marks if not mark.is_digit]
        answer = {"number": self.number, "not_a_digit": not self.is_digit, **single}
        return {"path": self.path, **answer, "digits": digits, "not_digits": others}


def default_model() -> Path:
    """The robust model (reads photos of other people's handwriting) when it is saved, else the original."""
    return ROBUST_MODEL_PATH if ROBUST_MODEL_PATH.is_file() else MODEL_PATH


def default_number_model() -> Path | None:
    """The number network (reads joined-up numbers) when it is saved, else None."""
    return NUMBER_MODEL_PATH if NUMBER_MODEL_PATH.is_file() else None


def classify(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    model: str | os.PathLike | object | None = None,
    numbers: str | os.PathLike | object | None = "default",
) -> list[Prediction]:
    """Read the digits in image files, or in every image in a folder, with a saved model or a Keras model.

    `model` is the path of a saved `.keras` model (its exported `.tflite` runs), of a `.tflite`
    file, or a Keras model in memory; by default `default_model()`. `numbers` is the number
    network, given the same ways, that reads joined-up numbers: by default `default_number_model()`;
    None reads none. Returns one `Prediction` per image, in order; an image that cannot be read gets
    its error instead, and the others are still read. A model that cannot be used raises `PredictError`.
    """
    numbers = default_number_model() if isinstance(numbers, str) and numbers == "default" else numbers
    try:
        network = load_network(default_model() if model is None else model)
        number_network = None if numbers is None else _when_needed(numbers)
        images = list(image_files([paths] if isinstance(paths, (str, os.PathLike)) else paths))
        with ThreadPoolExecutor(max_workers=_threads(images)) as pool:
            found = list(pool.map(_found, images))
        read = read_marks(found, network, number_network)
    except NetworkError as error:
        raise PredictError(str(error)) from None
    return [Prediction(str(path), marks, each.error) for (path, _), each, marks in zip(images, found, read)]


def _when_needed(numbers: str | os.PathLike | object) -> joined_numbers.NumberNetwork:
    """The number network, loaded when first asked (most pictures hold no wide mark in doubt); a saved one is
    checked at once to be there, with its export."""
    if not hasattr(numbers, "predict"):
        path = Path(numbers)
        if not path.is_file():
            raise NetworkError(
                f"no number network at {path}: run `make report-all` (or the fourth notebook) to save it"
            )
        if path.suffix != EXPORTED_SUFFIX:
            check_export(path)
    loaded = functools.cache(lambda: load_network(numbers, joined_numbers.NUMBER_INPUT_SHAPE))
    return lambda frames: loaded()(frames)


def _threads(images: Sequence[tuple[Path, str | None]]) -> int:
    """Threads to prepare the pictures in: one per core, as decoding and OpenCV release the GIL, but one for
    small scans, whose preparation is mostly Python holding the GIL (docs/predict.md)."""
    sizes = [path.stat().st_size for path, error in images if error is None]
    return 1 if not sizes or np.mean(sizes) < SMALL_FILE else min(len(sizes), os.cpu_count() or 1)


def read_marks(
    found: Sequence[Found], network: Network, number_network: joined_numbers.NumberNetwork | None = None
) -> list[tuple[MarkReading, ...]]:
    """Each picture's marks read by `network`, in one batch: a `MarkReading` per mark, told whether it
    stands among digits of its height. With `number_network`, a wide mark that is not a digit is read
    whole as a joined-up number when it is one, a `MarkReading` per digit; so is a wide mark read as a
    digit less surely than `DOUBTED_DIGIT_BELOW`, when the number is read at least `NUMBER_OVER_DIGIT`
    surely (a 1 joined to its neighbour can look like the neighbour alone: "10" like a 0)."""
    readings = iter(_read([mark for each in found for mark in each.digits], network))
    pictures = [among_digits(tuple(next(readings) for _ in each.digits)) for each in found]
    if number_network is None:
        return pictures
    wide = [
        (picture, index)
        for picture, (each, marks) in enumerate(zip(found, pictures))
        for index, (mark, reading) in enumerate(zip(each.digits, marks))
        if reading.probabilities[reading.digit] < DOUBTED_DIGIT_BELOW and joined_numbers.may_be_number(mark)
    ]
    numbers = joined_numbers.read_numbers([found[picture].digits[index] for picture, index in wide], number_network)
    replaced = {
        (picture, index): number
        for (picture, index), number in zip(wide, numbers)
        if number is not None and (not pictures[picture][index].is_digit or number.score >= NUMBER_OVER_DIGIT)
    }
    return [
        tuple(
            part
            for index, mark in enumerate(marks)
            for part in (_digits_of(replaced[picture, index], mark.box) if (picture, index) in replaced else (mark,))
        )
        for picture, marks in enumerate(pictures)
    ]


def _digits_of(number: joined_numbers.NumberReading, box: Box) -> tuple[MarkReading, ...]:
    """A joined-up number's digits as marks, each given an equal share of the mark's width as its box."""
    left, top, width, height = box
    edges = np.linspace(left, left + width, len(number.digits) + 1).round().astype(int)
    return tuple(
        MarkReading(
            digit,
            tuple(map(float, number.probabilities[place, :NUM_CLASSES])),
            (int(start), top, max(1, int(end - start)), height),
            joined=True,
        )
        for place, (digit, start, end) in enumerate(zip(number.digits, edges, edges[1:]))
    )


def among_digits(marks: tuple[MarkReading, ...]) -> tuple[MarkReading, ...]:
    """One picture's marks, each not read as a digit on its own marked `among_digits` where the picture
    holds a digit and the mark's height is `DIGITS_HEIGHT` of the digits' (their median)."""
    heights = [mark.box[3] for mark in marks if mark.is_digit]
    if not heights or len(heights) == len(marks):
        return marks
    low, high = (fraction * float(np.median(heights)) for fraction in DIGITS_HEIGHT)
    return tuple(
        mark if mark.is_digit or not low <= mark.box[3] <= high else replace(mark, among_digits=True) for mark in marks
    )


def _read(marks: Sequence[Digit], network: Network) -> list[MarkReading]:
    """The marks read in one batch."""
    if not marks:
        return []
    probabilities = network(preprocess_images(np.stack([mark.image for mark in marks])))
    return [
        MarkReading(int(row.argmax()), tuple(map(float, row)), mark.box, mark.image)
        for row, mark in zip(probabilities, marks)
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
        return find(read_image(path))
    except PredictError as problem:
        return Found(error=str(problem))


def find(picture: Image.Image | np.ndarray) -> Found:
    """The marks in a picture (`preparation.find_digits`), or why there are none."""
    try:
        return Found(tuple(find_digits(picture)))
    except NoDigit as problem:
        return Found(error=str(problem))


def image_files(paths: Iterable[str | os.PathLike]) -> Iterable[tuple[Path, str | None]]:
    """Each path as (path, None), a folder as its image files in sorted order; (path, error) if unusable."""
    extensions = set(Image.registered_extensions()) | set(HEIF_EXTENSIONS)
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


COMMON_EXTENSIONS = (".png", ".jpg", ".jpeg", ".heic", ".bmp", ".gif", ".tif", ".webp")
BOMB_MESSAGE = re.compile(r"Image size \((\d+) pixels\) exceeds limit of (\d+) pixels")


def read_image(path: str | os.PathLike) -> Image.Image:
    """Open an image file as RGB, flattening any transparency onto white.

    Every mode Pillow reads comes out as the picture's 8-bit RGB version would: palette, bilevel,
    CMYK, with or without alpha, and greyscale of more than 8 bits (`eight_bit`). A JPEG larger
    than `preparation.WORKING_SIZE` is decoded at a reduced scale (PIL's draft mode), which is as
    sharp as the preparation uses and several times faster for a phone's photo.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open(path, "rb") as file, _open(file) as opened:
                opened.draft("RGB", (WORKING_SIZE, WORKING_SIZE))
                image = eight_bit(ImageOps.exif_transpose(opened))
                image = image.convert("RGBA" if _transparent(image) else "RGB")
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
    if image.mode == "RGB":
        return image
    background = Image.new("RGBA", image.size, "white")
    return Image.alpha_composite(background, image).convert("RGB")


def _open(file: BinaryIO) -> Image.Image:
    """`Image.open`, and for a picture Pillow does not know, again with pillow-heif's plug-in, which reads
    HEIC and HEIF: imported only then, as it adds 20 ms to every start."""
    try:
        return Image.open(file)
    except UnidentifiedImageError:
        if "HEIF" in Image.OPEN:
            raise
        import pillow_heif

        pillow_heif.register_heif_opener()
        file.seek(0)
        return Image.open(file)


def _transparent(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info


def eight_bit(image: Image.Image) -> Image.Image:
    """A greyscale image of more than 8 bits as mode "L", scaled from its format's range; others unchanged.

    Pillow's own conversion clips such values at 255 instead of scaling them. 16-bit images
    ("I;16", "I;16B", ...) are divided by 257, so 65,535 becomes 255. 32-bit integer ones ("I") are
    taken as 16-bit when a value is over 255, else as 8-bit. Floating-point ones ("F") are taken as
    0 to 1 when no value is over 1, else as 0 to 255. Values outside the range are clipped.
    """
    if image.mode not in ("I", "F") and not image.mode.startswith("I;16"):
        return image
    values = np.asarray(image, dtype=np.float32)
    largest = values.max(initial=0)
    if image.mode == "F" and largest <= 1:
        values = values * 255
    elif image.mode != "F" and (image.mode != "I" or largest > 255):
        values = values / 257
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))
