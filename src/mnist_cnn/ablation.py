"""Train and score one recipe after another on the same data and seed: the ablation's rows and table."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from mnist_cnn import evaluation
from mnist_cnn.training import train


@dataclass(frozen=True)
class TrainedRecipe:
    """One trained recipe: its name, test accuracy, training time and test probabilities."""

    name: str
    test_accuracy: float
    training_seconds: float
    epochs: int
    parameters: int
    probabilities: np.ndarray


def train_and_score(
    name: str,
    model: keras.Model,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_digits: np.ndarray,
    *,
    epochs: int,
    seed: int,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainedRecipe:
    """Train `model` (one-hot `train_labels`), then score it on the test images (digit labels)."""
    started = time.perf_counter()
    train(model, train_images, train_labels, epochs=epochs, seed=seed, callbacks=callbacks, verbose=0)
    seconds = time.perf_counter() - started
    probabilities = evaluation.predict(model, test_images)
    accuracy = evaluation.scores(test_digits, probabilities)["accuracy"]
    return TrainedRecipe(name, accuracy, seconds, epochs, model.count_params(), probabilities)


def ablation_table(steps: Sequence[TrainedRecipe]) -> pd.DataFrame:
    """A row per trained recipe, in order: test accuracy (%), its change from the step before, training time."""
    if not steps:
        raise ValueError("Expected at least one step, found none.")
    table = pd.DataFrame(
        {
            "test accuracy (%)": [round(100 * step.test_accuracy, 2) for step in steps],
            "test errors": [round((1 - step.test_accuracy) * len(step.probabilities)) for step in steps],
            "epochs": [step.epochs for step in steps],
            "training (s)": [round(step.training_seconds) for step in steps],
            "s per epoch": [round(step.training_seconds / step.epochs, 1) for step in steps],
            "parameters": [step.parameters for step in steps],
        },
        index=pd.Index([step.name for step in steps], name="step"),
    )
    table.insert(1, "change (points)", table["test accuracy (%)"].diff().round(2))
    return table
