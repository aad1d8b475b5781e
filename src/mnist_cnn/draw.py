"""A drawing pad for the notebook: draw a digit, see what the model reads and the 28x28 image it sees.

`DrawingPad(model)` is a Jupyter widget (anywidget: its JavaScript is the ES module below, so it
runs in JupyterLab 4 and Notebook 7 without a build step). After each stroke the browser sends the
pad as a PNG; Python reads it with `read_drawing` and sends back the answer, the ten
probabilities and the network's view. `read_drawing` prepares the drawing exactly as
`python -m mnist_cnn predict` prepares a photo (`digits.prepare_digit`, then
`data.preprocess_images`), and says in a sentence when there is nothing to read. It runs the
model directly, not through `model.predict`, which takes far longer for one image
(docs/draw.md). `plot_readings` shows the same readings as a static figure, for headless runs.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import anywidget
import numpy as np
import traitlets
from ipywidgets.widgets.trait_types import bytes_serialization
from matplotlib.figure import Figure
from PIL import Image

from mnist_cnn.backend import keras
from mnist_cnn.data import NUM_CLASSES, preprocess_images
from mnist_cnn.digits import MIN_CONTRAST, NoDigit, is_blot, prepare_digit
from mnist_cnn.predict import Network

PAD_SIZE = 280  # pixels on each side of the pad: ten times MNIST's 28
LINE_WIDTH = 22  # pixels: at the pad's size, scaled into MNIST's 20x20 box, about MNIST's stroke width
SURE = 0.5  # below this top probability the answer is shown as "not sure"
MIN_EXTENT = 0.2  # a drawing smaller than this fraction of the pad's side is a dot, not a digit

EMPTY = "Draw a digit: the pad is empty."
TOO_SMALL = "Too small to read: draw the digit larger, across most of the pad."
TOO_MUCH_INK = "Too much ink for one digit: clear the pad and draw a single digit."


@dataclass(frozen=True)
class Reading:
    """What the network reads in one drawing, or in a sentence why there is nothing to read.

    `seen` is the 28x28 uint8 image the network is given (None when there is no digit to prepare);
    `digit` and `probabilities` are None when the network was not asked.
    """

    message: str
    digit: int | None = None
    probabilities: np.ndarray | None = None
    seen: np.ndarray | None = None

    @property
    def sure(self) -> bool:
        """Whether the network's top probability is at least `SURE`."""
        return self.probabilities is not None and float(self.probabilities.max()) >= SURE


def read_drawing(image: Image.Image | None, network: Network) -> Reading:
    """Read one digit drawn on the pad (or any image of one digit); None is an empty pad.

    `network` maps preprocessed images (N, 28, 28, 1) to probabilities (N, 10), as
    `keras_network(model)` does. Blank, dot-sized and blotted drawings get a sentence instead of
    an answer, and an answer whose top probability is below `SURE` is marked "not sure".
    """
    pixels = None if image is None else np.asarray(image.convert("L"), dtype=np.int16)
    if pixels is None or pixels.size == 0 or pixels.min() == pixels.max():
        return Reading(EMPTY)
    try:
        seen = prepare_digit(image, dark_ink=False)  # the pad draws white on black
    except NoDigit as error:
        return Reading(f"{str(error)[0].upper()}{str(error)[1:]}.")
    rows, columns = np.nonzero(np.abs(pixels - np.median(pixels)) >= MIN_CONTRAST)  # the ink, where most is paper
    if max(np.ptp(rows), np.ptp(columns)) + 1 < MIN_EXTENT * max(pixels.shape):
        return Reading(TOO_SMALL, seen=seen)
    if is_blot(seen):
        return Reading(TOO_MUCH_INK, seen=seen)
    probabilities = np.asarray(network(preprocess_images(seen[np.newaxis]))[0], dtype=np.float64)
    digit = int(probabilities.argmax())
    answer = f"{digit} ({probabilities[digit]:.0%})"
    message = f"Reads {answer}." if probabilities[digit] >= SURE else f"Not sure: perhaps {answer}."
    return Reading(message, digit, probabilities, seen)


def keras_network(model: keras.Model) -> Network:
    """A `Network` that calls the Keras model directly, in inference mode: milliseconds for one image."""
    return lambda images: keras.ops.convert_to_numpy(model(images, training=False))


def plot_readings(model: keras.Model, images: np.ndarray) -> Figure:
    """For each uint8 image (N, H, W): the image, the 28x28 view the network reads, and its ten probabilities."""
    network = keras_network(model)
    readings = [read_drawing(Image.fromarray(np.asarray(image, dtype=np.uint8)), network) for image in images]
    figure = Figure(figsize=(1.9 * len(readings), 5.6), layout="constrained")
    axes = figure.subplots(3, len(readings), squeeze=False, height_ratios=(1, 1, 0.8))
    for (drawn, seen, bars), image, reading in zip(axes.T, images, readings):
        drawn.imshow(image, cmap="gray")
        drawn.set_title(textwrap.fill(reading.message.removeprefix("Reads ").rstrip("."), 22), fontsize=10)
        if reading.seen is not None:
            seen.imshow(reading.seen, cmap="gray", vmin=0, vmax=255)
        for axis in (drawn, seen):
            axis.set_xticks([])
            axis.set_yticks([])
        if reading.probabilities is not None:
            colours = ["tab:orange" if digit == reading.digit else "tab:blue" for digit in range(NUM_CLASSES)]
            bars.bar(range(NUM_CLASSES), reading.probabilities, color=colours)
        bars.set_ylim(0, 1)
        bars.set_xticks(range(NUM_CLASSES))
        bars.tick_params(labelsize=7)
    for axis, label in zip(axes[:, 0], ("image", "network's view", "probability")):
        axis.set_ylabel(label)
    figure.suptitle("What the network reads in each image, through the drawing pad's code")
    return figure


# The browser side: draws strokes on a canvas, sends the pad as a PNG at the end of each stroke, and
# shows the traits Python sets in return.
ESM = (
    f"const SIZE = {PAD_SIZE}, LINE_WIDTH = {LINE_WIDTH};\n"
    + """
const SHOWN = ["digit", "sure", "message", "probabilities", "seen"];

function render({ model, el }) {
  el.classList.add("mnist-pad");
  el.innerHTML = `
    <div class="mnist-pad-drawing">
      <canvas class="mnist-pad-canvas" width="${SIZE}" height="${SIZE}"
        aria-label="Drawing pad: draw one digit"></canvas>
      <button type="button" class="jupyter-button mnist-pad-clear">Clear</button>
    </div>
    <div class="mnist-pad-reading">
      <div class="mnist-pad-digit"></div>
      <div class="mnist-pad-message" role="status"></div>
      <div class="mnist-pad-bars"></div>
      <figure class="mnist-pad-view">
        <canvas width="28" height="28"></canvas>
        <figcaption>what the network sees, 28 &times; 28</figcaption>
      </figure>
    </div>`;
  const pad = el.querySelector(".mnist-pad-canvas");
  const context = pad.getContext("2d");
  const view = el.querySelector(".mnist-pad-view canvas").getContext("2d");
  let last = null;  // the stroke's latest point while drawing

  const blank = () => {
    context.fillStyle = "black";
    context.fillRect(0, 0, SIZE, SIZE);
  };
  const at = (event) => {
    const box = pad.getBoundingClientRect();
    return [((event.clientX - box.left) * SIZE) / box.width, ((event.clientY - box.top) * SIZE) / box.height];
  };
  const send = () =>
    pad.toBlob(async (png) => {
      model.set("image", new DataView(await png.arrayBuffer()));
      model.save_changes();
    }, "image/png");

  pad.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);  // the stroke goes on, clipped, if it leaves the pad
    last = at(event);
    context.fillStyle = "white";
    context.beginPath();
    context.arc(last[0], last[1], LINE_WIDTH / 2, 0, 2 * Math.PI);
    context.fill();
  });
  pad.addEventListener("pointermove", (event) => {
    if (last === null) return;
    const points = event.getCoalescedEvents?.() ?? [];
    context.strokeStyle = "white";
    context.lineWidth = LINE_WIDTH;
    context.lineCap = context.lineJoin = "round";
    context.beginPath();
    context.moveTo(last[0], last[1]);
    for (const point of points.length ? points : [event]) {
      last = at(point);
      context.lineTo(last[0], last[1]);
    }
    context.stroke();
  });
  const end = () => {
    if (last === null) return;
    last = null;
    send();
  };
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) pad.addEventListener(name, end);
  el.querySelector(".mnist-pad-clear").addEventListener("click", () => {
    blank();
    model.set("image", new DataView(new ArrayBuffer(0)));
    model.save_changes();
  });

  const show = () => {
    const digit = el.querySelector(".mnist-pad-digit");
    digit.textContent = model.get("digit");
    digit.classList.toggle("mnist-pad-unsure", !model.get("sure"));
    el.querySelector(".mnist-pad-message").textContent = model.get("message");
    const probabilities = model.get("probabilities");
    el.querySelector(".mnist-pad-bars").replaceChildren(
      ...probabilities.map((probability, index) => {
        const row = document.createElement("div");
        row.className = "mnist-pad-bar" + (String(index) === model.get("digit") ? " mnist-pad-top" : "");
        row.innerHTML = `<span>${index}</span><span><i style="width: ${100 * probability}%"></i></span>
          <span>${Math.round(100 * probability)}%</span>`;
        return row;
      }),
    );
    const seen = model.get("seen"), pixels = view.createImageData(28, 28);
    seen.forEach((value, index) => pixels.data.set([value, value, value, 255], 4 * index));
    if (!seen.length) for (let index = 3; index < pixels.data.length; index += 4) pixels.data[index] = 255;
    view.putImageData(pixels, 0, 0);
  };
  blank();
  show();
  for (const name of SHOWN) model.on(`change:${name}`, show);
  return () => SHOWN.forEach((name) => model.off(`change:${name}`, show));
}

export default { render };
"""
)

CSS = """
.mnist-pad {
  display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; padding: 4px 0;
  font-family: var(--jp-ui-font-family, sans-serif); color: var(--jp-ui-font-color1, #222);
}
.mnist-pad-drawing { display: flex; flex-direction: column; gap: 8px; align-items: flex-start; }
.mnist-pad-canvas {
  background: black; border: 1px solid var(--jp-border-color1, #999); border-radius: 4px;
  cursor: crosshair; touch-action: none;
}
.mnist-pad-reading { display: flex; flex-direction: column; gap: 6px; min-width: 240px; }
.mnist-pad-digit { font-size: 56px; font-weight: 600; line-height: 1; min-height: 56px; }
.mnist-pad-digit.mnist-pad-unsure { color: var(--jp-ui-font-color3, #999); }
.mnist-pad-digit.mnist-pad-unsure:not(:empty)::after { content: "?"; }
.mnist-pad-message { min-height: 1.4em; }
.mnist-pad-bar {
  display: grid; grid-template-columns: 1.2em 160px 3.5em; gap: 6px; align-items: center; font-size: 12px;
}
.mnist-pad-bar > span:nth-child(2) { height: 10px; background: var(--jp-layout-color2, #eee); }
.mnist-pad-bar i { display: block; height: 100%; background: #1f77b4; }
.mnist-pad-bar.mnist-pad-top i { background: #ff7f0e; }
.mnist-pad-bar.mnist-pad-top { font-weight: 600; }
.mnist-pad-view { margin: 8px 0 0; display: flex; gap: 8px; align-items: center; font-size: 12px; }
.mnist-pad-view canvas {
  width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid var(--jp-border-color1, #999);
}
"""


class DrawingPad(anywidget.AnyWidget):
    """A pad to draw a digit on with mouse, pen or touch; after each stroke it shows what `model` reads.

    The browser sets `image` (the pad as a PNG, empty when cleared); Python answers in `message`,
    `digit` ("" when there is none), `sure`, `probabilities` (ten, or none) and `seen` (the
    network's 28x28 view, row by row, or none).
    """

    _esm = ESM
    _css = CSS

    image = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    message = traitlets.Unicode(EMPTY).tag(sync=True)
    digit = traitlets.Unicode("").tag(sync=True)
    sure = traitlets.Bool(False).tag(sync=True)
    probabilities = traitlets.List(traitlets.Float()).tag(sync=True)
    seen = traitlets.List(traitlets.Int()).tag(sync=True)

    def __init__(self, model: keras.Model, **kwargs) -> None:
        self._network = keras_network(model)
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return "DrawingPad: live while this notebook runs in Jupyter; a static page cannot run it"

    @traitlets.observe("image")
    def _read(self, change: dict) -> None:
        reading = read_drawing(Image.open(io.BytesIO(change["new"])) if change["new"] else None, self._network)
        with self.hold_sync():  # one message to the browser
            self.message = reading.message
            self.digit = "" if reading.digit is None else str(reading.digit)
            self.sure = reading.sure
            self.probabilities = [] if reading.probabilities is None else reading.probabilities.tolist()
            self.seen = [] if reading.seen is None else reading.seen.ravel().tolist()
