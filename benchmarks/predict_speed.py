"""Wall time of classifying your own digits: the predict command (LiteRT) against the Keras path.

    python benchmarks/predict_speed.py [--model models/mnist_cnn.keras] [--numbers models/number_cnn.keras]
                                       [--repeats 5]

Writes the first 1,000 MNIST test digits as PNG files, the same digits photographed (one of
`photos.CONDITIONS` each, in turn; JPEG files of 96 to 200 pixels a side) and one phone-sized
photo (4,000 x 3,000 pixels, a digit on ruled paper, JPEG), then times, alternating, each in a
new process (start-up included, as a user waits for it):

- LiteRT: `python -m mnist_cnn predict` on one image, on the phone photo, on the folder of
  1,000 PNGs and on the folder of 1,000 photos;
- Keras: the same preparation of the images, with the saved `.keras` model loaded by Keras
  (TensorFlow imported) instead of the LiteRT export;
- with `--numbers`, LiteRT again on one image and on the 1,000 photos, the number network given
  (`predict --numbers`); the other runs are given none.

It prints the median and range of each, and the CPU. Needs a trained model (`make report`) and
the data (`MNIST_CNN_DATA`).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from mnist_cnn.data import load_mnist
from mnist_cnn.reading import photos
from mnist_cnn.saving import MODEL_PATH

IMAGES = 1000
KERAS_PATH = (
    "import sys, keras\n"
    "from mnist_cnn.reading.predict import classify\n"
    "predictions = classify(sys.argv[2:], keras.saving.load_model(sys.argv[1]))\n"
    "print(sum(p.error is None for p in predictions), 'classified')\n"
)


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} ... failed:\n{finished.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--numbers", type=Path, help="a saved number network, to time predict with it too")
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    from mnist_cnn.speed.runtime import this_machine  # imports Keras: here, not for --help

    print(f"{time.strftime('%Y-%m-%d')}, {this_machine().describe()}, {options.repeats} runs of each, alternating")
    (_, _), (x_test, _) = load_mnist()
    with tempfile.TemporaryDirectory() as folder:
        scans, photographed = Path(folder) / "scans", Path(folder) / "photos"
        scans.mkdir(), photographed.mkdir()
        conditions = list(photos.CONDITIONS)
        rng = np.random.default_rng(0)
        for index, digit in enumerate(x_test[:IMAGES]):
            Image.fromarray(255 - digit).save(scans / f"{index:04d}.png")  # dark ink on white
            photo = photos.photograph(digit, conditions[index % len(conditions)], rng)
            Image.fromarray(photo).save(photographed / f"{index:04d}.jpg", quality=90)
        phone = Path(folder) / "phone.jpg"
        page = cv2.resize(photos.photograph(x_test[0], "ruled", rng), (3000, 4000), interpolation=cv2.INTER_CUBIC)
        Image.fromarray(page).save(phone, quality=90)
        one = str(scans / "0000.png")
        predict = [sys.executable, "-m", "mnist_cnn", "predict", "--model", str(options.model), "--no-numbers"]
        keras_path = [sys.executable, "-c", KERAS_PATH, str(options.model)]
        cases = {
            "LiteRT, 1 image": predict + [one],
            "Keras, 1 image": keras_path + [one],
            "LiteRT, 1 phone photo": predict + [str(phone)],
            f"LiteRT, {IMAGES} images": predict + [str(scans)],
            f"LiteRT, {IMAGES} photos": predict + [str(photographed)],
            f"Keras, {IMAGES} images": keras_path + [str(scans)],
        }
        if options.numbers is not None:
            with_numbers = [*predict[:-1], "--numbers", str(options.numbers)]
            cases |= {
                "+ numbers, 1 image": with_numbers + [one],
                f"+ numbers, {IMAGES} photos": with_numbers + [str(photographed)],
            }
        seconds = {name: [] for name in cases}
        for _ in range(options.repeats):
            for name, command in cases.items():
                seconds[name].append(timed(command))
    for name, values in seconds.items():
        print(f"{name:22s} median {statistics.median(values):5.2f} s  (min {min(values):.2f}, max {max(values):.2f})")


if __name__ == "__main__":
    main()
