"""The drawing pad in a static page, in a real browser: the page reads drawings as `read_drawing` does.

A page holding `drawing_pad.page_html(model)` is opened from disk in Debian's Chromium (Playwright),
the mouse draws the strokes tests/test_browser.py draws in JupyterLab, and what the page shows is
compared with what `read_drawing` gives for the pad's own pixels (its PNG, as Jupyter would get it).
The page's network is compared with Keras on MNIST's test digits. No request may leave the page.
"""

from __future__ import annotations

import base64
import contextlib
import io

import numpy as np
import pytest
from PIL import Image
from test_browser import draw, is_local, offline_page
from test_drawing_pad import DOT, OFF_THE_PAD, SCRIBBLE, STROKES

from mnist_cnn.data import preprocess_images
from mnist_cnn.networks import Recipe, build_improved_model
from mnist_cnn.reading.drawing_pad import EMPTY, page_html, read_drawing
from mnist_cnn.reading.saved_models import keras_network

pytestmark = pytest.mark.browser
DRAWINGS = {**{str(digit): strokes for digit, strokes in STROKES.items()}, "dot": DOT, "scribble": SCRIBBLE}
DRAWINGS["off the pad"] = OFF_THE_PAD
ANSWER = 15_000  # milliseconds allowed for an answer to show (it takes a few: benchmarks/draw_latency.py)


@pytest.fixture
def page_with_pad(tmp_path):
    """Opens a page holding the pad for a model, from disk: `page_with_pad(model)` gives (page, requests, errors)."""
    with contextlib.ExitStack() as stack:

        def open_page(model):
            page, requests, errors = stack.enter_context(offline_page(900, 700))
            path = tmp_path / "pad.html"
            path.write_text(f'<!doctype html><html><head><meta charset="utf-8"></head><body>{page_html(model)}</body>')
            page.goto(path.as_uri())
            page.locator(".mnist-pad-canvas").wait_for()
            page.evaluate(
                """() => document.querySelector("[id^=mnist-pad-]").addEventListener(
                     "mnist-pad-read", (event) => (window.reading = event.detail))"""
            )
            return page, requests, errors

        yield open_page


def pad_image(page) -> Image.Image:
    """The pad's pixels as the page holds them, through a PNG as the widget sends them to Python."""
    data_url = page.locator(".mnist-pad-canvas").evaluate("canvas => canvas.toDataURL('image/png')")
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))


def shown_view(page) -> np.ndarray:
    """The 28x28 view the page shows, from its canvas."""
    pixels = page.locator(".mnist-pad-view canvas").evaluate(
        "canvas => Array.from(canvas.getContext('2d').getImageData(0, 0, 28, 28).data)"
    )
    return np.array(pixels, dtype=np.uint8).reshape(28, 28, 4)[..., 0]


def test_strokes_drawn_in_the_page_are_read_as_read_drawing_reads_them(page_with_pad, trained_model):
    from playwright.sync_api import expect

    page, requests, errors = page_with_pad(trained_model)
    network, message = keras_network(trained_model), page.locator(".mnist-pad-message")
    expect(message).to_have_text(EMPTY)
    for name, strokes in DRAWINGS.items():
        page.evaluate("() => (window.reading = null)")
        draw(page, page.locator(".mnist-pad-canvas"), strokes)
        page.wait_for_function("() => window.reading !== null", timeout=ANSWER)
        expected = read_drawing(pad_image(page), network)
        shown = page.evaluate("() => window.reading")
        assert message.text_content() == expected.message, name
        digit = "" if expected.digit is None else str(expected.digit)
        assert page.locator(".mnist-pad-digit").text_content() == digit, name
        if expected.seen is None:
            assert "seen" not in shown, name
        else:
            np.testing.assert_array_equal(shown_view(page), expected.seen, err_msg=name)
        if expected.probabilities is not None:  # float32 weights: Keras's probabilities to float32's precision
            np.testing.assert_allclose(shown["probabilities"], expected.probabilities, atol=1e-5, err_msg=name)
        page.locator(".mnist-pad-clear").click()
        expect(message).to_have_text(EMPTY, timeout=ANSWER)
    assert ([url for url in requests if not is_local(url)], errors) == ([], [])


def test_the_page_gives_kerass_digit_for_mnists_test_digits(page_with_pad, trained_model, mnist):
    page, requests, errors = page_with_pad(trained_model)
    images = mnist["x_test"][:1000]
    digits = page.evaluate(
        """(images) => { const pad = document.querySelector("[id^=mnist-pad-]").mnistPad;
             return images.map((image) => { const p = pad.classify(image); return p.indexOf(Math.max(...p)); }); }""",
        images.reshape(len(images), -1).tolist(),
    )
    expected = trained_model.predict(preprocess_images(images), verbose=0).argmax(axis=1)
    assert np.mean(np.array(digits) == expected) >= 0.999
    assert ([url for url in requests if not is_local(url)], errors) == ([], [])


def test_a_larger_network_with_batch_norm_runs_in_the_page_with_float16_weights(page_with_pad, mnist):
    """The improved recipe's layers (batch norm folded, ReLU layers, dropout skipped), its weights as float16."""
    model = build_improved_model(Recipe(batch_norm=True, dropout=True), steps_per_epoch=1, seed=0)
    page, _, errors = page_with_pad(model)
    assert '"float_bits": 16' in page.content()
    images = mnist["x_test"][:50]
    probabilities = page.evaluate(
        """(images) => images.map((image) => document.querySelector("[id^=mnist-pad-]").mnistPad.classify(image))""",
        images.reshape(len(images), -1).tolist(),
    )
    expected = model.predict(preprocess_images(images), verbose=0)
    np.testing.assert_allclose(probabilities, expected, atol=2e-3)
    assert errors == []
