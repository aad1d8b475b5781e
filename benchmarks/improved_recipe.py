"""The second notebook's final recipe against the original recipe: test accuracy over seeds, training time.

    python benchmarks/improved_recipe.py                 # seeds 0 1 2, about 10 minutes on 2 cores
    python benchmarks/improved_recipe.py --seeds 0 1 2 3 4

For each seed it trains the original recipe (the original CNN, 5 epochs) and the final recipe
(`networks.FINAL_RECIPE`) alternately, each in a new process that calls `speed.use()` first (the
execution plan for this machine), on all 60,000 training images (the last 10 % held out for
validation, as in both notebooks). It prints each run's test accuracy and training time, then the
final recipe's median test accuracy and the median ratio of the two training times. Set
MNIST_CNN_DATA to use a local copy of the data.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def train_one(recipe: str, seed: int) -> dict[str, float]:
    """Train one recipe with one seed in this process; return its test accuracy and seconds."""
    from mnist_cnn import speed

    speed.use(batch_size=64)  # before any model: TensorFlow fixes its threads then
    from mnist_cnn import ablation, data, networks, training

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    train_images, test_images = data.preprocess_images(x_train), data.preprocess_images(x_test)
    if recipe == "original":
        model, epochs = networks.build_model(seed=seed), training.EPOCHS
    else:
        final = networks.FINAL_RECIPE
        steps = training.steps_per_epoch(len(x_train))
        model, epochs = networks.build_improved_model(final, steps_per_epoch=steps, seed=seed), final.epochs
    trained = ablation.train_and_score(
        recipe, model, train_images, data.one_hot(y_train), test_images, y_test, epochs=epochs, seed=seed
    )
    return {"test_accuracy": trained.test_accuracy, "seconds": trained.training_seconds}


def run(recipe: str, seed: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--train", recipe, "--seeds", str(seed)]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        sys.exit(f"Training {recipe} (seed {seed}) failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--train", choices=["original", "final"], help=argparse.SUPPRESS)  # one run, in a child
    options = parser.parse_args()
    if options.train:
        print(json.dumps(train_one(options.train, options.seeds[0])))
        return

    from mnist_cnn.networks import FINAL_RECIPE
    from mnist_cnn.saving import library_versions
    from mnist_cnn.speed.runtime import this_machine

    print(time.strftime("%Y-%m-%d"), this_machine().describe(), library_versions())
    print(f"final recipe: {FINAL_RECIPE}")
    print("seed | original acc | original s | final acc | final s | final/original time")
    finals, ratios = [], []
    for seed in options.seeds:
        original, final = run("original", seed), run("final", seed)
        finals.append(final["test_accuracy"])
        ratios.append(final["seconds"] / original["seconds"])
        print(
            f"{seed:4d} | {original['test_accuracy']:12.4f} | {original['seconds']:10.0f} | "
            f"{final['test_accuracy']:9.4f} | {final['seconds']:7.0f} | {ratios[-1]:.2f}",
            flush=True,
        )
    print(
        f"final recipe: median test accuracy {statistics.median(finals):.4f} "
        f"(min {min(finals):.4f}, max {max(finals):.4f}); training time {statistics.median(ratios):.2f} x the "
        f"original recipe's (median of {len(ratios)} seeds)"
    )


if __name__ == "__main__":
    main()
