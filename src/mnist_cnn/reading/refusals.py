"""How well a network tells digits from pictures that hold none: refusals per kind, AUROC, the threshold.

A picture's **score** is how sure the network is of the likeliest digit among its marks (0 when
the preparation finds no mark): `predict` answers "not a digit" when the score is below
`predict.NOT_A_DIGIT_BELOW`. Scores are compared on photographed digits of other writers (USPS)
and on the non-digits of `non_digits`, written and photographed the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from mnist_cnn.reading import non_digits, photo_accuracy, photos
from mnist_cnn.reading.joined_numbers import NumberNetwork, may_be_number, read_numbers
from mnist_cnn.reading.predict import NOT_A_DIGIT_BELOW, Found, MarkReading, Prediction, find, read_marks
from mnist_cnn.reading.saved_models import Network

ALL_KINDS = "all kinds"  # the row of `refusal_table` over every kind


def photographed_non_digits(kind: str, count: int, seed: int = 0) -> list[np.ndarray]:
    """`count` evaluation pictures of `kind` (`non_digits.KINDS`) as RGB photos: ink written and photographed
    under a condition of `photos` drawn at random, things as they are."""
    pictures = non_digits.evaluation_pictures(kind, count, seed)
    return pictures if kind == "things" else photographed(pictures, seed)


def photographed(pictures: Sequence[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """Ink pictures (2-D uint8, ink high) written and photographed as RGB photos, each under a condition of
    `photos` drawn at random."""
    rng = np.random.default_rng([seed, 3])
    conditions = list(photos.CONDITIONS)
    return [photos.photograph(picture, conditions[int(rng.integers(len(conditions)))], rng) for picture in pictures]


def picture_scores(network: Network, found: Sequence[Found]) -> np.ndarray:
    """Each picture's score from what was found in it (`photo_accuracy.found_in`): the highest top probability
    among its marks, 0 where none is found."""
    marks = read_marks(found, network)
    return np.array([max((mark.probabilities[mark.digit] for mark in found), default=0.0) for found in marks])


def scores_of(networks: Mapping[str, Network], found: Sequence[Found]) -> dict[str, np.ndarray]:
    """Each network's `picture_scores` of the same pictures, by its name."""
    return {name: picture_scores(network, found) for name, network in networks.items()}


def first_photos(found: Mapping[str, Sequence[Found]], count: int) -> list[Found]:
    """The first `count` photos of each condition (`photo_accuracy.found_in_photographs`), as one list."""
    return [in_photo for in_photos in found.values() for in_photo in in_photos[:count]]


def refused(network: Network, found: Sequence[Found], number_network: NumberNetwork | None = None) -> np.ndarray:
    """Whether each picture is answered "not a digit" as `predict` answers, with the number network if given:
    no mark in it read as a digit, nor as a joined-up number."""
    return np.array([not Prediction("", marks).is_digit for marks in read_marks(found, network, number_network)])


def read_as_numbers(number_network: NumberNetwork, count: int, seed: int = 0) -> dict[str, float]:
    """Percent of `count` evaluation pictures of each kind (`photographed_non_digits`) in which the number network
    reads a joined-up number, in any of their wide marks: what "not a digit" may lose to it."""
    found = {kind: photo_accuracy.found_in(photographed_non_digits(kind, count, seed)) for kind in non_digits.KINDS}
    return {kind: 100 * float(_read_as_number(number_network, pictures).mean()) for kind, pictures in found.items()}


def _read_as_number(number_network: NumberNetwork, found: Sequence[Found]) -> np.ndarray:
    """Whether the number network reads a joined-up number in each picture, in any of its wide marks."""
    wide = [[mark for mark in each.digits if may_be_number(mark)] for each in found]
    readings = iter(read_numbers([mark for marks in wide for mark in marks], number_network))
    return np.array([any([next(readings) is not None for _ in marks]) for marks in wide])


def answers(network: Network, pictures: Sequence[np.ndarray]) -> list[str]:
    """What `predict` answers for each picture, in a few words: "7 (99%)", "47", or "not a digit"."""
    predictions = [Prediction("", marks) for marks in read_marks([find(picture) for picture in pictures], network)]
    return [said(p.digits[0]) if len(p.digits) == 1 else p.number or "not a digit" for p in predictions]


def said(mark: MarkReading) -> str:
    """One mark's answer: "7 (99%)", or "not a digit (4, 23%)"."""
    answer = f"{mark.digit} ({mark.probabilities[mark.digit]:.0%})"
    return answer if mark.is_digit else f"not a digit ({answer.replace(' (', ', ')}"


def refusal_table(scores: Mapping[str, Mapping[str, np.ndarray]], threshold: float = NOT_A_DIGIT_BELOW) -> pd.DataFrame:
    """Percent of pictures refused (score below `threshold`): a row per kind and one for all, a column per network.

    `scores` maps kind -> network name -> the pictures' scores.
    """
    table = pd.DataFrame(
        {
            kind: {name: 100 * float(np.mean(np.asarray(s) < threshold)) for name, s in by_name.items()}
            for kind, by_name in scores.items()
        }
    ).transpose()
    table.loc[ALL_KINDS] = table.mean()
    table.index.name = "kind"
    return table.round(1)


def every_kind(non_digit_scores: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Kind -> network -> scores, as network -> the scores of every kind together."""
    names = next(iter(non_digit_scores.values()), {})
    return {name: np.concatenate([by_name[name] for by_name in non_digit_scores.values()]) for name in names}


def separation_table(
    digit_scores: Mapping[str, np.ndarray], non_digit_scores: Mapping[str, Mapping[str, np.ndarray]], kept: float = 0.95
) -> pd.DataFrame:
    """`separation` per network (a column): digits' scores against non-digits' (kind -> network -> scores)."""
    non_digits_by_name = every_kind(non_digit_scores)
    return pd.DataFrame(
        {name: separation(digit_scores[name], non_digits_by_name[name], kept) for name in digit_scores}
    ).round(3)


def separation(digit_scores: np.ndarray, non_digit_scores: np.ndarray, kept: float = 0.95) -> dict[str, float]:
    """How well scores separate digits from non-digits: AUROC, and the share of non-digits refused
    at the threshold that keeps `kept` of the digits."""
    digit_scores, non_digit_scores = np.asarray(digit_scores), np.asarray(non_digit_scores)
    if not len(digit_scores) or not len(non_digit_scores):
        raise ValueError(
            f"Expected scores of digits and of non-digits, found {len(digit_scores)} and {len(non_digit_scores)}."
        )
    is_digit = np.r_[np.ones(len(digit_scores)), np.zeros(len(non_digit_scores))]
    threshold = threshold_keeping(digit_scores, kept)
    return {
        "AUROC": float(roc_auc_score(is_digit, np.r_[digit_scores, non_digit_scores])),
        f"refused at {kept:.0%} kept": float(np.mean(non_digit_scores < threshold)),
    }


def threshold_keeping(digit_scores: np.ndarray, kept: float) -> float:
    """The highest threshold under which at most `1 - kept` of the digits' scores fall."""
    if not 0 < kept <= 1:
        raise ValueError(f"Expected a share of digits kept in (0, 1], found {kept}.")
    ordered = np.sort(np.asarray(digit_scores))
    refused = min(int(np.floor((1 - kept) * len(ordered) + 1e-9)), len(ordered) - 1)  # digits that may fall below
    return float(ordered[refused])
