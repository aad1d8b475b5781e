"""Measure a trained network on MNIST: its predictions, loss and accuracy, and where it goes wrong."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, confusion_matrix

from mnist_cnn import speed
from mnist_cnn.data import NUM_CLASSES, check_labels

KERAS_EPSILON = 1e-7  # Keras clips probabilities to [epsilon, 1 - epsilon] before the logarithm


def predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10) for preprocessed images, in float32, in large batches as the plan says.

    Reuse its result for the scores, the confusion matrix and the mistakes rather than predicting again.
    """
    return speed.planned_predict(model, images)


def scores(true_labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Categorical cross-entropy (as Keras computes it) and accuracy of predicted probabilities."""
    true_labels, probabilities = check_labels(true_labels), np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or len(probabilities) != len(true_labels):
        raise ValueError(f"Expected probabilities of shape ({len(true_labels)}, classes), found {probabilities.shape}.")
    truth = probabilities[np.arange(len(true_labels)), true_labels] / probabilities.sum(axis=1)
    loss = -np.log(np.clip(truth, KERAS_EPSILON, 1 - KERAS_EPSILON)).mean()
    accuracy = (probabilities.argmax(axis=1) == true_labels).mean()
    return {"loss": float(loss), "accuracy": float(accuracy)}


def per_class_metrics(true_labels: np.ndarray, predicted_labels: np.ndarray) -> pd.DataFrame:
    """Precision, recall, F1 and support for each digit, then the averages, as a table."""
    report = classification_report(
        true_labels, predicted_labels, labels=range(NUM_CLASSES), output_dict=True, zero_division=0
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
    true_labels, probabilities = check_labels(true_labels), np.asarray(probabilities)
    if probabilities.shape != (len(true_labels), NUM_CLASSES):
        raise ValueError(f"Expected probabilities of shape ({len(true_labels)}, 10), found {probabilities.shape}.")
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != true_labels)
    return wrong[np.argsort(-probabilities[wrong].max(axis=1), kind="stable")]


def compare_mistakes(
    true_labels: np.ndarray, before: np.ndarray, after: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the digits `after` fixed, still gets wrong and newly gets wrong, surest mistake first.

    `before` and `after` are two models' probabilities (N, 10) on the same images.
    """
    wrong_before, wrong_after = misclassified(true_labels, before), misclassified(true_labels, after)
    fixed = wrong_before[~np.isin(wrong_before, wrong_after)]
    remaining = wrong_after[np.isin(wrong_after, wrong_before)]
    new = wrong_after[~np.isin(wrong_after, wrong_before)]
    return fixed, remaining, new
