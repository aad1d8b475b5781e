"""How well networks read photos of digits: each photo read as `predict` reads it, accuracy per condition.

The photos are rendered by `photos` under each condition from digits no network trained on
(USPS's, in the third notebook and `benchmarks/handwriting.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mnist_cnn.data import NUM_CLASSES
from mnist_cnn.reading import photos
from mnist_cnn.reading.predict import MarkReading, Prediction, find, read_marks
from mnist_cnn.reading.saved_models import Network

NOT_READ = -1  # the reading of a photo in which no digit, or more than one, was found
ALL_CONDITIONS = "all conditions"  # the row of `accuracy_by_condition` over every condition


def read_photographs(network: Network, photographs: Sequence[np.ndarray]) -> np.ndarray:
    """The digit read in each photo of one digit, as `python -m mnist_cnn predict` reads it.

    `network` maps preprocessed images to probabilities (`saved_models.load_network`). A photo in which
    no mark is read as a digit, or several are, reads as `NOT_READ`: for a user, that is a mistake.
    """
    return readings(read_marks([find(photograph) for photograph in photographs], network))


def readings(marks: Sequence[Sequence[MarkReading]]) -> np.ndarray:
    """Each photo's one digit, or `NOT_READ` where not exactly one of its marks is a digit."""
    digits = [Prediction("", tuple(photo)).digit for photo in marks]
    return np.array([NOT_READ if digit is None else digit for digit in digits], dtype=int)


def photo_readings(
    networks: Mapping[str, Network],
    images: np.ndarray,
    *,
    conditions: Sequence[str] = tuple(photos.CONDITIONS),
    seed: int = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """Each image photographed under each condition (`photos`), read by each network: condition -> name -> digits."""
    readings_by_condition = {}
    for condition in conditions:
        found = [find(photograph) for photograph in photos.photographs(images, condition, seed)]
        readings_by_condition[condition] = {
            name: readings(read_marks(found, network)) for name, network in networks.items()
        }
    return readings_by_condition


def number_accuracy(
    networks: Mapping[str, Network],
    images: np.ndarray,
    labels: np.ndarray,
    *,
    numbers: int,
    touching: bool,
    condition: str = "JPEG",
    seed: int = 0,
) -> dict[str, float]:
    """Percent of `numbers` photographed numbers read whole, per network: two and three digits in turn, drawn from
    `images`, written apart or joined up (`photos.photograph_number`)."""
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
    truth = ["".join(map(str, labels[rows])) for rows in chosen]
    accuracy = {}
    for name, network in networks.items():
        read = ["".join(str(mark.digit) for mark in marks if mark.is_digit) for marks in read_marks(found, network)]
        accuracy[name] = 100 * float(np.mean([number == true for number, true in zip(read, truth)]))
    return accuracy


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
