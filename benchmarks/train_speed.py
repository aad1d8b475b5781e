"""Training speed and accuracy: the original notebook's code (A) against the package (B).

    python benchmarks/train_speed.py                  # both studies, about 7 minutes on 2 cores
    python benchmarks/train_speed.py --study speed --epochs 3 --repeats 5

Speed: A and B train the same CNN for the same epochs, alternating A, B, A, B, ... so that
machine noise hits both; it prints seconds per epoch (the epochs after the first, which also
traces the graph), the ratio A/B, and each run's test accuracy.
Accuracy: B trains the full recipe (5 epochs) once per seed; it prints the test accuracy's
mean ± std and median. Set MNIST_CNN_DATA to use a local copy of the data.

Each training runs in a process of its own: TensorFlow fixes its thread settings when it
starts, and B's execution plan (`mnist_cnn.execution`) sets them, so A must not share a
process with B.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import keras  # importing Keras does not start TensorFlow's runtime, so A keeps its defaults

EPOCHS = 5  # the recipe's, for the accuracy study
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of each epoch, validation included."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def train_original(epochs: int, seed: int) -> tuple[list[float], float]:
    """A: the original notebook's code as written (float64 inputs from X/255, no channel axis)."""
    from keras import layers, models
    from keras.utils import to_categorical

    from mnist_cnn.data import load_mnist

    (x_train, y_train_org), (x_test, y_test_org) = load_mnist()
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


def train_package(epochs: int, seed: int) -> tuple[list[float], float]:
    """B: the package's training path with the same recipe."""
    from mnist_cnn import execution
    from mnist_cnn.data import load_mnist, one_hot, preprocess_images
    from mnist_cnn.evaluation import predict, scores
    from mnist_cnn.model import build_model
    from mnist_cnn.training import BATCH_SIZE, VALIDATION_SPLIT, train

    plan = execution.prepare(batch_size=BATCH_SIZE)  # before the model: TensorFlow fixes its threads then
    (x_train, y_train), (x_test, y_test) = load_mnist()
    model = build_model(seed=seed)
    timer = EpochTimer()
    train(
        model,
        preprocess_images(x_train),
        one_hot(y_train),
        epochs=epochs,
        batch_size=BATCH_SIZE,
        validation_split=VALIDATION_SPLIT,
        seed=seed,
        plan=plan,
        callbacks=[timer],
        verbose=0,
    )
    return timer.seconds, scores(y_test, predict(model, preprocess_images(x_test), plan))["accuracy"]


def run(code: str, epochs: int, seed: int) -> tuple[list[float], float]:
    """Train A or B in a new Python process; A gets TensorFlow's default threading."""
    environment = dict(os.environ)
    if code == "A":
        for name in THREAD_VARIABLES:
            environment.pop(name, None)
    command = [sys.executable, __file__, "--train", code, "--epochs", str(epochs), "--seeds", str(seed)]
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    if finished.returncode != 0:
        sys.exit(f"Training {code} failed:\n{finished.stderr[-3000:]}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    return result["seconds"], result["test_accuracy"]


def speed_study(epochs: int, repeats: int, seed: int) -> None:
    print(f"\nSpeed: {repeats} repetitions of A then B, {epochs} epochs each, seed {seed}")
    print("run | A s/epoch | B s/epoch | A/B  | A test acc | B test acc")
    ratios, a_epochs, b_epochs = [], [], []
    for repetition in range(1, repeats + 1):
        a_seconds, a_accuracy = run("A", epochs, seed)
        b_seconds, b_accuracy = run("B", epochs, seed)
        a, b = statistics.median(a_seconds[1:]), statistics.median(b_seconds[1:])
        ratios.append(a / b)
        a_epochs += a_seconds[1:]
        b_epochs += b_seconds[1:]
        print(
            f"{repetition:3d} | {a:9.2f} | {b:9.2f} | {a / b:4.2f} | {a_accuracy:10.4f} | {b_accuracy:10.4f}",
            flush=True,
        )
    print(
        f"median: A {statistics.median(a_epochs):.2f} s/epoch, B {statistics.median(b_epochs):.2f} s/epoch; "
        f"A/B median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )


def accuracy_study(seeds: list[int]) -> None:
    print(f"\nAccuracy: B, the full recipe ({EPOCHS} epochs), seeds {seeds}")
    print("seed | test acc | s/epoch")
    accuracies = []
    for seed in seeds:
        seconds, accuracy = run("B", EPOCHS, seed)
        accuracies.append(accuracy)
        print(f"{seed:4d} | {accuracy:8.4f} | {statistics.median(seconds[1:]):7.2f}", flush=True)
    spread = f" ± {statistics.stdev(accuracies):.4f} (std)" if len(accuracies) > 1 else ""
    print(
        f"test accuracy: mean {statistics.mean(accuracies):.4f}{spread}, "
        f"median {statistics.median(accuracies):.4f}, min {min(accuracies):.4f}, max {max(accuracies):.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", choices=["speed", "accuracy", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run in the speed study (at least 2)")
    parser.add_argument("--repeats", type=int, default=3, help="A/B repetitions in the speed study")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="seeds of the accuracy study")
    parser.add_argument("--train", choices=["A", "B"], help=argparse.SUPPRESS)  # one run, in a child process
    options = parser.parse_args()
    if options.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch also traces the graph and is not timed")

    if options.train:
        train = train_original if options.train == "A" else train_package
        seconds, test_accuracy = train(options.epochs, options.seeds[0])
        print(json.dumps({"seconds": seconds, "test_accuracy": test_accuracy}))
        return

    from mnist_cnn import execution
    from mnist_cnn.artifacts import library_versions
    from mnist_cnn.training import BATCH_SIZE

    print(time.strftime("%Y-%m-%d"), platform.machine(), library_versions())
    print("B's plan:", execution.plan_execution(execution.this_machine(), batch_size=BATCH_SIZE).describe())
    if options.study in ("speed", "both"):
        speed_study(options.epochs, options.repeats, seed=0)
    if options.study in ("accuracy", "both"):
        accuracy_study(options.seeds)


if __name__ == "__main__":
    main()
