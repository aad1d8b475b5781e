"""The drawing pad without a browser: what it reads in drawn digits and bad input, its widget, its figure.

The widget's Python side is driven as the browser drives it; its JavaScript and CSS are parsed
(tree-sitter's JavaScript grammar, tinycss2) and checked against the widget's traits. The strokes
below are the ones the browser test draws with the mouse (tests/test_browser.py).
"""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
import tinycss2
import tree_sitter
import tree_sitter_javascript
from IPython.core.formatters import DisplayFormatter
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from mnist_cnn.data import preprocess_images
from mnist_cnn.reading.drawing_pad import (
    EMPTY,
    LINE_WIDTH,
    PAD_SIZE,
    TOO_MUCH_INK,
    TOO_SMALL,
    DrawingPad,
    page_html,
    plot_readings,
    prepare_drawing,
    read_drawing,
)
from mnist_cnn.reading.preparation import MIN_CONTRAST, NoDigit
from mnist_cnn.reading.saved_models import keras_network

# Each digit as strokes, each stroke a list of (x, y) points on the 280x280 pad.
STROKES = {
    1: [[(150, 40), (140, 140), (130, 240)]],
    7: [[(70, 55), (140, 50), (210, 50), (165, 145), (125, 240)]],
    0: [[(140 + 65 * math.sin(turn / 12 * math.pi), 140 - 100 * math.cos(turn / 12 * math.pi)) for turn in range(25)]],
}
DOT = [[(140, 140)]]
OFF_THE_PAD = [[(140, 60), (140, 200), (140, 420)]]  # a 1 whose stroke ends below the pad
SCRIBBLE = [[(x, 20 + 12 * row) for row in range(21) for x in ((20, 260) if row % 2 == 0 else (260, 20))]]


def drawing(strokes: list[list[tuple[float, float]]]) -> Image.Image:
    """The pad after these strokes, as the browser draws them: white lines with round ends on black."""
    image = Image.new("L", (PAD_SIZE, PAD_SIZE), 0)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        pen.line(stroke, fill=255, width=LINE_WIDTH, joint="curve")
        for x, y in stroke:
            pen.ellipse((x - LINE_WIDTH / 2, y - LINE_WIDTH / 2, x + LINE_WIDTH / 2, y + LINE_WIDTH / 2), fill=255)
    return image


def png(image: Image.Image) -> bytes:
    """The image as the browser sends it: an RGBA PNG."""
    file = io.BytesIO()
    image.convert("RGBA").save(file, format="PNG")
    return file.getvalue()


@pytest.fixture(scope="module")
def network(trained_model):
    return keras_network(trained_model)


@pytest.mark.parametrize("digit", STROKES)
def test_drawn_digits_are_read(digit, network):
    reading = read_drawing(drawing(STROKES[digit]), network)
    assert (reading.digit, reading.sure) == (digit, True), reading.message
    assert reading.message.startswith(f"Reads {digit} (") and reading.probabilities.sum() == pytest.approx(1)


def test_the_network_gets_exactly_what_prepare_drawing_prepares():
    image = drawing(STROKES[7])
    given = []

    def network(images):
        given.append(images)
        return np.eye(10)[[7]]

    reading = read_drawing(image, network)
    np.testing.assert_array_equal(given[0], preprocess_images(prepare_drawing(np.asarray(image))[np.newaxis]))
    np.testing.assert_array_equal(reading.seen, prepare_drawing(np.asarray(image)))
    assert (reading.digit, reading.sure, reading.message) == (7, True, "Reads 7 (100%).")


def test_test_digits_are_read_as_the_model_predicts_them(trained_model, mnist, network):
    images = mnist["x_test"][:20]
    readings = [read_drawing(Image.fromarray(image), network) for image in images]
    predicted = trained_model.predict(preprocess_images(images), verbose=0).argmax(axis=1)
    assert [reading.digit for reading in readings] == predicted.tolist()
    seen = np.stack([reading.seen for reading in readings])  # each nearly its test image (tests/test_predict.py)
    expected = trained_model.predict(preprocess_images(seen), verbose=0)
    np.testing.assert_allclose([reading.probabilities for reading in readings], expected, atol=1e-5)


def test_a_drawing_is_fitted_into_the_20x20_box_and_centred_by_its_mass():
    pixels = np.zeros((PAD_SIZE, PAD_SIZE), np.uint8)
    pixels[30:230, 100:150] = 255  # a bar 200 tall and 50 wide, off the pad's centre
    seen = prepare_drawing(pixels)
    rows, columns = np.nonzero(seen)
    assert (rows.max() - rows.min() + 1, columns.max() - columns.min() + 1) == (20, 5)
    assert (rows.min(), columns.min()) == (4, 12)  # centred: 4 + 20 + 4 rows, 12 + 5 + 11 columns
    assert seen.max() == 255


def test_faint_marks_are_not_ink_and_a_blank_drawing_says_so():
    pixels = np.full((PAD_SIZE, PAD_SIZE), MIN_CONTRAST - 1, np.uint8)
    pixels[0, 0] = 0
    with pytest.raises(NoDigit, match=f"brightest ink is {MIN_CONTRAST - 1} of 255, expected at least {MIN_CONTRAST}"):
        prepare_drawing(pixels)
    reading = read_drawing(Image.fromarray(pixels), network=None)
    assert reading.message.startswith("No digit found: the image is blank") and reading.seen is None


@pytest.mark.parametrize("pixels", [np.zeros((28, 28), np.float32), np.zeros((28, 28, 3), np.uint8)])
def test_a_drawing_must_be_uint8_grayscale(pixels):
    with pytest.raises(ValueError, match=f"Expected a uint8 drawing of shape \\(H, W\\), found {pixels.dtype}"):
        prepare_drawing(pixels)


def test_the_widget_also_offers_the_pad_as_html_for_static_pages(trained_model):
    bundle = DisplayFormatter().format(DrawingPad(trained_model))[0]
    assert {"application/vnd.jupyter.widget-view+json", "text/plain", "text/html"} <= bundle.keys()
    html = bundle["text/html"]
    assert html.count('<script type="module">') == 1 and "function render(" in html and "function mount(" in html
    assert "http" not in html.replace("https://anywidget.dev", "")  # nothing fetched: the network is in the page
    assert len(html.encode()) < 1_000_000
    assert page_html(trained_model).split('id="', 1)[1][:18] != html.split('id="', 1)[1][:18]  # each pad its own id


@pytest.mark.parametrize(
    "image",
    [None, Image.new("L", (PAD_SIZE, PAD_SIZE), 0), Image.new("RGBA", (PAD_SIZE, PAD_SIZE), "white")],
    ids=["nothing", "black", "white"],
)
def test_an_empty_pad_asks_for_a_digit(image):
    reading = read_drawing(image, network=None)  # the network is never asked
    assert (reading.message, reading.digit, reading.seen, reading.sure) == (EMPTY, None, None, False)


def test_a_dot_is_too_small_to_read():
    reading = read_drawing(drawing(DOT), network=None)
    assert (reading.message, reading.digit, reading.sure) == (TOO_SMALL, None, False)
    assert reading.seen.max() == 255  # the network's view still shows what was drawn


def test_a_scribble_over_the_pad_is_too_much_ink():
    reading = read_drawing(drawing(SCRIBBLE), network=None)
    assert (reading.message, reading.digit) == (TOO_MUCH_INK, None)


def test_a_stroke_that_leaves_the_pad_is_read_as_far_as_it_is_on_it(network):
    reading = read_drawing(drawing(OFF_THE_PAD), network)
    assert reading.digit == 1, reading.message


def test_ink_too_faint_to_see_gets_a_sentence():
    faint = Image.new("L", (PAD_SIZE, PAD_SIZE), 0)
    ImageDraw.Draw(faint).line(STROKES[1][0], fill=20, width=LINE_WIDTH)
    reading = read_drawing(faint, network=None)
    assert reading.message.startswith("No digit found: the image is blank") and reading.message.endswith(".")
    assert reading.digit is None


def test_a_low_top_probability_is_not_a_digit():
    probabilities = np.array([[0.05, 0.05, 0.05, 0.3, 0.25, 0.05, 0.05, 0.1, 0.05, 0.05]])
    reading = read_drawing(drawing(STROKES[7]), lambda images: probabilities)
    assert (reading.digit, reading.sure, reading.message) == (3, False, "Not a digit, it seems: at most 3 (30%).")


def test_the_pad_answers_each_stroke_as_the_browser_sends_it(trained_model):
    pad = DrawingPad(trained_model)
    assert (pad.message, pad.digit, pad.sure, pad.probabilities, pad.seen) == (EMPTY, "", False, [], [])
    image = drawing(STROKES[7])
    pad.set_state({"image": memoryview(png(image))})  # as the widget's comm delivers the browser's PNG
    expected = read_drawing(image, keras_network(trained_model))
    assert (pad.digit, pad.sure, pad.message) == ("7", True, expected.message)
    np.testing.assert_allclose(pad.probabilities, expected.probabilities, atol=1e-6)
    assert pad.seen == expected.seen.ravel().tolist() and len(pad.seen) == pad.view_size**2
    pad.set_state({"image": memoryview(b"")})  # the Clear button
    assert (pad.message, pad.digit, pad.sure, pad.probabilities, pad.seen) == (EMPTY, "", False, [], [])


def test_the_pad_shows_a_sentence_not_an_answer_for_a_dot(trained_model):
    pad = DrawingPad(trained_model)
    pad.image = png(drawing(DOT))
    assert (pad.message, pad.digit, pad.probabilities) == (TOO_SMALL, "", [])
    assert max(pad.seen) == 255


def test_the_pads_text_output_is_one_fixed_line_whatever_it_shows(trained_model):
    """nbval compares a cell's text output with the stored one: no address, widget id or reading may show in it."""
    fresh, drawn = DrawingPad(trained_model), DrawingPad(trained_model)
    drawn.image = png(drawing(STROKES[7]))
    (first, _), (second, _) = DisplayFormatter().format(fresh), DisplayFormatter().format(drawn)
    assert first["text/plain"] == second["text/plain"], (first["text/plain"], second["text/plain"])
    assert first["text/plain"].startswith("DrawingPad: live while this notebook runs in Jupyter")
    assert fresh.model_id not in first["text/plain"] and drawn.digit == "7"


def javascript(source: str) -> tree_sitter.Tree:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language())).parse(source.encode())


def nodes(node: tree_sitter.Node):
    yield node
    for child in node.children:
        yield from nodes(child)


def syntax_errors(tree: tree_sitter.Tree) -> list[str]:
    return [f"{node.start_point}: {node.type}" for node in nodes(tree.root_node) if node.is_error or node.is_missing]


def test_the_pads_javascript_is_an_es_module_that_parses():
    source = DrawingPad(None)._esm  # the module the widget sends to the browser
    tree = javascript(source)
    assert syntax_errors(tree) == []
    exports = [node.text.decode() for node in tree.root_node.children if node.type == "export_statement"]
    assert exports == ["export default { render };"]  # anywidget's contract
    assert syntax_errors(javascript(source.replace("function render(", "function render")))  # it would be seen


def test_the_javascript_uses_every_synced_trait_and_no_other():
    """Each `model.get("name")` and `model.set("name", ...)` names a trait synced with the browser, and the reverse."""
    used = set()
    for node in nodes(javascript(DrawingPad(None)._esm).root_node):
        function = node.child_by_field_name("function") if node.type == "call_expression" else None
        if function is not None and function.text.decode() in ("model.get", "model.set"):
            name = node.child_by_field_name("arguments").named_children[0]
            assert name.type == "string", name.text
            used.add(name.text.decode()[1:-1])
    assert used == set(DrawingPad.class_own_traits(sync=True))


def test_the_pads_css_parses_and_styles_only_what_the_javascript_makes():
    pad = DrawingPad(None)
    rules = tinycss2.parse_stylesheet(pad._css, skip_comments=True, skip_whitespace=True)
    assert rules and [rule.message for rule in rules if rule.type == "error"] == []
    for rule in (rule for rule in rules if rule.type == "qualified-rule"):
        selector = tinycss2.serialize(rule.prelude)
        body = tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
        assert ";" not in selector and all(item.type == "declaration" for item in body), selector  # no lost brace
        for name in re.findall(r"\.([\w-]+)", selector):
            assert re.search(rf"(?<![\w-]){name}(?![\w-])", pad._esm), f"{selector}: no element has class {name}"


def test_the_figure_shows_each_reading(trained_model, mnist):
    images = mnist["x_test"][:6]
    probabilities = trained_model.predict(preprocess_images(images), verbose=0)
    figure = plot_readings(trained_model, images)
    assert isinstance(figure, Figure) and len(figure.axes) == 3 * 6
    titles = [axes.get_title() for axes in figure.axes[:6]]
    assert [title.split(" ")[0] for title in titles] == [str(digit) for digit in probabilities.argmax(axis=1)]
    heights = [[bar.get_height() for bar in axes.patches] for axes in figure.axes[12:]]
    np.testing.assert_allclose(heights, probabilities, atol=1e-2)
