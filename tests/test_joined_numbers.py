"""Joined-up numbers: framed, read whole by the number network, and what `predict` makes of them."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_cnn import training
from mnist_cnn.reading import joined_numbers, number_training
from mnist_cnn.reading.joined_numbers import (
    NONE,
    NUMBER_ANSWERS,
    NUMBER_INPUT_SHAPE,
    NUMBER_PLACES,
    SURE,
    frame,
    may_be_number,
    read_numbers,
    reading,
)
from mnist_cnn.reading.number_training import JOINED_OUTLIERS, OUTLIERS
from mnist_cnn.reading.predict import DOUBTED_DIGIT_BELOW, NUMBER_OVER_DIGIT, Prediction, find, read_marks
from mnist_cnn.reading.preparation import Digit
from mnist_cnn.report import parameters
from mnist_cnn.report.command import answer

UNSURE = np.full(10, 0.1)  # the digit network's "no digit": every digit equally likely


def answers(places: list[int], sure: float) -> np.ndarray:
    """The number network's probabilities (places, answers): `sure` on each place's answer, the rest spread."""
    probabilities = np.full((NUMBER_PLACES, NUMBER_ANSWERS), (1 - sure) / (NUMBER_ANSWERS - 1))
    probabilities[np.arange(NUMBER_PLACES), places] = sure
    return probabilities


def test_a_frame_fits_the_mark_as_tall_as_mnists_digits_centred_and_thickens_thin_strokes():
    wide = np.zeros((40, 120), np.uint8)
    wide[:, :4] = wide[:, 58:62] = wide[:, 116:] = 255  # three strokes: a long mark, cropped to its ink
    framed = frame(wide, stroke_width=4)
    assert framed.shape == NUMBER_INPUT_SHAPE[:2] and framed.dtype == np.uint8 and framed.max() == 255
    rows, columns = np.nonzero(framed)
    assert (rows.min(), rows.max(), columns.min(), columns.max()) == (4, 23, 12, 71)  # 20 x 60, centred
    hairline = np.zeros((200, 400), np.uint8)
    hairline[:, 0] = hairline[:, 399] = 255  # a pen's line in a large photo: 1 of 200 pixels
    assert (frame(hairline, stroke_width=1)[14] > 0).sum() >= 4  # thickened to about MNIST's width, not lost
    with pytest.raises(ValueError, match=r"Expected a 2-D mark with ink \(values above 0\), found no ink"):
        frame(np.zeros((10, 30), np.uint8))
    with pytest.raises(ValueError, match=r"found shape \(10, 30, 3\)"):
        frame(np.ones((10, 30, 3), np.uint8))


def test_a_number_is_read_when_two_or_three_digits_end_it_and_the_network_gives_it_enough():
    assert reading(answers([4, 7, NONE], 0.9)).digits == (4, 7)
    assert reading(answers([1, 4, 0], 0.9)).digits == (1, 4, 0)
    assert reading(answers([4, 7, NONE], 0.9)).score == pytest.approx(0.9**3)
    unsure = SURE ** (1 / 3) - 0.01  # each place a little less sure: the number falls under SURE
    assert reading(answers([4, 7, NONE], unsure)) is None
    assert reading(answers([7, NONE, NONE], 0.99)) is None  # one digit: the digit network's to read
    assert reading(answers([4, NONE, 7], 0.99)) is None  # a digit after the end is no number
    assert reading(answers([NONE, NONE, NONE], 0.99)) is None


def test_only_wide_marks_that_keep_their_ink_may_be_numbers():
    image = np.zeros((28, 28), np.uint8)
    assert may_be_number(Digit(image, (0, 0, 30, 40), np.ones((40, 30), np.uint8), 3.0))
    assert not may_be_number(Digit(image, (0, 0, 20, 40), np.ones((40, 20), np.uint8), 3.0))  # a 1's shape
    assert not may_be_number(Digit(image, (0, 0, 30, 40)))  # no ink kept


def test_read_numbers_reads_the_marks_in_one_batch():
    marks = [Digit(np.zeros((28, 28), np.uint8), (0, 0, 60, 40), np.full((40, 60), 255, np.uint8), 4.0)] * 2
    shapes = []

    def network(frames):
        shapes.append(frames.shape)
        assert frames.dtype == np.float32 and 0 <= frames.min() and frames.max() == 1
        return np.stack([answers([4, 7, NONE], 0.9), answers([4, 7, NONE], 0.3)])

    first, second = read_numbers(marks, network)
    assert shapes == [(2, *NUMBER_INPUT_SHAPE)] and first.digits == (4, 7) and second is None
    assert read_numbers([], network) == []
    with pytest.raises(ValueError, match=r"Expected uint8 frames of shape \(N, 28, 84\)"):
        joined_numbers.network_input(np.zeros((2, 28, 28), np.uint8))


def joined_page() -> np.ndarray:
    """A page with one wide mark (two strokes joined by a bar: a joined-up number's shape) and a narrow one."""
    page = np.full((80, 200), 255, np.uint8)
    page[20:60, 20:26] = page[20:60, 60:66] = page[38:42, 20:66] = 0
    page[20:60, 150:156] = 0
    return page


def test_predict_reads_a_wide_mark_that_is_no_digit_as_a_joined_up_number():
    found = find(joined_page())
    assert len(found.digits) == 2 and may_be_number(found.digits[0]) and not may_be_number(found.digits[1])
    sent = []

    def number_network(frames):
        sent.append(len(frames))
        return np.stack([answers([4, 7, NONE], 0.95)] * len(frames))

    (without,) = read_marks([found], lambda images: np.stack([UNSURE, UNSURE]))
    assert not Prediction("p.png", without).is_digit
    (marks,) = read_marks([found], lambda images: np.stack([UNSURE, UNSURE]), number_network)
    prediction = Prediction("p.png", marks)
    assert sent == [1] and prediction.number == "47"  # only the wide mark goes to the number network
    four, seven, narrow = marks
    assert four.joined and seven.joined and not narrow.is_digit
    left, top, width, height = found.digits[0].box
    assert (four.box[0], seven.box[0] + seven.box[2]) == (left, left + width) and four.box[3] == height
    assert prediction.to_dict()["digits"][0]["joined"] is True
    assert answer(prediction, top=1) == "p.png: 47 (4 95.0%, 7 95.0%; 1 other mark not a digit; joined up, read whole)"
    sure_one = np.eye(10)[1]
    (read_alone,) = read_marks([found], lambda images: np.stack([sure_one, UNSURE]), number_network)
    assert Prediction("p.png", read_alone).number == "1"  # a mark the digit network reads is its to read


def test_a_wide_mark_read_as_a_doubted_digit_gives_way_only_to_a_surer_number():
    found = find(joined_page())
    sent = []

    def number_network(sure):
        def network(frames):
            sent.append(len(frames))
            return np.stack([answers([4, 7, NONE], sure)] * len(frames))

        return network

    def digit_network(top):  # the wide mark read as an 8 this surely, the narrow one as no digit
        eight = np.full(10, (1 - top) / 9)
        eight[8] = top
        return lambda images: np.stack([eight, UNSURE])

    surer = (NUMBER_OVER_DIGIT + 0.01) ** (1 / 3)  # each place this sure: the number just over NUMBER_OVER_DIGIT
    less_sure = (NUMBER_OVER_DIGIT - 0.01) ** (1 / 3)
    doubted = DOUBTED_DIGIT_BELOW - 0.01
    (marks,) = read_marks([found], digit_network(doubted), number_network(surer))
    assert sent == [1] and Prediction("p.png", marks).number == "47" and marks[0].joined
    (marks,) = read_marks([found], digit_network(doubted), number_network(less_sure))
    assert Prediction("p.png", marks).number == "8" and not marks[0].joined  # the number is not sure enough
    sent.clear()
    (marks,) = read_marks([found], digit_network(DOUBTED_DIGIT_BELOW), number_network(0.999))
    assert sent == [] and Prediction("p.png", marks).number == "8"  # a digit read this surely is not asked about


def test_the_number_network_reads_a_frame_three_digits_wide_and_answers_each_place():
    model = number_training.build_number_model(8, epochs=1, seed=0)
    assert model.input_shape[1:] == NUMBER_INPUT_SHAPE and model.output_shape[1:] == (NUMBER_PLACES, NUMBER_ANSWERS)
    frames = np.random.default_rng(0).random((8, *NUMBER_INPUT_SHAPE), dtype=np.float32)
    targets = np.eye(NUMBER_ANSWERS, dtype=np.float32)[np.tile([4, 7, NONE], (8, 1))]
    history = training.train(model, frames, targets, epochs=1, outliers=frames[:2], verbose=0)
    assert len(history.history["loss"]) == 1
    np.testing.assert_allclose(model.predict(frames, verbose=0).sum(axis=2), 1, rtol=1e-5)
    with pytest.raises(ValueError, match=r"Expected one-hot labels of shape \(8, 3, 11\), found \(8, 11\)"):
        training.train(model, frames, targets[:, 0], epochs=1, verbose=0)


def test_the_training_set_is_joined_up_numbers_single_digits_and_non_digits_the_same_for_a_seed():
    images = np.zeros((4, 28, 28), np.uint8)
    images[:, 4:24, 12:16] = 255  # 1s, which join into a wide mark when written touching
    images[1, 4:8, 8:20] = 255  # a 7
    labels = np.array([1, 7, 1, 1])
    count = 7 * number_training.PARTS  # 7 numbers in each part, and beside them 1 single digit (SINGLES)
    frames, targets, outliers = number_training.training_set(images, labels, count=count, seed=0)
    singles = round(count * number_training.SINGLES / number_training.PARTS) * number_training.PARTS
    assert singles > 0 and frames.shape == (count + singles, *NUMBER_INPUT_SHAPE[:2]) and frames.dtype == np.uint8
    assert targets.shape == (len(frames), NUMBER_PLACES, NUMBER_ANSWERS) and set(targets.sum(axis=2).ravel()) == {1}
    lengths = (targets.argmax(axis=2) != NONE).sum(axis=1)
    in_each_part = lengths.reshape(number_training.PARTS, -1)  # each part's numbers, then its single digits
    numbers = count // number_training.PARTS
    assert set(in_each_part[:, :numbers].ravel()) == {2, 3} and set(in_each_part[:, numbers:].ravel()) == {1}
    assert set(targets.argmax(axis=2)[:, 0]) <= {1, 7}
    alone, joined = (round(count * share / number_training.PARTS) for share in (OUTLIERS, JOINED_OUTLIERS))
    assert len(outliers) == (alone + joined) * number_training.PARTS
    assert all(frame.any() for frame in outliers)
    in_parts = outliers.reshape(number_training.PARTS, alone + joined, *outliers.shape[1:])  # each: alone, joined
    ink_widths = in_parts.any(axis=2).sum(axis=2)  # columns with ink: two or three non-digits joined are wider
    assert ink_widths[:, alone:].mean() > 1.3 * ink_widths[:, :alone].mean()
    again = number_training.training_set(images, labels, count=count, seed=0)
    for made, made_again in zip((frames, targets, outliers), again):
        np.testing.assert_array_equal(made_again, made)
    with pytest.raises(ValueError, match="Expected at least 8 numbers, found 4"):
        number_training.training_set(images, labels, count=4, seed=0)
    assert parameters.MIN_NUMBERS == number_training.PARTS  # the notebook's NUMBERS is checked against it
