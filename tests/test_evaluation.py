"""Scores, per-class metrics and the error analysis, checked on hand-made cases."""

import numpy as np
import pytest

from helpers import learnable_arrays
from mnist_cnn import evaluation
from mnist_cnn.model import build_model

TRUE = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 3])
PREDICTED = np.array([0, 1, 1, 1, 0, 2, 2, 3, 3, 3])


def test_evaluate_and_predict():
    images, labels = learnable_arrays(64)
    model = build_model(seed=0)
    scores = evaluation.evaluate(model, images, labels)
    assert set(scores) == {"loss", "accuracy"} and 0 <= scores["accuracy"] <= 1
    probabilities = evaluation.predict(model, images)
    assert probabilities.shape == (64, 10)
    expected = np.mean(probabilities.argmax(axis=1) == labels.argmax(axis=1))
    assert scores["accuracy"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="as many labels as images"):
        evaluation.evaluate(model, images, labels[:10])


def test_per_class_metrics():
    table = evaluation.per_class_metrics(TRUE, PREDICTED)
    # Digit 2: 4 images, 2 found, and both predictions of 2 right.
    assert table.loc["2", "precision"] == 1.0 and table.loc["2", "recall"] == 0.5
    assert table.loc["3", "precision"] == pytest.approx(1 / 3) and table.loc["3", "recall"] == 1.0
    assert table.loc["1", "f1-score"] == pytest.approx(2 / 3)
    assert table["support"].tolist()[:4] == [2, 3, 4, 1]
    assert table.loc["9", "support"] == 0
    assert {"macro avg", "weighted avg"} <= set(table.index)


def test_confusion_and_most_confused_pairs():
    confusion = evaluation.digit_confusion(TRUE, PREDICTED)
    assert confusion.shape == (10, 10) and confusion.sum() == len(TRUE)
    assert confusion[2, 3] == 2 and confusion[1, 0] == 1
    assert evaluation.most_confused_pairs(confusion, count=2) == [(2, 3, 2), (0, 1, 1)]
    assert evaluation.most_confused_pairs(np.eye(10, dtype=int)) == []
    with pytest.raises(ValueError, match=r"\(10, 10\), found \(3, 3\)"):
        evaluation.most_confused_pairs(np.eye(3))


def test_misclassified_most_confident_first():
    probabilities = np.full((4, 10), 0.01)
    probabilities[0, 5] = 0.6  # wrong, 60 %
    probabilities[1, 1] = 0.9  # right
    probabilities[2, 7] = 0.95  # wrong, 95 %
    probabilities[3, 3] = 0.5  # right
    assert evaluation.misclassified(np.array([1, 1, 2, 3]), probabilities).tolist() == [2, 0]
    with pytest.raises(ValueError, match=r"\(3, 10\), found \(4, 10\)"):
        evaluation.misclassified(np.array([1, 1, 2]), probabilities)
