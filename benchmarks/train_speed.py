"""Training speed and accuracy: the original notebook's code (A) against the package (B and C).

    python benchmarks/train_speed.py                  # both studies, about 7 minutes on 2 cores
    python benchmarks/train_speed.py --study speed --epochs 3 --repeats 5

Speed: A, B and C train the same CNN for the same epochs, alternating A, B, C, A, B, C, ... so
that machine noise hits all; it prints seconds per epoch (the epochs after the first, which also
traces the graph), the ratios A/B and A/C, and each run's test accuracy. B prepares the plan
before building the model, as the notebook does; C calls only `build_model()` then `train()`,
the natural order.
Accuracy: B trains the full recipe (5 epochs) once per seed; it prints the test accuracy's
mean ± std and median. Set MNIST_CNN_DATA to use a local copy of the data.

Each training runs in a process of its own: TensorFlow fixes its thread settings when it
starts, and B's execution plan (`mnist_cnn.plan`, set up by `mnist_cnn.execution`) sets them,
so A must not share a process with B.
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

from mnist_cnn.backend import keras  # quietly; importing Keras does not start TensorFlow, so A keeps its defaults

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


def train_package(epochs: int, seed: int, natural_order: bool = False) -> tuple[list[float], float]:
    """B: the package's training path with the same recipe; C (`natural_order`): without `prepare()`."""
    from mnist_cnn import execution
    from mnist_cnn.data import load_mnist, one_hot, preprocess_images
    from mnist_cnn.evaluation import predict, scores
    from mnist_cnn.model import build_model
    from mnist_cnn.training import BATCH_SIZE, VALIDATION_SPLIT, train

    plan = "auto" if natural_order else execution.prepare(batch_size=BATCH_SIZE)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    model = build_model(seed=seed)
    plan = execution.prepare(batch_size=BATCH_SIZE) if natural_order else plan  # what train() would prepare
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
    """Train A, B or C in a new Python process; A gets TensorFlow's default threading."""
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
    print(f"\nSpeed: {repeats} repetitions of A, B, C, {epochs} epochs each, seed {seed}")
    print("run | A s/epoch | B s/epoch | C s/epoch | A/B  | A/C  | A, B, C test acc")
    ratios: dict[str, list[float]] = {"B": [], "C": []}
    for repetition in range(1, repeats + 1):
        results = {code: run(code, epochs, seed) for code in "ABC"}
        per_epoch = {code: statistics.median(seconds[1:]) for code, (seconds, _) in results.items()}
        for code in "BC":
            ratios[code].append(per_epoch["A"] / per_epoch[code])
        accuracies = ", ".join(f"{accuracy:.4f}" for _, accuracy in results.values())
        print(
            f"{repetition:3d} | {per_epoch['A']:9.2f} | {per_epoch['B']:9.2f} | {per_epoch['C']:9.2f} | "
            f"{ratios['B'][-1]:4.2f} | {ratios['C'][-1]:4.2f} | {accuracies}",
            flush=True,
        )
    for code, values in ratios.items():
        print(f"A/{code} median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})")


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
    parser.add_argument("--train", choices=["A", "B", "C"], help=argparse.SUPPRESS)  # one run, in a child process
    options = parser.parse_args()
    if options.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch also traces the graph and is not timed")

    if options.train:
        if options.train == "A":
            seconds, test_accuracy = train_original(options.epochs, options.seeds[0])
        else:
            seconds, test_accuracy = train_package(options.epochs, options.seeds[0], natural_order=options.train == "C")
        print(json.dumps({"seconds": seconds, "test_accuracy": test_accuracy}))
        return

    from mnist_cnn import execution
    from mnist_cnn.artifacts import library_versions
    from mnist_cnn.plan import plan_execution
    from mnist_cnn.training import BATCH_SIZE

    print(time.strftime("%Y-%m-%d"), platform.machine(), library_versions())
    print("B's plan:", plan_execution(execution.this_machine(), batch_size=BATCH_SIZE).describe())
    if options.study in ("speed", "both"):
        speed_study(options.epochs, options.repeats, seed=0)
    if options.study in ("accuracy", "both"):
        accuracy_study(options.seeds)


if __name__ == "__main__":
    main()
