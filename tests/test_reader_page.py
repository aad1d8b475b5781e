"""The report's two pages in a real browser: the reader's page shows no code, every figure renders, nothing is fetched.

One short run of the report command writes both pages; headless Chromium (Debian's `chromium`,
through Playwright, as in tests/test_browser.py) opens each from its file, follows the link from
one to the other, and saves a screenshot of its first screen to reports/screenshots/ beside them.
On each page the drawing pad reads a 7 drawn with the mouse as `read_drawing` reads it with the
run's saved model. Without Chromium or Playwright the test is skipped with the reason.
"""

from __future__ import annotations

import keras
import pytest
from test_browser import draw, is_local, offline_page, require_chromium
from test_drawing_pad import STROKES
from test_page_pad import pad_image
from test_report import FIGURES, run_report

from mnist_cnn.reading.drawing_pad import read_drawing
from mnist_cnn.reading.saved_models import keras_network
from mnist_cnn.saving import MODEL_PATH

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pages(mnist_path, tmp_path_factory):
    """Both pages of one short run: {"full": path, "results": path}."""
    require_chromium()
    folder = tmp_path_factory.mktemp("report")
    result = run_report(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    reports = folder / "reports"
    return {"full": reports / "mnist_cnn.html", "results": reports / "mnist_cnn.results.html"}


def test_the_readers_page_shows_results_without_code_and_fetches_nothing(pages):
    shown = {}
    with offline_page() as (page, requests, errors):
        for name, other in (("results", "full"), ("full", "results")):
            page.goto(pages[name].as_uri())
            page.wait_for_load_state("load")
            images = page.locator("img")
            shown[name] = {
                "code inputs": page.locator(".jp-CodeCell .jp-InputArea").count(),
                "prompts": page.locator(".jp-InputPrompt, .jp-OutputPrompt").count(),
                "images": images.count(),
                "rendered images": sum(
                    images.nth(index).evaluate("image => image.complete && image.naturalWidth > 0")
                    for index in range(images.count())
                ),
                "link to the other page": page.locator(f'a[href="{pages[other].name}"]').first.is_visible(),
            }
            screenshot = pages[name].parent / "screenshots" / f"{name}.png"
            screenshot.parent.mkdir(exist_ok=True)
            page.screenshot(path=screenshot)
            print(f"Screenshot of the {name} page: {screenshot}")

    figures = len(FIGURES)
    assert shown["results"] == {
        "code inputs": 0,
        "prompts": 0,
        "images": figures,
        "rendered images": figures,
        "link to the other page": True,
    }
    assert shown["full"]["code inputs"] > 0 and shown["full"]["prompts"] > 0  # the same check finds the code there
    assert shown["full"]["rendered images"] == figures and shown["full"]["link to the other page"]
    assert [url for url in requests if not is_local(url)] == [] and not errors


def test_the_pad_reads_in_both_pages_with_the_runs_model(pages):
    from playwright.sync_api import expect

    network = keras_network(keras.saving.load_model(pages["full"].parents[1] / MODEL_PATH))
    shown = {}
    with offline_page() as (page, requests, errors):
        for name, path in pages.items():
            page.goto(path.as_uri())
            canvas, message = page.locator(".mnist-pad-canvas"), page.locator(".mnist-pad-message")
            canvas.scroll_into_view_if_needed()
            draw(page, canvas, STROKES[7])
            expect(message).not_to_have_text(read_drawing(None, network).message)
            shown[name] = (message.text_content(), read_drawing(pad_image(page), network).message)
    assert not errors
    assert shown["full"][0] == shown["full"][1] and shown["results"][0] == shown["results"][1], shown
    assert [url for url in requests if not is_local(url)] == []
