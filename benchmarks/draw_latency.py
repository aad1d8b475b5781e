"""Time the drawing pad's answer: from the stroke's image arriving in Python to the answer set on the widget.

    python benchmarks/draw_latency.py [--model models/mnist_cnn.keras] [--drawings 50]

Each drawing is a test digit drawn at the pad's size (280x280, as the RGBA PNG the browser
sends), handed to the widget as its comm hands it the browser's message (`set_state`); the time
runs until the widget has set its answer. The first drawing is timed apart: it is the only one
that pays for the model's first call. For comparison, `model.predict` alone on each drawing's
prepared image. The network's weights do not change its speed, so without `--model` an
untrained network of the same architecture runs. Needs the data (`MNIST_CNN_DATA`).
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_cnn import speed
from mnist_cnn.data import load_mnist, preprocess_images
from mnist_cnn.networks import build_model
from mnist_cnn.reading.drawing_pad import PAD_SIZE, DrawingPad
from mnist_cnn.reading.preparation import prepare_digit
from mnist_cnn.reading.saved_models import load_model
from mnist_cnn.speed.runtime import this_machine
from mnist_cnn.training import BATCH_SIZE


def pad_png(digit) -> bytes:
    """A 28x28 digit enlarged to the pad, as the browser's canvas sends it: an RGBA PNG."""
    file = io.BytesIO()
    Image.fromarray(digit).resize((PAD_SIZE, PAD_SIZE), Image.Resampling.BILINEAR).convert("RGBA").save(file, "PNG")
    return file.getvalue()


def cpu_model() -> str:
    """The CPU as `lscpu` names it."""
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            return line.partition(":")[2].strip()
    return "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="a saved .keras model (default: an untrained network)")
    parser.add_argument("--drawings", type=int, default=50)
    options = parser.parse_args()
    speed.use(batch_size=BATCH_SIZE)  # the threads the notebook's kernel runs with
    model = load_model(options.model) if options.model else build_model(seed=0)
    (_, _), (x_test, _) = load_mnist()
    drawings = [pad_png(digit) for digit in x_test[: options.drawings + 1]]
    pad = DrawingPad(model)
    seconds = []
    for drawing in drawings:
        started = time.perf_counter()
        pad.set_state({"image": memoryview(drawing)})
        seconds.append(time.perf_counter() - started)
        assert pad.probabilities, pad.message  # the network answered, not a sentence
    predict_seconds = []
    for drawing in drawings:  # the first call, which builds the prediction function, is left out below
        images = preprocess_images(prepare_digit(Image.open(io.BytesIO(drawing)))[np.newaxis])
        started = time.perf_counter()
        model.predict(images, verbose=0)
        predict_seconds.append(time.perf_counter() - started)
    first, rest, predict_seconds = seconds[0], seconds[1:], predict_seconds[1:]
    print(f"{time.strftime('%Y-%m-%d')}; lscpu: {cpu_model()}; {this_machine().describe()}")
    print(f"first drawing: {1000 * first:.1f} ms")
    print(
        f"next {len(rest)} drawings: median {1000 * statistics.median(rest):.1f} ms, "
        f"min {1000 * min(rest):.1f} ms, max {1000 * max(rest):.1f} ms"
    )
    print(
        f"model.predict alone, on the same prepared images: median {1000 * statistics.median(predict_seconds):.1f} ms, "
        f"max {1000 * max(predict_seconds):.1f} ms"
    )


if __name__ == "__main__":
    main()
