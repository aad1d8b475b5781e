"""Distort MNIST digits the ways other people's handwriting, pens and cameras differ from MNIST's.

A network trained on MNIST alone reads MNIST's test set almost perfectly, yet misreads many
digits written by other people, photographed or scanned, and prepared by `reading.preparation`.
MNIST's writers were American census staff and students, scanned alike and prepared alike: a
sharp, bright stroke of about one width, fitted into a 20x20 box and centred by its centre of
mass. Other handwriting differs from that in ways we can name, so we train on MNIST with those
differences added at random, each distortion imitating one of them.

**The pen.**

- *Stroke width*: a felt-tip or a marker writes thicker than MNIST's pens, a fine pen or a hard
  pencil thinner (the preparation only thickens the thinnest strokes). The change is a fraction
  of a pixel: each digit is enlarged to twice the size, dilated (thicker) or eroded (thinner)
  there by a pixel or two, reduced back by averaging, and blended with the original for
  fractions. Thinning never takes away more than `MAX_INK_LOSS` of a digit's ink, so a thin
  stroke gets narrower but is never erased.

**The hand, and the camera's angle**: one affine map per image, taken about its centre of mass.

- *Slant* (a horizontal shear): many people write with a forward or a backward lean.
- *Rotation*: a photo is rarely taken square to the line of writing.
- *Uneven scale*: narrow or wide handwriting. The preparation fits every digit to the 20x20 box,
  so what survives it is mostly the aspect ratio.
- *Shift*: the preparation centres to whole pixels, and a stray mark or a speck moves the centre
  of mass: a digit a pixel or so off centre.
- *Elastic distortion* (Simard, Steinkraus and Platt, 2003): a smooth random displacement field,
  the wobble of a hand that is not a typeface: loops rounder or flatter, strokes bent. It is
  added to the affine map's coordinates, so each image is resampled (`cv2.remap`) once.

**The photo or the scan.**

- *Blur*: an out-of-focus or shaken photo, a soft scan.
- *Lower resolution*: a digit written small on the page, or a low-resolution scan (USPS's digits
  are 16x16), that the preparation enlarges to MNIST's size: blocky, then soft. The 28x28 frame
  is reduced to 12 to 20 pixels (the digit to 9 to 14 pixels high) and enlarged back. An image
  gets blur or lower resolution, never both: together they soften a digit past reading.
- *Contrast*: faint pencil, a dim photo: every pixel scaled down, the ink's peak with it.
- *Noise*: paper texture and camera noise that survive the background's removal.

Each distortion is applied to an image with its own probability, its strength drawn uniformly
from a range; `Distortions` holds these settings, and its defaults keep every digit readable by
a person. Then, as the preparation brings every digit's brightest ink to full brightness, each
digit dimmed by blurring, thinning or resampling is brightened back to its own peak (only the
contrast dims it, on purpose), and the result is clipped to [0, 1].

It is not re-centred by its centre of mass. An affine map carries the centre of mass to the
same point, so a map taken about it leaves it where MNIST put it, and the shift moves it on
purpose; the elastic field moves it too, by about half a pixel (a shape changed changes its
centre), well within the range the network is taught by the shift anyway. Re-centring would
cost a second resampling, which softens the digit, for nothing the network needs. The digit is
kept whole instead: the affine map is shrunk where needed to keep the ink `FRAME_MARGIN` pixels
inside the frame, and the elastic field fades to nothing at the frame's edge.

All of it is numpy and OpenCV on whole batches, outside the model, so the saved model stays a
plain Keras model on any backend. `distort` distorts a batch; a `Distortions` is itself such a
function, which `training.train(..., distort=Distortions())` applies afresh to every batch.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, fields

import numpy as np

from mnist_cnn.data import IMAGE_SHAPE, check_images
from mnist_cnn.reading.opencv import cv2

SIZE = IMAGE_SHAPE[0]  # 28: the frame's side in pixels (MNIST's frames are square)
LARGE = 2 * SIZE  # the side at which strokes are thickened and thinned
FRAME_MARGIN = 2.0  # pixels the affine map keeps between the frame's edge and the outermost ink (or less, as before)
ELASTIC_TAPER = 4.0  # pixels from the frame's edge over which the elastic displacements fade to none
INK_THRESHOLD = 0.1  # a row or column whose pixels add up to this fraction of the brightest pixel holds ink
MAX_INK_LOSS = 0.4  # thinning takes away at most this fraction of a digit's ink
STROKE_LEVELS = (-1, 0, 1, 2)  # the stroke changes drawn, in pixels of width at 28x28; others are blends
CHUNK = 512  # images drawn in one OpenCV call: their stacked rows stay within remap's 32,767
GAP = 2  # blank rows between images stacked into one tall image (two at twice the size): nothing reaches across
OUTSIDE = -10.0  # a source coordinate off every image: the blank rows take their value (0) from it

# At twice the size, the 3x3 cross moves each edge of a stroke by one pixel: half a pixel at
# 28x28, so the stroke gets one pixel wider or narrower. The 5x5 disc moves each edge by two.
CROSS = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
DISC = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


@dataclass(frozen=True)
class Distortions:
    """How often each distortion is applied (`*_probability`), and the range its strength is drawn from.

    Strengths are in pixels of the 28x28 frame unless said otherwise; each range is
    `(lowest, highest)`, drawn uniformly. `Distortions.none()` turns them all off.
    """

    # The pen.
    stroke_probability: float = 0.5
    stroke_change: tuple[float, float] = (-0.75, 1.25)  # pixels of stroke width: < 0 thinner, > 0 thicker (-1 to 2)
    # The hand and the camera's angle: one affine map per image, about its centre of mass.
    slant_probability: float = 0.6
    slant: tuple[float, float] = (-0.3, 0.3)  # shear: pixels the top moves right per pixel of height
    rotation_probability: float = 0.5
    rotation: tuple[float, float] = (-12.0, 12.0)  # degrees, counter-clockwise
    scale_probability: float = 0.6
    scale: tuple[float, float] = (0.8, 1.15)  # factor, drawn separately for the width and the height
    shift_probability: float = 0.5
    shift: tuple[float, float] = (-1.5, 1.5)  # pixels, drawn separately across and down
    elastic_probability: float = 0.5
    elastic_displacement: tuple[float, float] = (0.3, 1.0)  # root-mean-square displacement along each axis
    elastic_smoothness: float = 4.0  # sigma of the Gaussian that smooths the random displacements
    # The photo or the scan.
    blur_probability: float = 0.2
    blur_sigma: tuple[float, float] = (0.5, 1.2)  # sigma of the Gaussian blur
    low_resolution_probability: float = 0.25  # of the images not blurred: 0.2 of all
    low_resolution_size: tuple[int, int] = (12, 20)  # side the 28x28 frame is reduced to, then enlarged back from
    contrast_probability: float = 0.2
    ink_peak: tuple[float, float] = (0.6, 1.0)  # factor on every pixel, so on the brightest ink
    noise_probability: float = 0.25
    noise_level: tuple[float, float] = (0.02, 0.06)  # standard deviation of the Gaussian noise added to each pixel

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name.endswith("_probability") and not 0 <= value <= 1:
                raise ValueError(f"Distortions.{field.name}: expected a probability from 0 to 1, found {value!r}.")
            if field.type.startswith("tuple") and not (
                isinstance(value, tuple) and len(value) == 2 and value[0] <= value[1]
            ):
                raise ValueError(f"Distortions.{field.name}: expected a range (lowest, highest), found {value!r}.")
        limits = {
            "stroke_change": (STROKE_LEVELS[0], STROKE_LEVELS[-1]),
            "scale": (0.1, 2.0),
            "elastic_displacement": (0.0, 5.0),
            "blur_sigma": (0.1, 5.0),
            "low_resolution_size": (2, SIZE),
            "ink_peak": (0.0, 1.0),
            "noise_level": (0.0, 1.0),
        }
        for name, (lowest, highest) in limits.items():
            low, high = getattr(self, name)
            if not lowest <= low <= high <= highest:
                raise ValueError(
                    f"Distortions.{name}: expected a range within {lowest} to {highest}, found {(low, high)}."
                )
        if not self.elastic_smoothness > 0:
            raise ValueError(
                f"Distortions.elastic_smoothness: expected a positive sigma, found {self.elastic_smoothness!r}."
            )
        if not all(isinstance(side, int) for side in self.low_resolution_size):
            raise ValueError(
                f"Distortions.low_resolution_size: expected whole pixels, found {self.low_resolution_size!r}."
            )

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """`distort(images, rng, self)`: so that a `Distortions` is what `training.train` takes as `distort`."""
        return distort(images, rng, self)

    @classmethod
    def none(cls) -> Distortions:
        """Settings with every distortion off: `distort` returns a copy of the images."""
        return cls(**{name: 0.0 for name in _probability_names()})

    @classmethod
    def only(cls, name: str) -> Distortions:
        """One distortion always (`Distortions.only("slant")`), every other off: to see what each does."""
        if name not in cls.names():
            raise ValueError(f"Expected one of the distortions {', '.join(cls.names())}; found {name!r}.")
        return dataclasses.replace(cls.none(), **{f"{name}_probability": 1.0})

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The distortions by name, in the order `distort` applies them: "stroke", "slant", ..."""
        return tuple(probability.removesuffix("_probability") for probability in _probability_names())


@functools.cache
def _probability_names() -> tuple[str, ...]:
    return tuple(field.name for field in fields(Distortions) if field.name.endswith("_probability"))


def distort(images: np.ndarray, rng: np.random.Generator, distortions: Distortions = Distortions()) -> np.ndarray:
    """A distorted copy of a batch of images (N, 28, 28, 1), float32 in [0, 1].

    `rng` makes every random choice: the same generator state gives the same result.
    """
    images = check_images(images, channel=True, scaled=True)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"Expected rng to be a numpy.random.Generator, found a {type(rng).__name__}.")
    settings, count = distortions, len(images)
    result = images[..., 0].copy()
    peaks = result.max(axis=(1, 2))

    # Every choice is drawn up front for every image, in a fixed order; an image that does not
    # get a distortion gets its neutral strength.
    chances = np.array([getattr(settings, name) for name in _probability_names()])
    draws = rng.random((count, len(chances))) < chances
    applied = {name.removesuffix("_probability"): column for name, column in zip(_probability_names(), draws.T)}
    applied["low_resolution"] &= ~applied["blur"]  # one or the other: both at once soften a digit past reading
    stroke = np.where(applied["stroke"], rng.uniform(*settings.stroke_change, count), 0.0)
    slant = np.where(applied["slant"], rng.uniform(*settings.slant, count), 0.0)
    rotation = np.where(applied["rotation"], rng.uniform(*settings.rotation, count), 0.0)
    scale = np.where(applied["scale"][:, None], rng.uniform(*settings.scale, (count, 2)), 1.0)
    shift = np.where(applied["shift"][:, None], rng.uniform(*settings.shift, (count, 2)), 0.0)
    elastic = np.where(applied["elastic"], rng.uniform(*settings.elastic_displacement, count), 0.0)
    blur = np.where(applied["blur"], rng.uniform(*settings.blur_sigma, count), 0.0)
    low, high = settings.low_resolution_size
    side = np.where(applied["low_resolution"], rng.integers(low, high, count, endpoint=True), SIZE)
    ink_peak = np.where(applied["contrast"], rng.uniform(*settings.ink_peak, count), 1.0)
    noise_level = np.where(applied["noise"], rng.uniform(*settings.noise_level, count), 0.0)

    # The pen and the hand, for the images that get any of them.
    drawn = np.flatnonzero(
        (stroke != 0) | (slant != 0) | (rotation != 0) | (scale != 1).any(1) | (shift != 0).any(1) | (elastic > 0)
    )
    for start in range(0, len(drawn), CHUNK):
        rows = drawn[start : start + CHUNK]
        maps = _affine_maps(result[rows], slant[rows], rotation[rows], scale[rows], shift[rows])
        result[rows] = _draw(result[rows], maps, elastic[rows], settings.elastic_smoothness, stroke[rows], rng)

    # The photo or the scan: blur and lower resolution are linear and act on rows and columns
    # alike, so together they are one 28x28 matrix P per image, applied as P x P^T.
    scanned = np.flatnonzero((blur > 0) | (side < SIZE))
    if len(scanned):
        operators = _low_resolution_matrices()[side[scanned]] @ _blur_matrices(blur[scanned])
        result[scanned] = operators @ result[scanned] @ operators.transpose(0, 2, 1)
    # The preparation brings every digit's brightest ink to full brightness, so a blurred, thinned
    # or resampled digit is brightened back to its own peak; only the contrast dims it, on purpose.
    dimmed = result.max(axis=(1, 2))
    result *= (ink_peak * np.where(dimmed > 0, peaks / np.where(dimmed > 0, dimmed, 1), 1)).astype(np.float32)[
        :, None, None
    ]
    noisy = np.flatnonzero(noise_level > 0)
    if len(noisy):
        noise = rng.standard_normal((len(noisy), SIZE, SIZE), dtype=np.float32)
        result[noisy] += noise * noise_level[noisy].astype(np.float32)[:, None, None]
    np.clip(result, 0.0, 1.0, out=result)
    return result[..., np.newaxis]


def _affine_maps(
    images: np.ndarray, slant: np.ndarray, rotation: np.ndarray, scale: np.ndarray, shift: np.ndarray
) -> np.ndarray:
    """Each image's affine map (N, 2, 3): its 2x2 linear part, then its translation.

    Coordinates are x across and y down, with pixel centres at whole numbers. The map scales,
    slants and rotates about the image's centre of mass, then shifts; where the ink would come
    nearer the frame's edge than `FRAME_MARGIN` pixels (or than it was), the map is shrunk and
    the shift cut short.
    """
    count = len(images)
    ones = np.ones(SIZE, dtype=np.float32)
    across, down = (ones @ images).astype(np.float64), (images @ ones).astype(np.float64)  # column and row sums
    mass = across.sum(axis=1)
    blank = mass == 0
    centre = np.stack([across, down], axis=1) @ np.arange(SIZE)  # (N, 2): x, then y
    centre = np.where(blank[:, None], (SIZE - 1) / 2, centre / np.where(blank, 1.0, mass)[:, None])

    cosine, sine = np.cos(np.radians(rotation)), np.sin(np.radians(rotation))
    linear = np.empty((count, 2, 2))
    linear[:, 0, 0], linear[:, 0, 1], linear[:, 1, 0], linear[:, 1, 1] = cosine, sine, -sine, cosine  # anticlockwise
    shear = np.zeros((count, 2, 2))
    shear[:, 0, 0] = shear[:, 1, 1] = 1.0
    shear[:, 0, 1] = -slant  # x moves by -slant * y: above the centre (y < 0), to the right
    linear = linear @ shear * scale[:, None, :]  # the width and the height are scaled first

    # The ink's bounding box, carried by the map, must fit between the margins.
    threshold = np.maximum(INK_THRESHOLD * images.max(axis=(1, 2)), np.finfo(np.float32).tiny)[:, None]
    columns, rows = across >= threshold, down >= threshold
    left, right = columns.argmax(1), SIZE - 1 - columns[:, ::-1].argmax(1)
    top, bottom = rows.argmax(1), SIZE - 1 - rows[:, ::-1].argmax(1)
    corners = np.stack([np.stack([x, y], 1) for x in (left, right) for y in (top, bottom)], 2) - centre[:, :, None]
    corners[blank] = 0.0
    moved = linear @ corners  # (N, 2, 4): the corners after the map, about the centre of mass
    low, high = moved.min(axis=2), moved.max(axis=2)
    margin = np.minimum(FRAME_MARGIN, np.stack([left, top, SIZE - 1 - right, SIZE - 1 - bottom]).min(axis=0))[:, None]
    room = SIZE - 1 - 2 * margin
    shrink = np.minimum(1.0, room[:, 0] / np.maximum(high - low, 1e-9).max(axis=1))
    linear *= shrink[:, None, None]
    low, high = low * shrink[:, None], high * shrink[:, None]
    target = np.clip(centre + shift, margin - low, SIZE - 1 - margin - high)
    translation = target - (linear @ centre[:, :, None])[:, :, 0]
    return np.concatenate([linear, translation[:, :, None]], axis=2)


def _draw(
    images: np.ndarray,
    maps: np.ndarray,
    elastic: np.ndarray,
    smoothness: float,
    stroke: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Resample up to `CHUNK` images (N, 28, 28) through their affine maps and elastic displacements,
    then change the width of their strokes.

    The images are stacked into one tall image with blank rows between them, so that each step
    is one OpenCV call for them all.
    """
    count = len(images)
    order = np.argsort(stroke, kind="stable")  # thinner first, thicker last: each change is one block of rows
    maps, elastic, stroke = maps[order], elastic[order], stroke[order]
    tile = SIZE + GAP  # each image with GAP // 2 blank rows above and below it
    source = np.zeros((count, tile, SIZE), dtype=np.float32)
    source[:, GAP // 2 : -GAP // 2] = images[order]

    # Where each pixel takes its value from, x and y: its coordinates through the inverse map,
    # plus the displacement; y is counted from the top of the image's own rows, then moved to them.
    grid = np.arange(SIZE, dtype=np.float64)
    inverse = np.linalg.inv(maps[:, :, :2])
    offset = -(inverse @ maps[:, :, 2:])[:, :, 0]
    offset[:, 1] += GAP // 2
    coordinates = np.empty((2, count, tile, SIZE), dtype=np.float32)
    coordinates[0][:, : GAP // 2] = coordinates[0][:, -GAP // 2 :] = OUTSIDE  # the blank rows stay blank
    coordinates[1][:, : GAP // 2] = coordinates[1][:, -GAP // 2 :] = 0.0
    inside = coordinates[:, :, GAP // 2 : -GAP // 2]
    for axis in (0, 1):
        across = (inverse[:, axis, 0, None] * grid).astype(np.float32)[:, None, :]
        down = (inverse[:, axis, 1, None] * grid + offset[:, axis, None]).astype(np.float32)[:, :, None]
        np.add(across, down, out=inside[axis])
    wobbly = np.flatnonzero(elastic)
    if len(wobbly):
        inside[:, wobbly] += _displacement_fields(elastic[wobbly], smoothness, rng)
    # A source row beyond an image's own rows is one of its blank rows, never its neighbour's.
    np.clip(inside[1], 0, tile - 1, out=inside[1])
    inside[1] += (tile * np.arange(count, dtype=np.float32))[:, None, None]
    strip = cv2.remap(
        source.reshape(-1, SIZE),
        coordinates[0].reshape(-1, SIZE),
        coordinates[1].reshape(-1, SIZE),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    result = np.empty_like(images)
    result[order] = _change_stroke_width(strip, stroke)
    return result


def _change_stroke_width(strip: np.ndarray, change: np.ndarray) -> np.ndarray:
    """The images (N, 28, 28) stacked in `strip`, GAP // 2 blank rows around each, with their strokes
    thickened (change > 0) or thinned (< 0) by `change` pixels of width; `change` is in ascending
    order. The result is a view of `strip`, which is changed.

    The images are enlarged to twice the size, where the 3x3 cross moves each edge of a stroke by
    one pixel (half a pixel at 28x28, so a pixel of width) and the 5x5 disc by two; eroded or
    dilated, they are reduced back by averaging, and each image blends the two levels nearest its
    change. Each block of images is eroded or dilated only as far as its changes need.
    """
    tile = SIZE + GAP
    images = strip.reshape(-1, tile, SIZE)[:, GAP // 2 : -GAP // 2]
    thinner, thicker, thickest = (
        int(np.searchsorted(change, 0, side="left")),  # images before this one get thinner
        int(np.searchsorted(change, 0, side="right")),  # from this one on, thicker
        int(np.searchsorted(change, 1, side="right")),  # from this one on, thicker than the 3x3 cross makes them
    )

    def morphed(start: int, stop: int, operation, kernel: np.ndarray) -> np.ndarray:
        large = cv2.resize(
            strip[start * tile : stop * tile], (LARGE, 2 * (stop - start) * tile), interpolation=cv2.INTER_LINEAR
        )
        small = cv2.resize(operation(large, kernel), (SIZE, (stop - start) * tile), interpolation=cv2.INTER_AREA)
        return small.reshape(-1, tile, SIZE)[:, GAP // 2 : -GAP // 2]

    weight = np.abs(change).astype(np.float32)[:, None, None]
    if thinner:
        original, eroded = images[:thinner], morphed(0, thinner, cv2.erode, CROSS)
        # Thinning by a fraction f of the eroded level takes away f times the ink that level lost.
        ink = original.sum(axis=(1, 2), dtype=np.float64)
        lost = 1 - eroded.sum(axis=(1, 2), dtype=np.float64) / np.maximum(ink, 1e-9)
        fraction = np.minimum(weight[:thinner], (MAX_INK_LOSS / np.maximum(lost, MAX_INK_LOSS))[:, None, None])
        original += fraction.astype(np.float32) * (eroded - original)  # in place: `images` is a view of `strip`
    if thicker < len(change):
        original, dilated = images[thicker:], morphed(thicker, len(change), cv2.dilate, CROSS)
        widest = morphed(thickest, len(change), cv2.dilate, DISC) if thickest < len(change) else None
        original += np.minimum(weight[thicker:], 1) * (dilated - original)
        if widest is not None:
            dilated = dilated[thickest - thicker :]
            images[thickest:] = dilated + (weight[thickest:] - 1) * (widest - dilated)
    return images


def _displacement_fields(displacement: np.ndarray, smoothness: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth random displacements (2, N, 28, 28), across then down, in pixels, of about the given
    root-mean-square size along each axis and none on average over the frame: they bend the digit
    rather than move it, and fade to none at the frame's edge.

    As Simard et al. do, uniform noise from -1 to 1 is smoothed with a Gaussian. It is drawn on a
    grid twice as coarse as the frame (the field varies over `smoothness` pixels, so little is
    lost), as one long strip with a tile per image and axis, wider than the tiles so that no tile
    meets the strip's border; each tile is then centred on zero, scaled, and enlarged.
    """
    count = len(displacement)
    coarse, sigma = SIZE // 2, smoothness / 2  # sigma in coarse pixels
    reach = math.ceil(3 * sigma)
    kernel = cv2.getGaussianKernel(2 * reach + 1, sigma, cv2.CV_32F)
    noise = rng.random((2 * count * coarse, coarse + 2 * reach), dtype=np.float32)
    noise *= 2
    noise -= 1
    smooth = cv2.sepFilter2D(noise, -1, kernel, kernel, borderType=cv2.BORDER_REFLECT)[:, reach:-reach]
    tiles = smooth.reshape(2, count, coarse, coarse)
    tiles -= tiles.mean(axis=(2, 3), keepdims=True)  # a displacement shared by the whole digit would only move it
    size = np.sqrt((tiles**2).mean(axis=(0, 2, 3)))  # enlarging keeps the mean and, this smooth, the size
    tiles *= (displacement / np.maximum(size, 1e-12)).astype(np.float32)[:, None, None]
    large = cv2.resize(tiles.reshape(-1, coarse), (SIZE, 2 * count * SIZE), interpolation=cv2.INTER_LINEAR)
    large = large.reshape(2, count, SIZE, SIZE)
    large *= _taper()
    return large


@functools.cache
def _taper() -> np.ndarray:
    """A window (28, 28) that is 1 inside and falls to 0 at the frame's edge over `ELASTIC_TAPER` pixels:
    displacements that fade to none at the edge carry no ink out of the frame."""
    distance = np.minimum(np.arange(SIZE), SIZE - 1 - np.arange(SIZE))
    ramp = np.clip(distance / ELASTIC_TAPER, 0, 1)
    return np.minimum.outer(ramp, ramp).astype(np.float32)


def _blur_matrices(sigma: np.ndarray) -> np.ndarray:
    """Per sigma, the 28x28 matrix of a Gaussian blur along one axis, blank beyond the frame; 0 is none."""
    offsets = np.arange(-(SIZE - 1), SIZE)
    blurred = sigma > 0
    kernels = np.exp(-0.5 * (offsets / np.where(blurred, sigma, 1.0)[:, None]) ** 2)
    kernels = np.where(blurred[:, None], kernels / kernels.sum(axis=1, keepdims=True), offsets == 0)
    return kernels.astype(np.float32)[:, np.subtract.outer(np.arange(SIZE), np.arange(SIZE)) + SIZE - 1]


@functools.cache
def _low_resolution_matrices() -> np.ndarray:
    """Per side s (0 to 28), the 28x28 matrix that reduces a line of 28 pixels to s by averaging
    (OpenCV's INTER_AREA) and enlarges it back by linear interpolation (INTER_LINEAR)."""
    matrices = np.zeros((SIZE + 1, SIZE, SIZE), dtype=np.float32)
    matrices[SIZE] = np.eye(SIZE)
    pixels = np.arange(SIZE)
    for side in range(2, SIZE):
        width = SIZE / side  # each small pixel covers this many of the frame's
        starts = np.arange(side)[:, None] * width
        overlap = np.clip(np.minimum(starts + width, pixels + 1) - np.maximum(starts, pixels), 0, None)
        reduce = overlap / width  # (side, 28)
        position = np.clip((pixels + 0.5) / width - 0.5, 0, side - 1)
        below = np.floor(position).astype(int)
        above = np.minimum(below + 1, side - 1)
        enlarge = np.zeros((SIZE, side))
        np.add.at(enlarge, (pixels, below), 1 - (position - below))
        np.add.at(enlarge, (pixels, above), position - below)
        matrices[side] = enlarge @ reduce
    return matrices
