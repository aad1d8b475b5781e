"""Find the handwritten digits in a picture and prepare each one as MNIST's digits were prepared.

One preparation serves every picture of a digit: a phone photo of a page, a scan, a PNG (the
drawing pad, one white digit on black, takes only its last step, `to_mnist`, in
`drawing_pad.prepare_drawing`). `find_digits` returns the digits left to right, each a 28 x 28
uint8 image and its box in the picture; `prepare_digit` returns the one digit of a picture. The steps,
each an OpenCV operation (opencv-python-headless: fast, and 25 ms to import, where scikit-image
and scipy.ndimage take ten times as long; docs/handwriting.md):

1. **Ink, whatever its colour.** On light paper a pixel's ink is how dark its *darkest* colour
   channel is: blue, red or black ink is dark in some channel, while faint blue rules and cream
   paper stay fairly bright in all three. On a dark background (a blackboard, MNIST itself) the
   ink is the light part instead: how bright its brightest channel is.
2. **Even light.** The paper's brightness is estimated by a closing (the strokes filled in with
   the paper around them) and divided out, so a shadow or light falling off across the page
   leaves the paper uniformly white. Paper darker than a quarter of the brightest is taken for
   ink (a blot), not for shade.
3. **Ink or not.** A threshold between paper and ink (Otsu's, and at least a fraction of the
   strongest ink); specks are dropped.
4. **Lines are not digits.** Runs of ink that cross most of the picture's width or height (ruled
   and squared paper, a margin, the edge of a page) are taken out, and so are the sides of a
   printed box (a form's): thin straight runs meeting at sharp corners, or ending on rules, that
   close a box with others; the strokes they crossed are closed again.
5. **Digits.** The connected strokes, joined when they stand above one another (the bar of a 5,
   the two strokes of a 4), are the digits; marks much smaller than the largest are dropped, and
   so are marks cut by the picture's edge (a neighbour's writing) when others are not. Digits
   are ordered left to right.
6. **MNIST's normalisation.** Each digit's strokes are brought to MNIST's stroke width, the digit
   is fitted into a 20 x 20 box keeping its aspect ratio (anti-aliased), and placed in a 28 x 28
   frame with its centre of mass at the centre, light ink on black.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from mnist_cnn.data import IMAGE_SHAPE
from mnist_cnn.reading.opencv import cv2

DIGIT_BOX = 20  # MNIST fits each digit into a 20x20 box inside the 28x28 frame
WORKING_SIZE = 512  # larger pictures are shrunk to this many pixels on their longer side first
NEIGHBOURHOOD = 0.75  # of the picture's shorter side: where the ink is told from the paper around it
OUTSTANDING = 0.5  # percent of the pixels that stand out most from their neighbourhood, dark or light
SMALLEST_PHOTO = 64  # pictures smaller than this (on their longer side) are crops or scans: no shadow to remove
PAPER_WINDOW = 0.25  # the closing that estimates the paper spans this fraction of the shorter side
PAPER_SIZE = 64  # pixels on the shorter side of the copy the paper's light is estimated on
DARKEST_PAPER = 0.25  # paper in shade is at least this fraction as bright as the brightest paper
MIN_CONTRAST = 40  # of 255: below this difference between ink and paper, the picture is blank
INK_FRACTION = 0.3  # ink is at least this fraction of the strongest ink (after specks are dropped)
LINE_SPAN = 0.3  # a straight run of ink over this fraction of the picture's width or height may be part of a line
LINE_THICKNESS = 0.05  # ... where it is thinner than this fraction of the picture's shorter side
LINE_EXTENT = 0.75  # ... and such runs reach across this fraction of it
BOX_SIDE = 0.25  # a printed box's sides are straight runs over this fraction of the picture's shorter side
MEETING = 2  # ... and meet where one stops short of the other by this many times a line's greatest thickness
OVERSHOOT = 2  # pixels: ... and the other reaches it, neither going on past the other by more than this
SHORTEST_LINE = 16  # pixels: no line is looked for in a picture whose span gives less
SPECK = 0.05  # marks with less than this fraction of the largest mark's ink are specks
DIGIT_HEIGHT = 0.4  # a mark less tall than this fraction of the tallest is not a digit of a number
DIGIT_INK = 0.15  # ... nor one with less than this fraction of the most ink
BRIDGE = 0.25  # strokes this many stroke widths apart (on either side) are parts of one mark
STROKE_WIDTH = 2.2  # pixels, at the 20x20 box: about MNIST's (median 2.3 on its test digits)
MAX_INK = 0.35  # a prepared digit with more of its frame inked is a blot (MNIST's test digits: at most 0.33)

Box = tuple[int, int, int, int]  # left, top, width, height, in the picture's pixels
Run = tuple[int, int, int, int]  # a straight run of ink: its first and last pixel along it, then across it


class NoDigit(ValueError):
    """A picture in which no digit can be read; the message is one sentence for the user."""


@dataclass(frozen=True)
class Digit:
    """One digit found in a picture: as the network is shown it (28x28 uint8), and where it was.

    `strokes` is the mark's ink as found (uint8, ink high, at the working size) and `stroke_width`
    its strokes' width there: what `joined_numbers.frame` frames when the mark may be a joined-up number.
    """

    image: np.ndarray
    box: Box
    strokes: np.ndarray | None = field(default=None, repr=False, compare=False)
    stroke_width: float | None = field(default=None, repr=False, compare=False)


def prepare_digit(picture: Image.Image | np.ndarray) -> np.ndarray:
    """The one digit in `picture` as a 28x28 uint8 array like MNIST's: all its marks, read as one.

    Raises `NoDigit` for a blank picture or one with lines only; a blot is prepared as it is (`is_blot` tells).
    """
    return _found(picture, whole=True)[0].image


def find_digits(picture: Image.Image | np.ndarray) -> list[Digit]:
    """The digits in `picture`, left to right, each prepared like MNIST's (28x28 uint8) with its box.

    `picture` is a PIL image or an array (H, W) or (H, W, 3) of uint8. Raises `NoDigit`, with a
    sentence saying why, when there is no digit to read: a blank page, lines only, a blot.
    """
    return _found(picture, whole=False)


def _found(picture: Image.Image | np.ndarray, whole: bool) -> list[Digit]:
    digits = preparation_steps(picture, whole=whole).digits
    if whole:
        return digits
    readable = [digit for digit in digits if not is_blot(digit.image)]
    if not readable:
        raise NoDigit("no digit found: too much ink for a digit (a blot?)")
    return readable


@dataclass(frozen=True)
class PreparationSteps:
    """What each step of the preparation made of a picture, to look at (`preparation_steps`)."""

    picture: np.ndarray  # the picture at the working size, RGB or grayscale
    paper_and_ink: np.ndarray  # grayscale, dark ink on light paper, the light as it fell
    ink: np.ndarray  # how much ink each pixel holds (0 to 255), the light evened out
    mask: np.ndarray  # ink (255) or paper (0)
    marks: np.ndarray  # the same without lines
    digits: list[Digit]  # every group of marks prepared, left to right, blots included


def preparation_steps(picture: Image.Image | np.ndarray, *, whole: bool = False) -> PreparationSteps:
    """Prepare `picture` step by step (as `find_digits`, or with `whole` as `prepare_digit`), keeping each step."""
    colour = _as_array(picture)
    scale = min(1.0, WORKING_SIZE / max(colour.shape[:2]))
    if scale < 1:
        size = (max(1, round(colour.shape[1] * scale)), max(1, round(colour.shape[0] * scale)))
        colour = cv2.resize(colour, size, interpolation=cv2.INTER_AREA)
    gray = paper_and_ink(colour)
    ink = even_light(gray)
    mask = ink_or_not(ink)
    marks = remove_lines(mask)
    if not marks.any():
        raise NoDigit("no digit found: only lines (ruled or squared paper, or a page's edge)")
    digits = []
    for group in digit_groups(marks, whole):
        left, top, width, height = cv2.boundingRect(group)
        strokes = np.where(cv2.dilate(group, _disk(1)) > 0, ink, 0)[top : top + height, left : left + width]
        stroke_width = _stroke_width(group[top : top + height, left : left + width])
        box = tuple(round(value / scale) for value in (left, top, width, height))
        digits.append(Digit(to_mnist(strokes, stroke_width), box, strokes, stroke_width))
    return PreparationSteps(colour, gray, ink, mask, marks, digits)


def is_blot(image: np.ndarray) -> bool:
    """Whether a prepared 28x28 digit is more ink than MNIST's digits are: a blot or a filled shape."""
    return float(np.mean(image > 127)) > MAX_INK


def _as_array(picture: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(picture, Image.Image):
        if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
            background = Image.new("RGBA", picture.size, "white")
            picture = Image.alpha_composite(background, picture.convert("RGBA"))
        picture = np.asarray(picture.convert("RGB"))
    picture = np.asarray(picture)
    if picture.dtype != np.uint8 or picture.ndim not in (2, 3) or (picture.ndim == 3 and picture.shape[2] != 3):
        raise ValueError(
            f"Expected a uint8 picture of shape (H, W) or (H, W, 3), found {picture.dtype} {picture.shape}."
        )
    if min(picture.shape[:2]) < 1:
        raise NoDigit("no digit found: the image is empty (0 pixels)")
    return picture


def paper_and_ink(picture: np.ndarray) -> np.ndarray:
    """The picture in grayscale as dark ink on light paper, whatever the ink's colour.

    On light paper a pixel is as dark as its darkest colour channel (blue, red or black ink is
    dark in one channel at least; faint blue rules and cream paper are not); on a dark
    background (`is_dark_ink` tells) it is inverted from its brightest channel.
    """
    gray = picture if picture.ndim == 2 else cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY)
    dark_ink = is_dark_ink(gray)
    if picture.ndim == 3:  # channel by channel: numpy's reduction over the last axis is many times slower
        extreme = np.minimum if dark_ink else np.maximum
        gray = extreme(extreme(picture[..., 0], picture[..., 1]), picture[..., 2])
    return gray if dark_ink else 255 - gray


def even_light(gray: np.ndarray) -> np.ndarray:
    """How much ink each pixel of `paper_and_ink` holds, 0 (paper) to 255, the paper's uneven light divided out."""
    if max(gray.shape) < SMALLEST_PHOTO:  # a crop or a scan: its edge is the paper
        paper = np.full(gray.shape, np.median(_border(gray)), dtype=np.float32)
    else:
        # The paper's light varies slowly: estimated on a reduced copy, which is fast.
        window = cv2.getStructuringElement(cv2.MORPH_RECT, (_window(gray, PAPER_WINDOW),) * 2)
        paper = cv2.morphologyEx(_reduced(gray), cv2.MORPH_CLOSE, window)
        paper = _smooth(cv2.GaussianBlur(paper, (0, 0), _window(gray, PAPER_WINDOW) / 8), gray.shape)
        paper = paper.astype(np.float32)
        # Paper is never much darker than the brightest paper: a large dark patch is ink (a blot), not shade.
        paper = np.maximum(paper, DARKEST_PAPER * _percentiles(gray, (95,))[0])
    ink = 255 * (1 - gray.astype(np.float32) / np.maximum(paper, 1))
    return np.clip(ink, 0, 255).astype(np.uint8)


def is_dark_ink(gray: np.ndarray) -> bool:
    """Whether the ink in a grayscale picture is darker than its paper.

    The ink is what stands out most from the paper around it: the pixels that differ most from
    their neighbourhood's median, where the neighbourhood is most of the picture (larger than a
    bold digit; light falling off or a shadow changes the paper more slowly). A picture smaller
    than `SMALLEST_PHOTO` is a crop of a digit, whose edge is paper.
    """
    if max(gray.shape) < SMALLEST_PHOTO:
        return bool(np.median(_border(gray)) >= 128)
    neighbourhood = _smooth(cv2.medianBlur(_reduced(gray), _window(gray, NEIGHBOURHOOD)), gray.shape)
    difference = gray.astype(np.int16) - neighbourhood
    darker, lighter = _percentiles(difference, (OUTSTANDING, 100 - OUTSTANDING))
    return bool(-darker >= lighter)


def _percentiles(values: np.ndarray, percents: tuple[float, ...]) -> list[float]:
    """`np.percentile(values, percents)` of small integers (uint8, int16), counted from their histogram: the same
    numbers, with numpy's linear interpolation, several times faster."""
    flat = values.ravel()
    lowest = int(flat.min())
    at_most = np.cumsum(np.bincount(flat - lowest))  # how many values are at most lowest + index
    found = []
    for percent in percents:
        position = percent / 100 * (flat.size - 1)
        below = math.floor(position)
        fraction = position - below
        low, high = (int(np.searchsorted(at_most, rank, side="right")) + lowest for rank in (below, below + 1))
        high = high if below + 1 < flat.size else low
        step = high - low
        found.append(high - step * (1 - fraction) if fraction >= 0.5 else low + step * fraction)
    return found


def _reduced(gray: np.ndarray) -> np.ndarray:
    """A copy with `PAPER_SIZE` pixels on its shorter side, for estimates of what varies slowly."""
    reduction = max(1.0, min(gray.shape) / PAPER_SIZE)
    size = (round(gray.shape[1] / reduction), round(gray.shape[0] / reduction))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _window(gray: np.ndarray, fraction: float) -> int:
    """An odd window side, `fraction` of the reduced copy's shorter side."""
    return max(3, round(fraction * min(PAPER_SIZE, *gray.shape)) | 1)


def _smooth(reduced: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return cv2.resize(reduced, shape[::-1], interpolation=cv2.INTER_LINEAR)


def _border(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def ink_or_not(ink: np.ndarray) -> np.ndarray:
    """The pixels that are ink (255) or paper (0), from `even_light`'s map. Raises `NoDigit` if the picture is blank.

    The threshold is Otsu's, and at least `INK_FRACTION` of the strongest ink: faint marks
    beside a dark digit are not ink.
    """
    strongest = int(cv2.medianBlur(ink, 3).max()) if min(ink.shape) >= 3 else int(ink.max())  # no lone speck
    if strongest < MIN_CONTRAST:
        raise NoDigit(
            f"no digit found: the image is blank (ink and paper differ by {strongest} of 255, "
            f"expected at least {MIN_CONTRAST})"
        )
    otsu, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, mask = cv2.threshold(ink, max(otsu, INK_FRACTION * strongest, MIN_CONTRAST / 2), 255, cv2.THRESH_BINARY)
    return mask


def remove_lines(mask: np.ndarray) -> np.ndarray:
    """`mask` without long thin lines across it (rules, squares, margins) or boxes; crossed strokes closed again.

    A line is made of straight horizontal (or vertical) runs of ink, each over `LINE_SPAN` of the
    picture, thinner than `LINE_THICKNESS` of it, that together reach across `LINE_EXTENT` of it:
    a digit's straight stroke is shorter, and where a rule crosses a digit's bar the bar is
    thicker, and stays. A picture whose only mark is one such line is a "1", and keeps it. The
    sides of a printed box are lines too (`box_sides`).
    """
    height, width = mask.shape
    thick = max(3, round(LINE_THICKNESS * min(height, width))) + 1
    lines = np.zeros_like(mask)
    count = 0
    for span, horizontal in ((width, True), (height, False)):
        length = round(LINE_SPAN * span)
        if length < SHORTEST_LINE:  # a picture this small is a crop of a digit, not a page
            continue
        pieces = _straight_pieces(mask, length, thick, horizontal)
        if pieces is not None:
            labels, stats = pieces
            long = stats[:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT] >= LINE_EXTENT * span
            long[0] = False  # the background
            lines |= np.where(long[labels], 255, 0).astype(np.uint8)
            count += int(long.sum())
    sides = box_sides(mask, thick)
    if sides.any():
        lines |= sides
        count += 2  # sides come in pairs: not a lone "1"
    if not lines.any():
        return mask
    # Widen each line by a pixel (its anti-aliased edge), remove it, then close the gaps it left in
    # the strokes that crossed it, across the line only.
    thickness = max(3, 2 * _line_thickness(lines) + 1)
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    remaining = cv2.bitwise_and(mask, cv2.bitwise_not(lines))
    closed = remaining.copy()
    for kernel in ((thickness, 1), (1, thickness)):  # numpy shapes: (rows, columns)
        closed |= cv2.morphologyEx(remaining, cv2.MORPH_CLOSE, np.ones(kernel, np.uint8)) & lines
    return mask if count == 1 and not closed.any() else closed


def _thin_runs(
    mask: np.ndarray, length: int, thick: int, horizontal: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The thin straight runs of ink along rows (or columns): labels, stats and which pieces count, or None if none.

    Runs are at least `length` long and thinner than `thick`; pieces of them shorter than half a
    run are a stroke's tapering ends and do not count.
    """
    along, across = ((length, 1), (1, thick)) if horizontal else ((1, length), (thick, 1))  # (width, height)
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, along))
    if not runs.any():
        return None
    # Where a stroke's ragged edge makes long runs in every other column, the runs are one area.
    runs = cv2.morphologyEx(runs, cv2.MORPH_CLOSE, np.ones((3, 1) if horizontal else (1, 3), np.uint8))
    thin = runs & ~cv2.morphologyEx(runs, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, across))
    if not thin.any():
        return None
    _, labels, stats, _ = cv2.connectedComponentsWithStats(thin, connectivity=8)
    kept = stats[:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT] >= length // 2
    kept[0] = False
    return (labels, stats, kept) if kept.any() else None


def _straight_pieces(
    mask: np.ndarray, length: int, thick: int, horizontal: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """The thin straight runs of ink along rows (or columns), bridged into pieces: labels and stats, or None if none.

    Runs are as `_thin_runs` counts them; pieces in line are one (a rule broken where it crosses
    a digit's bar, or where it is faint). The labels are on the runs' pixels only.
    """
    height, width = mask.shape
    found = _thin_runs(mask, length, thick, horizontal)
    if found is None:
        return None
    labels, _, kept = found
    thin = np.where(kept[labels], 255, 0).astype(np.uint8)
    gap = (width // 2, 1) if horizontal else (1, height // 2)
    bridged = cv2.morphologyEx(thin, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, gap))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(bridged, connectivity=8)
    labels[thin == 0] = 0
    return labels, stats


def box_sides(mask: np.ndarray, thick: int) -> np.ndarray:
    """The sides of printed boxes in `mask` (255): thin straight runs that close a box with others.

    A side is a thin straight run (over `BOX_SIDE` of the picture's shorter side, thinner than
    `thick`) whose two ends meet two runs across it, at their ends (a box's corners) or anywhere
    along a line across the picture (a row of boxes between two rules), where another such run
    meets the same two. The runs the sides meet are the box's too. A digit's straight stroke
    inside a box meets its sides away from their ends, and a digit's loop goes on round its
    corners (`_meets`); a straight stroke between two rules has no partner.
    """
    height, width = mask.shape
    sides = np.zeros_like(mask)
    length = round(BOX_SIDE * min(height, width))
    if length < SHORTEST_LINE:
        return sides
    pieces = []
    for horizontal in (True, False):
        found = _thin_runs(mask, length, thick, horizontal)
        if found is None or np.count_nonzero(found[2]) < 2:  # a box has two runs each way at least
            return sides
        pieces.append(found)
    runs: list[dict[int, Run]] = [{}, {}]  # along rows, along columns: each run's extent
    members: list[dict[int, list[int]]] = [{}, {}]  # ... and its pieces
    lines: list[set[int]] = [set(), set()]  # the runs that are lines across the picture
    for direction, ((_, stats, kept), span) in enumerate(zip(pieces, (width, height))):
        for index, (run, run_pieces) in enumerate(_runs_in_line(stats, kept, direction == 0, span // 2)):
            runs[direction][index], members[direction][index] = run, run_pieces
            if run[1] - run[0] + 1 >= LINE_EXTENT * span:
                lines[direction].add(index)
    found: list[set[int]] = [set(), set()]
    for direction in (0, 1):
        crossings = runs[1 - direction]
        meetings = {}  # each run that is not a line: the pairs of runs across it that its two ends meet
        for piece, run in runs[direction].items():
            if piece in lines[direction]:
                continue
            first, second = (
                {
                    other
                    for other, crossing in crossings.items()
                    if _meets(run, last, crossing, thick, anywhere=other in lines[1 - direction])
                }
                for last in (False, True)
            )
            meetings[piece] = {(one, two) for one in first for two in second if one != two}
        for piece, pairs in meetings.items():
            shared = set().union(*(pairs & others for other, others in meetings.items() if other != piece))
            if shared:
                found[direction].add(piece)
                found[1 - direction].update(crossing for pair in shared for crossing in pair)
    for (labels, _, _), run_pieces, sides_found in zip(pieces, members, found):
        sides[np.isin(labels, [piece for run in sides_found for piece in run_pieces[run]])] = 255
    return sides


def _runs_in_line(stats: np.ndarray, kept: np.ndarray, horizontal: bool, gap: int) -> list[tuple[Run, list[int]]]:
    """The counted pieces of thin runs (`_thin_runs`) joined where in line and less than `gap` apart: each run's
    extent and pieces. A side broken where a stroke touches it, or where it is faint, is one run."""
    joined: list[tuple[Run, list[int]]] = []
    for piece in np.flatnonzero(kept).tolist():
        left, top, width, height = stats[piece, :4].tolist()
        run = (left, left + width - 1, top, top + height - 1)
        if not horizontal:
            run = (top, top + height - 1, left, left + width - 1)
        for index, (other, pieces) in enumerate(joined):
            in_line = run[2] <= other[3] + 1 and other[2] <= run[3] + 1
            if in_line and run[0] - other[1] <= gap and other[0] - run[1] <= gap:
                extent = (min(run[0], other[0]), max(run[1], other[1]), min(run[2], other[2]), max(run[3], other[3]))
                joined[index] = (extent, [*pieces, piece])
                break
        else:
            joined.append((run, [piece]))
    return joined


def _meets(run: Run, last: bool, crossing: Run, thick: int, anywhere: bool) -> bool:
    """Whether `run`'s first (or `last`) end meets `crossing`, a run across it, whose lines are thinner than `thick`.

    With `anywhere` (`crossing` is a line across the picture), `run` ends on it, touching it, at
    any point along it. Otherwise they meet at a corner: neither goes on past the other by more
    than `OVERSHOOT`, one reaches the other (within `OVERSHOOT`), and the other stops short by
    `MEETING` times `thick` at most (a faint line is broken): a digit's rounded loop leaves both
    of its straight runs short of the corner.
    """
    short, past = _gap(run, last, crossing)
    if anywhere:
        return short <= 1 and past <= OVERSHOOT and crossing[0] <= run[3] + 1 and run[2] <= crossing[1] + 1
    crossing_short, crossing_past = min((_gap(crossing, end, run) for end in (False, True)), key=max)  # its nearer end
    return (
        max(past, crossing_past) <= OVERSHOOT
        and min(short, crossing_short) <= OVERSHOOT
        and max(short, crossing_short) <= MEETING * thick
    )


def _gap(run: Run, last: bool, crossing: Run) -> tuple[int, int]:
    """How far `run`'s first (or `last`) end stops short of `crossing`, a run across it, and goes on past it."""
    low, high = crossing[2], crossing[3]  # the crossing's pixels across it, along `run`
    return (low - run[1], run[1] - high) if last else (run[0] - high, low - run[0])


def _line_thickness(lines: np.ndarray) -> int:
    distances = cv2.distanceTransform(lines, cv2.DIST_L2, 3)
    return max(1, round(2 * float(np.percentile(distances[lines > 0], 90))))


def digit_groups(mask: np.ndarray, whole: bool = False) -> list[np.ndarray]:
    """The digits' masks, left to right: marks joined when they stand above one another, specks dropped.

    Strokes broken by a gap narrower than about half a stroke's width count as one mark. With
    `whole`, every mark that is not a speck counts, as one digit. Otherwise, in a picture of
    `SMALLEST_PHOTO` or more, marks cut by its edge are a neighbour's writing and are dropped
    when other marks are not.
    """
    bridge = max(1, round(BRIDGE * _stroke_width(mask)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask, _disk(bridge)), connectivity=8)
    labels[mask == 0] = 0
    areas = np.bincount(labels.ravel(), minlength=count)[1:]
    marks = [index + 1 for index in np.flatnonzero(areas >= SPECK * areas.max())]
    if whole:
        return [np.where(np.isin(labels, marks), 255, 0).astype(np.uint8)]
    if max(mask.shape) >= SMALLEST_PHOTO:
        cut = set(np.unique(_border(labels)).tolist())
        marks = [mark for mark in marks if mark not in cut] or marks
    groups: list[list[int]] = []  # marks whose columns overlap are parts of one digit
    for mark in sorted(marks, key=lambda mark: stats[mark, cv2.CC_STAT_LEFT]):
        left, width = stats[mark, cv2.CC_STAT_LEFT], stats[mark, cv2.CC_STAT_WIDTH]
        if groups and _overlap(stats, groups[-1], left, width):
            groups[-1].append(mark)
        else:
            groups.append([mark])
    heights = [_span(stats, group, cv2.CC_STAT_TOP, cv2.CC_STAT_HEIGHT) for group in groups]
    inks = [int(areas[np.array(group) - 1].sum()) for group in groups]
    return [
        np.where(np.isin(labels, group), 255, 0).astype(np.uint8)
        for group, height, ink in zip(groups, heights, inks)
        if height >= DIGIT_HEIGHT * max(heights) and ink >= DIGIT_INK * max(inks)
    ]


def _span(stats: np.ndarray, group: list[int], start: int, length: int) -> int:
    return int(max(stats[group, start] + stats[group, length]) - min(stats[group, start]))


def _overlap(stats: np.ndarray, group: list[int], left: int, width: int) -> bool:
    """Whether a mark at columns [left, left + width) overlaps half of itself or of the group."""
    group_left = int(min(stats[group, cv2.CC_STAT_LEFT]))
    group_right = group_left + _span(stats, group, cv2.CC_STAT_LEFT, cv2.CC_STAT_WIDTH)
    shared = min(group_right, left + width) - max(group_left, left)
    return shared >= 0.5 * min(width, group_right - group_left)


def _stroke_width(mask: np.ndarray) -> float:
    """The strokes' mean width in pixels: twice the area over the outline's length, as for a thin band."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(cv2.arcLength(contour, closed=True) for contour in contours)
    return 2 * float(np.count_nonzero(mask)) / max(outline, 1.0)


def to_mnist(strokes: np.ndarray, stroke_width: float | None = None) -> np.ndarray:
    """A digit's ink (uint8, any size, ink high) as MNIST's: in the 20x20 box, centred by mass, in 28x28.

    With `stroke_width` (in `strokes`' pixels), thin strokes are first thickened to MNIST's width
    at the box's scale (a pen's line in a large photo would otherwise shrink to a faint hairline).
    """
    digit = fitted(strokes, stroke_width, (DIGIT_BOX, DIGIT_BOX))
    frame = np.zeros(IMAGE_SHAPE, dtype=np.float32)
    rows, columns = np.indices(digit.shape)
    total = max(float(digit.sum()), 1.0)
    centre_row, centre_column = (rows * digit).sum() / total, (columns * digit).sum() / total
    top = int(np.clip(round(IMAGE_SHAPE[0] / 2 - centre_row), 0, IMAGE_SHAPE[0] - digit.shape[0]))
    left = int(np.clip(round(IMAGE_SHAPE[1] / 2 - centre_column), 0, IMAGE_SHAPE[1] - digit.shape[1]))
    frame[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return np.clip(frame, 0, 255).astype(np.uint8)


def fitted(strokes: np.ndarray, stroke_width: float | None, box: tuple[int, int]) -> np.ndarray:
    """Ink (uint8, ink high) scaled to fit a box (height, width) keeping its aspect ratio, its strongest ink 255.

    With `stroke_width` (in `strokes`' pixels), thin strokes are first thickened to MNIST's width at
    the box's scale (a pen's line in a large photo would otherwise shrink to a faint hairline).
    Returns float32.
    """
    scale = min(box[0] / strokes.shape[0], box[1] / strokes.shape[1])
    if stroke_width is not None and stroke_width * scale < STROKE_WIDTH:
        grow = round((STROKE_WIDTH / scale - stroke_width) / 2)
        if grow > 0:
            strokes = cv2.dilate(cv2.copyMakeBorder(strokes, *[grow] * 4, cv2.BORDER_CONSTANT, 0), _disk(grow))
            scale = min(box[0] / strokes.shape[0], box[1] / strokes.shape[1])
    size = (max(1, round(strokes.shape[1] * scale)), max(1, round(strokes.shape[0] * scale)))
    fit = cv2.resize(strokes, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return fit.astype(np.float32) * (255 / max(float(fit.max()), 1.0))


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
