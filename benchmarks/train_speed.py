"""Training speed and accuracy: the original notebook's code (A) against the package (B and C).

    python benchmarks/train_speed.py                  # both studies: A, B, C 3 times, then B per seed
    python benchmarks/train_speed.py --study speed --epochs 3 --repeats 3

Speed: A, B and C train the same CNN for the same epochs, alternating A, B, C, A, B, C, ... so
that machine noise hits all; it prints seconds per epoch (the median of the epochs after the
first, which also traces the graph), the ratios A/B and A/C, and each run's test accuracy.
- A: the original notebook's code as written (plain Keras, float64 inputs from X/255, no channel
  axis, TensorFlow's default threads).
- B: the notebook's order: `speed.use()`, then `build_model()`, then `train()`.
- C: the natural order: `build_model()`, then `train()`, with no `use()` call; what the plan can
  still do once TensorFlow has started, and the one line it prints about the rest.
Accuracy: B trains the full recipe (5 epochs) once per seed; it prints the test accuracy's
mean ± std and median. Set MNIST_CNN_DATA to use a local copy of the data.

Each training runs in a process of its own: TensorFlow fixes its threads when it starts, and
`speed.use()` sets them, so A, B and C cannot share a process. This process imports no Keras.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

EPOCHS = 5  # the recipe's, for the accuracy study
BATCH_SIZE = 64  # the recipe's (mnist_cnn.training.BATCH_SIZE)
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
USE_FIRST = "call mnist_cnn.speed.use() before building a model"


def epoch_timer():
    """A Keras callback that records the wall time of each epoch, validation included."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.started)

    return EpochTimer()


def train_original(epochs: int, seed: int) -> dict:
    """A: the original notebook's code as written (float64 inputs from X/255, no channel axis)."""
    import keras
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
    timer = epoch_timer()
    model.fit(X_train, y_train, epochs=epochs, batch_size=64, validation_split=0.1, callbacks=[timer], verbose=0)
    _, test_accuracy = model.evaluate(X_test, y_test, verbose=0)
    return {"seconds": timer.seconds, "test_accuracy": test_accuracy, "how": "plain Keras, as written"}


def train_package(epochs: int, seed: int, natural_order: bool = False) -> dict:
    """B: `speed.use()`, `build_model()`, `train()`; C (`natural_order`): `build_model()`, `train()`."""
    from mnist_cnn import speed
    from mnist_cnn.speed import runtime

    if not natural_order:
        speed.use(batch_size=BATCH_SIZE)  # first: TensorFlow's threads can be set only before it starts
    from mnist_cnn.data import load_mnist, one_hot, preprocess_images
    from mnist_cnn.evaluation import predict, scores
    from mnist_cnn.networks import build_model
    from mnist_cnn.saving import library_versions
    from mnist_cnn.training import VALIDATION_SPLIT, train

    (x_train, y_train), (x_test, y_test) = load_mnist()
    model = build_model(seed=seed)
    timer = epoch_timer()
    train(
        model,
        preprocess_images(x_train),
        one_hot(y_train),
        epochs=epochs,
        batch_size=BATCH_SIZE,
        validation_split=VALIDATION_SPLIT,
        seed=seed,
        callbacks=[timer],
        verbose=0,
    )
    accuracy = scores(y_test, predict(model, preprocess_images(x_test)))["accuracy"]
    plan = runtime.plan_for(BATCH_SIZE)  # the plan train() ran (it says nothing twice)
    return {
        "seconds": timer.seconds,
        "test_accuracy": accuracy,
        "how": f"{plan.device}: {plan.choices()}",
        "libraries": library_versions(),
    }


def run(code: str, epochs: int, seed: int) -> dict:
    """Train A, B or C in a new Python process, without thread variables: each gets what its code sets."""
    environment = {name: value for name, value in os.environ.items() if name not in THREAD_VARIABLES}
    command = [sys.executable, __file__, "--train", code, "--epochs", str(epochs), "--seeds", str(seed)]
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    if finished.returncode != 0:
        sys.exit(f"Training {code} failed:\n{finished.stderr[-3000:]}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    result["told"] = [line for line in finished.stderr.splitlines() if USE_FIRST in line]
    return result


def per_epoch(seconds: list[float]) -> float:
    """Seconds per epoch: the median of the epochs after the first (which also traces), or the only one."""
    return statistics.median(seconds[1:] or seconds)


def speed_study(epochs: int, repeats: int, seed: int) -> None:
    print(f"\nSpeed: {repeats} repetition(s) of A, B, C, {epochs} epoch(s) each, seed {seed}")
    if epochs == 1:
        print("(1 epoch: its time includes tracing the graph; a check that the benchmark runs, not a measurement)")
    print("run | A s/epoch | B s/epoch | C s/epoch | A/B  | A/C  | A, B, C test acc")
    ratios: dict[str, list[float]] = {"B": [], "C": []}
    for repetition in range(1, repeats + 1):
        results = {code: run(code, epochs, seed) for code in "ABC"}
        seconds = {code: per_epoch(result["seconds"]) for code, result in results.items()}
        for code in "BC":
            ratios[code].append(seconds["A"] / seconds[code])
        accuracies = ", ".join(f"{result['test_accuracy']:.4f}" for result in results.values())
        print(
            f"{repetition:3d} | {seconds['A']:9.2f} | {seconds['B']:9.2f} | {seconds['C']:9.2f} | "
            f"{ratios['B'][-1]:4.2f} | {ratios['C'][-1]:4.2f} | {accuracies}",
            flush=True,
        )
        if repetition == 1:
            print(f"    libraries: {results['B']['libraries']}")
            for code, result in results.items():
                print(f"    {code} ran {result['how']}")
            told = results["C"]["told"] or ["(nothing)"]
            print(f"    C was told, on stderr: {told[0].strip()}", flush=True)
    for code, values in ratios.items():
        print(f"A/{code} median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})")


def accuracy_study(seeds: list[int]) -> None:
    print(f"\nAccuracy: B, the full recipe ({EPOCHS} epochs), seeds {seeds}")
    print("seed | test acc | s/epoch")
    accuracies = []
    for seed in seeds:
        result = run("B", EPOCHS, seed)
        accuracies.append(result["test_accuracy"])
        print(f"{seed:4d} | {result['test_accuracy']:8.4f} | {per_epoch(result['seconds']):7.2f}", flush=True)
    spread = f" ± {statistics.stdev(accuracies):.4f} (std)" if len(accuracies) > 1 else ""
    print(
        f"test accuracy: mean {statistics.mean(accuracies):.4f}{spread}, "
        f"median {statistics.median(accuracies):.4f}, min {min(accuracies):.4f}, max {max(accuracies):.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", choices=["speed", "accuracy", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run in the speed study (2 or more to time)")
    parser.add_argument("--repeats", type=int, default=3, help="A, B, C repetitions in the speed study")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="seeds of the accuracy study")
    parser.add_argument("--train", choices=["A", "B", "C"], help=argparse.SUPPRESS)  # one run, in a child process
    options = parser.parse_args()
    if options.epochs < 1 or options.repeats < 1:
        parser.error("--epochs and --repeats must be at least 1")

    if options.train:
        if options.train == "A":
            result = train_original(options.epochs, options.seeds[0])
        else:
            result = train_package(options.epochs, options.seeds[0], natural_order=options.train == "C")
        print(json.dumps(result))
        return

    from mnist_cnn.speed.plan import this_cpu  # imports no backend

    print(time.strftime("%Y-%m-%d"), "CPU:", this_cpu().describe())
    if options.study in ("speed", "both"):
        speed_study(options.epochs, options.repeats, seed=0)
    if options.study in ("accuracy", "both"):
        accuracy_study(options.seeds)


if __name__ == "__main__":
    main()
