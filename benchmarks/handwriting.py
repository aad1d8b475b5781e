"""How well the saved models read photos of other people's handwriting, condition by condition.

    python benchmarks/handwriting.py [--models models/mnist_cnn.keras models/robust_cnn.keras]
                                     [--digits 4649] [--split test] [--seed 0]

Every USPS digit of the chosen half (`usps.load`: "tune" to tune the preparation and the
distortions on, "test" to report) is photographed under each of `photos.CONDITIONS`, with a
fixed seed, prepared by `preparation.find_digits` and read by each model's LiteRT export, as
`python -m mnist_cnn predict` reads a file (no digit, or several, is a mistake). It prints one
row per condition and a column per model (percent read correctly), with the row over
`reading.photo_accuracy.ALL_CONDITIONS`, each model's accuracy on MNIST's test set, the time taken,
and the CPU (LiteRT runs on it). Needs the models (`make report-all`), the MNIST data
(`MNIST_CNN_DATA` or Keras's download) and the USPS digits (fetched into a cache on first use,
or `MNIST_CNN_USPS`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from mnist_cnn.data import load_mnist, preprocess_images
from mnist_cnn.reading import photo_accuracy, usps
from mnist_cnn.reading.saved_models import load_network
from mnist_cnn.saving import MODEL_PATH, ROBUST_MODEL_PATH
from mnist_cnn.speed.plan import this_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, nargs="+", default=[MODEL_PATH, ROBUST_MODEL_PATH])
    parser.add_argument("--digits", type=int, default=4649, help="how many USPS digits of the half (at most 4,649)")
    parser.add_argument("--split", choices=("tune", "test"), default="test")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()

    print(f"{time.strftime('%Y-%m-%d')}, {this_cpu().describe()}")
    networks = {path.stem: load_network(path) for path in options.models}
    (_, _), (mnist_images, mnist_labels) = load_mnist()
    for name, network in networks.items():
        accuracy = np.mean(network(preprocess_images(mnist_images)).argmax(axis=1) == mnist_labels)
        print(f"MNIST test set, {name}: {accuracy:.2%}")
    tune, test = usps.load()
    images, labels = tune if options.split == "tune" else test
    images, labels = images[: options.digits], labels[: options.digits]
    started = time.perf_counter()
    readings = photo_accuracy.photo_readings(networks, images, seed=options.seed)
    seconds = time.perf_counter() - started
    print(f"USPS {options.split} half, {len(images):,} digits photographed under each condition (seed {options.seed}):")
    table = photo_accuracy.accuracy_by_condition(readings, labels)
    print("| condition | " + " | ".join(table.columns) + " |\n|---|" + "---|" * len(table.columns))
    for condition, row in table.iterrows():
        print(f"| {condition} | " + " | ".join(f"{value:.1f} %" for value in row) + " |")
    print(f"{len(images) * len(readings):,} photos rendered, prepared and read in {seconds:.0f} s")


if __name__ == "__main__":
    main()
