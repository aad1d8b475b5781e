"""Build the HTML report: run the notebook headless, then write the page and its figures.

    python -m mnist_cnn.report [--output-dir DIR] [--timeout SECONDS]

writes DIR/reports/mnist_cnn.html (every figure embedded) and DIR/reports/figures/*.png.
The notebook's own artifacts (model, metrics, history) land under DIR too. If any cell
fails, nothing is written over an earlier report and the command exits non-zero.
`--save-notebook` also stores the run's outputs in the notebook, the reference nbval uses.
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter

from mnist_cnn.artifacts import write_atomically, write_text
from mnist_cnn.settings import kernel_environment

NOTEBOOK = Path("notebooks/mnist_cnn.ipynb")
CELL_TIMEOUT = 1800  # seconds; training the full recipe takes about a minute on 2 cores

# TensorFlow's C++ start-up logging (absl format: "I0000 00:00:17... 123 file.cc:45] ..."),
# which no environment variable silences in TensorFlow 2.21 and which tells a reader nothing.
TENSORFLOW_LOG_LINE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called.*"
    r"|[IWEF]\d{4} [\d:.]+ +\d+ \S+:\d+\] .*"
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\."
)


def execute_notebook(notebook_path: Path, output_dir: Path, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel, printing progress; raise on the first failing cell."""
    notebook = nbformat.read(notebook_path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    started = {}

    def on_start(cell, cell_index):
        started[cell_index] = time.perf_counter()

    def on_executed(cell, cell_index, execute_reply):
        number = code_cells.index(cell) + 1
        seconds = time.perf_counter() - started[cell_index]
        print(f"[{number:2d}/{len(code_cells)}] {cell.get('id', '')} ({seconds:.1f} s)", flush=True)

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(notebook_path.parent)}},
        on_cell_execute=on_start,
        on_cell_executed=on_executed,
    )
    client.execute(env=kernel_environment(output_dir))
    return notebook


def drop_tensorflow_logs(notebook: nbformat.NotebookNode) -> None:
    """Remove stderr outputs that hold nothing but TensorFlow's C++ log lines."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [
            output
            for output in cell.outputs
            if not (
                output.get("name") == "stderr"
                and all(TENSORFLOW_LOG_LINE.fullmatch(line) for line in output["text"].splitlines() if line)
            )
        ]


def write_report(notebook: nbformat.NotebookNode, reports_dir: Path, name: str) -> Path:
    """Write the notebook as HTML and each figure as `figures/<cell id>[-n].png`."""
    html, _ = HTMLExporter().from_notebook_node(notebook)
    for cell in notebook.cells:
        images = [
            output["data"]["image/png"]
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]
        for number, image in enumerate(images, start=1):
            suffix = "" if len(images) == 1 else f"-{number}"
            write_atomically(
                reports_dir / "figures" / f"{cell['id']}{suffix}.png",
                lambda temporary, image=image: temporary.write_bytes(base64.b64decode(image)),
            )
    return write_text(reports_dir / f"{name}.html", html)


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the notebook headless and build the HTML report.")
    parser.add_argument("--notebook", type=Path, default=NOTEBOOK)
    parser.add_argument("--output-dir", type=Path, default=Path("."), help="where reports/ and models/ go")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds allowed per cell")
    parser.add_argument(
        "--save-notebook", action="store_true", help="also store the run's outputs in the notebook itself"
    )
    options = parser.parse_args(arguments)
    if not options.notebook.is_file():
        parser.error(f"no notebook at {options.notebook}")

    print(f"Running {options.notebook} (MNIST_CNN_* settings from the environment apply)", flush=True)
    started = time.perf_counter()
    try:
        notebook = execute_notebook(options.notebook, options.output_dir, options.timeout)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        print(f"A cell failed; the earlier report, if any, is left as it was.\n{error}", file=sys.stderr)
        return 1
    drop_tensorflow_logs(notebook)
    report = write_report(notebook, options.output_dir / "reports", options.notebook.stem)
    print(f"Wrote {report} in {time.perf_counter() - started:.0f} s")
    if options.save_notebook:
        write_text(options.notebook, nbformat.writes(notebook) + "\n")
        print(f"Stored the outputs in {options.notebook}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
