"""The one preparation of every picture of a digit: photos with lines, shadows, coloured ink, specks, several digits."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from mnist_cnn.reading import photos
from mnist_cnn.reading.preparation import (
    DIGIT_BOX,
    WORKING_SIZE,
    NoDigit,
    find_digits,
    is_blot,
    is_dark_ink,
    preparation_steps,
    prepare_digit,
)


def drawn(shape: str) -> np.ndarray:
    """A 28x28 digit drawn with a pen 3 pixels wide, light on black like MNIST's."""
    digit = np.zeros((28, 28), np.uint8)
    if shape == "1":
        cv2.line(digit, (15, 4), (12, 23), 255, 3, cv2.LINE_AA)
    elif shape == "7":
        cv2.line(digit, (6, 5), (21, 5), 255, 3, cv2.LINE_AA)
        cv2.line(digit, (21, 5), (11, 23), 255, 3, cv2.LINE_AA)
    elif shape == "0":
        cv2.ellipse(digit, (14, 14), (6, 9), 0, 0, 360, 255, 3, cv2.LINE_AA)
    elif shape == "4":  # two strokes that do not touch: one digit all the same
        cv2.polylines(digit, [np.array([(14, 4), (6, 16), (20, 16)])], False, 255, 3, cv2.LINE_AA)
        cv2.line(digit, (17, 10), (17, 24), 255, 3, cv2.LINE_AA)
    return digit


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    """Correlation of two prepared 28x28 digits: 1 for the same image."""
    return float(np.corrcoef(first.ravel().astype(float), second.ravel().astype(float))[0, 1])


def paper(height: int = 160, width: int = 200, shade: int = 235) -> np.ndarray:
    return np.full((height, width, 3), shade, np.uint8)


def write(page: np.ndarray, digit: np.ndarray, left: int, top: int, size: int, ink=(30, 30, 30)) -> np.ndarray:
    """Write a 28x28 digit onto an RGB page at (left, top), enlarged to size x size, in ink of a colour."""
    coverage = cv2.resize(digit, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)[..., None] / 255
    region = page[top : top + size, left : left + size].astype(np.float32)
    page[top : top + size, left : left + size] = (region * (1 - coverage) + np.array(ink) * coverage).astype(np.uint8)
    return page


@pytest.mark.parametrize("shape", ["1", "7", "0", "4"])
def test_a_clean_digit_is_prepared_as_mnist_is(shape):
    digit = drawn(shape)
    prepared = prepare_digit(255 - digit)  # dark on light, as written on paper
    assert prepared.shape == (28, 28) and prepared.dtype == np.uint8
    rows, columns = np.nonzero(prepared > 25)
    assert max(np.ptp(rows), np.ptp(columns)) + 1 in (DIGIT_BOX - 1, DIGIT_BOX, DIGIT_BOX + 1)  # fits the 20x20 box
    centre = np.array([(np.indices(prepared.shape)[axis] * prepared).sum() / prepared.sum() for axis in (0, 1)])
    assert np.abs(centre - 14).max() <= 1  # centre of mass in the middle
    assert [len(find_digits(255 - digit))] == [1]


@pytest.mark.parametrize("condition", list(photos.CONDITIONS))
def test_every_photo_condition_gives_back_the_digit(condition):
    for shape in ("1", "7", "0", "4"):
        clean = prepare_digit(255 - drawn(shape))
        photo = photos.photograph(drawn(shape), condition, np.random.default_rng(3))
        (found,) = find_digits(photo)
        assert similarity(found.image, clean) > (0.3 if condition == "rotated" else 0.7), (condition, shape)


def test_ruled_lines_through_the_digit_are_removed():
    page = paper()
    for row in range(12, 160, 22):  # faint blue rules, one through the middle of the digit
        page[row : row + 2] = (170, 195, 240)
    page[:, 20:22] = (230, 120, 140)  # and a margin line
    write(page, drawn("7"), 60, 20, 120)
    (found,) = find_digits(page)
    assert similarity(found.image, prepare_digit(255 - drawn("7"))) > 0.85
    steps = preparation_steps(page)
    assert steps.mask[100:102, 5:55].any() and not steps.marks[100:102, 5:55].any()  # rule gone beside the digit


def test_dark_rules_are_removed_too():
    page = paper()
    for row in range(12, 160, 22):
        page[row : row + 2] = 90  # dark grey squared paper: the colour does not tell
    for column in range(10, 200, 22):
        page[:, column : column + 2] = 90
    write(page, drawn("0"), 55, 35, 90, ink=(10, 10, 10))
    (found,) = find_digits(page)
    assert similarity(found.image, prepare_digit(255 - drawn("0"))) > 0.8


def test_light_falling_off_across_the_page_is_divided_out():
    page = write(paper(), drawn("1"), 40, 20, 120)
    light = np.linspace(1.0, 0.3, page.shape[1])[None, :, None]  # the right edge at 30 % of the left's light
    shaded = (page * light).astype(np.uint8)
    steps = preparation_steps(shaded)
    (digit,) = steps.digits
    left, top, width, height = digit.box
    assert steps.mask.sum() == steps.mask[top : top + height, left : left + width].sum()  # the shade is not ink
    assert similarity(steps.digits[0].image, prepare_digit(255 - drawn("1"))) > 0.85


@pytest.mark.parametrize("ink", [(20, 40, 170), (200, 30, 30), (30, 140, 40), (120, 120, 120)])
def test_ink_of_any_colour(ink):
    page = write(paper(shade=245), drawn("7"), 50, 20, 110, ink=ink)
    (found,) = find_digits(page)
    assert similarity(found.image, prepare_digit(255 - drawn("7"))) > 0.85


def test_light_ink_on_a_dark_background():
    board = paper(shade=40)
    write(board, drawn("4"), 50, 20, 110, ink=(235, 235, 235))
    assert not is_dark_ink(cv2.cvtColor(board, cv2.COLOR_RGB2GRAY))
    (found,) = find_digits(board)
    assert similarity(found.image, prepare_digit(255 - drawn("4"))) > 0.85


def test_specks_and_small_marks_are_dropped():
    page = write(paper(), drawn("1"), 60, 20, 110)
    rng = np.random.default_rng(0)
    for _ in range(25):
        x, y = rng.integers(5, 195), rng.integers(5, 155)
        cv2.circle(page, (int(x), int(y)), 1, (40, 40, 40), -1)
    (found,) = find_digits(page)
    assert similarity(found.image, prepare_digit(255 - drawn("1"))) > 0.85


def test_several_digits_are_read_left_to_right_with_their_boxes():
    shapes = ["7", "1", "0", "4"]
    photo = photos.photograph_number([drawn(shape) for shape in shapes], "ruled", np.random.default_rng(1))
    found = find_digits(photo)
    assert len(found) == len(shapes)
    lefts = [digit.box[0] for digit in found]
    assert lefts == sorted(lefts)
    for digit, shape in zip(found, shapes):
        left, top, width, height = digit.box
        assert left + width <= photo.shape[1] and top + height <= photo.shape[0]
        assert similarity(digit.image, prepare_digit(255 - drawn(shape))) > 0.6, shape


def test_a_large_photo_gives_boxes_in_its_own_pixels():
    page = write(paper(1500, 2000), drawn("7"), 700, 300, 800)
    (found,) = find_digits(page)
    left, top, width, height = found.box
    assert 2000 > WORKING_SIZE and abs(left - 800) < 60 and abs(top - 360) < 60 and 500 < height < 800


def test_a_tiny_picture_is_read_as_it_is():
    tiny = cv2.resize(drawn("0"), (8, 8), interpolation=cv2.INTER_AREA)  # light on dark, 8x8
    assert similarity(prepare_digit(tiny), prepare_digit(drawn("0"))) > 0.7


@pytest.mark.parametrize(
    "picture, message",
    [
        (paper(), "no digit found: the image is blank"),
        (np.zeros((0, 5), np.uint8), "no digit found: the image is empty"),
    ],
)
def test_nothing_to_read_is_one_sentence(picture, message):
    with pytest.raises(NoDigit, match=message) as raised:
        find_digits(picture)
    assert "\n" not in str(raised.value)


def test_a_ruled_page_without_a_digit():
    page = paper()
    for row in range(12, 160, 22):
        page[row : row + 2] = (150, 180, 235)
    with pytest.raises(NoDigit, match="^no digit found: only lines"):
        find_digits(page)


def test_a_blot_is_not_a_digit():
    page = paper()
    cv2.circle(page, (100, 80), 45, (20, 20, 20), -1)
    with pytest.raises(NoDigit, match="^no digit found: too much ink for a digit"):
        find_digits(page)
    assert is_blot(prepare_digit(page))  # prepared as it is, for the drawing pad to say so


def test_images_from_pil_with_transparency():
    ink = Image.fromarray(255 - drawn("7")).convert("RGBA")
    ink.putalpha(Image.fromarray(drawn("7")))  # ink opaque, paper transparent
    assert similarity(prepare_digit(ink), prepare_digit(255 - drawn("7"))) > 0.9


def test_a_picture_that_is_not_an_image_array():
    with pytest.raises(ValueError, match=r"Expected a uint8 picture of shape \(H, W\) or \(H, W, 3\), found float64"):
        find_digits(np.zeros((10, 10)))


NEW_CONDITIONS = list(photos.CONDITIONS)[8:]


def overlap(first: tuple[int, int, int, int], second: tuple[int, int, int, int]) -> float:
    """Intersection over union of two boxes (left, top, width, height)."""
    width = min(first[0] + first[2], second[0] + second[2]) - max(first[0], second[0])
    height = min(first[1] + first[3], second[1] + second[3]) - max(first[1], second[1])
    shared = max(width, 0) * max(height, 0)
    return shared / (first[2] * first[3] + second[2] * second[3] - shared)


@pytest.mark.parametrize("condition", NEW_CONDITIONS)
def test_each_new_condition_gives_one_digit_where_it_was_written(condition):
    for shape in ("1", "7", "0", "4"):
        for seed in range(3):
            (plain,) = find_digits(photos.photograph(drawn(shape), "JPEG", np.random.default_rng(seed)))
            (found,) = find_digits(photos.photograph(drawn(shape), condition, np.random.default_rng(seed)))
            # The same place and size as in the plain photo; the tilted page moves and foreshortens it.
            assert overlap(found.box, plain.box) > (0.45 if condition == "perspective" else 0.75), (shape, seed)


def test_a_mark_cut_by_the_frame_is_a_neighbour_s_and_dropped():
    page = write(paper(160, 260), drawn("0"), 0, 30, 100)
    write(page, drawn("7"), 130, 20, 110)
    photo = page[:, 50:]  # the 0 half outside the picture, on its left
    steps = preparation_steps(photo)
    assert steps.mask[:, 0].any()  # the 0 is there, cut by the edge
    (found,) = steps.digits
    left, top, width, height = found.box
    assert 80 <= left <= 100 and 80 <= height <= 110
    assert similarity(found.image, prepare_digit(255 - drawn("7"))) > 0.85


def test_a_lone_mark_cut_by_the_frame_is_kept():
    photo = write(paper(160, 260), drawn("0"), 0, 30, 100)[:, 30:]
    (found,) = find_digits(photo)
    assert found.box[0] == 0 and found.box[3] > 60


def box_lines(page: np.ndarray, left: int, top: int, right: int, bottom: int, shade: int = 60) -> np.ndarray:
    """Print a thin box (2 pixels) from (left, top) to (right, bottom), inclusive, on an RGB page."""
    cv2.rectangle(page, (left, top), (right, bottom), (shade, shade, shade), 2)
    return page


@pytest.mark.parametrize("right", [175, 150])  # the box a little larger than the digit, or touching the 7's bar
def test_a_printed_box_around_a_digit_is_removed(right):
    page = box_lines(write(paper(), drawn("7"), 50, 20, 120), 58, 15, right, 145)
    steps = preparation_steps(page)
    assert steps.mask[15:17, 70:100].any() and not steps.marks[15:17, 70:100].any()  # the top side is gone
    (found,) = steps.digits
    assert similarity(found.image, prepare_digit(255 - drawn("7"))) > 0.85


def test_a_row_of_boxes_across_the_page_is_removed():
    page = write(paper(160, 260), drawn("4"), 95, 25, 110)
    for row in (22, 138):
        page[row : row + 2] = 70
    for column in (10, 90, 190):
        page[22:140, column : column + 2] = 70
    (found,) = find_digits(page)
    assert similarity(found.image, prepare_digit(255 - drawn("4"))) > 0.85


def test_an_empty_printed_box_is_only_lines():
    with pytest.raises(NoDigit, match="^no digit found: only lines"):
        find_digits(box_lines(paper(), 50, 20, 150, 140))


def test_a_digit_s_loop_with_straight_sides_is_not_a_box():
    # A 0 written boxy: straight sides 44 pixels long (runs the box rule looks at, too short for a line
    # across the page) joined by rounded corners, a pen's width.
    page, ink, radius = paper(), (30, 30, 30), 24
    left, top, right, bottom = 54, 34, 146, 126
    for start, end in [
        ((left + radius, top), (right - radius, top)),
        ((left + radius, bottom), (right - radius, bottom)),
        ((left, top + radius), (left, bottom - radius)),
        ((right, top + radius), (right, bottom - radius)),
    ]:
        cv2.line(page, start, end, ink, 6)
    for centre, angle in [
        ((left + radius, top + radius), 180),
        ((right - radius, top + radius), 270),
        ((right - radius, bottom - radius), 0),
        ((left + radius, bottom - radius), 90),
    ]:
        cv2.ellipse(page, centre, (radius, radius), 0, angle, angle + 90, ink, 6)
    steps = preparation_steps(page)
    (found,) = steps.digits
    assert found.box[3] >= 90 and (steps.marks == steps.mask).all()


def test_a_straight_stroke_between_two_rules_stays():
    page = paper()
    for row in range(20, 160, 50):
        page[row : row + 2] = (150, 180, 235)
    page[21:71, 98:104] = 30  # a 1 written from one rule to the next, touching both: no other stroke alike
    (found,) = find_digits(page)
    left, top, width, height = found.box
    assert 96 <= left <= 100 and abs(top - 22) <= 2 and height >= 44
