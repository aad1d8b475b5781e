"""How well networks read photos of digits: each photo read as `predict` reads it, accuracy per condition.

The photos are rendered by `photos` under each condition from digits no network trained on
(USPS's, in the third notebook and `benchmarks/handwriting.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mnist_cnn.data import NUM_CLASSES, preprocess_images
from mnist_cnn.reading import photos
from mnist_cnn.reading.preparation import NoDigit, find_digits
from mnist_cnn.reading.saved_models import Network

NOT_READ = -1  # the reading of a photo in which no digit, or more than one, was found
ALL_CONDITIONS = "all conditions"  # the row of `accuracy_by_condition` over every condition


def read_photographs(network: Network, photographs: Sequence[np.ndarray]) -> np.ndarray:
    """The digit read in each photo of one digit, as `python -m mnist_cnn predict` reads it.

    `network` maps preprocessed images to probabilities (`saved_models.load_network`). A photo in which
    the preparation finds no digit, or several, reads as `NOT_READ`: for a user, that is a mistake.
    """
    prepared, rows = [], []
    for row, photograph in enumerate(photographs):
        try:
            found = find_digits(photograph)
        except NoDigit:
            continue
        if len(found) == 1:
            prepared.append(found[0].image)
            rows.append(row)
    readings = np.full(len(photographs), NOT_READ)
    if prepared:
        readings[rows] = np.asarray(network(preprocess_images(np.stack(prepared)))).argmax(axis=1)
    return readings


def photo_readings(
    networks: Mapping[str, Network],
    images: np.ndarray,
    *,
    conditions: Sequence[str] = tuple(photos.CONDITIONS),
    seed: int = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """Each image photographed under each condition (`photos`), read by each network: condition -> name -> digits."""
    readings = {}
    for condition in conditions:
        photographed = photos.photographs(images, condition, seed)
        readings[condition] = {name: read_photographs(network, photographed) for name, network in networks.items()}
    return readings


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
