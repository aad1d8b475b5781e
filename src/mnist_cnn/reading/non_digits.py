"""Pictures that hold no digit: letters, words, symbols, scribbles, drawings and pictures of things.

A network trained on digits alone answers a digit for anything; shown pictures that are *not*
digits while it learns, with the answer "none of the ten" (Outlier Exposure, Hendrycks et al.
2019: every digit equally likely), it learns to be unsure of them, and `reading.predict` can say
"not a digit". Everything here is drawn by this module, from a seed:

- **letters** and **symbols** from the fonts matplotlib ships (DejaVu, STIX, Computer Modern);
- **words**: two to six letters in a row;
- **scribbles**: smooth random pen strokes; **drawings**: stars, hearts, houses, arrows, spirals...;
- **things**: pictures of objects on a background (shapes, textures, gradients, in colour).

Letters and symbols come in two sets that share no font (and no symbol): `training_pictures`
draws from one, `evaluation_pictures` from the other, so what the evaluation reads, training never
showed. Letters that are a digit's twin (`TWINS`: O and 0, l and 1, ...) are in neither: a reader
may well call them digits; `evaluation_twins` draws them to count apart. Ink pictures are 2-D uint8
arrays, ink high on 0, as `photos` photographs digits; things are RGB pictures.
"""

from __future__ import annotations

import importlib.util
import string
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mnist_cnn.reading.opencv import cv2
from mnist_cnn.reading.preparation import NoDigit, find_digits, prepare_digit

KINDS = ("letters", "words", "symbols", "scribbles", "drawings", "things")
# Letters a reader may take for digits: O o D Q (0), l I i J j T (1, 7), Z z (2), S s (5), b G (6), B (8), g q (9).
TWINS = "OoDQlIiJjZzSsbGBgqT"
LETTERS = "".join(letter for letter in string.ascii_letters if letter not in TWINS)
SYMBOLS = "+=×÷%#@&$?*<>~^€£§¶∞√∑πΩαβδλμσφψω♥★☺→←↑↓✓✗♪☼⌂Ψ∫∂∇≈≠≤≥±©®"
EVALUATION_SYMBOLS = SYMBOLS[1::3]  # a third of the symbols is kept for the evaluation
TRAINING_FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf",
    "STIXGeneralBol.ttf",
    "STIXGeneralItalic.ttf",
    "STIXGeneralBolIta.ttf",
)
EVALUATION_FONTS = (
    "cmr10.ttf",
    "cmss10.ttf",
    "cmtt10.ttf",
    "cmb10.ttf",
    "cmti10.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf",
)
EVALUATION_SHAPES = ("sun", "face", "cross")  # drawings training never shows
GLYPH_SIZE = 48  # pixels: the font size letters and symbols are drawn at
CANVAS = 64  # pixels on a side: the canvas scribbles and drawings are drawn on
STROKE = (2, 6)  # pixels: a scribble's or drawing's pen width on that canvas
SLANT = 0.3  # a letter's shear, either way
THING_SIZE = (96, 160)  # pixels: the sides of a picture of things
WORD_LENGTH = (2, 6)  # letters


def training_pictures(count: int, seed: int) -> np.ndarray:
    """`count` non-digits of every kind, prepared as `find_digits` prepares a digit: (count, 28, 28) uint8.

    Letters and symbols in the training fonts; each kind in equal share.
    """
    if count < 1:
        raise ValueError(f"Expected at least 1 picture, found {count}.")
    rng = np.random.default_rng([seed, 1])
    kinds = np.resize(np.arange(len(KINDS)), count)
    prepared = []
    for kind in kinds:
        while True:  # a picture may hold nothing the preparation reads (a thing too faint): draw again
            try:
                prepared.append(training_picture(KINDS[kind], rng))
                break
            except NoDigit:
                continue
    return np.stack(prepared)


def evaluation_pictures(kind: str, count: int, seed: int) -> list[np.ndarray]:
    """`count` pictures of `kind` for the evaluation: ink pictures (2-D) to photograph, or RGB things."""
    if kind not in KINDS:
        raise ValueError(f"Expected a kind among {', '.join(KINDS)}, found {kind!r}.")
    rng = np.random.default_rng([seed, 2, KINDS.index(kind)])
    return [DRAWERS[kind](rng, False) for _ in range(count)]


def evaluation_twins(count: int, seed: int) -> list[np.ndarray]:
    """`count` letters that are a digit's twin (`TWINS`), each slanted at random in an evaluation font, as ink
    pictures: not non-digits (a reader may well call them digits), counted apart."""
    rng = np.random.default_rng([seed, 2, len(KINDS)])
    return [_glyphs(rng.choice(list(TWINS)), rng, training=False) for _ in range(count)]


def training_picture(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One non-digit of `kind` in the training fonts, prepared as a digit: (28, 28) uint8; raises `NoDigit` for one
    the preparation finds nothing in."""
    picture = DRAWERS[kind](rng, True)
    if kind in ("words", "things"):  # several marks (letters, things): one of them, as `predict` sees it
        marks = find_digits(picture if kind == "things" else 255 - picture)
        return marks[int(rng.integers(len(marks)))].image
    return prepare_digit(255 - picture)


def letter(rng: np.random.Generator, training: bool) -> np.ndarray:
    """One letter that is no digit's twin, slanted at random, in a training or an evaluation font."""
    return _glyphs(rng.choice(list(LETTERS)), rng, training)


def word(rng: np.random.Generator, training: bool) -> np.ndarray:
    """Two to six letters in a row, in one font."""
    length = int(rng.integers(WORD_LENGTH[0], WORD_LENGTH[1] + 1))
    return _glyphs("".join(rng.choice(list(LETTERS), size=length)), rng, training)


def symbol(rng: np.random.Generator, training: bool) -> np.ndarray:
    """One symbol (+, %, &, a heart, a Greek letter...): the evaluation's are not among training's."""
    symbols = [each for each in SYMBOLS if each not in EVALUATION_SYMBOLS] if training else EVALUATION_SYMBOLS
    while True:
        text, font = rng.choice(list(symbols)), _font(rng, training)
        if _has_glyph(font, text):
            return _glyphs(text, rng, training, font)


def _glyphs(
    text: str, rng: np.random.Generator, training: bool, font: ImageFont.FreeTypeFont | None = None
) -> np.ndarray:
    font = font or _font(rng, training)
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("L", (right - left + GLYPH_SIZE // 2, bottom - top + GLYPH_SIZE // 2))
    ImageDraw.Draw(canvas).text((GLYPH_SIZE // 4 - left, GLYPH_SIZE // 4 - top), text, fill=255, font=font)
    image = np.asarray(canvas)
    shear = rng.uniform(-SLANT, SLANT)
    height, width = image.shape
    matrix = np.float32([[1, shear, -shear * height / 2 + abs(shear) * height / 2], [0, 1, 0]])
    return cv2.warpAffine(image, matrix, (width + int(abs(shear) * height) + 1, height))


def _font(rng: np.random.Generator, training: bool) -> ImageFont.FreeTypeFont:
    fonts = TRAINING_FONTS if training else EVALUATION_FONTS
    return _loaded_font(fonts[int(rng.integers(len(fonts)))])


@cache
def _loaded_font(name: str) -> ImageFont.FreeTypeFont:
    spec = importlib.util.find_spec("matplotlib")  # its fonts, without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("Expected matplotlib's fonts (pip install matplotlib), found no matplotlib.")
    return ImageFont.truetype(
        str(Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf" / name), GLYPH_SIZE
    )


@cache
def _has_glyph(font: ImageFont.FreeTypeFont, text: str) -> bool:
    """Whether `font` draws `text` as itself, not as the box it draws for a character it lacks."""
    missing = np.asarray(font.getmask("\uffff"))
    drawn = np.asarray(font.getmask(text))
    return drawn.any() and (drawn.shape != missing.shape or not np.array_equal(drawn, missing))


def scribble(rng: np.random.Generator, training: bool) -> np.ndarray:
    """A smooth random pen stroke, or two, through four to ten points."""
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    for _ in range(int(rng.integers(1, 3))):
        points = rng.uniform(0.1, 0.9, size=(int(rng.integers(4, 11)), 2)) * CANVAS
        _stroke(canvas, _smooth_curve(points), rng)
    return canvas


def drawing(rng: np.random.Generator, training: bool) -> np.ndarray:
    """A simple drawing: a star, a heart, a house, an arrow, a spiral, a zigzag... (`SHAPES`)."""
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    shapes = [shape for name, shape in SHAPES.items() if not (training and name in EVALUATION_SHAPES)]
    shapes[int(rng.integers(len(shapes)))](canvas, rng)
    return canvas


def thing(rng: np.random.Generator, training: bool) -> np.ndarray:
    """A picture of things: filled shapes and textures in colour on a shaded background, RGB uint8."""
    height, width = (int(side) for side in rng.integers(THING_SIZE[0], THING_SIZE[1] + 1, size=2))
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    start, end = rng.uniform(0, 255, size=(2, 3))
    direction = rng.uniform(-1, 1, size=2)
    ramp = (direction[0] * rows / height + direction[1] * columns / width + 1) / 2
    picture = start + (end - start) * ramp[..., np.newaxis]
    for _ in range(int(rng.integers(1, 6))):
        mask = np.zeros((height, width), np.uint8)
        centre = (int(rng.integers(width)), int(rng.integers(height)))
        axes = tuple(int(axis) for axis in rng.integers(8, max(height, width) // 2, size=2))
        if rng.uniform() < 0.5:
            cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
        else:
            corners = rng.uniform(0, 1, size=(int(rng.integers(3, 8)), 2)) * (width, height)
            cv2.fillPoly(mask, [cv2.convexHull(corners.astype(np.int32))], 255)
        texture = _texture(height, width, rng)[..., np.newaxis]
        colour = rng.uniform(0, 255, size=3)
        inside = (mask > 0)[..., np.newaxis]
        picture = np.where(inside, colour * (0.6 + 0.8 * texture), picture)
    picture = cv2.GaussianBlur(picture.astype(np.float32), (0, 0), rng.uniform(0.5, 2.0))
    return np.clip(picture + rng.normal(0, 4, picture.shape), 0, 255).astype(np.uint8)


def _texture(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth random variation (0-1) at a random scale: fur, leaves, fabric, as a camera blurs them."""
    scale = int(rng.integers(2, 16))
    noise = rng.uniform(0, 1, size=(max(2, height // scale), max(2, width // scale))).astype(np.float32)
    return cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _smooth_curve(points: np.ndarray, rounds: int = 4) -> np.ndarray:
    """Chaikin's corner cutting: a smooth curve near the points."""
    for _ in range(rounds):
        quarter = 0.75 * points[:-1] + 0.25 * points[1:]
        three_quarters = 0.25 * points[:-1] + 0.75 * points[1:]
        points = np.concatenate([points[:1], np.stack([quarter, three_quarters], axis=1).reshape(-1, 2), points[-1:]])
    return points


def _stroke(canvas: np.ndarray, points: np.ndarray, rng: np.random.Generator, closed: bool = False) -> None:
    width = int(rng.integers(STROKE[0], STROKE[1] + 1))
    cv2.polylines(canvas, [np.round(points).astype(np.int32)], closed, 255, width, cv2.LINE_AA)


def _polygon(canvas: np.ndarray, rng: np.random.Generator, corners: np.ndarray) -> None:
    angle = rng.uniform(0, 2 * np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    _stroke(canvas, CANVAS / 2 + (corners @ rotation.T) * CANVAS * 0.4, rng, closed=True)


def _star(canvas: np.ndarray, rng: np.random.Generator) -> None:
    tips = int(rng.integers(5, 8))
    angles = np.pi * np.arange(2 * tips) / tips
    radii = np.where(np.arange(2 * tips) % 2 == 0, 1.0, rng.uniform(0.35, 0.55))
    _polygon(canvas, rng, np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1))


def _heart(canvas: np.ndarray, rng: np.random.Generator) -> None:
    t = np.linspace(0, 2 * np.pi, 60)
    x, y = 16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    _stroke(canvas, CANVAS / 2 + np.stack([x, y], axis=1) * CANVAS / 40, rng, closed=True)


def _house(canvas: np.ndarray, rng: np.random.Generator) -> None:
    outline = np.array([[-0.8, 0.9], [-0.8, 0.0], [0.0, -0.9], [0.8, 0.0], [0.8, 0.9]]) * CANVAS * 0.45
    _stroke(canvas, CANVAS / 2 + outline, rng, closed=True)
    _stroke(canvas, CANVAS / 2 + np.array([[-0.2, 0.9], [-0.2, 0.4], [0.2, 0.4], [0.2, 0.9]]) * CANVAS * 0.45, rng)


def _arrow(canvas: np.ndarray, rng: np.random.Generator) -> None:
    shaft = np.array([[-0.9, 0.0], [0.9, 0.0]])
    head = np.array([[0.5, -0.4], [0.9, 0.0], [0.5, 0.4]])
    angle = rng.uniform(0, 2 * np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    for part in (shaft, head):
        _stroke(canvas, CANVAS / 2 + part @ rotation.T * CANVAS * 0.4, rng)


def _spiral(canvas: np.ndarray, rng: np.random.Generator) -> None:
    t = np.linspace(0, rng.uniform(3, 6) * np.pi, 120)
    radius = t / t.max() * CANVAS * 0.42
    _stroke(canvas, CANVAS / 2 + np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1), rng)


def _zigzag(canvas: np.ndarray, rng: np.random.Generator) -> None:
    teeth = int(rng.integers(3, 7))
    x = np.linspace(0.1, 0.9, 2 * teeth + 1) * CANVAS
    y = np.where(np.arange(2 * teeth + 1) % 2 == 0, 0.35, 0.65) * CANVAS
    _stroke(canvas, np.stack([x, y], axis=1), rng)


def _sun(canvas: np.ndarray, rng: np.random.Generator) -> None:
    width = int(rng.integers(STROKE[0], STROKE[1] + 1))
    cv2.circle(canvas, (CANVAS // 2, CANVAS // 2), CANVAS // 6, 255, width, cv2.LINE_AA)
    for angle in np.linspace(0, 2 * np.pi, int(rng.integers(6, 12)), endpoint=False):
        direction = np.array([np.cos(angle), np.sin(angle)])
        _stroke(canvas, CANVAS / 2 + np.stack([direction * 0.25, direction * 0.45]) * CANVAS, rng)


def _face(canvas: np.ndarray, rng: np.random.Generator) -> None:
    width = int(rng.integers(STROKE[0], STROKE[1] + 1))
    cv2.circle(canvas, (CANVAS // 2, CANVAS // 2), int(CANVAS * 0.42), 255, width, cv2.LINE_AA)
    for eye in (0.38, 0.62):
        cv2.circle(canvas, (int(eye * CANVAS), int(0.4 * CANVAS)), max(2, CANVAS // 16), 255, -1, cv2.LINE_AA)
    cv2.ellipse(canvas, (CANVAS // 2, int(0.55 * CANVAS)), (CANVAS // 5, CANVAS // 8), 0, 0, 180, 255, width)


def _grid(canvas: np.ndarray, rng: np.random.Generator) -> None:
    for position in (0.38, 0.62):
        _stroke(canvas, np.array([[position, 0.15], [position, 0.85]]) * CANVAS, rng)
        _stroke(canvas, np.array([[0.15, position], [0.85, position]]) * CANVAS, rng)


def _cross(canvas: np.ndarray, rng: np.random.Generator) -> None:
    _stroke(canvas, np.array([[0.2, 0.2], [0.8, 0.8]]) * CANVAS, rng)
    _stroke(canvas, np.array([[0.8, 0.2], [0.2, 0.8]]) * CANVAS, rng)


def _hatching(canvas: np.ndarray, rng: np.random.Generator) -> None:
    for offset in np.linspace(0.15, 0.85, int(rng.integers(4, 8))):
        _stroke(canvas, np.array([[offset - 0.1, 0.8], [offset + 0.1, 0.2]]) * CANVAS, rng)


SHAPES: dict[str, Callable[[np.ndarray, np.random.Generator], None]] = {
    "star": _star,
    "heart": _heart,
    "house": _house,
    "arrow": _arrow,
    "spiral": _spiral,
    "zigzag": _zigzag,
    "sun": _sun,
    "face": _face,
    "grid": _grid,
    "cross": _cross,
    "hatching": _hatching,
}
DRAWERS: dict[str, Callable[[np.random.Generator, bool], np.ndarray]] = {
    "letters": letter,
    "words": word,
    "symbols": symbol,
    "scribbles": scribble,
    "drawings": drawing,
    "things": thing,
}
