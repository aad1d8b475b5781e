"""Build the HTML reports: run each notebook headless, then write its page and its figures.

    python -m mnist_cnn report [--notebook PATH ...] [--output-dir DIR] [--timeout SECONDS]

writes, for each notebook, DIR/reports/<notebook>.html (every figure embedded) and
DIR/reports/figures/<notebook>/*.png. The notebooks' own artifacts (models, metrics, history)
land under DIR too. If any cell fails, nothing is written over that notebook's earlier report
and the command exits non-zero. `--save-notebook` also stores each run's outputs in its
notebook, the reference nbval uses.
"""

from __future__ import annotations

import argparse
import base64
import copy
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from mnist_cnn.atomic import write_atomically, write_text
from mnist_cnn.settings import kernel_environment

NOTEBOOKS = (Path("notebooks/mnist_cnn.ipynb"), Path("notebooks/improving_the_cnn.ipynb"))
CELL_TIMEOUT = 1800  # seconds; training the full recipe takes about a minute on 2 cores
PROGRESS_TAG = "progress"  # the report prints these cells' output as it comes (training's epochs)
SUMMARY_TAG = "summary"  # the report shows this cell's output first, without its code

TEMPLATES = Path(__file__).parent / "templates"


class ReportClient(NotebookClient):
    """A notebook client that prints, as they come, the stdout lines of cells tagged `progress`."""

    def output(self, outs, msg, display_id, cell_index):
        content = msg["content"]
        if msg["msg_type"] == "stream" and content.get("name") == "stdout":
            if PROGRESS_TAG in self.nb.cells[cell_index].metadata.get("tags", []):
                for line in content["text"].splitlines():
                    print(f"      {line}", flush=True)
        return super().output(outs, msg, display_id, cell_index)


def kernel_transport(folder: str | os.PathLike, platform: str = sys.platform) -> tuple[str, str]:
    """The transport and address of the kernel's sockets: local IPC sockets in `folder`, or TCP on Windows.

    IPC keeps the kernel off the network, but ZeroMQ offers it on POSIX only. Over TCP, bound to the
    loopback address, the kernel warns that its traffic is not encrypted: the warning goes to its log.
    """
    if platform == "win32":
        return "tcp", "127.0.0.1"
    return "ipc", os.path.join(folder, "kernel")


def execute_notebook(notebook_path: Path, output_dir: Path, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel, printing progress; raise on the first failing cell."""
    notebook = nbformat.read(notebook_path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    started = {}

    def on_start(cell, cell_index):
        started[cell_index] = time.perf_counter()
        print(f"[{code_cells.index(cell) + 1:2d}/{len(code_cells)}] {cell.get('id', '')}", end="", flush=True)
        if PROGRESS_TAG in cell.metadata.get("tags", []):
            print(flush=True)  # its own lines follow, indented

    def on_executed(cell, cell_index, execute_reply):
        indent = "      " if PROGRESS_TAG in cell.metadata.get("tags", []) else ""
        print(f"{indent} ({time.perf_counter() - started[cell_index]:.1f} s)", flush=True)

    with tempfile.TemporaryDirectory(prefix="mnist_cnn-kernel-") as scratch:
        transport, address = kernel_transport(scratch)
        client = ReportClient(
            notebook,
            km=AsyncKernelManager(kernel_name="python3", transport=transport, ip=address),
            timeout=timeout,
            record_timing=False,
            resources={"metadata": {"path": str(notebook_path.parent)}},
            on_cell_execute=on_start,
            on_cell_executed=on_executed,
        )
        # The kernel sends everything it prints to the notebook, and echoes what libraries write
        # to its file descriptors: that echo goes to a log, shown only if the kernel dies. nbclient
        # leaves running a kernel whose manager it was given, unless told to clean up (`cleanup_kc`).
        log_path = Path(scratch) / "kernel.log"
        with log_path.open("w") as log:
            try:
                client.execute(
                    cleanup_kc=True, env=kernel_environment(output_dir), stdout=log, stderr=subprocess.STDOUT
                )
            except DeadKernelError as error:
                raise DeadKernelError(f"{error}\nThe kernel's last output:\n{log_path.read_text()[-3000:]}") from None
    return notebook


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


def write_report(notebook: nbformat.NotebookNode, reports_dir: Path, name: str) -> Path:
    """Write the notebook as HTML, summary first, and each figure as `figures/<name>/<cell id>[-n].png`."""
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)])
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={SUMMARY_TAG}), enabled=True)
    html, _ = exporter.from_notebook_node(lead_with_summary(notebook))
    for cell in notebook.cells:
        images = [
            output["data"]["image/png"] for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
        ]
        for number, image in enumerate(images, start=1):
            suffix = "" if len(images) == 1 else f"-{number}"
            write_atomically(
                reports_dir / "figures" / name / f"{cell['id']}{suffix}.png",
                lambda temporary, image=image: temporary.write_bytes(base64.b64decode(image)),
            )
    return write_text(reports_dir / f"{name}.html", html)


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the notebooks headless and build their HTML reports.")
    parser.add_argument(
        "--notebook",
        type=Path,
        action="append",
        help=f"a notebook to run (repeatable; default: {', '.join(map(str, NOTEBOOKS))})",
    )
    parser.add_argument("--output-dir", type=Path, default=Path("."), help="where reports/ and models/ go")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds allowed per cell")
    parser.add_argument("--save-notebook", action="store_true", help="also store each run's outputs in its notebook")
    options = parser.parse_args(arguments)
    notebooks = options.notebook or list(NOTEBOOKS)
    for path in notebooks:
        if not path.is_file():
            parser.error(f"no notebook at {path}")

    for path in notebooks:
        print(f"Running {path} (MNIST_CNN_* settings from the environment apply)", flush=True)
        started = time.perf_counter()
        try:
            notebook = execute_notebook(path, options.output_dir, options.timeout)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
            print(f"A cell failed; the earlier report, if any, is left as it was.\n{error}", file=sys.stderr)
            return 1
        report = write_report(notebook, options.output_dir / "reports", path.stem)
        print(f"Wrote {report} in {time.perf_counter() - started:.0f} s")
        if options.save_notebook:
            write_text(path, nbformat.writes(notebook) + "\n")
            print(f"Stored the outputs in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
