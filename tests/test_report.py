"""`make report`'s command end to end, in a short configuration (nbval covers the full run).

The notebook runs once: its two pages (with the code, and the reader's without), figures and
artifacts appear, and the saved model reproduces the recorded test accuracy. In `make test-all`
it runs again with the same seed, and the two runs' metrics agree in everything but time.
A failing run then leaves the earlier report as it was, and so does a run interrupted by Ctrl-C.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest

from mnist_cnn.data import array_sha256, one_hot, preprocess_images
from mnist_cnn.report.pages import heading_anchor, table_of_contents
from mnist_cnn.report.runner import NOTEBOOKS
from mnist_cnn.saving import MODEL_PATH

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_PATH = NOTEBOOKS[0]
NOTEBOOK = nbformat.read(ROOT / NOTEBOOK_PATH, as_version=4)
CODE_CELL_IDS = [cell.id for cell in NOTEBOOK.cells if cell.cell_type == "code"]
CODE_CELL_IDS.insert(CODE_CELL_IDS.index("parameters") + 1, "injected-parameters")  # papermill's, in the run
SHORT = ["-p", "EPOCHS", "1", "-p", "TRAIN_SAMPLES", "3000", "-p", "MIN_TEST_ACCURACY", "0.8"]
SUMMARY_HEADINGS = ((1, "Handwritten"), (2, "Summary"), (2, "Contents"))  # each page's first three
FIRST_SECTION = heading_anchor(re.search(r"^## +(.+?) *$", NOTEBOOK.cells[1].source, flags=re.MULTILINE)[1])
FIGURES = [
    "first-image",
    "sample-grid",
    "class-distribution",
    "pixel-intensities",
    "training",
    "training-curves",
    "confusion-matrix",
    "misclassified",
    "draw-preview",
]


def report_command(output_dir: Path, *parameters: str) -> list[str]:
    """The report command for the first notebook, in a short configuration; `parameters` (-p ...) win over it."""
    command = [sys.executable, "-m", "mnist_cnn", "report", "--notebook", str(NOTEBOOK_PATH)]
    return [*command, "--output-dir", str(output_dir), *SHORT, *parameters]


def cell_name(cell_id: str) -> str:
    """How the report names a code cell of the run: "cell 14/25 (training)"."""
    return f"cell {CODE_CELL_IDS.index(cell_id) + 1}/{len(CODE_CELL_IDS)} ({cell_id})"


def run_report(output_dir: Path, *parameters: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        report_command(output_dir, *parameters), cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def run(mnist_path, tmp_path_factory):
    """A short run of the report command, in its own output folder: (folder, result)."""
    folder = tmp_path_factory.mktemp("run")
    result = run_report(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    return folder, result


def test_html_report_embeds_every_figure(run):
    folder, result = run
    html = (folder / "reports" / "mnist_cnn.html").read_text()
    assert html.count('src="data:image/png;base64') == len(FIGURES)
    assert "Handwritten digits with a convolutional network" in html
    assert "[12/" in result.stdout and "Wrote" in result.stdout  # progress was shown


def embedded_images(html: str) -> list[str]:
    return re.findall(r'<img[^>]+src="data:image/png;base64,([^"]+)"', html)


def has_element_of_class(html: str, css_class: str) -> bool:
    return re.search(rf'class="[^"]*\b{css_class}\b', html) is not None


def test_the_readers_page_has_every_figure_and_no_code(run):
    folder = run[0]
    full, results = ((folder / "reports" / name).read_text() for name in ("mnist_cnn.html", "mnist_cnn.results.html"))
    assert embedded_images(results) == embedded_images(full) and len(embedded_images(full)) == len(FIGURES)
    for html in (full, results):  # the head's stylesheet names these classes too: look for elements
        assert not re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="https?:', html)
    for css_class in ("jp-InputArea-editor", "jp-InputPrompt", "jp-OutputPrompt"):  # the code, "In [n]:", "Out[n]:"
        assert has_element_of_class(full, css_class) and not has_element_of_class(results, css_class)
    assert "injected-parameters" in full
    text = re.sub(r"<[^>]+>", "", results)  # the recipe, and the values set for this run, shown as text
    assert "EPOCHS = 5" in text and "EPOCHS = 1" in text[text.index("Set for this run:") :]
    assert 'href="mnist_cnn.html"' in results[: results.index('id="Handwritten')]  # links at the top, each way
    assert 'href="mnist_cnn.results.html"' in full[: full.index('id="Handwritten')]


def test_the_readers_page_opens_with_the_summary_and_contents(run):
    html = (run[0] / "reports" / "mnist_cnn.results.html").read_text()
    title, summary, contents = (html.index(f'<h{level} id="{anchor}') for level, anchor in SUMMARY_HEADINGS)
    assert title < summary < contents < html.index(f'id="{FIRST_SECTION}"')
    metrics = json.loads((run[0] / "reports" / "metrics.json").read_text())
    assert f"{metrics['test']['accuracy']:.2%}" in html[summary:contents]


def test_the_terminal_shows_progress_and_nothing_else(run):
    result = run[1]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Running notebooks/mnist_cnn.ipynb with EPOCHS=1, ") and lines[-1].startswith("Wrote ")
    assert "TRAIN_SAMPLES=3000" in lines[0] and "MIN_TEST_ACCURACY=0.8" in lines[0]  # what papermill injects
    cell_lines = [line for line in lines[1:-1] if line.startswith("[")]
    assert [re.match(r"\[ *\d+/\d+\] (\S+)", line)[1] for line in cell_lines] == CODE_CELL_IDS
    epoch_lines = [line.strip() for line in lines if line.strip().startswith("epoch ")]
    assert len(epoch_lines) == 1 and epoch_lines[0].startswith("epoch 1/1: loss ")
    assert "val_accuracy" in epoch_lines[0] and epoch_lines[0].endswith("s, done)")
    assert result.stderr == ""  # no library noise, no warning


def test_the_report_opens_with_the_runs_summary_and_contents(run):
    html = (run[0] / "reports" / "mnist_cnn.html").read_text()
    metrics = json.loads((run[0] / "reports" / "metrics.json").read_text())
    title, summary, contents = (html.index(f'<h{level} id="{anchor}') for level, anchor in SUMMARY_HEADINGS)
    assert title < summary < contents < html.index(f'id="{FIRST_SECTION}"')
    assert f"{metrics['test']['accuracy']:.2%}" in html[summary:contents]
    assert metrics["machine"] in html[summary:contents] and "describe_run" not in html  # its code is hidden
    links = re.findall(r'href="#([^"]+)"', html[contents:])
    headings = re.findall(r'<h[23] id="([^"]+)"', html)
    section_links = [link for link in links if link in headings]
    assert len(section_links) >= 8 and "Where-the-model-goes-wrong" in section_links


def test_the_report_loads_nothing_from_the_network(run):
    html = (run[0] / "reports" / "mnist_cnn.html").read_text()
    assert not re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="https?:', html)
    assert "unpkg.com" not in html and "application/vnd.jupyter.widget-state" not in html  # no widget loader
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html  # no cell wrote to stderr


def test_contents_link_to_every_section():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_markdown_cell("## Loading the data (MNIST)\ntext\n### Where it goes wrong"),
            nbformat.v4.new_markdown_cell("#### Too deep\n## Conclusion"),
        ]
    )
    assert table_of_contents(notebook).splitlines()[2:] == [
        "- [Loading the data (MNIST)](#Loading-the-data-(MNIST))",
        "  - [Where it goes wrong](#Where-it-goes-wrong)",
        "- [Conclusion](#Conclusion)",
    ]


def test_each_figure_is_saved_as_png(run):
    folder = run[0]
    names = sorted(path.stem for path in (folder / "reports" / "figures" / "mnist_cnn").glob("*.png"))
    assert names == sorted(FIGURES)
    figures = (folder / "reports" / "figures" / "mnist_cnn").iterdir()
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in figures)


def test_artifacts_record_the_run(run, mnist):
    folder = run[0]
    metrics = json.loads((folder / "reports" / "metrics.json").read_text())
    assert metrics["parameters"] == {
        "epochs": 1,
        "batch_size": 64,
        "validation_split": 0.1,
        "seed": 0,
        "train_samples": 3000,
    }
    assert metrics["parameter_count"] == 93_322
    assert set(metrics["per_class"]) >= {str(digit) for digit in range(10)}
    assert metrics["data_sha256"]["y_train"] == array_sha256(mnist["y_train"][:3000])
    assert metrics["test"]["accuracy"] >= 0.8
    history = (folder / "reports" / "history.csv").read_text().splitlines()
    assert history[0] == "epoch,accuracy,loss,val_accuracy,val_loss" and len(history) == 2


def test_saved_model_reproduces_the_recorded_accuracy(run, mnist):
    folder = run[0]
    import keras

    model = keras.saving.load_model(folder / MODEL_PATH)
    metrics = json.loads((folder / "reports" / "metrics.json").read_text())
    probabilities = model.predict(preprocess_images(mnist["x_test"]), verbose=0)
    accuracy = np.mean(probabilities.argmax(axis=1) == mnist["y_test"])
    assert accuracy == pytest.approx(metrics["test"]["accuracy"], abs=1e-6)
    scores = model.evaluate(preprocess_images(mnist["x_test"]), one_hot(mnist["y_test"]), verbose=0, return_dict=True)
    assert scores["loss"] == pytest.approx(metrics["test"]["loss"], rel=1e-5)


@pytest.mark.slow
def test_same_seed_gives_identical_metrics(run, tmp_path):
    assert run_report(tmp_path).returncode == 0
    first, second = (json.loads((folder / "reports" / "metrics.json").read_text()) for folder in (run[0], tmp_path))
    for metrics in (first, second):
        metrics.pop("training_seconds"), metrics.pop("date")
    assert first == second


@pytest.mark.slow
def test_failing_run_leaves_the_earlier_report(run):
    folder = run[0]
    earlier = [
        folder / "reports" / "mnist_cnn.html",
        folder / "reports" / "mnist_cnn.results.html",
        folder / "reports" / "metrics.json",
        folder / "models" / "mnist_cnn.keras",
    ]
    before = [path.read_bytes() for path in earlier]
    # An accuracy this model does not reach makes the notebook's check cell fail after training.
    result = run_report(folder, "-p", "MIN_TEST_ACCURACY", "1")
    assert result.returncode == 1
    saved = folder / "reports" / "mnist_cnn.failed.ipynb"
    error, where = result.stderr.splitlines()
    assert error.startswith(f"{cell_name('accuracy-check')} failed: AssertionError: {{'loss': ")
    assert where == f"The earlier report is unchanged; the run up to {cell_name('accuracy-check')} is saved in {saved}"
    assert [path.read_bytes() for path in earlier] == before
    failed = nbformat.read(saved, as_version=4)
    assert "AssertionError" in failed.cells[0].source and failed.cells[-1].id == "accuracy-check"
    assert failed.cells[-1].outputs[-1].ename == "AssertionError"
    assert (folder / "reports" / "mnist_cnn.failed.html").exists()


@pytest.mark.slow
def test_interrupting_a_run_keeps_the_earlier_report(mnist_path, tmp_path):
    earlier = tmp_path / "reports" / "mnist_cnn.html"
    earlier.parent.mkdir()
    earlier.write_bytes(b"<html>the earlier report</html>")
    assert not (tmp_path / "reports" / "mnist_cnn.results.html").exists()
    process = subprocess.Popen(
        report_command(tmp_path, "-p", "EPOCHS", "3", "-p", "TRAIN_SAMPLES", "20000"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        for line in process.stdout:
            if "training" in line:
                break
        assert "training" in line, process.stderr.read()
        children = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGINT)  # as Ctrl-C in a terminal
        _, stderr = process.communicate(timeout=120)  # only if it hangs
    finally:
        if process.poll() is None:
            process.kill()

    saved = tmp_path / "reports" / "mnist_cnn.failed.ipynb"
    assert process.returncode == 130
    assert stderr.splitlines() == [
        f"interrupted during {cell_name('training')}; the earlier report is unchanged; partial run saved to {saved}"
    ]
    assert earlier.read_bytes() == b"<html>the earlier report</html>"
    assert not (tmp_path / "reports" / "mnist_cnn.results.html").exists()  # a stopped run writes no reader's page
    failed = nbformat.read(saved, as_version=4)
    assert "interrupted during" in failed.cells[0].source and failed.cells[-1].id == "training"
    assert children and not any(child.is_running() for child in children)  # the kernel is gone
