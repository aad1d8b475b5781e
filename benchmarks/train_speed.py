"""Training speed and accuracy: the original notebook's code (A) against the package (B).

    python benchmarks/train_speed.py                  # both studies, about 9 minutes on 2 cores
    python benchmarks/train_speed.py --study speed --epochs 3 --repeats 5

Speed: A and B train the same CNN for the same epochs, alternating A, B, A, B, ... so that
machine noise hits both; it prints seconds per epoch (the epochs after the first, which also
traces the graph), the ratio A/B, and each run's test accuracy.
Accuracy: B trains the full recipe (5 epochs) once per seed; it prints the test accuracy's
mean ± std and median. Set MNIST_CNN_DATA to use a local copy of the data.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import layers, models
from keras.utils import to_categorical

from mnist_cnn.data import load_mnist, one_hot, preprocess_images
from mnist_cnn.evaluation import evaluate
from mnist_cnn.model import build_model
from mnist_cnn.training import BATCH_SIZE, EPOCHS, VALIDATION_SPLIT, train


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of each epoch, validation included."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def run_original(data, epochs: int, seed: int) -> tuple[list[float], float]:
    """A: the original notebook's code as written (float64 inputs from X/255, no channel axis)."""
    (x_train, y_train_org), (x_test, y_test_org) = data
    X_train, X_test = x_train / 255, x_test / 255
    y_train, y_test = to_categorical(y_train_org), to_categorical(y_test_org)
    keras.utils.set_random_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras 3 prefers an Input layer to `input_shape`.
        model = models.Sequential()
        model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    model.fit(X_train, y_train, epochs=epochs, batch_size=64, validation_split=0.1, callbacks=[timer], verbose=0)
    _, test_accuracy = model.evaluate(X_test, y_test, verbose=0)
    return timer.seconds, test_accuracy


def run_package(data, epochs: int, seed: int) -> tuple[list[float], float]:
    """B: the package's training path with the same recipe."""
    (x_train, y_train), (x_test, y_test) = data
    model = build_model(seed=seed)
    timer = EpochTimer()
    train(
        model, preprocess_images(x_train), one_hot(y_train), epochs=epochs, batch_size=BATCH_SIZE,
        validation_split=VALIDATION_SPLIT, seed=seed, callbacks=[timer], verbose=0,
    )
    return timer.seconds, evaluate(model, preprocess_images(x_test), one_hot(y_test))["accuracy"]


def speed_study(data, epochs: int, repeats: int, seed: int) -> None:
    print(f"\nSpeed: {repeats} repetitions of A then B, {epochs} epochs each, seed {seed}")
    print("run | A s/epoch | B s/epoch | A/B  | A test acc | B test acc")
    ratios, a_epochs, b_epochs = [], [], []
    for repetition in range(1, repeats + 1):
        a_seconds, a_accuracy = run_original(data, epochs, seed)
        b_seconds, b_accuracy = run_package(data, epochs, seed)
        a, b = statistics.median(a_seconds[1:]), statistics.median(b_seconds[1:])
        ratios.append(a / b)
        a_epochs += a_seconds[1:]
        b_epochs += b_seconds[1:]
        print(f"{repetition:3d} | {a:9.2f} | {b:9.2f} | {a / b:4.2f} | {a_accuracy:10.4f} | {b_accuracy:10.4f}", flush=True)
    print(
        f"median: A {statistics.median(a_epochs):.2f} s/epoch, B {statistics.median(b_epochs):.2f} s/epoch; "
        f"A/B median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )


def accuracy_study(data, seeds: list[int]) -> None:
    print(f"\nAccuracy: B, the full recipe ({EPOCHS} epochs), seeds {seeds}")
    print("seed | test acc | s/epoch")
    accuracies = []
    for seed in seeds:
        seconds, accuracy = run_package(data, EPOCHS, seed)
        accuracies.append(accuracy)
        print(f"{seed:4d} | {accuracy:8.4f} | {statistics.median(seconds[1:]):7.2f}", flush=True)
    print(
        f"test accuracy: mean {statistics.mean(accuracies):.4f} ± {statistics.stdev(accuracies):.4f} (std), "
        f"median {statistics.median(accuracies):.4f}, min {min(accuracies):.4f}, max {max(accuracies):.4f}"
    )


def processor_name() -> str:
    """The CPU's model name where Linux tells it, else what Python knows."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", choices=["speed", "accuracy", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run in the speed study (at least 2)")
    parser.add_argument("--repeats", type=int, default=3, help="A/B repetitions in the speed study")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="seeds of the accuracy study")
    options = parser.parse_args()
    if options.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch also traces the graph and is not timed")

    data = load_mnist()
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, {processor_name()}; "
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, NumPy {np.__version__}"
    )
    if options.study in ("speed", "both"):
        speed_study(data, options.epochs, options.repeats, seed=0)
    if options.study in ("accuracy", "both"):
        accuracy_study(data, options.seeds)


if __name__ == "__main__":
    main()
