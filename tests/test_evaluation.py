"""Scores, per-class metrics and the error analysis, checked on hand-made cases."""

import numpy as np
import pytest
from helpers import learnable_arrays

from mnist_cnn import evaluation, execution
from mnist_cnn.model import build_model

TRUE = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 3])
PREDICTED = np.array([0, 1, 1, 1, 0, 2, 2, 3, 3, 3])


def test_scores_equal_kerass_evaluate():
    images, labels = learnable_arrays(64)
    model = build_model(seed=0)
    model.fit(images, labels, epochs=2, verbose=0)  # confident on some images, wrong on others
    probabilities = evaluation.predict(model, images)
    assert probabilities.shape == (64, 10)
    expected = model.evaluate(images, labels, verbose=0, return_dict=True)
    scores = evaluation.scores(labels.argmax(axis=1), probabilities)
    assert scores == pytest.approx(expected, rel=1e-5)
    assert 0 < scores["accuracy"] < 1
    with pytest.raises(ValueError, match=r"probabilities of shape \(10, classes\), found \(64, 10\)"):
        evaluation.scores(labels[:10].argmax(axis=1), probabilities)


def test_scores_clip_like_keras():
    certain_and_wrong = np.eye(10)[[1]]
    assert evaluation.scores(np.array([0]), certain_and_wrong)["loss"] == pytest.approx(-np.log(1e-7))


def test_predict_with_a_plan_equals_the_plain_model():
    images, _ = learnable_arrays(100)
    images[:, 26:, 26:] = 1.0
    model = build_model(seed=0)
    plan = execution.plan_execution(execution.Machine("test", 2, frozenset({"avx512_bf16"})), batch_size=64)
    np.testing.assert_allclose(evaluation.predict(model, images, plan), evaluation.predict(model, images), atol=1e-6)


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


def test_compare_mistakes_fixed_remaining_new():
    truth = np.array([0, 1, 2, 3])
    before, after = np.full((4, 10), 0.01), np.full((4, 10), 0.01)
    before[0, 5], before[1, 5], before[2, 2], before[3, 7] = 0.9, 0.6, 0.9, 0.8  # wrong: 0, 1, 3
    after[0, 0], after[1, 7], after[2, 9], after[3, 5] = 0.9, 0.6, 0.7, 0.95  # wrong: 1, 2, 3
    fixed, remaining, new = evaluation.compare_mistakes(truth, before, after)
    assert fixed.tolist() == [0] and remaining.tolist() == [3, 1] and new.tolist() == [2]
