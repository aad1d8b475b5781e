"""A drawing pad for the notebook: draw a digit, see what the model reads and the 28x28 image it sees.

`DrawingPad(model)` is a Jupyter widget (anywidget: its JavaScript is the ES module `drawing_pad.js`
beside this file, styled by `drawing_pad.css`, so it runs in JupyterLab 4 and Notebook 7 without a build
step). After each stroke the browser sends the pad as a PNG; Python reads it with `read_drawing`
and sends back the answer, the ten probabilities and the network's view. `read_drawing` prepares
the drawing as MNIST's digits were prepared (`prepare_drawing`: the ink's box fitted into 20 x 20,
centred by its centre of mass), and says in a sentence when there is nothing to read. It runs the
model directly (`saved_models.keras_network`), not through `model.predict`, which takes far longer
for one image (docs/draw.md). `plot_readings` shows the same readings as a static figure, for
headless runs.

In a static page (a report, the book) the widget cannot reach Python: its HTML output, `page_html`,
is the same pad reading in the browser, `drawing_pad_page.js` repeating `read_drawing` with the
network's weights (`browser_network`) embedded in the page.
"""

from __future__ import annotations

import io
import json
import secrets
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import anywidget
import numpy as np
import traitlets
from ipywidgets.widgets.trait_types import bytes_serialization
from matplotlib.figure import Figure
from PIL import Image

from mnist_cnn.data import IMAGE_SHAPE, NUM_CLASSES, preprocess_images
from mnist_cnn.reading.browser_network import browser_network
from mnist_cnn.reading.predict import NOT_A_DIGIT_BELOW
from mnist_cnn.reading.preparation import DIGIT_BOX, MAX_INK, MIN_CONTRAST, NoDigit, is_blot, to_mnist
from mnist_cnn.reading.saved_models import Network, keras_network

if TYPE_CHECKING:
    import keras

HERE = Path(__file__).parent
PAD_SIZE = 280  # pixels on each side of the pad: ten times MNIST's 28
LINE_WIDTH = 22  # pixels: at the pad's size, scaled into MNIST's 20x20 box, about MNIST's stroke width
MIN_EXTENT = 0.2  # a drawing smaller than this fraction of the pad's side is a dot, not a digit
# The pad's ink is light on black: a pixel at least MIN_CONTRAST (preparation's, 40 of 255) bright is ink.

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
        """Whether the drawing is read as a digit: the top probability is at least `predict.NOT_A_DIGIT_BELOW`."""
        return self.probabilities is not None and float(self.probabilities.max()) >= NOT_A_DIGIT_BELOW


def prepare_drawing(pixels: np.ndarray) -> np.ndarray:
    """A drawing of one digit, light ink on black (uint8, H x W), as MNIST's digits were prepared: 28x28 uint8.

    The box of the ink (pixels at least `MIN_CONTRAST` bright) is fitted into the 20x20 box and
    centred by its centre of mass (`preparation.to_mnist`). `drawing_pad_page.js` repeats it in
    the browser. Raises `NoDigit` when no pixel is ink.
    """
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim != 2:
        raise ValueError(f"Expected a uint8 drawing of shape (H, W), found {pixels.dtype} {pixels.shape}.")
    return to_mnist(pixels[_ink_box(pixels)])


def _ink_box(pixels: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns that hold the drawing's ink (pixels at least `MIN_CONTRAST` bright)."""
    rows, columns = np.nonzero(pixels >= MIN_CONTRAST)
    if not rows.size:
        raise NoDigit(
            f"no digit found: the image is blank (its brightest ink is {pixels.max()} of 255, "
            f"expected at least {MIN_CONTRAST})"
        )
    return slice(rows.min(), rows.max() + 1), slice(columns.min(), columns.max() + 1)


def read_drawing(image: Image.Image | None, network: Network) -> Reading:
    """Read one digit drawn on the pad (or any image of one digit, light on black); None is an empty pad.

    `network` maps preprocessed images (N, 28, 28, 1) to probabilities (N, 10), as
    `keras_network(model)` does. Blank, dot-sized and blotted drawings get a sentence instead of
    an answer, and one whose top probability is below `predict.NOT_A_DIGIT_BELOW` is "not a digit".
    """
    pixels = None if image is None else np.asarray(image.convert("L"))
    if pixels is None or pixels.size == 0 or pixels.min() == pixels.max():
        return Reading(EMPTY)
    try:
        box = _ink_box(pixels)
    except NoDigit as error:
        return Reading(f"{str(error)[0].upper()}{str(error)[1:]}.")
    seen = to_mnist(pixels[box])
    if max(side.stop - side.start for side in box) < MIN_EXTENT * max(pixels.shape):
        return Reading(TOO_SMALL, seen=seen)
    if is_blot(seen):
        return Reading(TOO_MUCH_INK, seen=seen)
    probabilities = np.asarray(network(preprocess_images(seen[np.newaxis]))[0], dtype=np.float64)
    digit = int(probabilities.argmax())
    answer = f"{digit} ({probabilities[digit]:.0%})"
    message = (
        f"Reads {answer}." if probabilities[digit] >= NOT_A_DIGIT_BELOW else f"Not a digit, it seems: at most {answer}."
    )
    return Reading(message, digit, probabilities, seen)


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


class DrawingPad(anywidget.AnyWidget):
    """A pad to draw a digit on with mouse, pen or touch; after each stroke it shows what `model` reads.

    The browser sets `image` (the pad as a PNG, empty when cleared); Python answers in `message`,
    `digit` ("" when there is none), `sure`, `probabilities` (ten, or none) and `seen` (the
    network's 28x28 view, row by row, or none). The browser draws the pad with the sizes in
    `pad_size` and `view_size` and strokes `line_width` pixels wide.
    """

    _esm = HERE / "drawing_pad.js"
    _css = HERE / "drawing_pad.css"

    pad_size = traitlets.Int(PAD_SIZE, read_only=True).tag(sync=True)
    line_width = traitlets.Int(LINE_WIDTH, read_only=True).tag(sync=True)
    view_size = traitlets.Int(IMAGE_SHAPE[0], read_only=True).tag(sync=True)
    image = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    message = traitlets.Unicode(EMPTY).tag(sync=True)
    digit = traitlets.Unicode("").tag(sync=True)
    sure = traitlets.Bool(False).tag(sync=True)
    probabilities = traitlets.List(traitlets.Float()).tag(sync=True)
    seen = traitlets.List(traitlets.Int()).tag(sync=True)

    def __init__(self, model: keras.Model, **kwargs) -> None:
        self._model, self._network = model, keras_network(model)
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return "DrawingPad: live while this notebook runs in Jupyter; a static page runs its HTML copy"

    def _repr_mimebundle_(self, **kwargs) -> tuple[dict, dict]:
        """The widget for Jupyter, and for a static page (which cannot show a widget) `page_html`."""
        data, metadata = super()._repr_mimebundle_(**kwargs)
        return {**data, "text/html": page_html(self._model)}, metadata

    @traitlets.observe("image")
    def _read(self, change: dict) -> None:
        reading = read_drawing(Image.open(io.BytesIO(change["new"])) if change["new"] else None, self._network)
        with self.hold_sync():  # one message to the browser
            self.message = reading.message
            self.digit = "" if reading.digit is None else str(reading.digit)
            self.sure = reading.sure
            self.probabilities = [] if reading.probabilities is None else reading.probabilities.tolist()
            self.seen = [] if reading.seen is None else reading.seen.ravel().tolist()


def page_html(model: keras.Model) -> str:
    """The pad for a static page: the same pad and reading, in the browser, with `model`'s weights in the page.

    One piece of HTML: the pad's CSS, the widget's own JavaScript (`drawing_pad.js`), and
    `drawing_pad_page.js`, which stands in for the widget's Python side, given the network
    (`browser_network`) and the pad's settings. It needs no server and makes no request.
    """
    settings = {
        "pad_size": PAD_SIZE,
        "line_width": LINE_WIDTH,
        "view_size": IMAGE_SHAPE[0],
        "digit_box": DIGIT_BOX,
        "min_contrast": MIN_CONTRAST,
        "min_extent": MIN_EXTENT,
        "max_ink": MAX_INK,
        "not_a_digit_below": NOT_A_DIGIT_BELOW,
        "empty": EMPTY,
        "too_small": TOO_SMALL,
        "too_much_ink": TOO_MUCH_INK,
    }
    pad_id = f"mnist-pad-{secrets.token_hex(4)}"
    code = "\n".join(
        [
            (HERE / "drawing_pad.js").read_text(encoding="utf-8"),
            (HERE / "drawing_pad_page.js").read_text(encoding="utf-8"),
            f'mount(document.getElementById("{pad_id}"), JSON.parse(document.getElementById("{pad_id}-data").text));',
        ]
    )
    data = json.dumps({"settings": settings, "network": browser_network(model)})
    # "</" would end a script early; the JSON and the code hold it only inside strings, where "<\\/" means the same.
    data, code = data.replace("</", "<\\/"), code.replace("</", "<\\/")
    return (
        f"<style>{(HERE / 'drawing_pad.css').read_text(encoding='utf-8')}</style>\n"
        f'<div id="{pad_id}"></div>\n'
        f'<script type="application/json" id="{pad_id}-data">{data}</script>\n'
        f'<script type="module">\n{code}\n</script>\n'
    )
