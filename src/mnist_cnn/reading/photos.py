"""Photographs of handwritten digits: a digit image rendered as a phone would capture it on paper.

A model trained on MNIST sees white strokes, centred and scaled, on pure black. Users show it
photos: dark ink on paper that is never quite white, ruled or squared, unevenly lit, blurred a
little and saved as JPEG. To measure what each of these does to the model, we render digits
(MNIST's 28x28, USPS's 16x16, any 2-D uint8 array with ink high on 0) as such photos under
named conditions, each changing one thing from a plain phone photo:

    photo = photograph(digit, "ruled", np.random.default_rng(0))     # RGB uint8 (H, W, 3)
    photos = photographs(x_test[:100], "shadow", seed=0)               # one photo per image

How a photo is made:

1. A frame 96-200 px on a side, not always square, filled with a paper colour.
2. For "ruled" and "squared", faint lines printed on the paper (they filter its colour).
3. The digit cropped to its ink, upscaled smoothly (cubic) to a height chosen as a fraction
   of the frame's, and turned into ink coverage by a soft threshold: the upscaled strokes
   then have a pen's even body and a thin anti-aliased edge. "rotated" turns it.
4. The ink laid on the paper with a random offset inside a margin: each pixel mixes paper
   colour and ink colour by the coverage.
5. For "shadow", the light falling off across the page (a multiplicative field).
6. The camera: a slight Gaussian blur, sensor noise and JPEG compression, all but "clean scan".

Every random choice comes from the `rng` given (or from `seed` and the image's index), so the
same seed gives byte-identical photos (with the same OpenCV: its JPEG encoder is part of the
result). One rng gives the same frame, placement, paper, ink and camera under every condition,
as far as the condition leaves them alone, so two conditions' photos of a digit differ only in
what the conditions change. Ranges are the constants below.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mnist_cnn.reading.opencv import cv2

CONDITIONS: dict[str, str] = {
    "clean scan": "black-ish ink on white paper, the digit large, sharp and noiseless, saved losslessly",
    "JPEG": "white, cream or light-grey paper, slight camera blur and sensor noise, JPEG quality 25-60",
    "ruled": "as JPEG, on ruled paper: faint blue lines that often cross the digit, sometimes a red margin line",
    "squared": "as JPEG, on squared paper: a faint blue or grey grid in both directions",
    "shadow": "as JPEG, with the light falling off across the page to 30-50 % of its brightest",
    "coloured ink": "as JPEG, in blue, red or green ink or grey pencil on white or cream paper",
    "small": "as JPEG, the digit only 12-20 % of the frame's height, anywhere on the page",
    "rotated": "as JPEG, the digit turned by 10-20 degrees either way",
}

# The frame and the digit in it.
FRAME_SIDE = (96, 200)  # pixels: the frame's height, and its width before a number widens it
FRAME_ASPECT = (0.75, 1.33)  # width / height
DIGIT_HEIGHT = (0.40, 0.60)  # the ink's height as a fraction of the frame's height
SMALL_DIGIT_HEIGHT = (0.12, 0.20)  # the same for "small"
MARGIN = 0.06  # least room between the ink and the frame's edge, as a fraction of the frame's height
MIN_MARGIN = 3  # pixels
PLACEMENT = 0.6  # the digits' offset from the middle, as a fraction of the room there is ("small": all of it)
CROP_PADDING = 2  # source pixels of paper kept around the ink before upscaling

# The strokes: coverage rises from 0 to 1 as the upscaled intensity (0-1) crosses a level.
INK_LEVEL = (0.35, 0.55)  # the level at the stroke's edge: lower, thicker strokes
INK_EDGE = 0.2  # the intensity over which coverage ramps up: the stroke edge's softness
STROKE_SMOOTHING = 0.4  # Gaussian sigma, in source pixels, applied after upscaling: smooth outlines, not pixel steps

# Colours, RGB, each channel drawn from its range.
CLEAN_PAPER = ((242, 255),) * 3
PAPERS = {
    "white": ((232, 252),) * 3,
    "cream": ((240, 252), (233, 246), (208, 228)),
    "light grey": ((190, 220),) * 3,  # white paper in dim indoor light
}
DARK_INK = (20, 60)  # grey level of black-ish ink
INK_TINT = 6  # each channel of dark ink may differ from its grey level by this much (blue-black, brown-black)
COLOURED_INKS = {
    "blue": ((20, 60), (40, 90), (120, 190)),
    "red": ((160, 210), (20, 60), (30, 70)),
    "green": ((20, 60), (100, 150), (40, 90)),
    "pencil": ((90, 140),) * 3,
}
COLOURED_INK_PAPERS = ("white", "cream")

# Ruled and squared paper.
RULE_COLOUR = ((150, 190), (180, 210), (230, 250))
RULE_WIDTH = (1, 3)  # pixels
RULE_SPACING = (0.5, 0.9)  # of the digit's height
MARGIN_LINE_CHANCE = 0.4
MARGIN_LINE_COLOUR = ((220, 250), (110, 150), (130, 175))  # red to pink
MARGIN_LINE_PLACE = (0.04, 0.15)  # from the left or right edge, as a fraction of the width
GRID_COLOURS = {"blue": ((160, 195), (185, 215), (230, 250)), "grey": ((165, 200),) * 3}
GRID_SPACING = (0.3, 0.6)  # of the digit's height
MIN_LINE_SPACING = 5  # pixels
SUBPIXEL_BITS = 4  # lines are drawn at 1/16-pixel positions

# The light and the camera.
SHADOW_FLOOR = (0.30, 0.50)  # the darkest part of the page, as a fraction of the brightest
SHADOW_EDGE_SOFTNESS = (0.04, 0.15)  # a cast shadow's edge width, as a fraction of the frame
CAMERA_BLUR = (0.4, 1.0)  # Gaussian sigma, pixels
SENSOR_NOISE = (1.5, 5.0)  # standard deviation, grey levels
JPEG_QUALITY = (25, 60)

# "rotated", and numbers.
ROTATION = (10.0, 20.0)  # degrees, either way
NUMBER_HEIGHT_JITTER = 0.08  # each digit's height within this fraction of the number's
NUMBER_VERTICAL_JITTER = 0.06  # each digit's centre shifted up or down by up to this fraction of the height
NUMBER_GAP = (0.08, 0.30)  # between neighbouring digits' ink, as a fraction of the digit height
MIN_GAP = 3  # pixels

Range = tuple[float, float]


def photograph(digit: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """One digit (2-D uint8, ink high on 0) as an RGB uint8 photo (H, W, 3) under `condition`."""
    return photograph_number([digit], condition, rng)


def photograph_number(digits: Sequence[np.ndarray], condition: str, rng: np.random.Generator) -> np.ndarray:
    """Several digits written left to right on one photo, with small gaps between them, as an RGB uint8 (H, W, 3)."""
    _check_condition(condition)
    if len(digits) == 0:
        raise ValueError("expected at least one digit to photograph, found none")
    digits = [_checked_digit(digit) for digit in digits]
    # One stream per stage, each drawn from whatever the condition: the same rng gives the same
    # frame, placement, paper and camera under every condition, so conditions differ only in their own change.
    streams = [np.random.default_rng(seed) for seed in rng.integers(2**63, size=6)]
    layout, paper_stream, ink_stream, lines_stream, light_stream, camera_stream = streams

    # The frame's height and the digits' size in it; the width comes once the ink's is known.
    height = int(layout.integers(FRAME_SIDE[0], FRAME_SIDE[1] + 1))
    size, aspect, level = layout.uniform(size=3)
    digit_height = _within(SMALL_DIGIT_HEIGHT if condition == "small" else DIGIT_HEIGHT, size) * height
    angle = _signed(layout, ROTATION)
    strokes = [
        _strokes(
            digit,
            digit_height * (1 + layout.uniform(-1, 1) * NUMBER_HEIGHT_JITTER),
            _within(INK_LEVEL, level),
            angle if condition == "rotated" else 0.0,
        )
        for digit in digits
    ]
    gaps = [max(MIN_GAP, round(layout.uniform(*NUMBER_GAP) * digit_height)) for _ in strokes[1:]]
    shifts = [layout.uniform(-1, 1) * NUMBER_VERTICAL_JITTER * digit_height for _ in strokes]

    # The frame: room for the row of digits and a margin all round.
    margin = max(MIN_MARGIN, round(MARGIN * height))
    row_width = sum(patch.shape[1] for patch in strokes) + sum(gaps)
    row_reach = max(patch.shape[0] / 2 + abs(shift) for patch, shift in zip(strokes, shifts))
    height = max(height, int(np.ceil(2 * (row_reach + margin))) + 1)
    width = int(np.clip(round(height * _within(FRAME_ASPECT, aspect)), *FRAME_SIDE))
    width = max(width, row_width + 2 * margin)

    # The ink's coverage of the frame: the row placed at random inside the margin, near the middle
    # (`PLACEMENT`) unless the digits are small.
    spread = 1.0 if condition == "small" else PLACEMENT
    across, down = (0.5 + spread * (layout.uniform(size=2) - 0.5)).tolist()
    left = margin + round(across * (width - 2 * margin - row_width))
    middle = margin + row_reach + down * (height - 2 * (margin + row_reach))
    coverage = np.zeros((height, width), np.float32)
    for patch, shift, gap in zip(strokes, shifts, [*gaps, 0]):
        top = round(middle + shift - patch.shape[0] / 2)
        coverage[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
        left += patch.shape[1] + gap

    # Paper, lines, ink, light, camera.
    clean = condition == "clean scan"
    paper_kinds = COLOURED_INK_PAPERS if condition == "coloured ink" else tuple(PAPERS)
    paper_kind = paper_kinds[int(paper_stream.integers(len(paper_kinds)))]
    image = np.empty((height, width, 3), np.float32)
    image[:] = _colour(paper_stream, CLEAN_PAPER if clean else PAPERS[paper_kind])
    if condition == "ruled":
        _rule(image, lines_stream, digit_height)
    if condition == "squared":
        _grid(image, lines_stream, digit_height)
    ink = _ink_colour(ink_stream, coloured=condition == "coloured ink")
    image = image * (1 - coverage[..., np.newaxis]) + ink * coverage[..., np.newaxis]
    if condition == "shadow":
        image *= _illumination(height, width, light_stream)[..., np.newaxis]
    if clean:
        return np.rint(image).clip(0, 255).astype(np.uint8)
    return _camera(image, camera_stream)


def photographs(images: np.ndarray, condition: str, seed: int = 0) -> list[np.ndarray]:
    """One photo per image (N, H, W) uint8; photo i depends only on `seed` and i, so a prefix renders the same."""
    _check_condition(condition)
    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images of shape (N, height, width), found {images.dtype} {images.shape}")
    return [photograph(image, condition, np.random.default_rng([seed, index])) for index, image in enumerate(images)]


def _check_condition(condition: str) -> None:
    if condition not in CONDITIONS:
        names = ", ".join(f'"{name}"' for name in CONDITIONS)
        raise ValueError(f"expected a condition among {names}, found {condition!r}")


def _checked_digit(digit: np.ndarray) -> np.ndarray:
    if not isinstance(digit, np.ndarray) or digit.ndim != 2 or digit.dtype != np.uint8:
        found = f"{digit.dtype} {digit.shape}" if isinstance(digit, np.ndarray) else type(digit).__name__
        raise ValueError(f"expected a digit as a 2-D uint8 array, ink high on 0, found {found}")
    if digit.max() == 0:
        raise ValueError(f"expected a digit with ink (values above 0), found a blank {digit.shape} image")
    return digit


def _within(bounds: Range, fraction: float) -> float:
    """The value `fraction` (0-1) of the way from the low bound to the high."""
    return bounds[0] + fraction * (bounds[1] - bounds[0])


def _signed(rng: np.random.Generator, magnitude: Range) -> float:
    """A value whose size is drawn from `magnitude` and whose sign is random."""
    return float(rng.choice([-1.0, 1.0]) * rng.uniform(*magnitude))


def _colour(rng: np.random.Generator, channels: Sequence[Range]) -> np.ndarray:
    """An RGB colour with each channel drawn from its range; equal ranges give a grey (one draw, tinted by noise)."""
    if all(channel == channels[0] for channel in channels):
        grey = rng.uniform(*channels[0])
        return np.clip(grey + rng.uniform(-2, 2, size=3), 0, 255).astype(np.float32)
    return np.array([rng.uniform(*channel) for channel in channels], np.float32)


def _ink_colour(rng: np.random.Generator, *, coloured: bool) -> np.ndarray:
    if coloured:
        names = list(COLOURED_INKS)
        return _colour(rng, COLOURED_INKS[names[rng.integers(len(names))]])
    grey = rng.uniform(*DARK_INK)
    return np.clip(grey + rng.uniform(-INK_TINT, INK_TINT, size=3), 0, 255).astype(np.float32)


def _strokes(digit: np.ndarray, height: float, level: float, angle: float) -> np.ndarray:
    """The digit's ink coverage (0-1, float32), `height` pixels tall, turned `angle` degrees, cropped to the ink.

    The digit is scaled to full intensity, cropped to its ink (with `CROP_PADDING` of paper),
    upscaled with cubic interpolation, smoothed (`STROKE_SMOOTHING`), and thresholded softly at
    `level`: coverage 0 below `level - INK_EDGE / 2`, 1 above `level + INK_EDGE / 2`.
    """
    intensity = digit.astype(np.float32) / float(digit.max())
    low = level - INK_EDGE / 2
    rows, columns = np.nonzero(intensity > low)
    ink = intensity[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
    ink = cv2.copyMakeBorder(ink, *(CROP_PADDING,) * 4, cv2.BORDER_CONSTANT, value=0)
    scale = max(height, 4.0) / (rows.max() - rows.min() + 1)
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    upscaled = cv2.resize(ink, size, interpolation=cv2.INTER_CUBIC if scale >= 1 else cv2.INTER_AREA)
    upscaled = cv2.GaussianBlur(upscaled, (0, 0), STROKE_SMOOTHING * scale)  # rounds off the source's pixel steps
    coverage = np.clip((upscaled - low) / INK_EDGE, 0, 1)
    if not coverage.any():
        raise ValueError(f"expected a digit with strokes, found too little ink in a {digit.shape} image to draw")
    if angle:
        coverage = _rotate(coverage, angle)
    return _crop(coverage)


def _rotate(coverage: np.ndarray, angle: float) -> np.ndarray:
    """`coverage` turned `angle` degrees (counter-clockwise) about its centre, on a canvas large enough to hold it."""
    side = int(np.ceil(np.hypot(*coverage.shape))) + 2
    canvas = np.zeros((side, side), np.float32)
    top, left = (side - coverage.shape[0]) // 2, (side - coverage.shape[1]) // 2
    canvas[top : top + coverage.shape[0], left : left + coverage.shape[1]] = coverage
    turn = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), angle, 1.0)
    return cv2.warpAffine(canvas, turn, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def _crop(coverage: np.ndarray) -> np.ndarray:
    rows, columns = np.nonzero(coverage > 1 / 255)
    return np.ascontiguousarray(coverage[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1])


def _lines(image: np.ndarray, colour: np.ndarray, width: int, positions: Sequence[float], *, vertical: bool) -> None:
    """Print full-length anti-aliased lines at sub-pixel `positions` (rows, or columns if `vertical`) on `image`.

    Printed ink filters the light the paper reflects, so a line multiplies the paper by its
    colour (as a fraction of white): on white paper it shows its own colour, on paper lit dimly
    (light grey) it stays as distinct.
    """
    mask = np.zeros(image.shape[:2], np.uint8)
    one = 1 << SUBPIXEL_BITS
    length = (image.shape[0] if vertical else image.shape[1]) * one
    for position in positions:
        at = int(round(position * one))
        start, end = ((at, 0), (at, length)) if vertical else ((0, at), (length, at))
        cv2.line(mask, start, end, 255, thickness=width, lineType=cv2.LINE_AA, shift=SUBPIXEL_BITS)
    alpha = mask[..., np.newaxis].astype(np.float32) / 255
    image *= 1 - alpha * (1 - colour / 255)


def _rule(image: np.ndarray, rng: np.random.Generator, digit_height: float) -> None:
    """Ruled paper: faint blue horizontal lines at a random phase, and sometimes a red margin line."""
    height, width = image.shape[:2]
    spacing = max(MIN_LINE_SPACING, rng.uniform(*RULE_SPACING) * digit_height)
    rows = np.arange(rng.uniform(0, spacing), height, spacing)
    _lines(image, _colour(rng, RULE_COLOUR), int(rng.integers(RULE_WIDTH[0], RULE_WIDTH[1] + 1)), rows, vertical=False)
    if rng.uniform() < MARGIN_LINE_CHANCE:
        place = rng.uniform(*MARGIN_LINE_PLACE) * width
        column = place if rng.uniform() < 0.5 else width - 1 - place
        _lines(image, _colour(rng, MARGIN_LINE_COLOUR), int(rng.integers(1, 3)), [column], vertical=True)


def _grid(image: np.ndarray, rng: np.random.Generator, digit_height: float) -> None:
    """Squared paper: a faint blue or grey grid, the same spacing both ways, at a random phase."""
    height, width = image.shape[:2]
    names = list(GRID_COLOURS)
    colour = _colour(rng, GRID_COLOURS[names[rng.integers(len(names))]])
    spacing = max(MIN_LINE_SPACING, rng.uniform(*GRID_SPACING) * digit_height)
    _lines(image, colour, 1, np.arange(rng.uniform(0, spacing), height, spacing), vertical=False)
    _lines(image, colour, 1, np.arange(rng.uniform(0, spacing), width, spacing), vertical=True)


def _illumination(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A light field (height, width) from 1.0 down to `SHADOW_FLOOR`: a gradient, a lamp's falloff or a shadow."""
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    y, x = rows / max(height - 1, 1), columns / max(width - 1, 1)
    direction = rng.uniform(0, 2 * np.pi)
    across = x * np.cos(direction) + y * np.sin(direction)  # distance along the light's fall
    kind = rng.integers(3)
    if kind == 0:  # a linear gradient: the page tilted away from the light
        field = -across
    elif kind == 1:  # a lamp beside the page: brightness falls with distance from it
        reach = rng.uniform(0.6, 1.2)
        field = -np.hypot(x - 0.5 + reach * np.cos(direction), y - 0.5 + reach * np.sin(direction))
    else:  # a cast shadow (a hand, the phone) with a soft edge through the middle of the page, on a slight gradient
        edge = rng.uniform(0.3, 0.7) * np.cos(direction) + rng.uniform(0.3, 0.7) * np.sin(direction)
        softness = rng.uniform(*SHADOW_EDGE_SOFTNESS)
        field = 1 / (1 + np.exp((across - edge) / softness)) - 0.3 * across
    field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
    floor = rng.uniform(*SHADOW_FLOOR)
    return (floor + (1 - floor) * field).astype(np.float32)


def _camera(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone camera's view of `image` (float RGB): slight blur, sensor noise, JPEG compression; uint8 RGB."""
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(*CAMERA_BLUR))
    image = image + rng.normal(0, rng.uniform(*SENSOR_NOISE), size=image.shape).astype(np.float32)
    pixels = np.rint(image).clip(0, 255).astype(np.uint8)
    quality = int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
    encoded, data = cv2.imencode(".jpg", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not encoded:
        raise RuntimeError(f"expected OpenCV to encode a {pixels.shape} image as JPEG, found it could not")
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
