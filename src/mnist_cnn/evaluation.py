"""Measure the trained CNN: loss and accuracy, predictions, where it goes wrong, and how it reads photos."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, confusion_matrix

from mnist_cnn import execution, photos
from mnist_cnn.backend import keras
from mnist_cnn.data import NUM_CLASSES, preprocess_images
from mnist_cnn.digits import NoDigit, find_digits
from mnist_cnn.networks import Network
from mnist_cnn.plan import ExecutionPlan

PREDICTION_BATCH_SIZE = 1024  # large batches keep the cores busy: no gradients to hold in memory
KERAS_EPSILON = 1e-7  # Keras clips probabilities to [epsilon, 1 - epsilon] before the logarithm
NOT_READ = -1  # the reading of a photo in which no digit, or more than one, was found


def predict(model: keras.Model, images: np.ndarray, plan: ExecutionPlan | None = None) -> np.ndarray:
    """Class probabilities (N, 10) for preprocessed images, run in float32 as `plan` says.

    One pass in large batches; reuse its result for the scores, the confusion matrix and the
    mistakes rather than running the network again for each.
    """
    network = model if plan is None else execution.planned_model(model, plan)
    return network.predict(images, batch_size=PREDICTION_BATCH_SIZE, verbose=0)


def scores(true_labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Categorical cross-entropy (as Keras computes it) and accuracy of predicted probabilities."""
    true_labels, probabilities = np.asarray(true_labels), np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or len(probabilities) != len(true_labels):
        raise ValueError(f"Expected probabilities of shape ({len(true_labels)}, classes), found {probabilities.shape}.")
    truth = probabilities[np.arange(len(true_labels)), true_labels] / probabilities.sum(axis=1)
    loss = -np.log(np.clip(truth, KERAS_EPSILON, 1 - KERAS_EPSILON)).mean()
    accuracy = (probabilities.argmax(axis=1) == true_labels).mean()
    return {"loss": float(loss), "accuracy": float(accuracy)}


def per_class_metrics(true_labels: np.ndarray, predicted_labels: np.ndarray) -> pd.DataFrame:
    """Precision, recall, F1 and support for each digit, then the averages, as a table."""
    report = classification_report(
        true_labels,
        predicted_labels,
        labels=range(NUM_CLASSES),
        output_dict=True,
        zero_division=0,
    )
    table = pd.DataFrame(report).transpose().drop(index="accuracy", errors="ignore")
    table["support"] = table["support"].astype(int)
    return table


def digit_confusion(true_labels: np.ndarray, predicted_labels: np.ndarray) -> np.ndarray:
    """The 10x10 confusion matrix: row = true digit, column = predicted digit."""
    return confusion_matrix(true_labels, predicted_labels, labels=range(NUM_CLASSES))


def most_confused_pairs(confusion: np.ndarray, count: int = 3) -> list[tuple[int, int, int]]:
    """The `count` most frequent mistakes as (true digit, predicted digit, times)."""
    confusion = np.asarray(confusion)
    if confusion.shape != (NUM_CLASSES, NUM_CLASSES):
        raise ValueError(f"Expected a confusion matrix of shape (10, 10), found {confusion.shape}.")
    pairs = [
        (true, predicted, int(confusion[true, predicted]))
        for true in range(NUM_CLASSES)
        for predicted in range(NUM_CLASSES)
        if true != predicted and confusion[true, predicted]
    ]
    return sorted(pairs, key=lambda pair: -pair[2])[:count]


def misclassified(true_labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Indices of the wrongly classified samples, most confident mistake first."""
    true_labels, probabilities = np.asarray(true_labels), np.asarray(probabilities)
    if probabilities.shape != (len(true_labels), NUM_CLASSES):
        raise ValueError(f"Expected probabilities of shape ({len(true_labels)}, 10), found {probabilities.shape}.")
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != true_labels)
    return wrong[np.argsort(-probabilities[wrong].max(axis=1), kind="stable")]


def compare_mistakes(
    true_labels: np.ndarray, before: np.ndarray, after: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the test digits `after` fixed, still gets wrong, and newly gets wrong.

    `before` and `after` are two models' probabilities (N, 10) on the same images; each list is
    ordered by how sure the model that got it wrong was, surest first.
    """
    wrong_before, wrong_after = misclassified(true_labels, before), misclassified(true_labels, after)
    fixed = wrong_before[~np.isin(wrong_before, wrong_after)]
    remaining = wrong_after[np.isin(wrong_after, wrong_before)]
    new = wrong_after[~np.isin(wrong_after, wrong_before)]
    return fixed, remaining, new


def read_photographs(network: Network, photographs: Sequence[np.ndarray]) -> np.ndarray:
    """The digit read in each photo of one digit, as `python -m mnist_cnn predict` reads it.

    `network` maps preprocessed images to probabilities (`networks.load_network`). A photo in which
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
    table.loc["all conditions"] = table.mean()
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
