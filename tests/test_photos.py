"""The photo renderer: every condition gives a plausible RGB photo, reproducibly, with the property it is named for.

The digits are drawn here (a ring, a bar, a hook) at MNIST's 28x28 and USPS's 16x16, so the tests
need no data set. Ink is found as the pixels much darker than the paper around them.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mnist_cnn.reading import photos
from mnist_cnn.reading.photos import CONDITIONS, photograph, photograph_number, photographs

SEEDS = range(6)


def drawn(kind: str, side: int = 28) -> np.ndarray:
    """A soft-edged digit-like shape, ink high on 0, on a `side` x `side` uint8 image (MNIST's layout at 28)."""
    scale = 8 * side / 28  # drawn 8 times larger, then shrunk: anti-aliased like the data sets' strokes
    canvas = np.zeros((round(side * 8), round(side * 8)), np.uint8)
    thickness = round(2.5 * scale)
    if kind == "ring":
        centre, axes = (round(14 * scale), round(14 * scale)), (round(5 * scale), round(8 * scale))
        cv2.ellipse(canvas, centre, axes, 0, 0, 360, 255, thickness)
    elif kind == "bar":
        cv2.line(canvas, (round(14 * scale), round(4 * scale)), (round(14 * scale), round(24 * scale)), 255, thickness)
    elif kind == "square":  # a square outline: its sides show how the camera sees straight, parallel lines
        cv2.rectangle(
            canvas, (round(5 * scale), round(5 * scale)), (round(23 * scale), round(23 * scale)), 255, thickness
        )
    else:  # a hook, like a 7
        points = np.array([[8, 5], [20, 5], [12, 24]]) * scale
        cv2.polylines(canvas, [points.round().astype(np.int32)], False, 255, thickness)
    return cv2.resize(canvas, (side, side), interpolation=cv2.INTER_AREA)


DIGITS = {"ring": drawn("ring"), "bar": drawn("bar"), "hook": drawn("hook"), "small ring": drawn("ring", 16)}


def grey(photo: np.ndarray) -> np.ndarray:
    return photo.astype(np.float32).mean(axis=2)


def ink(photo: np.ndarray) -> np.ndarray:
    """The ink as a mask: pixels under 60 % of the local paper brightness (a wide median), so shadows do not count."""
    brightness = grey(photo)
    paper = cv2.medianBlur(brightness.astype(np.uint8), 2 * (min(photo.shape[:2]) // 4) + 1).astype(np.float32)
    return brightness < 0.6 * paper


def box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the mask's true pixels, inclusive."""
    rows, columns = np.nonzero(mask)
    return rows.min(), rows.max(), columns.min(), columns.max()


# Every condition.


# Those whose ink is not all inside the frame (a neighbour's, a row of boxes), or not dark on light (chalk).
NOT_DARK_INK_INSIDE = ["neighbour", "chalk", "form box"]


def test_conditions_are_the_documented_ones_in_order():
    """docs/handwriting.md's table of the benchmark, per condition, lists every condition in `CONDITIONS`' order."""
    guide = (Path(__file__).parents[1] / "docs" / "handwriting.md").read_text(encoding="utf-8")
    table = guide.split("| condition | original model | robust model |\n|---|---|---|\n", 1)[1].split(
        "| all conditions"
    )[0]
    assert [row.split(" | ")[0].removeprefix("| ") for row in table.splitlines()] == list(CONDITIONS)
    assert all(isinstance(text, str) and text and "\n" not in text for text in CONDITIONS.values())


@pytest.mark.parametrize("condition", [condition for condition in CONDITIONS if condition not in NOT_DARK_INK_INSIDE])
@pytest.mark.parametrize("name", DIGITS)
def test_each_condition_gives_an_rgb_photo_of_dark_ink_on_light_paper(condition, name):
    for seed in SEEDS:
        photo = photograph(DIGITS[name], condition, np.random.default_rng(seed))
        assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3
        assert photos.FRAME_SIDE[0] <= min(photo.shape[:2]) and max(photo.shape[:2]) <= 1.2 * photos.FRAME_SIDE[1]
        mask = ink(photo)
        assert 0.0005 < mask.mean() < 0.3  # some ink, mostly paper
        top, bottom, left, right = box(mask)
        assert top > 0 and left > 0 and bottom < photo.shape[0] - 1 and right < photo.shape[1] - 1  # inside the frame


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_same_seed_gives_the_same_bytes_and_another_seed_another_photo(condition):
    digit = DIGITS["hook"]
    first = photograph(digit, condition, np.random.default_rng(7))
    again = photograph(digit, condition, np.random.default_rng(7))
    other = photograph(digit, condition, np.random.default_rng(8))
    assert first.tobytes() == again.tobytes() and first.shape == again.shape
    assert first.shape != other.shape or first.tobytes() != other.tobytes()


def test_photographs_gives_one_photo_per_image_and_a_prefix_renders_the_same():
    images = np.stack([DIGITS["ring"], DIGITS["bar"], DIGITS["hook"]])
    every = photographs(images, "JPEG", seed=3)
    assert len(every) == 3
    first_two = photographs(images[:2], "JPEG", seed=3)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(every, first_two))
    assert every[0].tobytes() != photographs(images, "JPEG", seed=4)[0].tobytes()


def test_conditions_share_the_frame_and_placement_for_one_seed():
    clean = photograph(DIGITS["ring"], "clean scan", np.random.default_rng(5))
    for condition in ("JPEG", "ruled", "squared", "shadow", "coloured ink", "crease", "low light", "pencil", "red pen"):
        photo = photograph(DIGITS["ring"], condition, np.random.default_rng(5))
        assert photo.shape == clean.shape
        assert np.abs(np.subtract(box(ink(photo)), box(ink(clean)))).max() <= 3


# What each condition is named for.


def test_clean_scan_is_black_ink_on_white_paper_without_noise_and_large():
    for seed in SEEDS:
        photo = photograph(DIGITS["bar"], "clean scan", np.random.default_rng(seed))
        mask = ink(photo)
        paper = photo[~cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)]
        assert grey(paper[np.newaxis]).min() >= 230 and len(np.unique(paper, axis=0)) == 1  # one flat colour
        assert grey(photo).min() <= 70  # ink black-ish
        top, bottom, _, _ = box(mask)
        assert 0.35 <= (bottom - top + 1) / photo.shape[0] <= 0.65


def test_jpeg_has_sensor_noise_on_the_paper():
    photo = photograph(DIGITS["bar"], "JPEG", np.random.default_rng(0))
    corner = grey(photo)[:20, :20]
    assert corner.std() > 0.5


def line_rows(photo: np.ndarray, axis: int = 1) -> np.ndarray:
    """Rows (columns, with `axis=0`) that differ in colour from the paper across most of the photo.

    The median along the row of each pixel's colour distance from the photo's median colour: a
    printed line raises it, the digit (less than half the width) and sensor noise do not.
    """
    rgb = photo.astype(np.float32)
    distance = np.linalg.norm(rgb - np.median(rgb.reshape(-1, 3), axis=0), axis=2)
    return (np.median(distance, axis=axis) > 12).nonzero()[0]


def test_ruled_paper_has_lines_across_the_photo_that_the_plain_one_lacks():
    for seed in range(12):
        ruled = photograph(DIGITS["ring"], "ruled", np.random.default_rng(seed))
        plain = photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed))
        lines = line_rows(ruled)
        assert len(lines) >= 2 and len(line_rows(plain)) == 0
        assert grey(ruled)[lines].mean() > grey(ruled)[ink(ruled)].mean() + 60  # fainter than the ink
        line_colour = ruled[lines].reshape(-1, 3).astype(np.float32).mean(axis=0)
        paper_colour = plain.reshape(-1, 3).astype(np.float32).mean(axis=0)
        assert line_colour[2] - line_colour[0] > paper_colour[2] - paper_colour[0]  # bluer than the paper


def test_squared_paper_has_lines_both_ways():
    for seed in range(12):
        photo = photograph(DIGITS["ring"], "squared", np.random.default_rng(seed))
        plain = photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed))
        for axis in (1, 0):  # rows, then columns (not counting the ring's own, which can fill a column)
            assert len(set(line_rows(photo, axis)) - set(line_rows(plain, axis))) >= 2


def test_shadow_darkens_one_side_of_the_page():
    for seed in SEEDS:
        corners = []
        photo = grey(photograph(DIGITS["ring"], "shadow", np.random.default_rng(seed)))
        plain = grey(photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed)))
        for image in (photo, plain):
            side = min(image.shape) // 10
            patches = [image[:side, :side], image[:side, -side:], image[-side:, :side], image[-side:, -side:]]
            corners.append([np.median(patch) for patch in patches])
        assert max(corners[0]) / min(corners[0]) > 1.5
        assert max(corners[1]) / min(corners[1]) < 1.1


def test_coloured_ink_is_coloured_or_pencil_grey():
    for seed in range(12):
        photo = photograph(DIGITS["ring"], "coloured ink", np.random.default_rng(seed)).astype(np.float32)
        core = cv2.erode(ink(photo.astype(np.uint8)).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        colour = np.median(photo[core], axis=0)
        spread = colour.max() - colour.min()
        assert spread > 40 or 70 <= colour.mean() <= 160, colour  # a coloured ink, or pencil: grey but light


def test_small_digits_take_a_small_part_of_the_frame():
    for seed in SEEDS:
        photo = photograph(DIGITS["hook"], "small", np.random.default_rng(seed))
        top, bottom, left, right = box(ink(photo))
        assert 0.08 <= (bottom - top + 1) / photo.shape[0] <= 0.24
        assert (right - left + 1) / photo.shape[1] < 0.3


def principal_angle(mask: np.ndarray) -> float:
    """The angle, in degrees from vertical, of the mask's long axis."""
    rows, columns = np.nonzero(mask)
    covariance = np.cov(np.stack([columns, rows]).astype(np.float64))
    values, vectors = np.linalg.eigh(covariance)
    x, y = vectors[:, values.argmax()]
    return float(np.degrees(np.arctan2(abs(x), abs(y))))


def test_rotated_digits_lean_by_ten_to_twenty_degrees():
    for seed in SEEDS:
        upright = principal_angle(ink(photograph(DIGITS["bar"], "JPEG", np.random.default_rng(seed))))
        turned = principal_angle(ink(photograph(DIGITS["bar"], "rotated", np.random.default_rng(seed))))
        assert upright < 3 and 8 < turned < 22


@pytest.mark.parametrize("condition", ["clean scan", "JPEG", "small", "rotated"])
def test_a_number_puts_each_digit_in_its_own_columns_left_to_right(condition):
    digits = [DIGITS["bar"], DIGITS["ring"], DIGITS["hook"], DIGITS["small ring"]]
    for seed in SEEDS:
        photo = photograph_number(digits, condition, np.random.default_rng(seed))
        inked = ink(photo).any(axis=0)
        edges = np.diff(inked.astype(np.int8))
        starts, ends = (edges == 1).nonzero()[0] + 1, (edges == -1).nonzero()[0] + 1
        assert len(starts) == len(ends) == len(digits)  # four separate runs of inked columns
        widths = ends - starts
        assert widths[0] < 0.6 * widths[1:3].min()  # the bar first, narrower than the ring and the hook after it
        heights = [np.ptp(ink(photo)[:, start:end].nonzero()[0]) for start, end in zip(starts, ends)]
        assert max(heights) / min(heights) < 1.4  # similar sizes, the 16x16 ring as tall as the rest


def test_a_long_number_photographed_at_an_angle_stays_inside_the_frame():
    # The nearer side grows: the camera steps back until the whole number is in the frame, as a person framing it does.
    digits = [DIGITS["ring"], DIGITS["hook"], DIGITS["ring"], DIGITS["hook"], DIGITS["ring"]]
    for seed in range(12):
        photo = photograph_number(digits, "perspective", np.random.default_rng(seed))
        top, bottom, left, right = box(ink(photo))
        assert min(top, left) >= photos.MIN_MARGIN - 1
        assert bottom <= photo.shape[0] - photos.MIN_MARGIN and right <= photo.shape[1] - photos.MIN_MARGIN


def test_every_condition_draws_the_same_from_the_rng_it_is_given():
    # A caller photographing several digits with one rng gets the same later photos whatever the conditions.
    after = []
    for condition in CONDITIONS:
        rng = np.random.default_rng(9)
        photograph(DIGITS["hook"], condition, rng)
        after.append(rng.integers(2**32))
    assert len(set(after)) == 1


def side_directions(photo: np.ndarray) -> list[float]:
    """The directions (degrees) of the four sides of the ink's outline, fitted by a quadrilateral."""
    contours, _ = cv2.findContours(ink(photo).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea)
    corners = cv2.approxPolyDP(outline, 0.04 * cv2.arcLength(outline, True), True)[:, 0].astype(float)
    assert len(corners) == 4
    return [float(np.degrees(np.arctan2(*(corners[(k + 1) % 4] - corners[k])[::-1]))) for k in range(4)]


def test_perspective_makes_a_square_s_opposite_sides_meet():
    def skew(directions: list[float]) -> float:  # the larger angle between opposite sides
        apart = [abs((directions[k] - directions[k + 2] + 90) % 180 - 90) for k in (0, 1)]
        return max(apart)

    for seed in SEEDS:
        assert skew(side_directions(photograph(drawn("square"), "JPEG", np.random.default_rng(seed)))) < 3
        assert skew(side_directions(photograph(drawn("square"), "perspective", np.random.default_rng(seed)))) > 5


def sharpness(photo: np.ndarray) -> float:
    """The steepest edges' gradient: the 99.5th percentile of the grey image's gradient magnitude."""
    image = grey(photo)
    return float(np.percentile(np.hypot(cv2.Sobel(image, cv2.CV_32F, 1, 0), cv2.Sobel(image, cv2.CV_32F, 0, 1)), 99.5))


@pytest.mark.parametrize("condition", ["defocus", "motion blur"])
def test_defocus_and_motion_blur_soften_the_edges(condition):
    for seed in SEEDS:
        plain = photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed))
        blurred = photograph(DIGITS["ring"], condition, np.random.default_rng(seed))
        assert sharpness(blurred) < 0.85 * sharpness(plain)


def test_the_blurs_are_a_disc_and_a_line():
    disc = photos._disc(3.0)
    assert disc.shape == (7, 7) and disc.sum() == pytest.approx(1) and disc[3, 3] == disc.max()
    assert disc[0, 0] == 0 and disc[0, 3] > 0 and np.allclose(disc, disc.T) and np.allclose(disc, disc[::-1])
    streak = photos._streak(8.0, 0.0)  # horizontal
    middle = streak.shape[0] // 2
    assert streak.sum() == pytest.approx(1) and streak[middle].sum() > 0.6
    rows, columns = np.nonzero(streak > 0.005)
    assert set(rows) <= {middle - 1, middle, middle + 1} and 7 <= np.ptp(columns) + 1 <= 10


def test_glare_brightens_a_patch_and_leaves_most_strokes():
    for seed in range(12):
        plain = photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed))
        glared = photograph(DIGITS["ring"], "glare", np.random.default_rng(seed))
        lighter = grey(glared) - grey(plain)  # the same camera noise: the difference is the glare
        assert np.percentile(lighter, 1) >= -3 and 0.005 < (lighter > 4).mean() < 0.2
        kept = ink(glared) & ink(plain)
        assert kept.sum() > 0.5 * ink(plain).sum()


def test_a_crease_is_a_step_in_shade_along_a_line_across_the_page():
    for seed in SEEDS:
        plain = grey(photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed)))
        creased = grey(photograph(DIGITS["ring"], "crease", np.random.default_rng(seed)))
        shaded = cv2.medianBlur(((creased + 1) / (plain + 1) < 0.96).astype(np.uint8), 5).astype(bool)
        assert 0.05 < shaded.mean() < 0.95  # one side of the fold darker
        edges = np.concatenate([shaded[0], shaded[-1], shaded[:, 0], shaded[:, -1]])
        assert edges.any() and not edges.all()  # the fold runs out to the frame's edges
    light = photos._crease(60, 80, (30.0, 40.0), np.random.default_rng(0), 40.0)
    levels = np.round(light, 3)
    assert levels.max() >= 1.0 and photos.CREASE_SHADE[0] - 0.01 <= np.median(levels[levels < 1]) < 1
    line = (np.abs(light - 1) > 0.06) & (np.abs(light - np.median(levels[levels < 1])) > 0.06)
    assert 0 < line.mean() < 0.1  # the fold's own line: thin


def test_low_light_is_dim_flat_and_noisy():
    for seed in SEEDS:
        plain = grey(photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed)))
        dim = grey(photograph(DIGITS["ring"], "low light", np.random.default_rng(seed)))
        assert np.median(dim) < 0.55 * np.median(plain)
        assert np.median(dim) - dim.min() < 0.6 * (np.median(plain) - plain.min())  # less contrast

        def noise(image: np.ndarray) -> float:  # relative to the paper's brightness
            return float(np.std(image - cv2.medianBlur(image.astype(np.uint8), 5)) / np.median(image))

        assert noise(dim) > 1.5 * noise(plain)


def test_a_neighbour_s_strokes_are_cut_by_the_frame_beside_the_digit():
    for seed in range(12):
        plain = ink(photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed)))
        photo = ink(photograph(DIGITS["ring"], "neighbour", np.random.default_rng(seed)))
        assert np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]]).any()  # cut by the edge
        top, bottom, left, right = box(plain)
        digit = photo[top : bottom + 1, left : right + 1]
        assert (digit == plain[top : bottom + 1, left : right + 1]).mean() > 0.97  # the digit itself as it was


def core_colour(photo: np.ndarray) -> np.ndarray:
    """The median colour of the strokes' inside (the ink eroded by a pixel)."""
    core = cv2.erode(ink(photo).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return np.median(photo[core].astype(np.float32), axis=0)


def test_pencil_is_light_grey_and_red_pen_red():
    for seed in SEEDS:
        pencil = core_colour(photograph(DIGITS["ring"], "pencil", np.random.default_rng(seed)))
        assert np.ptp(pencil) < 20 and 100 <= pencil.mean() <= 160
        assert core_colour(photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed))).mean() < 80
        red = core_colour(photograph(DIGITS["ring"], "red pen", np.random.default_rng(seed)))
        assert red[0] - max(red[1], red[2]) > 80


def test_chalk_is_light_on_a_dark_board():
    for seed in SEEDS:
        photo = photograph(DIGITS["ring"], "chalk", np.random.default_rng(seed))
        board = np.median(grey(photo))
        chalk = grey(photo) > board + 60
        plain = ink(photograph(DIGITS["ring"], "JPEG", np.random.default_rng(seed)))
        assert board < 90 and 0.002 < chalk.mean() < 0.3
        assert np.abs(np.subtract(box(chalk), box(plain))).max() <= 4  # where the digit is


def test_a_form_box_is_printed_around_the_digit():
    for seed in range(12):
        plain = ink(photograph(DIGITS["hook"], "JPEG", np.random.default_rng(seed)))
        boxed = grey(photograph(DIGITS["hook"], "form box", np.random.default_rng(seed)))
        printed = boxed < 0.85 * np.median(boxed)  # thin printed lines are fainter than ink
        top, bottom, left, right = box(plain)
        rows = (printed.mean(axis=1) > 0.2).nonzero()[0]  # printed lines across
        columns = (printed[top : bottom + 1].mean(axis=0) > 0.7).nonzero()[0]  # and down beside the digit
        assert rows.min() <= top + 1 and rows.max() >= bottom - 1
        assert columns.min() <= left + 1 and columns.max() >= right - 1


def test_touching_digits_are_joined_up_and_the_default_keeps_them_apart():
    digits = [DIGITS["bar"], DIGITS["ring"], DIGITS["hook"]]
    for seed in SEEDS:
        apart = photograph_number(digits, "clean scan", np.random.default_rng(seed))
        again = photograph_number(digits, "clean scan", np.random.default_rng(seed), touching=False)
        joined = photograph_number(digits, "clean scan", np.random.default_rng(seed), touching=True)
        assert apart.tobytes() == again.tobytes()
        marks = [cv2.connectedComponents(ink(photo).astype(np.uint8))[0] - 1 for photo in (apart, joined)]
        assert marks == [3, 1]
        assert joined.shape[1] <= apart.shape[1]


# Bad input.


@pytest.mark.parametrize(
    "digit",
    [
        np.zeros((28, 28), np.float32) + 1,  # not uint8
        np.ones((28, 28, 3), np.uint8),  # not 2-D
        np.zeros((28, 28), np.uint8),  # blank
        [[0, 255], [255, 0]],  # not an array
    ],
)
def test_a_digit_that_is_not_2d_uint8_ink_is_refused(digit):
    with pytest.raises(ValueError, match="expected a digit"):
        photograph(digit, "JPEG", np.random.default_rng(0))


def test_an_unknown_condition_is_refused_in_one_sentence_naming_the_conditions():
    with pytest.raises(ValueError) as raised:
        photograph(DIGITS["ring"], "fog", np.random.default_rng(0))
    message = str(raised.value)
    assert "\n" not in message and "fog" in message and all(f'"{name}"' in message for name in CONDITIONS)
    with pytest.raises(ValueError):
        photographs(np.stack([DIGITS["ring"]]), "fog")


def test_photographs_refuses_a_single_image_and_photograph_number_an_empty_list():
    with pytest.raises(ValueError, match="expected uint8 images"):
        photographs(DIGITS["ring"], "JPEG")
    with pytest.raises(ValueError, match="at least one digit"):
        photograph_number([], "JPEG", np.random.default_rng(0))
