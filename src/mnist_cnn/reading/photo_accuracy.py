"""How well networks read photos of digits: each photo read as `predict` reads it, accuracy per condition.

The photos are rendered by `photos` under each condition from digits no network trained on
(USPS's, in the third notebook and `benchmarks/handwriting.py`), and prepared, in one process per
core (joblib): rendering and preparing thousands of photos is the evaluation's longest part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from mnist_cnn.data import NUM_CLASSES
from mnist_cnn.reading import photos
from mnist_cnn.reading.joined_numbers import NumberNetwork, may_be_number, read_numbers
from mnist_cnn.reading.predict import Found, MarkReading, Prediction, find, read_marks
from mnist_cnn.reading.saved_models import Network

NOT_READ = -1  # the reading of a photo in which no digit, or more than one, was found
ALL_CONDITIONS = "all conditions"  # the row of `accuracy_by_condition` over every condition
PROCESSES = -1  # joblib's n_jobs for rendering and preparing photos: one process per core
CHUNK = 100  # photos a process renders and prepares in one task


def found_in(pictures: Sequence[np.ndarray]) -> list[Found]:
    """What the preparation finds in each picture (`predict.find`), prepared in one process per core."""
    chunks = [pictures[start : start + CHUNK] for start in range(0, len(pictures), CHUNK)]
    return [found for part in _in_processes(_found_in, [(chunk,) for chunk in chunks]) for found in part]


def found_in_photographs(
    images: np.ndarray, *, conditions: Sequence[str] = tuple(photos.CONDITIONS), seed: int = 0
) -> dict[str, list[Found]]:
    """Each image photographed under each condition (`photos.photographs`) and prepared: condition -> what was
    found in each photo. Rendered and prepared in one process per core, each photo as one process renders it."""
    tasks = [(condition, start) for condition in conditions for start in range(0, len(images), CHUNK)]
    parts = _in_processes(
        _found_in_photographs, [(images[start : start + CHUNK], condition, seed, start) for condition, start in tasks]
    )
    found: dict[str, list[Found]] = {condition: [] for condition in conditions}
    for (condition, _), part in zip(tasks, parts):
        found[condition].extend(part)
    return found


def _in_processes(function: Callable, arguments: Sequence[tuple]) -> list:
    with Parallel(n_jobs=PROCESSES) as parallel:
        return parallel(delayed(function)(*each) for each in arguments)


def _found_in(pictures: Sequence[np.ndarray]) -> list[Found]:
    return [find(picture) for picture in pictures]


def _found_in_photographs(images: np.ndarray, condition: str, seed: int, start: int) -> list[Found]:
    return _found_in(photos.photographs(images, condition, seed, start=start))


def readings(marks: Sequence[Sequence[MarkReading]]) -> np.ndarray:
    """Each photo's one digit, or `NOT_READ` where not exactly one of its marks is a digit."""
    digits = [Prediction("", tuple(photo)).digit for photo in marks]
    return np.array([NOT_READ if digit is None else digit for digit in digits], dtype=int)


def photo_readings(
    networks: Mapping[str, Network],
    found: Mapping[str, Sequence[Found]],
    number_network: NumberNetwork | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """The digit each network reads in each photo, as `python -m mnist_cnn predict` reads a file: condition ->
    name -> digits, from what was found in the photos (`found_in_photographs`). Each network maps
    preprocessed images to probabilities (`saved_models.load_network`); `number_network`, if any, reads
    joined-up numbers with each. A photo in which no mark is read as a digit, or several are, reads as
    `NOT_READ`: for a user, that is a mistake."""
    return {
        condition: {
            name: readings(read_marks(in_photos, network, number_network)) for name, network in networks.items()
        }
        for condition, in_photos in found.items()
    }


def number_accuracy(
    networks: Mapping[str, Network],
    images: np.ndarray,
    labels: np.ndarray,
    *,
    numbers: int,
    touching: bool,
    condition: str = "JPEG",
    seed: int = 0,
    number_network: NumberNetwork | None = None,
) -> dict[str, float]:
    """Percent of `numbers` photographed numbers read whole, per network: two and three digits in turn, drawn from
    `images`, written apart or joined up (`number_photos`); with `number_network`, joined-up numbers are read
    whole as `predict` reads them when the number network is saved."""
    found, truth = number_photos(images, labels, numbers=numbers, touching=touching, condition=condition, seed=seed)
    accuracy = {}
    for name, network in networks.items():
        read = [Prediction("", marks).number for marks in read_marks(found, network, number_network)]
        accuracy[name] = 100 * float(np.mean([number == true for number, true in zip(read, truth)]))
    return accuracy


def number_photos(
    images: np.ndarray, labels: np.ndarray, *, numbers: int, touching: bool, condition: str, seed: int = 0
) -> tuple[list[Found], list[str]]:
    """What is found in `numbers` photos of numbers of two and three of `images` in turn, written apart or joined
    up (`photos.photograph_number`) under `condition`, and each number's digits as a string."""
    rng = np.random.default_rng([seed, 4])
    chosen = [rng.choice(len(images), 2 + index % 2, replace=False) for index in range(numbers)]
    found = [
        find(
            photos.photograph_number(
                list(images[rows]), condition, np.random.default_rng([seed, 5, index]), touching=touching
            )
        )
        for index, rows in enumerate(chosen)
    ]
    return found, ["".join(map(str, labels[rows])) for rows in chosen]


def joined_number_accuracy(
    number_network: NumberNetwork,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    numbers: int,
    conditions: Sequence[str] = tuple(photos.CONDITIONS),
    seed: int = 0,
) -> pd.DataFrame:
    """Percent of `numbers` joined-up numbers (`number_photos`) the number network reads whole, per condition and
    over all: from the one mark the preparation finds in each photo; where it finds none or several, the
    number is not read."""
    read = {}
    for condition in conditions:
        found, truth = number_photos(images, labels, numbers=numbers, touching=True, condition=condition, seed=seed)
        marks = [each.digits[0] if len(each.digits) == 1 and may_be_number(each.digits[0]) else None for each in found]
        readings = iter(read_numbers([mark for mark in marks if mark is not None], number_network))
        said = ["" if mark is None else "".join(map(str, getattr(next(readings), "digits", ()))) for mark in marks]
        read[condition] = 100 * float(np.mean([number == true for number, true in zip(said, truth)]))
    table = pd.DataFrame({"joined-up numbers read": read})
    table.loc[ALL_CONDITIONS] = table.mean()
    table.index.name = "condition"
    return table.round(1)


def accuracy_by_condition(readings: Mapping[str, Mapping[str, np.ndarray]], true_labels: np.ndarray) -> pd.DataFrame:
    """Percent read correctly: a row per condition and one for all of them, a column per network."""
    table = pd.DataFrame(
        {
            condition: {name: 100 * float(np.mean(read == true_labels)) for name, read in by_name.items()}
            for condition, by_name in readings.items()
        }
    ).transpose()
    table.loc[ALL_CONDITIONS] = table.mean()
    table.index.name = "condition"
    return table.round(1)


def reading_confusion(true_labels: np.ndarray, readings: np.ndarray) -> np.ndarray:
    """The 10x11 confusion of photo readings: row = true digit, column = digit read, the last column `NOT_READ`."""
    true_labels, readings = np.asarray(true_labels), np.asarray(readings)
    if readings.shape != true_labels.shape:
        raise ValueError(f"Expected one reading per label {true_labels.shape}, found {readings.shape}.")
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES + 1), dtype=int)
    np.add.at(confusion, (true_labels, np.where(readings == NOT_READ, NUM_CLASSES, readings)), 1)
    return confusion
