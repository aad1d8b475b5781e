"""Read joined-up numbers: a mark of two or three touching digits, read whole by a network of its own.

People write numbers whose digits touch. The preparation then finds one mark, and the digit
network answers "not a digit" for it, or a digit it doubts (`predict.read_marks`). Such a mark, at
least `WIDE` times as wide as it is tall, is framed as a number (`frame`: as tall as MNIST's digits,
in a frame three digits wide) and read by the number network (`number_training.number_cnn`): in
each of its three places, a digit or none. The number is read when the network gives it, the
product of its places' probabilities, at least `SURE`; else the mark stays what it was.

The network learns from MNIST's training digits written joined up and photographed
(`number_training`). Cutting the mark where the digit network reads every part was
tried first, and refused too few non-digits (docs/handwriting.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mnist_cnn.data import NUM_CLASSES
from mnist_cnn.reading.preparation import DIGIT_BOX, Digit, fitted

NUMBER_INPUT_SHAPE = (28, 84, 1)  # a joined-up number, as tall as MNIST's digits, in a frame three digits wide
NUMBER_PLACES = 3  # the number network reads up to three digits
NUMBER_ANSWERS = NUM_CLASSES + 1  # in each place: a digit, or none (the number has ended)

WIDE = 0.6  # a mark at least this many times as wide as it is tall may be a joined-up number (a 1 and a 0: 0.7)
SURE = 0.2  # a number the network gives less probability than this is not read (chosen: docs/handwriting.md)
NONE = NUMBER_ANSWERS - 1  # the answer in a place after the number's last digit
NUMBER_BOX = (DIGIT_BOX, NUMBER_INPUT_SHAPE[1] - 4)  # the number fits this box (height, width), centred in the frame

NumberNetwork = Callable[[np.ndarray], np.ndarray]  # frames (N, 28, 84, 1) in [0, 1] -> (N, places, answers)


@dataclass(frozen=True)
class NumberReading:
    """A joined-up number read whole: its digits, and the network's probabilities (places, answers)."""

    digits: tuple[int, ...]
    probabilities: np.ndarray

    @property
    def score(self) -> float:
        """The number's probability: the product of each place's, its digits' and the "none" after them."""
        return float(self.probabilities.max(axis=1).prod())


def may_be_number(mark: Digit) -> bool:
    """Whether a mark is wide enough to be two or more digits, and keeps its ink to be framed."""
    return mark.strokes is not None and mark.strokes.shape[1] >= WIDE * mark.strokes.shape[0]


def frame(strokes: np.ndarray, stroke_width: float | None = None) -> np.ndarray:
    """A mark's ink (uint8, ink high) as the number network reads it: fitted into `NUMBER_BOX`, thin strokes
    thickened as `preparation.to_mnist` does, centred in a 28 x 84 uint8 frame."""
    strokes = np.asarray(strokes)
    if strokes.ndim != 2 or not strokes.any():
        found = f"shape {strokes.shape}" if strokes.ndim != 2 else "no ink (every value 0)"
        raise ValueError(f"Expected a 2-D mark with ink (values above 0), found {found}.")
    fit = fitted(strokes, stroke_width, NUMBER_BOX)
    result = np.zeros(NUMBER_INPUT_SHAPE[:2], np.float32)
    top, left = ((side - size) // 2 for side, size in zip(result.shape, fit.shape))
    result[top : top + fit.shape[0], left : left + fit.shape[1]] = fit
    return np.clip(result, 0, 255).astype(np.uint8)


def read_numbers(marks: Sequence[Digit], network: NumberNetwork) -> list[NumberReading | None]:
    """Each mark read by the number network, in one batch: a `NumberReading` of two or three digits given at
    least `SURE`, else None."""
    if not marks:
        return []
    frames = np.stack([frame(mark.strokes, mark.stroke_width) for mark in marks])
    return [reading(answers) for answers in network(network_input(frames))]


def network_input(frames: np.ndarray) -> np.ndarray:
    """Frames (N, 28, 84) uint8 as the number network reads them: float32 in [0, 1], (N, 28, 84, 1)."""
    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[1:] != NUMBER_INPUT_SHAPE[:2] or frames.dtype != np.uint8:
        raise ValueError(f"Expected uint8 frames of shape (N, 28, 84), found {frames.dtype} {frames.shape}.")
    return frames[..., None].astype(np.float32) / 255


def reading(probabilities: np.ndarray) -> NumberReading | None:
    """The number in one frame's answers (places, answers): its digits up to the first "none", if it has two
    or more and the network gives it at least `SURE`."""
    answers = probabilities.argmax(axis=1).tolist()
    digits = tuple(answers[: answers.index(NONE)] if NONE in answers else answers)
    if len(digits) < 2 or any(answer != NONE for answer in answers[len(digits) :]):
        return None
    found = NumberReading(digits, np.asarray(probabilities))
    return found if found.score >= SURE else None
