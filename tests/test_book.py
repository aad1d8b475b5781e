"""The book (`make book`, `mnist_cnn.report.book`): its sources gathered, its links, its build, and in a browser.

The unit tests gather and build small projects written here: three tiny notebooks, a README and a guide.
`test_the_projects_book_links_only_to_itself` builds the project's own book from the outputs stored in
notebooks/ (a few seconds) and reads its HTML; `test_the_book_in_a_browser` (marked `browser`) opens that
book from its files in headless Chromium (Debian's `chromium`, through Playwright, as in tests/test_browser.py).
"""

from __future__ import annotations

import base64
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import keras
import nbformat
import numpy as np
import pytest
from test_browser import draw, is_local, offline_page
from test_drawing_pad import STROKES
from test_page_pad import pad_image, shown_view

from mnist_cnn.networks import build_robust_model, original_cnn
from mnist_cnn.reading.drawing_pad import EMPTY, read_drawing
from mnist_cnn.reading.saved_models import Network, keras_network
from mnist_cnn.report import book
from mnist_cnn.report.book import NOTEBOOK_NAMES, BookError

ROOT = Path(__file__).resolve().parents[1]
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="  # a 1x1 PNG
WIDGET = "application/vnd.jupyter.widget-view+json"
PAD_HTML = '<div class="test-pad">a pad</div><script type="module">document.body.dataset.pad = "ran";</script>'
SEARCH_WORDS = {  # a word of each notebook, which the search must find it by
    "mnist_cnn": "misclassified",
    "improving_the_cnn": "ablation",
    "reading_real_handwriting": "USPS",
    "reading_joined_numbers": "ligatures",
}


def tiny_notebook(name: str, origin: str = "notebooks") -> nbformat.NotebookNode:
    """A notebook as a run leaves it: a title linking to another notebook's report page, a figure, a section,
    a drawing pad's widget output with its HTML twin, and the run's summary, computed last."""
    cells = [
        nbformat.v4.new_markdown_cell(f"# Notebook {name}\n\nRead [the first one's report](mnist_cnn.html) first."),
        nbformat.v4.new_code_cell(
            "figure()", outputs=[nbformat.v4.new_output("display_data", data={"image/png": PIXEL})]
        ),
        nbformat.v4.new_markdown_cell('## A "quoted" section\n\nThe outputs come from ' + origin + "."),
        nbformat.v4.new_code_cell(
            "pad()",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={WIDGET: {"model_id": "abc", "version_major": 2}, "text/html": PAD_HTML, "text/plain": "Pad"},
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "describe_run()",
            outputs=[
                nbformat.v4.new_output(
                    "display_data", data={"text/markdown": "| | |\n|---|---|\n| test accuracy | 99.1% |"}
                )
            ],
        ),
    ]
    cells[-1].metadata["tags"] = ["summary"]
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"
    kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernel, "language_info": {"name": "python"}})


@pytest.fixture
def project(tmp_path) -> Path:
    """A project laid out as this one: README.md, a guide, a source file, and the four notebooks with outputs."""
    folder = tmp_path / "project"
    (folder / "docs").mkdir(parents=True)
    (folder / "notebooks").mkdir()
    (folder / "src" / "mnist_cnn").mkdir(parents=True)
    (folder / "README.md").write_text(
        "# mnist-cnn\n\nA small project: [its data](docs/data.md).\n\n## Quick start\n\nRun it.\n"
    )
    (folder / "docs" / "data.md").write_text(
        "# Data\n\nBack to [the README](../README.md#quick-start), on to [the notebook](../notebooks/mnist_cnn.ipynb), "
        "[the loader](../src/mnist_cnn/data.py) in [the package](../src/mnist_cnn/).\n\n## Where it comes from\n"
    )
    (folder / "src" / "mnist_cnn" / "data.py").write_text('"""The loader."""\n\nprint("```")\n')
    for name in NOTEBOOK_NAMES:
        nbformat.write(tiny_notebook(name), folder / "notebooks" / f"{name}.ipynb")
    return folder


# Links.


@pytest.mark.parametrize(
    "document, target, expected",
    [
        ("docs/data.md", "../README.md", "../README.md"),
        ("README.md", "docs/data.md#where-it-comes-from", "docs/data.md#where-it-comes-from"),
        ("docs/data.md", "../notebooks/mnist_cnn.ipynb", "../notebooks/mnist_cnn.ipynb"),
        ("notebooks/improving_the_cnn.ipynb", "mnist_cnn.html", "mnist_cnn.ipynb"),  # a report's page: the notebook
        ("docs/data.md", "../reports/mnist_cnn.results.html", "../notebooks/mnist_cnn.ipynb"),
        ("docs/data.md", "../src/mnist_cnn/data.py", "../files/src/mnist_cnn/data.py.md"),  # the file's page
        ("docs/data.md", "../.gitattributes", "../files/dot-gitattributes.md"),
        ("docs/data.md", "../src/mnist_cnn/", None),  # a folder: its text
        ("docs/data.md", "missing.md", None),
        ("docs/data.md", "../../elsewhere.md", None),  # outside the project
        ("docs/data.md", "https://example.org/page#part", "https://example.org/page#part"),
        ("docs/data.md", "#where-it-comes-from", "#where-it-comes-from"),
    ],
)
def test_each_link_goes_to_the_books_page_or_becomes_text(project, document, target, expected):
    (project / ".gitattributes").write_text("*.ipynb diff=jupyternotebook\n")
    files = set()
    assert book.link_target(target, document, project, files) == expected
    assert files == ({urlsplit(target).path.replace("../", "")} if "files/" in (expected or "") else set())


def test_links_in_code_blocks_stay_and_those_to_nothing_become_text(project):
    markdown = (
        "See [`src/`](../src/mnist_cnn/) and [the loader](../src/mnist_cnn/data.py).\n\n"
        "```markdown\n[kept](../src/mnist_cnn/)\n```\n\n![a picture](picture.png)\n"
    )
    files = set()
    assert book.rewrite_links(markdown, "docs/data.md", project, files) == (
        "See `src/` and [the loader](../files/src/mnist_cnn/data.py.md).\n\n"
        "```markdown\n[kept](../src/mnist_cnn/)\n```\n\n![a picture](picture.png)\n"
    )
    assert files == {"src/mnist_cnn/data.py"}


def test_a_files_page_shows_its_text_in_a_code_block_longer_than_any_inside():
    page = book.file_page_text("src/mnist_cnn/data.py", 'print("```")\n')
    assert page.startswith("---\norphan: true\n---\n\n# `src/mnist_cnn/data.py`\n")
    assert '\n````python\nprint("```")\n````\n' in page


# The notebooks: where they come from, and how their pages open.


def test_the_book_prefers_the_report_commands_run_when_it_is_newer(project, tmp_path):
    reports = tmp_path / "out" / "reports"
    reports.mkdir(parents=True)
    stored = project / "notebooks" / "mnist_cnn.ipynb"
    assert book.notebook_source("mnist_cnn", project, reports) == stored  # no run in reports/
    ran = reports / "mnist_cnn.ipynb"
    nbformat.write(tiny_notebook("mnist_cnn", origin="the report"), ran)
    os.utime(ran, (stored.stat().st_mtime + 60,) * 2)
    assert book.notebook_source("mnist_cnn", project, reports) == ran
    os.utime(ran, (stored.stat().st_mtime - 60,) * 2)  # older than the outputs stored since
    assert book.notebook_source("mnist_cnn", project, reports) == stored
    stored.unlink()
    assert book.notebook_source("mnist_cnn", project, reports) == ran


def test_a_notebook_page_opens_with_its_summary_then_its_contents(project):
    files = set()
    page = book.notebook_page(tiny_notebook("improving_the_cnn"), "improving_the_cnn", project, files)
    title, summary, contents, *rest = page.cells
    assert title.source.startswith("# Notebook improving_the_cnn\n\nRead [the first one's report](mnist_cnn.ipynb)")
    assert summary.metadata["tags"] == ["summary", "remove-input"]  # its output alone
    assert contents.source == '## Contents\n\n- [A "quoted" section](#a-quoted-section)'  # MyST's anchor
    assert [cell.id for cell in rest] == ["cell-1", "cell-2", "cell-3"]
    assert files == set()


def test_a_missing_notebook_stops_the_command_in_one_line(project, tmp_path, monkeypatch, capsys):
    (project / "notebooks" / "improving_the_cnn.ipynb").unlink()
    monkeypatch.chdir(project)
    assert book.main(["--output-dir", str(tmp_path / "out")]) == 1
    assert capsys.readouterr() == (
        "",
        "error: expected the notebook notebooks/improving_the_cnn.ipynb (the book is built in the project's "
        "folder), found no such file\n",
    )
    assert list((tmp_path / "out" / "reports").iterdir()) == []  # nothing written, no temporary folder left


def test_a_notebook_without_outputs_stops_the_command_in_one_line(project, tmp_path, monkeypatch, capsys):
    path = project / "notebooks" / "reading_real_handwriting.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(notebook, path)
    monkeypatch.chdir(project)
    assert book.main(["--output-dir", str(tmp_path / "out")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("error: expected a notebook with its outputs in notebooks/reading_real_handwriting.ipynb")


def test_a_failed_build_leaves_the_earlier_book(project, tmp_path, monkeypatch):
    earlier = tmp_path / "out" / "reports" / "book"
    earlier.mkdir(parents=True)
    (earlier / "index.html").write_text("the earlier book")

    def failing_sphinx(*arguments):
        raise BookError("expected Sphinx to build the book, found ExtensionError: no")

    monkeypatch.setattr(book, "sphinx_build", failing_sphinx)
    with pytest.raises(BookError, match="found ExtensionError"):
        book.build(project, tmp_path / "out")
    assert [path.name for path in earlier.parent.iterdir()] == ["book"]  # no temporary folder left
    assert [path.name for path in earlier.iterdir()] == ["index.html"]
    assert (earlier / "index.html").read_text() == "the earlier book"


# Built books.


class Page(HTMLParser):
    """An HTML page's ids, and every address it names: (tag, attribute, address)."""

    def __init__(self, text: str):
        super().__init__()
        self.ids: set[str] = set()
        self.addresses: list[tuple[str, str, str]] = []
        self.feed(text)

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        for name in ("href", "src", "data"):
            if attributes.get(name):
                self.addresses.append((tag, name, attributes[name]))


def broken_links(folder: Path) -> list[str]:
    """What a book's pages name and cannot have: a file or heading not in the book, anything loaded from a
    server (a link to a web page is fine: the reader follows it or not)."""
    pages = {path.resolve(): Page(path.read_text(encoding="utf-8")) for path in folder.rglob("*.html")}
    broken = []
    for path, page in pages.items():
        for tag, attribute, address in page.addresses:
            parts = urlsplit(address)
            where = f"{path.relative_to(folder.resolve())}: <{tag} {attribute}={address!r}>"
            if parts.scheme in ("data", "mailto") or (parts.scheme and tag == "a"):
                continue
            if parts.scheme or address.startswith("//"):
                broken.append(f"{where} loads from the network")
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file():
                broken.append(f"{where}: no such file")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{where}: no such anchor")
    return broken


def png_outputs(notebook: nbformat.NotebookNode) -> int:
    return sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))


def test_a_small_book_shows_each_notebook_summary_first_and_the_pads_html(project, tmp_path):
    reports = tmp_path / "out" / "reports"
    reports.mkdir(parents=True)
    nbformat.write(tiny_notebook("improving_the_cnn", origin="the report run"), reports / "improving_the_cnn.ipynb")
    built = book.build(project, tmp_path / "out")
    folder = reports / "book"
    assert (built.index, built.warnings) == (folder / "index.html", [])
    assert built.pages == 1 + 4 + 2 + 1  # the start page, the notebooks, README and the guide, the loader's page
    assert built.sources["improving_the_cnn"] == reports / "improving_the_cnn.ipynb"
    assert broken_links(folder) == []
    start = (folder / "index.html").read_text()
    assert "A small project:" in start and "reports/improving_the_cnn.ipynb</span></code>" in start
    second = (folder / "notebooks" / "improving_the_cnn.html").read_text()
    text = re.sub(r"<[^>]+>", "", second[second.index("<article") :])  # what the reader sees of the notebook
    assert "the report run" in text and "the report run" not in (folder / "notebooks" / "mnist_cnn.html").read_text()
    title, summary, contents = (text.index(words) for words in ("Notebook improving_the_cnn", "99.1%", "Contents"))
    assert title < summary < contents  # the summary first, its code hidden
    assert "describe_run()" not in text and "figure()" in text
    assert PAD_HTML in second and WIDGET not in second and "require" not in second  # the pad's HTML, as it is
    assert second.count("<img ") == 1 and "code_toggle.js" in second
    loader = (folder / "files" / "src" / "mnist_cnn" / "data.py.html").read_text()
    assert "The loader." in loader
    assert sorted(path.name for path in reports.iterdir()) == ["book", "improving_the_cnn.ipynb"]  # nothing else


def test_the_command_says_what_it_wrote_in_one_line(project, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert book.main(["--output-dir", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(rf"Wrote {tmp_path}/out/reports/book/index.html \(8 pages\) in \d+ s\n", out) and err == ""


@pytest.fixture(scope="module")
def project_book(tmp_path_factory) -> Path:
    """This project's book, built from the outputs stored in notebooks/: its folder."""
    output = tmp_path_factory.mktemp("book")
    built = book.build(ROOT, output)
    assert built.warnings == []
    return built.index.parent


def test_the_projects_book_links_only_to_itself(project_book):
    assert broken_links(project_book) == []
    for name in NOTEBOOK_NAMES:
        page = (project_book / "notebooks" / f"{name}.html").read_text()
        figures = png_outputs(nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4))
        assert page.count("<img ") == figures, f"{name}: {page.count('<img ')} images, {figures} figures"
    guides = sorted(path.stem for path in (ROOT / "docs").glob("*.md"))
    assert sorted(path.stem for path in (project_book / "docs").glob("*.html")) == guides


PAD_NETWORKS = {  # the network of each notebook's drawing pad, to rebuild in Keras from the weights in its page
    "mnist_cnn": original_cnn,
    "reading_real_handwriting": lambda: build_robust_model(train_samples=1),
}


def network_in_page(page, model: keras.Model) -> Network:
    """`model` holding the weights embedded in the page's pad (as float32, from float32 or float16), as a Network."""
    data = json.loads(page.locator("script[id$='-data']").first.text_content())["network"]
    weights = np.frombuffer(base64.b64decode(data["weights"]), f"<f{data['float_bits'] // 8}").astype(np.float32)
    shapes = [array.shape for array in model.get_weights()]
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes])
    assert ends[-1] == weights.size
    model.set_weights([part.reshape(shape) for part, shape in zip(np.split(weights, ends[:-1]), shapes)])
    return keras_network(model)


@pytest.mark.browser
def test_the_book_in_a_browser(project_book):
    from playwright.sync_api import expect

    for name, word in SEARCH_WORDS.items():
        assert word in (ROOT / "notebooks" / f"{name}.ipynb").read_text(), f"{word!r} is not in {name}"
    shown, pads = {}, {}
    with offline_page() as (page, requests, errors):
        try:
            page.goto((project_book / "index.html").as_uri())
            for name in NOTEBOOK_NAMES:
                page.locator(f'article a[href="notebooks/{name}.html"]').first.click()
                page.wait_for_load_state("load")
                images = page.locator("article img")
                inputs = page.locator(".cell_input")
                toggle = page.locator("button.mnist-code-toggle")
                before = inputs.first.is_visible()
                toggle.click()
                hidden = page.evaluate("[...document.querySelectorAll('.cell_input')].every(e => !e.checkVisibility())")
                label = toggle.text_content()
                toggle.click()
                shown[name] = {
                    "images": images.count(),
                    "rendered": sum(
                        images.nth(index).evaluate("image => image.complete && image.naturalWidth > 0")
                        for index in range(images.count())
                    ),
                    "previous and next": page.locator("a.prev-page").count() + page.locator("a.next-page").count(),
                    "code shown, then hidden, then shown": (before, hidden, inputs.first.is_visible()),
                    "toggles": (toggle.count(), label),
                }
                if name in PAD_NETWORKS:  # a 7 drawn with the mouse, read as Keras reads it with the page's network
                    canvas, message = page.locator(".mnist-pad-canvas"), page.locator(".mnist-pad-message")
                    canvas.scroll_into_view_if_needed()
                    draw(page, canvas, STROKES[7])
                    expect(message).not_to_have_text(EMPTY)
                    expected = read_drawing(pad_image(page), network_in_page(page, PAD_NETWORKS[name]()))
                    pads[name] = (message.text_content(), shown_view(page).tolist())
                    assert pads[name] == (expected.message, expected.seen.tolist()), name
                    page.screenshot(path=project_book.parent / f"pad-{name}.png")
                page.go_back()
            for name, word in SEARCH_WORDS.items():
                page.goto(f"{(project_book / 'search.html').as_uri()}?q={word}")
                summary = page.locator("#search-results .search-summary")
                expect(summary).to_contain_text("Search finished", timeout=10_000)  # every result listed
                found = page.locator("#search-results ul.search li a")
                addresses = [found.nth(index).get_attribute("href") for index in range(found.count())]
                assert any(address.startswith(f"notebooks/{name}.html") for address in addresses), (word, addresses)
        except Exception:
            screenshot = project_book.parent / "failure.png"
            page.screenshot(path=screenshot, full_page=True)
            print(f"Screenshot of the failure: {screenshot}; errors in the page: {errors or 'none'}")
            raise

    for name in NOTEBOOK_NAMES:
        figures = png_outputs(nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4))
        assert shown[name] == {
            "images": figures,
            "rendered": figures,
            "previous and next": 2,
            "code shown, then hidden, then shown": (True, True, True),
            "toggles": (1, "Show the code"),
        }, name
    assert [message.split(" (")[0] for message, _ in pads.values()] == ["Reads 7", "Reads 7"]
    assert [url for url in requests if not is_local(url)] == [] and not errors
