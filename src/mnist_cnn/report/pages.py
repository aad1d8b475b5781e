"""The pages of a notebook's run: summary first with its contents, with or without the code, and its figures.

`runner` runs the notebooks; this module turns a run into HTML with nbconvert: `<name>.html` (the
whole run), `<name>.results.html` (the reader's page: no code, the recipe as text), the figures as
PNG files, and the page of a run that stopped before its end; it keeps the executed notebook too,
`<name>.ipynb`, which the book (`make book`) prefers to the outputs stored in notebooks/. A run's files
are written together: all of them, or, if one cannot be written (a full disk), none.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import ExtractOutputPreprocessor, TagRemovePreprocessor
from papermill.execute import remove_error_markers

from mnist_cnn.saving import write_atomically

SUMMARY_TAG = "summary"  # the pages show this cell's output first, without its code
CODE_ONLY_TAG = "code-only"  # the reader's page leaves these cells out: their output means nothing without the code
INJECTED_TAG = "injected-parameters"  # papermill's tag on the cell it adds with the run's parameters (its id, here)
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TEMPLATES = Path(__file__).parent / "templates"


def lead_with_summary(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the notebook that opens with its title, the run's summary, then its contents.

    The summary is the output of the cell tagged `summary`, which the notebook computes last.
    """
    notebook = copy.deepcopy(notebook)
    summary = [cell for cell in notebook.cells if SUMMARY_TAG in cell.metadata.get("tags", [])]
    notebook.cells = [cell for cell in notebook.cells if cell not in summary]
    contents = nbformat.v4.new_markdown_cell(table_of_contents(notebook))
    notebook.cells[1:1] = [*summary, contents]
    return notebook


def table_of_contents(notebook: nbformat.NotebookNode) -> str:
    """Markdown links to every section (## and ###) of the notebook, as nbconvert anchors them."""
    lines = ["## Contents", ""]
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for heading in re.finditer(r"^(#{2,3}) +(.+?) *$", cell.source, flags=re.MULTILINE):
            level, title = heading.groups()
            lines.append(f"{'  ' * (len(level) - 2)}- [{title}](#{heading_anchor(title)})")
    return "\n".join(lines)


def heading_anchor(title: str) -> str:
    """The id nbconvert gives a heading with this (plain-text) title."""
    return quote(title.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def with_link(notebook: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    """A copy of the notebook that opens with `text` (Markdown: a link to the run's other page), in italics."""
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(f"*{text}*"), *notebook.cells], metadata=notebook.metadata
    )


def parameters_as_text(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy whose parameters cells (the recipe, and the values injected for this run) are Markdown code blocks.

    The reader's page hides code; the recipe is what its reader still needs to see.
    """
    notebook = copy.deepcopy(notebook)
    for index, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and ("parameters" in tags or INJECTED_TAG in tags):
            heading = "Set for this run:\n\n" if INJECTED_TAG in tags else ""
            notebook.cells[index] = nbformat.v4.new_markdown_cell(f"{heading}```python\n{cell.source}\n```")
    return notebook


def html_page(notebook: nbformat.NotebookNode, reader: bool = False) -> str:
    """The notebook as one self-contained HTML page, the code of the cell tagged `summary` hidden.

    The `reader`'s page shows no code and no prompts, nor the cells tagged `code-only`; its parameters are text.
    """
    exporter = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=reader,
        exclude_input_prompt=reader,
        exclude_output_prompt=reader,
    )
    removed_cells = {CODE_ONLY_TAG} if reader else set()
    notebook = parameters_as_text(notebook) if reader else notebook
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_input_tags={SUMMARY_TAG}, remove_cell_tags=removed_cells), enabled=True
    )
    html, _ = exporter.from_notebook_node(notebook)
    return html


class FigureExtractor(ExtractOutputPreprocessor):
    """nbconvert's extractor of outputs, each figure named after its cell: `<cell id>[-n].png`."""

    def preprocess_cell(self, cell, resources, cell_index):
        images = [output for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]
        for number, output in enumerate(images, start=1):
            output.metadata["filename"] = cell.id if len(images) == 1 else f"{cell.id}-{number}"
        return super().preprocess_cell(cell, resources, cell_index)


def write_report(notebook: nbformat.NotebookNode, reports_dir: Path, name: str) -> Path:
    """Write the run's two pages, summary first, each linking to the other: `<name>.html` with the code and
    `<name>.results.html` without; each figure as `figures/<name>/<cell id>[-n].png`; and the executed notebook
    itself, `<name>.ipynb` (the book's source: `mnist_cnn.report.book`). Return the first page's path."""
    page = lead_with_summary(notebook)
    full = html_page(with_link(page, f"Without the code: [the results alone]({quote(name)}.results.html)."))
    results = html_page(with_link(page, f"With the code: [the whole notebook]({quote(name)}.html)."), reader=True)
    extractor = FigureExtractor(extract_output_types={"image/png"})
    _, resources = extractor.preprocess(copy.deepcopy(notebook), {"outputs": {}})
    figures = {reports_dir / "figures" / name / filename: image for filename, image in resources["outputs"].items()}
    page_path = reports_dir / f"{name}.html"
    pages = {page_path: full.encode(), reports_dir / f"{name}.results.html": results.encode()}
    executed = {reports_dir / f"{name}.ipynb": (nbformat.writes(notebook) + "\n").encode()}
    write_together(pages | executed | figures)
    return page_path


def write_together(files: Mapping[Path, bytes]) -> None:
    """Write each file atomically, and all of them or none: every one is written to its temporary file
    before the first is renamed into place, so a disk that fills up leaves every earlier file as it was
    (and no temporary file). The first file is renamed last."""
    if not files:
        return
    (path, content), *rest = files.items()
    write_atomically(path, lambda temporary: (temporary.write_bytes(content), write_together(dict(rest))))


def failed_run_paths(reports_dir: Path, name: str) -> tuple[Path, Path]:
    """Where a stopped run of notebook `name` is kept: `<name>.failed.ipynb` and `<name>.failed.html`."""
    return reports_dir / f"{name}.failed.ipynb", reports_dir / f"{name}.failed.html"


def failed_notebook(
    notebook: nbformat.NotebookNode, summary: str, end: int, kernel_output: str = ""
) -> nbformat.NotebookNode:
    """The notebook's first `end` cells, up to the one where its run stopped, under a note: `summary`.

    papermill's own notes on a failed cell give way to this one; its metadata marks the cell as failed.
    """
    notebook = remove_error_markers(copy.deepcopy(notebook))
    note = [
        "**This run stopped before its end:**",
        "",
        "```text",
        ANSI_ESCAPE.sub("", summary),
        "```",
        "",
        "The cells after that one did not run; it is the last on this page, with its error if it raised one.",
    ]
    if kernel_output:
        note += ["", "The kernel's last output:", "", "```text", ANSI_ESCAPE.sub("", kernel_output), "```"]
    notebook.cells = [nbformat.v4.new_markdown_cell("\n".join(note)), *notebook.cells[:end]]
    return notebook
