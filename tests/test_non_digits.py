"""The non-digits (`reading.non_digits`), how refusals are measured (`reading.refusals`), and "not a digit" answers."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_cnn.reading import non_digits, photo_accuracy, refusals
from mnist_cnn.reading.joined_numbers import NONE, NUMBER_ANSWERS, NUMBER_PLACES, may_be_number
from mnist_cnn.reading.opencv import cv2
from mnist_cnn.reading.predict import (
    AMONG_DIGITS_BELOW,
    NOT_A_DIGIT_BELOW,
    MarkReading,
    Prediction,
    among_digits,
    find,
    read_marks,
)
from mnist_cnn.reading.preparation import find_digits
from mnist_cnn.report.command import answer


def test_training_pictures_are_prepared_like_digits_and_repeat_with_the_seed():
    pictures = non_digits.training_pictures(2 * len(non_digits.KINDS), seed=3)
    assert pictures.shape == (2 * len(non_digits.KINDS), 28, 28) and pictures.dtype == np.uint8
    assert all(picture.max() == 255 for picture in pictures)  # each holds ink, scaled as `to_mnist` scales it
    np.testing.assert_array_equal(pictures, non_digits.training_pictures(2 * len(non_digits.KINDS), seed=3))
    assert not np.array_equal(pictures, non_digits.training_pictures(2 * len(non_digits.KINDS), seed=4))


def test_training_never_shows_the_evaluations_fonts_symbols_or_drawings():
    assert not set(non_digits.TRAINING_FONTS) & set(non_digits.EVALUATION_FONTS)
    assert set(non_digits.EVALUATION_SYMBOLS) < set(non_digits.SYMBOLS)
    assert set(non_digits.EVALUATION_SHAPES) < set(non_digits.SHAPES)
    assert not set(non_digits.TWINS) & set(non_digits.LETTERS)
    rng = np.random.default_rng(0)
    fonts = {non_digits._font(rng, training=True).path for _ in range(200)}
    assert {font.rsplit("/", 1)[-1] for font in fonts} <= set(non_digits.TRAINING_FONTS)


@pytest.mark.parametrize("kind", non_digits.KINDS)
def test_each_kind_of_evaluation_picture_holds_marks_to_read(kind):
    pictures = non_digits.evaluation_pictures(kind, 3, seed=0)
    assert len(pictures) == 3
    for picture in pictures:
        assert picture.dtype == np.uint8 and picture.ndim == (3 if kind == "things" else 2)
        # ink pictures are ink high on black, as `photos` takes digits; things are pictures
        assert find_digits(picture if kind == "things" else 255 - picture)
    np.testing.assert_array_equal(pictures[0], non_digits.evaluation_pictures(kind, 1, seed=0)[0])


@pytest.mark.parametrize("kind", non_digits.KINDS)
def test_each_kind_is_photographed_as_the_digits_are(kind):
    (photo,) = refusals.photographed_non_digits(kind, 1, seed=0)
    assert photo.ndim == 3 and photo.shape[2] == 3 and photo.dtype == np.uint8
    assert find_digits(photo)


@pytest.mark.parametrize(("twins", "holes"), [("O", True), ("l", False)])
def test_twins_are_drawn_from_the_twin_letters_and_photographed_as_the_digits_are(monkeypatch, twins, holes):
    monkeypatch.setattr(non_digits, "TWINS", twins)
    pictures = non_digits.evaluation_twins(4, seed=0)
    assert len(pictures) == 4 and all(picture.dtype == np.uint8 and picture.ndim == 2 for picture in pictures)
    for picture in pictures:  # an O encloses paper, an l does not
        _, hierarchy = cv2.findContours((picture > 127).astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        assert (hierarchy[0][:, 3] >= 0).any() == holes
    np.testing.assert_array_equal(pictures[0], non_digits.evaluation_twins(1, seed=0)[0])
    photos = refusals.photographed(pictures, seed=0)
    assert len(photos) == 4 and all(photo.ndim == 3 and photo.shape[2] == 3 for photo in photos)
    assert all(find_digits(photo) for photo in photos)


def test_unknown_kinds_and_counts_are_refused_in_one_line():
    with pytest.raises(ValueError, match="Expected a kind among letters, words, .*, found 'faces'"):
        non_digits.evaluation_pictures("faces", 1, seed=0)
    with pytest.raises(ValueError, match="Expected at least 1 picture, found 0"):
        non_digits.training_pictures(0, seed=0)


def test_a_font_lacking_a_symbol_is_known():
    font = non_digits._loaded_font("cmr10.ttf")
    assert non_digits._has_glyph(font, "A") and not non_digits._has_glyph(font, "♥")


def test_separation_of_scores_known_by_hand():
    digits, others = np.array([0.6, 0.9, 0.95, 0.99, 1.0]), np.array([0.1, 0.7, 0.3, 0.2])
    measured = refusals.separation(digits, others, kept=0.8)
    # 19 of the 20 (digit, non-digit) pairs are ordered right: only 0.7 outranks the digit 0.6
    assert measured["AUROC"] == pytest.approx(19 / 20)
    # keeping 80 % of the digits puts the threshold at 0.9: every non-digit is refused
    assert refusals.threshold_keeping(digits, 0.8) == 0.9 and measured["refused at 80% kept"] == 1.0
    assert refusals.separation(digits, others, kept=1.0)["refused at 100% kept"] == 0.75  # 0.7 stays


def test_threshold_and_separation_name_wrong_inputs():
    with pytest.raises(ValueError, match=r"Expected a share of digits kept in \(0, 1\], found 0"):
        refusals.threshold_keeping(np.array([0.5]), 0)
    with pytest.raises(ValueError, match="Expected scores of digits and of non-digits, found 1 and 0"):
        refusals.separation(np.array([0.5]), np.array([]))


def test_refusal_table_counts_scores_below_the_threshold():
    scores = {
        "letters": {"a": np.array([0.1, 0.9]), "b": np.array([0.1, 0.2])},
        "things": {"a": np.array([0.0]), "b": np.array([1.0])},
    }
    table = refusals.refusal_table(scores, threshold=0.5)
    assert table.loc["letters"].tolist() == [50.0, 100.0] and table.loc["things"].tolist() == [100.0, 0.0]
    assert table.loc[refusals.ALL_KINDS].tolist() == [75.0, 50.0]


def test_picture_scores_are_the_surest_mark_and_zero_for_a_blank_page():
    page = np.full((64, 96), 255, np.uint8)
    written = page.copy()
    written[16:48, 20:26] = 0  # a stroke
    written[16:48, 60:66] = 0  # and another
    calls = []

    def network(images):
        calls.append(len(images))
        return np.tile(np.linspace(0.01, 0.2, 10), (len(images), 1)) * [[1] * 9 + [2]] / 1.2

    scores = refusals.picture_scores(network, [find(page), find(written)])
    assert scores[0] == 0 and scores[1] == pytest.approx(0.4 / 1.2) and calls == [2]  # one batch for both marks


def reading(probabilities, left=0, height=10):
    probabilities = tuple(probabilities)
    return MarkReading(int(np.argmax(probabilities)), probabilities, (left, 0, 10, height))


SURE_FOUR = [0.0] * 4 + [0.99] + [0.001] * 5
UNSURE_EIGHT = [0.05] * 8 + [0.3, 0.3]
NO_DIGIT = [0.1] * 10  # every digit equally likely: what the robust model learned to say of non-digits


def test_a_picture_of_no_digit_is_answered_not_a_digit():
    prediction = Prediction("letter.png", (reading(UNSURE_EIGHT),))
    assert not prediction.is_digit and prediction.number == "" and prediction.digit is None
    assert max(UNSURE_EIGHT) < NOT_A_DIGIT_BELOW <= max(SURE_FOUR)
    assert answer(prediction, top=3) == "letter.png: not a digit (at most 8, 30.0%)"
    record = prediction.to_dict()
    assert record["not_a_digit"] is True and record["digits"] == [] and record["number"] == ""
    assert record["not_digits"][0]["score"] == 0.3 and record["not_digits"][0]["is_digit"] is False


def test_a_number_is_read_from_its_digits_only():
    prediction = Prediction("n.png", (reading(SURE_FOUR, 0), reading(UNSURE_EIGHT, 20), reading(SURE_FOUR, 40)))
    assert prediction.number == "44" and prediction.is_digit
    assert answer(prediction, top=1) == "n.png: 44 (4 99.0%, 4 99.0%; 1 other mark not a digit)"
    record = prediction.to_dict()
    assert [mark["box"]["left"] for mark in record["digits"]] == [0, 40] and len(record["not_digits"]) == 1


def test_a_mark_among_digits_of_its_height_is_a_digit_unless_the_network_is_quite_unsure():
    assert AMONG_DIGITS_BELOW < max(UNSURE_EIGHT) < NOT_A_DIGIT_BELOW and max(NO_DIGIT) < AMONG_DIGITS_BELOW
    number = among_digits((reading(SURE_FOUR, 0), reading(UNSURE_EIGHT, 20, height=11), reading(SURE_FOUR, 40)))
    assert Prediction("n.png", number).number == "484" and number[1].to_dict()["is_digit"] is True
    letter = among_digits((reading(SURE_FOUR, 0), reading(NO_DIGIT, 20)))
    assert Prediction("n.png", letter).number == "4"
    small = among_digits((reading(SURE_FOUR, 0), reading(UNSURE_EIGHT, 20, height=5), reading(SURE_FOUR, 40)))
    assert Prediction("n.png", small).number == "44"  # a speck or a small letter is not one of the digits
    alone = among_digits((reading(UNSURE_EIGHT, 0), reading(UNSURE_EIGHT, 20)))
    assert not Prediction("word.png", alone).is_digit  # beside no digit, a mark is one on its own account only


def test_read_marks_reads_each_mark_among_the_others_of_its_picture():
    page = np.full((64, 128), 255, np.uint8)
    page[16:48, 20:26] = page[16:48, 60:66] = page[16:48, 100:106] = 0  # three strokes, as tall
    found = find(page)
    assert len(found.digits) == 3

    def network(images):  # sure of the first mark only
        return np.array([SURE_FOUR, UNSURE_EIGHT, UNSURE_EIGHT])

    (marks,) = read_marks([found], network)
    assert Prediction("n.png", marks).number == "488"
    (alone,) = read_marks([find(page[:, 40:])], lambda images: np.array([UNSURE_EIGHT, UNSURE_EIGHT]))
    assert not Prediction("n.png", alone).is_digit


@pytest.mark.parametrize("reads", [True, False])
def test_read_as_numbers_counts_the_pictures_with_a_wide_mark_the_number_network_reads(reads):
    def number_network(frames):  # "12", then none, surely; or none at all
        answers = [1, 2, NONE] if reads else [NONE] * NUMBER_PLACES
        return np.broadcast_to(np.eye(NUMBER_ANSWERS)[answers], (len(frames), NUMBER_PLACES, NUMBER_ANSWERS))

    percent = refusals.read_as_numbers(number_network, 4, seed=1)
    assert list(percent) == list(non_digits.KINDS)
    for kind in non_digits.KINDS:
        found = photo_accuracy.found_in(refusals.photographed_non_digits(kind, 4, seed=1))
        wide = [any(may_be_number(mark) for mark in each.digits) for each in found]
        assert percent[kind] == (100 * np.mean(wide) if reads else 0.0)
    assert reads == any(percent.values())  # some picture holds a wide mark


def test_scores_of_each_network_and_the_first_photos_of_each_condition():
    page, written = np.full((60, 60, 3), 255, np.uint8), np.full((60, 60, 3), 255, np.uint8)
    cv2.line(written, (30, 10), (30, 50), (0, 0, 0), 4)  # a 1
    found = {"clean scan": [find(page), find(written), find(written)], "JPEG": [find(written)]}
    first = refusals.first_photos(found, 2)
    assert first == [*found["clean scan"][:2], found["JPEG"][0]]
    sure = lambda images: np.tile(np.eye(10)[1] * 0.9 + 0.01, (len(images), 1))  # noqa: E731
    unsure = lambda images: np.full((len(images), 10), 0.1)  # noqa: E731
    scores = refusals.scores_of({"sure": sure, "unsure": unsure}, first)
    assert list(scores) == ["sure", "unsure"]
    np.testing.assert_allclose(scores["sure"], [0.0, 0.91, 0.91])  # no mark on the blank page
    np.testing.assert_allclose(scores["unsure"], [0.0, 0.1, 0.1])
