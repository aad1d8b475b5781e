"""Measure the trained CNN: loss and accuracy, predictions, and where it goes wrong."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, confusion_matrix

from mnist_cnn.data import NUM_CLASSES


def evaluate(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Return the model's loss and accuracy on preprocessed images and one-hot labels."""
    if len(images) != len(labels):
        raise ValueError(f"Expected as many labels as images ({len(images)}), found {len(labels)}.")
    return model.evaluate(images, labels, verbose=0, return_dict=True)


def predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Return the class probabilities (N, 10) for preprocessed images (N, 28, 28, 1)."""
    return model.predict(images, verbose=0)


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
        raise ValueError(
            f"Expected probabilities of shape ({len(true_labels)}, 10), found {probabilities.shape}."
        )
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != true_labels)
    return wrong[np.argsort(-probabilities[wrong].max(axis=1), kind="stable")]
