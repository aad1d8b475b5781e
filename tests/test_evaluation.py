"""Scores, per-class metrics and the error analysis (`evaluation`), and photos read per condition
(`reading.photo_accuracy`), checked on hand-made cases."""

import numpy as np
import pytest
from helpers import learnable_arrays

from mnist_cnn import evaluation
from mnist_cnn.networks import build_model
from mnist_cnn.reading import photo_accuracy, photos
from mnist_cnn.reading.predict import find

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


def test_predict_as_planned_equals_the_plain_model():
    images, _ = learnable_arrays(100)
    images[:, 26:, 26:] = 1.0  # in the edge the original CNN never sees (speed.planned_model.unseen_edge)
    model = build_model(seed=0)
    np.testing.assert_allclose(evaluation.predict(model, images), model.predict(images, verbose=0), atol=1e-6)


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


def test_reading_confusion_counts_photos_not_read_in_a_column_of_their_own():
    truth = np.array([0, 1, 1, 2, 9])
    read = np.array([0, 7, photo_accuracy.NOT_READ, 2, photo_accuracy.NOT_READ])
    confusion = photo_accuracy.reading_confusion(truth, read)
    assert confusion.shape == (10, 11) and confusion.sum() == 5
    assert confusion[0, 0] == 1 and confusion[1, 7] == 1 and confusion[1, 10] == 1 and confusion[9, 10] == 1
    with pytest.raises(ValueError, match=r"one reading per label \(5,\), found \(4,\)"):
        photo_accuracy.reading_confusion(truth, read[:4])


def drawn_digit(digit: int) -> np.ndarray:
    """A 28x28 light-on-black stand-in for a handwritten 1 or 0."""
    image = np.zeros((28, 28), np.uint8)
    if digit == 1:
        image[4:24, 13:16] = 255
    else:
        image[4:24, 8:11] = image[4:24, 17:20] = image[4:7, 8:20] = image[21:24, 8:20] = 255
    return image


def ink_width_network(images: np.ndarray) -> np.ndarray:
    """A stand-in network that reads a narrow digit as 1 and a wide one as 0, from the prepared images."""
    columns = (images[..., 0] > 0.5).any(axis=1).sum(axis=1)
    probabilities = np.zeros((len(images), 10))
    probabilities[np.arange(len(images)), np.where(columns < 8, 1, 0)] = 1
    return probabilities


def test_photo_readings_read_each_condition_as_predict_does():
    images = np.stack([drawn_digit(1), drawn_digit(0), drawn_digit(1)])
    labels = np.array([1, 0, 1])
    found = photo_accuracy.found_in_photographs(images, conditions=["clean scan", "ruled"], seed=0)
    readings = photo_accuracy.photo_readings(
        {"width": ink_width_network, "always 7": lambda images: np.eye(10)[np.full(len(images), 7)]}, found
    )
    assert list(readings) == ["clean scan", "ruled"]
    assert readings["clean scan"]["width"].tolist() == [1, 0, 1]
    table = photo_accuracy.accuracy_by_condition(readings, labels)
    assert table.loc["clean scan", "width"] == 100.0 and table.loc["ruled", "always 7"] == 0.0
    assert table.index.tolist() == ["clean scan", "ruled", photo_accuracy.ALL_CONDITIONS]
    blank = [np.full((60, 60, 3), 230, np.uint8)]
    nothing = photo_accuracy.photo_readings({"width": ink_width_network}, {"blank": photo_accuracy.found_in(blank)})
    assert nothing["blank"]["width"].tolist() == [photo_accuracy.NOT_READ]


def test_photos_found_in_several_processes_are_those_one_process_finds(monkeypatch):
    images = np.stack([drawn_digit(1), drawn_digit(0), drawn_digit(1), drawn_digit(0), drawn_digit(1)])
    monkeypatch.setattr(photo_accuracy, "CHUNK", 2)  # three tasks per condition, the last one photo
    found = photo_accuracy.found_in_photographs(images, conditions=["JPEG", "shadow"], seed=4)
    for condition in ("JPEG", "shadow"):
        alone = [find(photo) for photo in photos.photographs(images, condition, seed=4)]
        assert len(found[condition]) == len(alone) == 5
        for here, there in zip(found[condition], alone):
            assert here.error == there.error and len(here.digits) == len(there.digits) == 1
            assert np.array_equal(here.digits[0].image, there.digits[0].image)
            assert here.digits[0].box == there.digits[0].box


@pytest.mark.parametrize(
    "labels, expected",
    [
        (np.eye(10)[[3, 1]], r"Expected digit labels, whole numbers \(N,\), found float64 \(2, 10\)\."),
        (np.array([3.0, 1.0]), r"Expected digit labels, whole numbers \(N,\), found float64 \(2,\)\."),
        (np.array([3, 12]), "Expected digit labels 0 to 9, found values 3 to 12"),
    ],
)
def test_labels_that_are_not_digits_are_named_as_such(labels, expected):
    probabilities = np.full((2, 10), 0.1)
    for measure in (evaluation.scores, evaluation.misclassified):
        with pytest.raises(ValueError, match=expected):
            measure(labels, probabilities)
