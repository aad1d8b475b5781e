"""Build the HTML reports: run each notebook headless, then write its page and its figures.

    python -m mnist_cnn report [--notebook PATH ...] [--output-dir DIR] [--timeout SECONDS]

writes, for each notebook, DIR/reports/<notebook>.html (every figure embedded) and
DIR/reports/figures/<notebook>/*.png. The notebooks' own artifacts (models, metrics, history)
land under DIR too. `--save-notebook` also stores each run's outputs in its notebook, the
reference nbval uses.

If a cell fails, or SIGINT (Ctrl-C) or SIGTERM stops the run, nothing is written over that
notebook's earlier report: the run so far goes to DIR/reports/<notebook>.failed.ipynb (and
.failed.html), under a note saying where and why it stopped, the terminal shows one line for
the error, and the command exits with status 1 (128 plus the signal's number if stopped by one).
The next successful run removes the .failed files.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from mnist_cnn.atomic import write_atomically, write_text
from mnist_cnn.settings import SettingError, kernel_environment

NOTEBOOKS = (
    Path("notebooks/mnist_cnn.ipynb"),
    Path("notebooks/improving_the_cnn.ipynb"),
    Path("notebooks/reading_real_handwriting.ipynb"),
)
CELL_TIMEOUT = 1800  # seconds; training the full recipe takes about a minute on 2 cores
PROGRESS_TAG = "progress"  # the report prints these cells' output as it comes (training's epochs)
SUMMARY_TAG = "summary"  # the report shows this cell's output first, without its code
STOP_SIGNALS = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}  # what stops a run, and how to say so
KERNEL_OUTPUT_CHARACTERS = 3000  # how much of a dead kernel's log its failed run shows
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class CellPosition:
    """Where a code cell is: `index` among all the notebook's cells, `number` (from 1) of its `count` code cells."""

    index: int
    number: int
    count: int
    id: str

    def __str__(self) -> str:
        return f"cell {self.number}/{self.count} ({self.id})"


class RunStopped(Exception):
    """A run that ended early: at `cell`, which failed with `error` (one line), or when `stop_signal` came.

    `notebook` holds the outputs up to that cell; `kernel_output`, the end of the kernel's log if it died.
    """

    def __init__(
        self,
        notebook: nbformat.NotebookNode,
        cell: CellPosition | None,
        error: str = "",
        stop_signal: signal.Signals | None = None,
        kernel_output: str = "",
    ):
        self.notebook = notebook
        self.cell = cell
        self.error = error
        self.stop_signal = stop_signal
        self.kernel_output = kernel_output
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        """One line: where the run stopped, and why."""
        where = str(self.cell) if self.cell is not None else "the kernel's start"
        if self.stop_signal is not None:
            return f"{STOP_SIGNALS[self.stop_signal]} during {where}"
        return f"{where} failed: {self.error}"

    @property
    def exit_status(self) -> int:
        """1 for a failed cell; for a signal, 128 plus its number, as a shell reports a process it stopped."""
        return 1 if self.stop_signal is None else 128 + self.stop_signal


class ReportClient(NotebookClient):
    """A notebook client that prints a line per cell, and the stdout lines of cells tagged `progress` as they come.

    SIGINT or SIGTERM kills its kernel, which ends the run at the running cell (nbclient notices within a second).
    """

    def __init__(self, nb: nbformat.NotebookNode, **kwargs):
        super().__init__(nb, on_cell_execute=self.cell_started, on_cell_executed=self.cell_executed, **kwargs)
        code_cells = [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
        self.positions = {
            index: CellPosition(index, number, len(code_cells), nb.cells[index].get("id", ""))
            for number, index in enumerate(code_cells, start=1)
        }
        self.cell: CellPosition | None = None  # the cell running, or the last one that ran
        self.started = 0.0
        self.line_open = False  # whether the running cell's line waits for its time
        self.stop_signal: signal.Signals | None = None
        self.killing: asyncio.Future | None = None  # kept, so that the task is not collected before it runs

    def cell_started(self, cell: nbformat.NotebookNode, cell_index: int) -> None:
        self.cell, self.started = self.positions[cell_index], time.perf_counter()
        print(f"[{self.cell.number:2d}/{self.cell.count}] {self.cell.id}", end="", flush=True)
        self.line_open = PROGRESS_TAG not in cell.metadata.get("tags", [])
        if not self.line_open:
            print(flush=True)  # its own lines follow, indented

    def cell_executed(self, cell: nbformat.NotebookNode, cell_index: int, execute_reply: dict) -> None:
        indent = "" if self.line_open else "      "
        print(f"{indent} ({time.perf_counter() - self.started:.1f} s)", flush=True)
        self.line_open = False

    def end_line(self) -> None:
        """End the line of a cell cut short by an error or a signal."""
        if self.line_open:
            print(flush=True)
            self.line_open = False

    def output(self, outs, msg, display_id, cell_index):
        content = msg["content"]
        if msg["msg_type"] == "stream" and content.get("name") == "stdout":
            if PROGRESS_TAG in self.nb.cells[cell_index].metadata.get("tags", []):
                for line in content["text"].splitlines():
                    print(f"      {line}", flush=True)
        return super().output(outs, msg, display_id, cell_index)

    async def async_start_new_kernel(self, **kwargs):
        # nbclient has just set its own handlers for these signals, which shut the kernel down under the
        # running cell: the run then ends in `assert self.kc is not None`. Replace them with `stop`.
        loop = asyncio.get_running_loop()
        for number in STOP_SIGNALS:
            with contextlib.suppress(RuntimeError):  # not the main thread, or Windows: nbclient's failed too
                loop.add_signal_handler(number, self.stop, number)
        await super().async_start_new_kernel(**kwargs)
        if self.stop_signal is not None:  # it came while the kernel started
            await self.kill_kernel()

    def stop(self, number: int) -> None:
        """Stop the run on SIGINT or SIGTERM: kill the kernel."""
        self.stop_signal = signal.Signals(number)
        self.killing = asyncio.ensure_future(self.kill_kernel())

    async def kill_kernel(self) -> None:
        """Kill the kernel's processes, if they have started and not yet been shut down."""
        if self.km is not None and self.km.provisioner is not None:
            await self.km.provisioner.kill()


def kernel_transport(folder: str | os.PathLike, platform: str = sys.platform) -> tuple[str, str]:
    """The transport and address of the kernel's sockets: local IPC sockets in `folder`, or TCP on Windows.

    IPC keeps the kernel off the network, but ZeroMQ offers it on POSIX only. Over TCP, bound to the
    loopback address, the kernel warns that its traffic is not encrypted: the warning goes to its log.
    """
    if platform == "win32":
        return "tcp", "127.0.0.1"
    return "ipc", os.path.join(folder, "kernel")


@contextlib.contextmanager
def signal_handlers_restored(numbers: Iterable[int]) -> Iterator[None]:
    """Put back, on leaving, the handlers these signals had on entering (nbclient leaves Python's defaults)."""
    handlers = {number: signal.getsignal(number) for number in numbers}
    try:
        yield
    finally:
        for number, handler in handlers.items():
            if handler is not None and signal.getsignal(number) is not handler:
                signal.signal(number, handler)


def error_line(ename: str, evalue: str) -> str:
    """A cell's error in one line: its type and the first line of its message, or a SettingError's message alone."""
    lines = evalue.strip().splitlines()
    message = lines[0] + (" …" if len(lines) > 1 else "") if lines else ""
    if ename == SettingError.__name__ and message:
        return message
    return f"{ename}: {message}" if message else ename


def for_terminal(text: str, stream: TextIO) -> str:
    """`text` for `stream`: with its colours for a terminal, without ANSI escape codes for a file or a pipe."""
    return text if stream.isatty() else ANSI_ESCAPE.sub("", text)


def execute_notebook(notebook_path: Path, output_dir: Path, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel, printing progress; raise RunStopped at a failing cell, SIGINT or SIGTERM.

    The kernel is shut down in every case, and the signals' handlers are left as they were.
    """
    notebook = nbformat.read(notebook_path, as_version=4)
    with (
        tempfile.TemporaryDirectory(prefix="mnist_cnn-kernel-") as scratch,
        signal_handlers_restored(STOP_SIGNALS),
    ):
        transport, address = kernel_transport(scratch)
        client = ReportClient(
            notebook,
            km=AsyncKernelManager(kernel_name="python3", transport=transport, ip=address),
            timeout=timeout,
            record_timing=False,
            store_widget_state=False,  # the drawing pad is live only in Jupyter: no widget state to save
            resources={"metadata": {"path": str(notebook_path.parent)}},
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
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
                if client.stop_signal is None:
                    client.end_line()
                    raise cell_failure(notebook, client.cell, error, timeout, log_path) from None
            except RuntimeError:  # as when the kernel is killed while it starts
                if client.stop_signal is None:
                    raise
            if client.stop_signal is not None:  # the kernel was killed, whatever that raised, if anything
                client.end_line()
                raise RunStopped(notebook, client.cell, stop_signal=client.stop_signal)
    return notebook


def cell_failure(
    notebook: nbformat.NotebookNode, cell: CellPosition | None, error: Exception, timeout: int, log_path: Path
) -> RunStopped:
    """The RunStopped for a cell that raised, that ran past `timeout`, or whose kernel died (its log at `log_path`)."""
    if isinstance(error, CellExecutionError):
        return RunStopped(notebook, cell, error_line(error.ename, error.evalue))
    if isinstance(error, CellTimeoutError):
        return RunStopped(notebook, cell, f"still running after {timeout} s (--timeout)")
    last_output = log_path.read_text()[-KERNEL_OUTPUT_CHARACTERS:]
    return RunStopped(notebook, cell, "the kernel died", kernel_output=last_output)


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


def html_page(notebook: nbformat.NotebookNode) -> str:
    """The notebook as one self-contained HTML page; the code of the cell tagged `summary` hidden."""
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)])
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={SUMMARY_TAG}), enabled=True)
    html, _ = exporter.from_notebook_node(notebook)
    return html


def write_report(notebook: nbformat.NotebookNode, reports_dir: Path, name: str) -> Path:
    """Write the notebook as HTML, summary first, and each figure as `figures/<name>/<cell id>[-n].png`."""
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
    return write_text(reports_dir / f"{name}.html", html_page(lead_with_summary(notebook)))


def failed_run_paths(reports_dir: Path, name: str) -> tuple[Path, Path]:
    """Where a stopped run of notebook `name` is kept: `<name>.failed.ipynb` and `<name>.failed.html`."""
    return reports_dir / f"{name}.failed.ipynb", reports_dir / f"{name}.failed.html"


def failed_notebook(stopped: RunStopped) -> nbformat.NotebookNode:
    """The notebook up to and including the cell where the run stopped, under a note saying where and why."""
    notebook = copy.deepcopy(stopped.notebook)
    note = [
        "**This run stopped before its end:**",
        "",
        "```text",
        ANSI_ESCAPE.sub("", stopped.summary),
        "```",
        "",
        "The cells after that one did not run; it is the last on this page, with its error if it raised one.",
    ]
    if stopped.kernel_output:
        note += ["", "The kernel's last output:", "", "```text", ANSI_ESCAPE.sub("", stopped.kernel_output), "```"]
    end = stopped.cell.index + 1 if stopped.cell is not None else 0
    notebook.cells = [nbformat.v4.new_markdown_cell("\n".join(note)), *notebook.cells[:end]]
    return notebook


def write_failed_run(stopped: RunStopped, reports_dir: Path, name: str) -> Path:
    """Write the stopped run as a notebook and its HTML page beside the reports; return the notebook's path."""
    notebook = failed_notebook(stopped)
    notebook_path, html_path = failed_run_paths(reports_dir, name)
    write_text(html_path, html_page(notebook))
    return write_text(notebook_path, nbformat.writes(notebook) + "\n")


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

    reports_dir = options.output_dir / "reports"
    for path in notebooks:
        has_report = (reports_dir / f"{path.stem}.html").exists()
        earlier = "the earlier report is unchanged" if has_report else "no report was written"
        print(f"Running {path} (MNIST_CNN_* settings from the environment apply)", flush=True)
        started = time.perf_counter()
        try:
            notebook = execute_notebook(path, options.output_dir, options.timeout)
            report = write_report(notebook, reports_dir, path.stem)
        except RunStopped as stopped:
            saved = write_failed_run(stopped, reports_dir, path.stem)
            if stopped.stop_signal is not None:
                message = f"{stopped.summary}; {earlier}; partial run saved to {saved}"
            else:
                message = f"{stopped.summary}\n{earlier.capitalize()}; the run up to {stopped.cell} is saved in {saved}"
            print(for_terminal(message, sys.stderr), file=sys.stderr, flush=True)
            return stopped.exit_status
        except KeyboardInterrupt:  # just before or after the kernel's run, where SIGINT raises as usual
            print(f"interrupted; {earlier}", file=sys.stderr, flush=True)
            return 128 + signal.SIGINT
        for stale in failed_run_paths(reports_dir, path.stem):
            stale.unlink(missing_ok=True)
        print(f"Wrote {report} in {time.perf_counter() - started:.0f} s")
        if options.save_notebook:
            write_text(path, nbformat.writes(notebook) + "\n")
            print(f"Stored the outputs in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
