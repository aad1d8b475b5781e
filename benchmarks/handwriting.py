"""How well the saved models read photos of other people's handwriting, and say "not a digit".

    python benchmarks/handwriting.py [--models models/mnist_cnn.keras models/robust_cnn.keras]
                                     [--numbers models/number_cnn.keras]
                                     [--digits 4649] [--split test] [--seed 0] [--non-digits 500]

Every USPS digit of the chosen half (`usps.load`: "tune" to tune the preparation and the
distortions on, "test" to report) is photographed under each of `photos.CONDITIONS`, with a
fixed seed, prepared by `preparation.find_digits` and read by each model's LiteRT export, as
`python -m mnist_cnn predict` reads a file (no digit, or several, is a mistake). It prints one
row per condition and a column per model (percent read correctly), with the row over
`reading.photo_accuracy.ALL_CONDITIONS`, each model's accuracy on MNIST's test set, the time taken,
and the CPU (LiteRT runs on it). Then `--non-digits` pictures of each kind of `non_digits.KINDS`
(letters and symbols in fonts training never shows, written and photographed as the digits are):
the percent answered "not a digit" per kind, and how well the top probability separates them from
the photographed digits (AUROC, refusals at 95 % of digits kept: `reading.refusals`); as many
letters that are a digit's twin (O, l, S, ...), counted apart: the percent read as a digit; numbers
of two and three digits, written apart and joined up, read whole; and the USPS digits enlarged onto
the drawing pad (light on black, across 80 % of its side), read right and sure as the pad reads them.
With `--numbers` (the number network, `reading.joined_numbers`), the photos, the non-digits and the
numbers are read again with it, as `predict` reads them when it is saved. Needs the models
(`make report-all`), the MNIST data (`MNIST_CNN_DATA` or Keras's download) and the USPS digits
(fetched into a cache on first use, or `MNIST_CNN_USPS`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from mnist_cnn.data import load_mnist, preprocess_images
from mnist_cnn.reading import drawing_pad, non_digits, photo_accuracy, refusals, usps
from mnist_cnn.reading.joined_numbers import NUMBER_INPUT_SHAPE
from mnist_cnn.reading.predict import NOT_A_DIGIT_BELOW
from mnist_cnn.reading.saved_models import Network, load_network
from mnist_cnn.saving import MODEL_PATH, ROBUST_MODEL_PATH
from mnist_cnn.speed.plan import this_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, nargs="+", default=[MODEL_PATH, ROBUST_MODEL_PATH])
    parser.add_argument("--digits", type=int, default=4649, help="how many USPS digits of the half (at most 4,649)")
    parser.add_argument("--split", choices=("tune", "test"), default="test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--non-digits", type=int, default=500, help="pictures of each kind of non-digit")
    parser.add_argument("--numbers", type=Path, help="the number network, to read joined-up numbers with as well")
    options = parser.parse_args()
    number_network = None if options.numbers is None else load_network(options.numbers, NUMBER_INPUT_SHAPE)

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
    found = photo_accuracy.found_in_photographs(images, seed=options.seed)
    readings = photo_accuracy.photo_readings(networks, found)
    seconds = time.perf_counter() - started
    print(f"USPS {options.split} half, {len(images):,} digits photographed under each condition (seed {options.seed}):")
    print_table(photo_accuracy.accuracy_by_condition(readings, labels), "condition")
    print(f"{len(images) * len(readings):,} photos rendered, prepared and read in {seconds:.0f} s")
    if number_network is not None:
        print(f"The same photos, joined-up numbers also read by {options.numbers}:")
        with_numbers = photo_accuracy.photo_readings(networks, found, number_network)
        print_table(photo_accuracy.accuracy_by_condition(with_numbers, labels), "condition")

    digit_photos = refusals.first_photos(found, options.non_digits)
    digit_scores = refusals.scores_of(networks, digit_photos)
    non_digit_scores, refused_with_numbers = {}, {}
    for kind in non_digits.KINDS:
        in_pictures = photo_accuracy.found_in(refusals.photographed_non_digits(kind, options.non_digits, options.seed))
        non_digit_scores[kind] = refusals.scores_of(networks, in_pictures)
        if number_network is not None:
            refused_with_numbers[kind] = {
                name: 100 * float(np.mean(refusals.refused(network, in_pictures, number_network)))
                for name, network in networks.items()
            }
    print(f'{options.non_digits:,} pictures of each kind, percent answered "not a digit":')
    print_table(refusals.refusal_table(non_digit_scores), "kind")
    if number_network is not None:
        table = pd.DataFrame(refused_with_numbers).transpose()
        table.loc["all kinds"] = table.mean()
        print(f'The same pictures, percent answered "not a digit" when {options.numbers} reads wide marks too:')
        print_table(table, "kind")
    kept = {name: 100 * float(np.mean(scores >= NOT_A_DIGIT_BELOW)) for name, scores in digit_scores.items()}
    print(
        f"photographed digits ({len(digit_photos):,}) not refused: "
        + ", ".join(f"{n} {k:.1f} %" for n, k in kept.items())
    )
    print(refusals.separation_table(digit_scores, non_digit_scores).to_string())
    twins = photo_accuracy.found_in(
        refusals.photographed(non_digits.evaluation_twins(options.non_digits, options.seed), options.seed)
    )
    read = {
        name: 100 * float(np.mean(refusals.picture_scores(network, twins) >= NOT_A_DIGIT_BELOW))
        for name, network in networks.items()
    }
    print(
        f"letters that are a digit's twin ({options.non_digits:,}, O, l, S, ..., counted apart), read as a digit: "
        + ", ".join(f"{n} {r:.1f} %" for n, r in read.items())
    )
    for touching in (False, True):
        for numbers in (None, number_network) if number_network is not None else (None,):
            accuracy = photo_accuracy.number_accuracy(
                networks,
                images,
                labels,
                numbers=options.non_digits,
                touching=touching,
                seed=options.seed,
                number_network=numbers,
            )
            what = ("joined up" if touching else "apart") + ("" if numbers is None else f", with {options.numbers}")
            print(
                f"numbers of 2 and 3 digits written {what}, read whole: "
                + ", ".join(f"{n} {a:.1f} %" for n, a in accuracy.items())
            )
    on_pad = {name: on_the_pad(network, images, labels) for name, network in networks.items()}
    print(
        f"the {len(images):,} digits enlarged onto the drawing pad, read right and sure: "
        + ", ".join(f"{n} {a:.2f} %" for n, a in on_pad.items())
    )


def on_the_pad(network: Network, images: np.ndarray, labels: np.ndarray) -> float:
    """Percent of digits (ink high, any size) that the drawing pad reads right and sure (`drawing_pad.read_drawing`)
    when each is enlarged onto it, light on black, across 80 % of its side."""
    side = round(0.8 * drawing_pad.PAD_SIZE)
    corner = (drawing_pad.PAD_SIZE - side) // 2
    right = []
    for image, label in zip(images, labels):
        pad = Image.new("L", (drawing_pad.PAD_SIZE, drawing_pad.PAD_SIZE))
        pad.paste(Image.fromarray(image).resize((side, side), Image.Resampling.BILINEAR), (corner, corner))
        reading = drawing_pad.read_drawing(pad, network)
        right.append(reading.sure and reading.digit == label)
    return 100 * float(np.mean(right))


def print_table(table: pd.DataFrame, index: str) -> None:
    """A table of percents as Markdown."""
    print(f"| {index} | " + " | ".join(table.columns) + " |\n|---|" + "---|" * len(table.columns))
    for name, row in table.iterrows():
        print(f"| {name} | " + " | ".join(f"{value:.1f} %" for value in row) + " |")


if __name__ == "__main__":
    main()
