"""Photographs of handwritten digits: a digit image rendered as a phone would capture it on paper.

A model trained on MNIST sees white strokes, centred and scaled, on pure black. Users show it
photos: dark ink on paper that is never quite white, ruled or squared, unevenly lit, blurred a
little and saved as JPEG. To measure what each of these does to the model, we render digits
(MNIST's 28x28, USPS's 16x16, any 2-D uint8 array with ink high on 0) as such photos under
named conditions, each changing one thing from a plain phone photo:

    photo = photograph(digit, "ruled", np.random.default_rng(0))     # RGB uint8 (H, W, 3)
    photos = photographs(x_test[:100], "shadow", seed=0)               # one photo per image
    joined = photograph_number([two, three], "JPEG", rng, touching=True)  # the strokes meet

How a photo is made:

1. A frame 96-200 px on a side, not always square, filled with a paper colour ("chalk": a
   board's, with smears of chalk dust).
2. For "ruled" and "squared", faint lines printed on the paper (they filter its colour); for
   "form box", a printed box around each digit, sometimes one of a row.
3. The digit cropped to its ink, upscaled smoothly (cubic) to a height chosen as a fraction
   of the frame's, and turned into ink coverage by a soft threshold: the upscaled strokes
   then have a pen's even body and a thin anti-aliased edge. "rotated" turns it.
4. The ink laid on the paper with a random offset inside a margin: each pixel mixes paper
   colour and ink colour by the coverage. "pencil" and "chalk" take grain out of the
   coverage; "neighbour" adds another writer's strokes cut by the frame's edge.
5. The light: for "shadow", falling off across the page (a multiplicative field); for
   "crease", a fold's line and a step in shade; for "glare", a patch of added light, up to white.
6. The lens and the sensor: for "perspective", the page tilted (a homography); for "defocus"
   and "motion blur", a disc or a line of blur; for "low light", dim, flat and noisy.
7. The camera: a slight Gaussian blur, sensor noise and JPEG compression, all but "clean scan".

Every random choice comes from the `rng` given (or from `seed` and the image's index), so the
same seed gives byte-identical photos (with the same OpenCV: its JPEG encoder is part of the
result). One rng gives the same frame, placement, paper, ink and camera under every condition,
as far as the condition leaves them alone, so two conditions' photos of a digit differ only in
what the conditions change: each stage has its own stream, and the changes added since the
first eight conditions (and a joined-up number's joins) draw from streams of their own, made
from the same seeds, so the first eight conditions' photos stayed byte-identical. Ranges are the
constants below.
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
    "perspective": "as JPEG, the page photographed at an angle: tilted 15-30 degrees away from the camera",
    "defocus": "as JPEG, out of focus: a disc of blur 6-12 % of the digit's height across",
    "motion blur": "as JPEG, the phone moving: a line of blur 5-12 % of the digit's height long, any direction",
    "glare": "as JPEG, with a bright soft-edged patch of light on the page that washes out part of the strokes",
    "crease": "as JPEG, on a page folded across: a thin darker or lighter line and a step in shade along it",
    "low light": "as JPEG, in a dark room: the page dim and flat, with strong sensor noise",
    "neighbour": "as JPEG, with another digit's strokes cut by the frame's edge beside the digit",
    "pencil": "as JPEG, in pencil: light grey graphite strokes with the paper's grain in them",
    "red pen": "as JPEG, in red ink on white or cream paper",
    "chalk": "light, grainy chalk strokes on a dark green or black board with smears of chalk dust",
    "form box": "as JPEG, the digit written in a printed box, sometimes touching it, sometimes one of a row",
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
JOIN_OVERLAP = (0.5, 1.0)  # a joined-up number's strokes overlap by this many stroke widths where they meet

# The lens: "perspective", "defocus", "motion blur".
TILT = (15.0, 30.0)  # degrees: the page tilted away from the camera about an axis in any direction
FIELD_OF_VIEW = 65.0  # degrees, across the frame's longer side: a phone's main camera
DEFOCUS_RADIUS = (0.03, 0.06)  # the disc of blur's radius, as a fraction of the digit's height
MOTION_LENGTH = (0.05, 0.12)  # the line of blur's length, as a fraction of the digit's height

# The light: "glare", "crease", "low light".
GLARE_SIZE = (0.15, 0.35)  # the patch's longer semi-axis, as a fraction of the digit's height
GLARE_ASPECT = (1.0, 2.0)  # longer over shorter semi-axis
GLARE_OFFSET = (0.35, 0.7)  # the patch's centre from the digit's, as a fraction of the digit's height: part of it only
GLARE_STRENGTH = (0.3, 0.8)  # the light the patch's middle adds, as a fraction of white
GLARE_EDGE = (0.4, 0.8)  # the soft edge's width, as a fraction of the semi-axes
CREASE_OFFSET = 0.3  # the fold passes this fraction of the digit's height from its centre, at most
CREASE_SHADE = (0.85, 0.95)  # the light on one side of the fold, as a fraction of the other side's
CREASE_VALLEY = (0.75, 0.9)  # the fold's own line multiplies the light by this where it is a valley (half the folds)
CREASE_RIDGE = (1.06, 1.15)  # ... and by this where it is a ridge catching the light
CREASE_WIDTH = (1.0, 2.5)  # pixels
LOW_LIGHT_GAIN = (0.25, 0.45)  # the page's brightness, as a fraction of the JPEG photo's
LOW_LIGHT_FLOOR = (8.0, 20.0)  # grey levels of stray light lifting the blacks: low contrast
LOW_LIGHT_NOISE = (8.0, 16.0)  # extra sensor noise, standard deviation in grey levels, before the camera's own

# The writing: "neighbour", "pencil", "red pen", "chalk", "form box".
NEIGHBOUR_INSIDE = (0.25, 0.6)  # the part of the neighbour's strokes inside the frame, across the edge
NEIGHBOUR_GAP = 0.15  # least room between the neighbour's ink and the digit's, as a fraction of the digit's height
NEIGHBOUR_ALONG = 0.3  # the neighbour's offset along the edge, as a fraction of its own extent
PENCIL_GREY = (100, 150)  # grey level of graphite
GRAIN = 0.7  # pixels: Gaussian sigma of the paper's or the board's grain
PENCIL_GRAIN = (0.3, 0.5)  # the most coverage the grain takes out of a pencil stroke
RED_PEN = ((170, 225), (25, 80), (35, 90))
BOARDS = {"green": ((25, 45), (50, 75), (40, 60)), "black": ((22, 40),) * 3}
CHALK = ((205, 245),) * 3
CHALK_GRAIN = (0.3, 0.6)  # the most coverage the grain takes out of a chalk stroke
CHALK_PRESSURE = (0.6, 0.9)  # the least of the slowly varying pressure along chalk strokes (the most is 1)
CHALK_SMEAR = (0.05, 0.15)  # the board's smears of chalk dust, as a fraction of the way to the chalk's colour
SMEAR_SIZE = 0.1  # of the frame's height: Gaussian sigma of the smears and the pressure's variation
BOX_PADDING = (0.05, 0.25)  # room between the ink and each side of its box, as a fraction of the digit's height
BOX_ASPECT = (0.7, 1.0)  # a box's least width, as a fraction of its height
BOX_TOUCH = 0.3  # chance that the digit touches one side of its box
BOX_ROW = 0.5  # chance that the box is one of a row across the frame
BOX_COLOURS = {"black": ((40, 90),) * 3, "blue": ((90, 140), (120, 170), (200, 240))}
BOX_LINE_WIDTH = (1, 2)  # pixels
WRITING = {"pencil": (PENCIL_GREY,) * 3, "red pen": RED_PEN, "chalk": CHALK}  # each kind of writing's colour

Range = tuple[float, float]
Point = tuple[float, float]
Place = tuple[int, int, int, int]  # a digit's top, left, height and width in the frame


def photograph(digit: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """One digit (2-D uint8, ink high on 0) as an RGB uint8 photo (H, W, 3) under `condition`."""
    return photograph_number([digit], condition, rng)


def photograph_number(
    digits: Sequence[np.ndarray], condition: str, rng: np.random.Generator, *, touching: bool = False
) -> np.ndarray:
    """Several digits written left to right on one photo, as an RGB uint8 (H, W, 3).

    The digits stand a small gap apart, or with `touching` are joined up: each digit's strokes
    meet the next's, overlapping by `JOIN_OVERLAP` stroke widths where they come closest.
    """
    _check_condition(condition)
    if len(digits) == 0:
        raise ValueError("expected at least one digit to photograph, found none")
    digits = [_checked_digit(digit) for digit in digits]
    # One stream per stage, each drawn from whatever the condition: the same rng gives the same
    # frame, placement, paper and camera under every condition, so conditions differ only in their own change.
    seeds = rng.integers(2**63, size=6)
    streams = [np.random.default_rng(seed) for seed in seeds]
    layout, paper_stream, ink_stream, lines_stream, light_stream, camera_stream = streams
    # The later conditions' own changes and the joins draw from streams of their own, spawned from the
    # same seeds: `rng` is drawn from as before, and the stages above stay as they were.
    change, joins = (np.random.default_rng(child) for child in np.random.SeedSequence(seeds.tolist()).spawn(2))

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

    # The frame: room for the row of digits and a margin all round; the row placed at random inside
    # the margin, near the middle (`PLACEMENT`) unless the digits are small.
    margin = max(MIN_MARGIN, round(MARGIN * height))
    row_reach = max(patch.shape[0] / 2 + abs(shift) for patch, shift in zip(strokes, shifts))
    height = max(height, int(np.ceil(2 * (row_reach + margin))) + 1)
    spread = 1.0 if condition == "small" else PLACEMENT
    across, down = (0.5 + spread * (layout.uniform(size=2) - 0.5)).tolist()
    middle = margin + row_reach + down * (height - 2 * (margin + row_reach))
    tops = [round(middle + shift - patch.shape[0] / 2) for patch, shift in zip(strokes, shifts)]
    if touching:
        gaps = [
            _joining_gap(first, second, second_top - first_top, joins)
            for first, second, first_top, second_top in zip(strokes, strokes[1:], tops, tops[1:])
        ]
    offsets = np.cumsum([0] + [patch.shape[1] + gap for patch, gap in zip(strokes, gaps)])
    row_start = int(offsets.min())
    row_width = int(max(offset + patch.shape[1] for offset, patch in zip(offsets, strokes))) - row_start
    width = int(np.clip(round(height * _within(FRAME_ASPECT, aspect)), *FRAME_SIDE))
    width = max(width, row_width + 2 * margin)

    # The ink's coverage of the frame, and each digit's place (top, left, height, width).
    left = margin + round(across * (width - 2 * margin - row_width)) - row_start
    coverage = np.zeros((height, width), np.float32)
    places = []
    for patch, top, offset in zip(strokes, tops, offsets.tolist()):
        region = coverage[top : top + patch.shape[0], left + offset : left + offset + patch.shape[1]]
        np.maximum(region, patch, out=region)  # joined-up digits' strokes overlap
        places.append((top, left + offset, *patch.shape))
    if condition == "neighbour":
        _add_neighbour(coverage, strokes[int(change.integers(len(strokes)))], change, digit_height)
    if condition in ("pencil", "chalk"):
        grain = PENCIL_GRAIN if condition == "pencil" else CHALK_GRAIN
        coverage *= 1 - change.uniform(*grain) * _field(coverage.shape, change, GRAIN)
    if condition == "chalk":
        lightest = change.uniform(*CHALK_PRESSURE)
        coverage *= lightest + (1 - lightest) * _field(coverage.shape, change, SMEAR_SIZE * height)

    # Paper, lines, ink, light, lens, camera.
    clean = condition == "clean scan"
    paper_kinds = COLOURED_INK_PAPERS if condition in ("coloured ink", "pencil", "red pen") else tuple(PAPERS)
    paper_kind = paper_kinds[int(paper_stream.integers(len(paper_kinds)))]
    image = np.empty((height, width, 3), np.float32)
    image[:] = _colour(paper_stream, CLEAN_PAPER if clean else PAPERS[paper_kind])
    if condition == "ruled":
        _rule(image, lines_stream, digit_height)
    if condition == "squared":
        _grid(image, lines_stream, digit_height)
    if condition == "form box":
        _form_boxes(image, places, change, digit_height)
    ink = _ink_colour(ink_stream, coloured=condition == "coloured ink")
    if condition in WRITING:
        ink = _colour(change, WRITING[condition])
    if condition == "chalk":  # a board in place of the paper, smeared with chalk dust
        image[:] = _colour(change, BOARDS[list(BOARDS)[int(change.integers(len(BOARDS)))]])
        smear = change.uniform(*CHALK_SMEAR) * _field(coverage.shape, change, SMEAR_SIZE * height)
        image += smear[..., np.newaxis] * (ink - image)
    image = image * (1 - coverage[..., np.newaxis]) + ink * coverage[..., np.newaxis]
    if condition == "shadow":
        image *= _illumination(height, width, light_stream)[..., np.newaxis]
    if condition == "crease":
        image *= _crease(height, width, _centre(places), change, digit_height)[..., np.newaxis]
    if condition == "glare":  # light added to paper and ink alike, up to the sensor's white
        glare = _glare(height, width, _centre(places), change, digit_height)
        image = np.minimum(image + 255 * glare[..., np.newaxis], 255)
    if condition == "perspective":
        image = _perspective(image, change, places, margin)
    if condition == "defocus":
        image = cv2.filter2D(image, -1, _disc(change.uniform(*DEFOCUS_RADIUS) * digit_height))
    if condition == "motion blur":
        length, angle = change.uniform(*MOTION_LENGTH) * digit_height, change.uniform(0, np.pi)
        image = cv2.filter2D(image, -1, _streak(length, angle))
    if condition == "low light":
        image = change.uniform(*LOW_LIGHT_FLOOR) + change.uniform(*LOW_LIGHT_GAIN) * image
        image += change.normal(0, change.uniform(*LOW_LIGHT_NOISE), size=image.shape).astype(np.float32)
    if clean:
        return np.rint(image).clip(0, 255).astype(np.uint8)
    return _camera(image, camera_stream)


def photographs(images: np.ndarray, condition: str, seed: int = 0, *, start: int = 0) -> list[np.ndarray]:
    """One photo per image (N, H, W) uint8; photo i depends only on `seed` and `start` + i, so a prefix renders
    the same, and `images[k:]` with `start=k` renders the photos from k on."""
    _check_condition(condition)
    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images of shape (N, height, width), found {images.dtype} {images.shape}")
    return [
        photograph(image, condition, np.random.default_rng([seed, start + index])) for index, image in enumerate(images)
    ]


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


def _stroke_width(coverage: np.ndarray) -> float:
    """The strokes' mean width in pixels: twice the inked area over the outline's length, as for a thin band."""
    mask = (coverage > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(cv2.arcLength(contour, closed=True) for contour in contours)
    return 2 * float(mask.sum()) / max(outline, 1.0)


def _joining_gap(first: np.ndarray, second: np.ndarray, drop: int, rng: np.random.Generator) -> int:
    """The gap between two digits' patches (negative: an overlap) at which their strokes meet.

    `second` stands `drop` pixels lower than `first`. In each row both have ink in, the paper
    between the first's rightmost ink and the second's leftmost; the gap makes the least of it an
    overlap of `JOIN_OVERLAP` stroke widths.
    """
    overlap = rng.uniform(*JOIN_OVERLAP) * min(_stroke_width(first), _stroke_width(second))
    shared = slice(max(0, drop), min(first.shape[0], drop + second.shape[0]))
    first_ink = first[shared] > 0.5
    second_ink = second[shared.start - drop : shared.stop - drop] > 0.5
    both = first_ink.any(axis=1) & second_ink.any(axis=1)
    after_first = first_ink[:, ::-1].argmax(axis=1)  # paper right of the first's rightmost ink
    before_second = second_ink.argmax(axis=1)  # paper left of the second's leftmost ink
    nearest = int((after_first + before_second)[both].min()) if both.any() else 0
    return round(-overlap - nearest)


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
    """Print full-length anti-aliased lines at sub-pixel `positions` (rows, or columns if `vertical`) on `image`."""
    length = image.shape[0] if vertical else image.shape[1]
    segments = [((at, 0), (at, length)) if vertical else ((0, at), (length, at)) for at in positions]
    _print(image, colour, width, segments)


def _print(image: np.ndarray, colour: np.ndarray, width: int, segments: Sequence[tuple[Point, Point]]) -> None:
    """Print anti-aliased straight lines from and to sub-pixel points (x, y) on `image`.

    Printed ink filters the light the paper reflects, so a line multiplies the paper by its
    colour (as a fraction of white): on white paper it shows its own colour, on paper lit dimly
    (light grey) it stays as distinct.
    """
    mask = np.zeros(image.shape[:2], np.uint8)
    one = 1 << SUBPIXEL_BITS
    for start, end in segments:
        start, end = [tuple(int(round(value * one)) for value in point) for point in (start, end)]
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


def _centre(places: Sequence[Place]) -> Point:
    """The middle (row, column) of the digits' places."""
    top, left, bottom, right = _extent(places)
    return (top + bottom - 1) / 2, (left + right - 1) / 2


def _extent(places: Sequence[Place]) -> tuple[int, int, int, int]:
    """The box around the digits' places: top, left, and bottom and right (each one past the last pixel)."""
    top, left = min(place[0] for place in places), min(place[1] for place in places)
    bottom, right = max(place[0] + place[2] for place in places), max(place[1] + place[3] for place in places)
    return top, left, bottom, right


def _field(shape: tuple[int, int], rng: np.random.Generator, size: float) -> np.ndarray:
    """Random values (0-1, float32) varying over about `size` pixels (a Gaussian's sigma), stretched to 0-1."""
    field = cv2.GaussianBlur(rng.random(shape, dtype=np.float32), (0, 0), size)
    return (field - field.min()) / max(float(np.ptp(field)), 1e-6)


def _add_neighbour(coverage: np.ndarray, strokes: np.ndarray, rng: np.random.Generator, digit_height: float) -> None:
    """Add another digit's strokes to `coverage`, beside the ink and cut by the frame's edge.

    The neighbour is `strokes` turned and perhaps mirrored, at the edge with the most room or any
    with room for `NEIGHBOUR_INSIDE` of it, `NEIGHBOUR_GAP` clear of the ink; the frame's edge
    cuts through its ink.
    """
    neighbour = np.rot90(strokes, int(rng.integers(4)))
    if rng.uniform() < 0.5:
        neighbour = neighbour[:, ::-1]
    inside = rng.uniform(*NEIGHBOUR_INSIDE) * neighbour.shape[1]
    # Each edge seen as the left one of the frame turned (a view: writing to it writes to `coverage`).
    views = [np.rot90(coverage, turns) for turns in range(4)]
    rooms = [int(np.flatnonzero(view.any(axis=0))[0] - NEIGHBOUR_GAP * digit_height) for view in views]
    roomy = [turns for turns, room in enumerate(rooms) if room >= NEIGHBOUR_INSIDE[0] * neighbour.shape[1]]
    turns = roomy[int(rng.integers(len(roomy)))] if roomy else int(np.argmax(rooms))
    view = views[turns]
    # The edge cuts the neighbour at an inked column: its ink reaches the edge.
    inked = np.flatnonzero(neighbour.max(axis=0) > 0.5)
    cut = int(inked[inked >= neighbour.shape[1] - min(inside, max(rooms[turns], 1))].min())
    rows = np.flatnonzero(view.any(axis=1))
    along = rng.uniform(-1, 1) * NEIGHBOUR_ALONG * neighbour.shape[0]
    top = round((rows[0] + rows[-1] - neighbour.shape[0]) / 2 + along)
    top = max(0, min(top, view.shape[0] - neighbour.shape[0]))
    part = neighbour[: view.shape[0] - top, cut:]
    region = view[top : top + part.shape[0], : part.shape[1]]
    np.maximum(region, part, out=region)


def _form_boxes(image: np.ndarray, places: Sequence[Place], rng: np.random.Generator, digit_height: float) -> None:
    """Print a box around each digit, as on a form: a row of boxes sharing their sides, sometimes across the frame.

    Each side stands `BOX_PADDING` from the ink (sometimes none: the digit touches it), a box is
    at least `BOX_ASPECT` as wide as it is tall, and digits of a number are parted midway.
    """
    height, width = image.shape[:2]
    names = list(BOX_COLOURS)
    colour = _colour(rng, BOX_COLOURS[names[int(rng.integers(len(names)))]])
    line_width = int(rng.integers(BOX_LINE_WIDTH[0], BOX_LINE_WIDTH[1] + 1))
    padding = rng.uniform(*BOX_PADDING, size=4) * digit_height  # top, bottom, left, right
    if rng.uniform() < BOX_TOUCH:
        padding[rng.integers(4)] = 0.0
    ordered = sorted(places, key=lambda place: place[1])
    inner = 2 * line_width + 2  # the box stays this far inside the frame
    top = max(inner, min(place[0] for place in places) - padding[0])
    bottom = min(height - 1 - inner, max(place[0] + place[2] - 1 for place in places) + padding[1])
    sides = [ordered[0][1] - padding[2]]
    sides += [(first[1] + first[3] + second[1]) / 2 for first, second in zip(ordered, ordered[1:])]
    sides.append(ordered[-1][1] + ordered[-1][3] - 1 + padding[3])
    least = rng.uniform(*BOX_ASPECT) * (bottom - top)
    sides[0] -= rng.uniform() * max(0.0, least - (sides[1] - sides[0]))  # a narrow box widened on either side
    sides[-1] = max(sides[-1], sides[-2] + least)
    sides[0] = min(sides[0], sides[1] - least)
    sides = [float(np.clip(side, inner, width - 1 - inner)) for side in sides]
    if rng.uniform() < BOX_ROW:  # more boxes on either side, as wide as the end ones, the row across the frame
        first, last = max(sides[1] - sides[0], least), max(sides[-1] - sides[-2], least)
        sides = [*np.arange(sides[0], 0, -first)[:0:-1], *sides, *np.arange(sides[-1], width, last)[1:]]
        across = (0.0, width - 1.0)
    else:
        across = (sides[0], sides[-1])
    overlap = line_width / 2  # each side goes on to the others' outer edge: printed corners are solid
    segments = [((across[0] - overlap, row), (across[1] + overlap, row)) for row in (top, bottom)]
    segments += [((side, top - overlap), (side, bottom + overlap)) for side in sides]
    _print(image, colour, line_width, segments)


def _crease(height: int, width: int, centre: Point, rng: np.random.Generator, digit_height: float) -> np.ndarray:
    """The light (height, width) on a page folded across near the digit: a step in shade and the fold's thin line."""
    angle = rng.uniform(0, np.pi)
    offset = rng.uniform(-1, 1) * CREASE_OFFSET * digit_height
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    across = (columns - centre[1]) * -np.sin(angle) + (rows - centre[0]) * np.cos(angle) - offset  # from the fold
    shade = rng.uniform(*CREASE_SHADE)
    light = 1 - (1 - shade) * np.clip(0.5 - across, 0, 1)  # one side in the shade, a pixel's step
    line = rng.uniform(*(CREASE_VALLEY if rng.uniform() < 0.5 else CREASE_RIDGE))
    on_line = np.clip(rng.uniform(*CREASE_WIDTH) / 2 + 0.5 - np.abs(across), 0, 1)
    return (light * (1 + (line - 1) * on_line)).astype(np.float32)


def _glare(height: int, width: int, centre: Point, rng: np.random.Generator, digit_height: float) -> np.ndarray:
    """The light a specular patch adds to each pixel, as a fraction of white (0-1, height x width): a soft ellipse.

    Its middle lies `GLARE_OFFSET` from the digit's centre, so that it covers part of the strokes.
    """
    direction = rng.uniform(0, 2 * np.pi)
    distance = rng.uniform(*GLARE_OFFSET) * digit_height
    middle_row, middle_column = centre[0] + distance * np.sin(direction), centre[1] + distance * np.cos(direction)
    longer = rng.uniform(*GLARE_SIZE) * digit_height
    shorter = longer / rng.uniform(*GLARE_ASPECT)
    angle = rng.uniform(0, np.pi)
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    along = (columns - middle_column) * np.cos(angle) + (rows - middle_row) * np.sin(angle)
    across = -(columns - middle_column) * np.sin(angle) + (rows - middle_row) * np.cos(angle)
    inside = np.clip((1 - np.hypot(along / longer, across / shorter)) / rng.uniform(*GLARE_EDGE), 0, 1)
    return (rng.uniform(*GLARE_STRENGTH) * inside * inside * (3 - 2 * inside)).astype(np.float32)  # smooth edge


def _perspective(image: np.ndarray, rng: np.random.Generator, places: Sequence[Place], margin: int) -> np.ndarray:
    """`image` (a page) as a camera sees it tilted by `TILT` degrees about an axis through its centre, in any direction.

    A pinhole camera with `FIELD_OF_VIEW` looks at the page's centre from where the centre keeps
    its scale; the paper beyond the frame is the edge's colour repeated (plain paper), so it fills
    the frame. The nearer side grows, the farther shrinks: parallel lines meet. Where the nearer
    side would grow past the frame, the camera steps back, as a person framing the writing does,
    until the digits' `places` are `margin` pixels inside it.
    """
    height, width = image.shape[:2]
    focal = 0.5 * max(height, width) / np.tan(np.radians(FIELD_OF_VIEW) / 2)
    direction = rng.uniform(0, 2 * np.pi)
    axis = np.array([np.cos(direction), np.sin(direction), 0.0]) * np.radians(rng.uniform(*TILT))
    rotation, _ = cv2.Rodrigues(axis)
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    camera = np.array([[focal, 0, centre[0]], [0, focal, centre[1]], [0, 0, 1]])
    from_centre = np.array([[1, 0, -centre[0]], [0, 1, -centre[1]], [0, 0, 1]])
    homography = camera @ np.column_stack([rotation[:, 0], rotation[:, 1], [0, 0, focal]]) @ from_centre
    top, left, bottom, right = _extent(places)
    corners = np.array([[[left, top]], [[right, top]], [[left, bottom]], [[right, bottom]]], np.float64)
    reach = np.abs(cv2.perspectiveTransform(corners, homography)[:, 0] - centre).max(axis=0)
    scale = min(1.0, *(np.maximum(centre - margin, 1) / np.maximum(reach, 1e-9)))
    step_back = np.array([[scale, 0, (1 - scale) * centre[0]], [0, scale, (1 - scale) * centre[1]], [0, 0, 1]])
    return cv2.warpPerspective(
        image, step_back @ homography, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _disc(radius: float) -> np.ndarray:
    """An out-of-focus lens's blur: a disc of `radius` pixels (anti-aliased), summing to 1."""
    reach = int(np.ceil(radius))
    rows, columns = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    disc = np.clip(radius + 0.5 - np.hypot(rows, columns), 0, 1).astype(np.float32)
    return disc / disc.sum()


def _streak(length: float, angle: float) -> np.ndarray:
    """A moving camera's blur: a line `length` pixels long at `angle` (radians), anti-aliased, summing to 1."""
    reach = int(np.ceil(length / 2)) + 1
    streak = np.zeros((2 * reach + 1, 2 * reach + 1), np.uint8)
    half = np.array([np.cos(angle), np.sin(angle)]) * length / 2
    start, end = (tuple(int(round(value * (1 << SUBPIXEL_BITS))) for value in reach + sign * half) for sign in (-1, 1))
    cv2.line(streak, start, end, 255, thickness=1, lineType=cv2.LINE_AA, shift=SUBPIXEL_BITS)
    return streak.astype(np.float32) / float(streak.sum())


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
