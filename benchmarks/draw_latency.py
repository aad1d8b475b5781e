"""Time the drawing pad's answer: in Jupyter, from the stroke's image arriving in Python to the answer set on
the widget; with `--page`, in a static page in Chromium, from the end of the stroke to the answer.

    python benchmarks/draw_latency.py [--model models/mnist_cnn.keras] [--drawings 50] [--page]

Each drawing is a test digit drawn at the pad's size (280x280, as the RGBA PNG the browser
sends), handed to the widget as its comm hands it the browser's message (`set_state`); the time
runs until the widget has set its answer. The first drawing is timed apart: it is the only one
that pays for the model's first call. For comparison, `model.predict` alone on each drawing's
prepared image. The network's weights do not change its speed, so without `--model` an
untrained network of the same architecture runs. Needs the data (`MNIST_CNN_DATA`).

With `--page`, the same digits are painted on the pad of a page holding `drawing_pad.page_html(model)`,
opened from disk in Debian's Chromium (Playwright), and the mouse ends a stroke on each (a click on
its ink); the time runs in the page from the mouse button's release to the answer read.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_cnn import speed
from mnist_cnn.data import load_mnist, preprocess_images
from mnist_cnn.networks import build_model
from mnist_cnn.reading.drawing_pad import PAD_SIZE, DrawingPad, page_html, prepare_drawing
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


def page_milliseconds(model, drawings: list[bytes]) -> list[float]:
    """In Chromium, milliseconds from the end of a stroke on each drawing to the page's answer."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        path = Path(folder) / "pad.html"
        path.write_text(f'<!doctype html><html><head><meta charset="utf-8"></head><body>{page_html(model)}</body>')
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        page.goto(path.as_uri())
        canvas = page.locator(".mnist-pad-canvas")
        canvas.evaluate(
            """canvas => { window.times = [];
                 canvas.addEventListener("pointerup", () => (window.started = performance.now()), { capture: true });
                 canvas.closest("[id^=mnist-pad-]").addEventListener("mnist-pad-read",
                   () => window.times.push(performance.now() - window.started)); }"""
        )
        box = canvas.bounding_box()
        for count, drawing in enumerate(drawings, start=1):
            pixels = np.asarray(Image.open(io.BytesIO(drawing)).convert("L"))
            canvas.evaluate(
                """(canvas, pixels) => { const context = canvas.getContext("2d");
                     const image = context.createImageData(canvas.width, canvas.height);
                     pixels.forEach((value, index) => image.data.set([value, value, value, 255], 4 * index));
                     context.putImageData(image, 0, 0); }""",
                pixels.ravel().tolist(),
            )
            row, column = np.argwhere(pixels == pixels.max())[0]  # a click on the digit's ink: a dot, the stroke's end
            page.mouse.click(box["x"] + column * box["width"] / PAD_SIZE, box["y"] + row * box["height"] / PAD_SIZE)
            page.wait_for_function(f"() => window.times.length === {count}")
        times = page.evaluate("() => window.times")
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="a saved .keras model (default: an untrained network)")
    parser.add_argument("--drawings", type=int, default=50)
    parser.add_argument("--page", action="store_true", help="also time the pad of a static page in Chromium")
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
        pixels = np.asarray(Image.open(io.BytesIO(drawing)).convert("L"))
        images = preprocess_images(prepare_drawing(pixels)[np.newaxis])
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
    if options.page:
        first, *rest = page_milliseconds(model, drawings)
        print(f"in the page (Chromium): first drawing {first:.1f} ms; next {len(rest)}: ", end="")
        print(f"median {statistics.median(rest):.1f} ms, max {max(rest):.1f} ms")


if __name__ == "__main__":
    main()
