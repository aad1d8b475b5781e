"""Build the HTML reports: run each notebook headless with papermill, then write its pages and its figures.

    python -m mnist_cnn report [--notebook PATH ...] [-p NAME VALUE ...] [--output-dir DIR] [--timeout SECONDS]
                               [--save-notebook]

runs each notebook in a fresh kernel, papermill injecting its parameters (the `-p NAME VALUE` given
for those of its `parameters` cell, each typed like its default, and OUTPUT_DIR), and writes, for
each notebook, DIR/reports/<notebook>.html (summary first, every figure embedded),
DIR/reports/<notebook>.results.html (the same run without its code: the reader's page) and
DIR/reports/figures/<notebook>/*.png. The notebooks' own artifacts (models, metrics, history) land
under DIR too. `--save-notebook` also stores each run's outputs in its notebook, the reference nbval uses.

A bad input (a missing notebook, an output folder that cannot be written, a `-p` the notebooks do
not have or a value they cannot use) stops the command with one line and status 2 before any
kernel starts. If a cell fails, or SIGINT (Ctrl-C) or SIGTERM stops the run, nothing is written over
that notebook's earlier report: the run so far goes to DIR/reports/<notebook>.failed.ipynb (and
.failed.html), under a note saying where and why it stopped, the terminal shows one line for the
error, and the command exits with status 1 (128 plus the signal's number if stopped by one). The
next successful run removes the .failed files. A page that cannot be written (a full disk) ends
the command with one line naming the folder and the cause, status 1, the earlier files as they were.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import logging
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_event_loop, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError

from mnist_cnn.report import parameters
from mnist_cnn.report.pages import (
    ANSI_ESCAPE,
    INJECTED_TAG,
    failed_notebook,
    failed_run_paths,
    html_page,
    write_report,
    write_together,
)
from mnist_cnn.report.parameters import OUTPUT_DIR_VARIABLE, ParameterError, kernel_environment
from mnist_cnn.saving import write_text

NOTEBOOKS = (
    Path("notebooks/mnist_cnn.ipynb"),
    Path("notebooks/improving_the_cnn.ipynb"),
    Path("notebooks/reading_real_handwriting.ipynb"),
    Path("notebooks/reading_joined_numbers.ipynb"),
)
CELL_TIMEOUT = 1800  # seconds; training the full recipe takes about a minute on 2 cores
PROGRESS_TAG = "progress"  # the report prints these cells' output as it comes (training's epochs)
STOP_SIGNALS = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}  # what stops a run, and how to say so
KERNEL_OUTPUT_CHARACTERS = 3000  # how much of a dead kernel's log its failed run shows
ENGINE = "mnist_cnn-report"  # the papermill engine the report registers: nbclient's, with a ReportClient
# What libraries write on the kernel's file descriptors goes to its log only, not into the notebook as well:
# TensorFlow 2.21's start-up notices on CPUs with AVX-512, which no log level turns off.
KERNEL_ARGUMENTS = ("--IPKernelApp.capture_fd_output=False",)
PATHS = ("DATA", "USPS")  # parameters that name a file: a relative one is taken from the current folder


@dataclass(frozen=True)
class CellPosition:
    """Where a code cell is: `index` among all the notebook's cells, `number` (from 1) of its `count` code cells."""

    index: int
    number: int
    count: int
    id: str

    def __str__(self) -> str:
        return f"cell {self.number}/{self.count} ({self.id})"


@dataclass
class Run:
    """A notebook's run as the report follows it: papermill's notebook (its outputs so far), the code cell
    running or the last that ran, and the signal that stopped the run, if one did."""

    notebook: nbformat.NotebookNode | None = None
    cell: CellPosition | None = None
    stop_signal: signal.Signals | None = None


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


class ReportClient(PapermillNotebookClient):
    """papermill's notebook client, which also prints a line per code cell, and the stdout lines of cells tagged
    `progress` as they come, and records in `run` where the run is.

    `stop` (SIGINT or SIGTERM, see `stopping_on_signals`) kills its kernel, which ends the run at the running
    cell: nbclient notices within a second.
    """

    def __init__(self, nb_man, run: Run, **kwargs):
        super().__init__(nb_man, on_cell_execute=self.cell_started, on_cell_executed=self.cell_executed, **kwargs)
        self.run = run
        run.notebook = self.nb
        for cell in self.nb.cells:
            if INJECTED_TAG in cell.metadata.get("tags", []):
                cell.id = INJECTED_TAG  # papermill's is random
        code_cells = [index for index, cell in enumerate(self.nb.cells) if cell.cell_type == "code"]
        self.positions = {
            index: CellPosition(index, number, len(code_cells), self.nb.cells[index].get("id", ""))
            for number, index in enumerate(code_cells, start=1)
        }
        self.started = 0.0
        self.line_open = False  # whether the running cell's line waits for its time
        self.killing: asyncio.Future | None = None  # kept, so that the task is not collected before it runs

    def cell_started(self, cell: nbformat.NotebookNode, cell_index: int) -> None:
        self.run.cell, self.started = self.positions[cell_index], time.perf_counter()
        print(f"[{self.run.cell.number:2d}/{self.run.cell.count}] {self.run.cell.id}", end="", flush=True)
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
        await super().async_start_new_kernel(**kwargs)
        if self.run.stop_signal is not None:  # it came while the kernel started
            await self.kill_kernel()

    start_new_kernel = run_sync(async_start_new_kernel)  # papermill's client starts its kernel synchronously

    def stop(self, number: int) -> None:
        """Stop the run on SIGINT or SIGTERM: kill the kernel."""
        self.run.stop_signal = signal.Signals(number)
        self.killing = asyncio.ensure_future(self.kill_kernel())

    async def kill_kernel(self) -> None:
        """Kill the kernel's processes, if they have started and not yet been shut down."""
        if self.km is not None and self.km.provisioner is not None:
            await self.km.provisioner.kill()


class ReportEngine(NBClientEngine):
    """papermill's nbclient engine, running the notebook with a ReportClient in the notebook's folder.

    `run` follows the run; `kernel_options` go to the kernel's start (its environment, where its output goes).
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, run, kernel_options, input_path, start_timeout, **options):
        resources = {"metadata": {"path": str(Path(input_path).parent)}}
        client = ReportClient(
            nb_man, run, kernel_name=kernel_name, startup_timeout=start_timeout, resources=resources, **options
        )
        try:
            with stopping_on_signals(client.stop):
                return client.execute(cleanup_kc=True, **kernel_options)
        finally:
            client.end_line()


@contextlib.contextmanager
def stopping_on_signals(stop: Callable[[int], object]) -> Iterator[None]:
    """Call `stop(number)` on SIGINT or SIGTERM while inside, then put back the handlers these signals had.

    `stop` runs on the event loop that runs nbclient's coroutines in this thread, between its steps.
    """
    loop = ensure_event_loop()
    handlers = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    try:
        for number in STOP_SIGNALS:
            with contextlib.suppress(RuntimeError, NotImplementedError):  # not the main thread, or Windows
                loop.add_signal_handler(number, stop, number)
        yield
    finally:
        for number, handler in handlers.items():
            with contextlib.suppress(RuntimeError, NotImplementedError):
                loop.remove_signal_handler(number)
            if handler is not None:
                signal.signal(number, handler)


@contextlib.contextmanager
def logger_disabled(name: str) -> Iterator[None]:
    """Silence the named logger while inside (papermill's would reach the terminal through Python's last resort)."""
    logger = logging.getLogger(name)
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


def kernel_transport(folder: str | os.PathLike, platform: str = sys.platform) -> tuple[str, str]:
    """The transport and address of the kernel's sockets: local IPC sockets in `folder`, or TCP on Windows.

    IPC keeps the kernel off the network, but ZeroMQ offers it on POSIX only. Over TCP, bound to the
    loopback address, the kernel warns that its traffic is not encrypted: the warning goes to its log.
    """
    if platform == "win32":
        return "tcp", "127.0.0.1"
    return "ipc", os.path.join(folder, "kernel")


def error_line(ename: str, evalue: str) -> str:
    """A cell's error in one line: its type and the first line of its message, or a ParameterError's message alone."""
    lines = evalue.strip().splitlines()
    message = lines[0] + (" …" if len(lines) > 1 else "") if lines else ""
    if ename == ParameterError.__name__ and message:
        return message
    return f"{ename}: {message}" if message else ename


def for_terminal(text: str, stream: TextIO) -> str:
    """`text` for `stream`: with its colours for a terminal, without ANSI escape codes for a file or a pipe."""
    return text if stream.isatty() else ANSI_ESCAPE.sub("", text)


def notebook_defaults(notebook_path: Path) -> dict[str, object]:
    """The parameters the notebook's `parameters` cell sets, in its order, with their default values.

    Raises a ValueError if the file is not a notebook, or the cell sets one to anything but a plain value.
    """
    try:
        found = papermill.inspect_notebook(str(notebook_path))
    except (ValueError, TypeError, nbformat.ValidationError) as error:  # not JSON, or JSON but not a notebook
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        raise ValueError(
            f"--notebook {notebook_path}: expected a Jupyter notebook, found a file nbformat cannot read "
            f"({first_line})."
        ) from None
    defaults = {}
    for name, parameter in found.items():
        try:
            defaults[name] = ast.literal_eval(parameter["default"])
        except (ValueError, SyntaxError):
            raise ValueError(
                f"{notebook_path}: the parameter {name} = {parameter['default']}: expected a plain value, such as 5."
            ) from None
    return defaults


def typed(name: str, raw: str, default: object) -> object:
    """The value of `-p NAME VALUE`, typed like the parameter's default (an int, a float or a string) and checked.

    Raises a ParameterError, one sentence, if it cannot be typed so or is not a value the notebook can use.
    """
    given = f"-p {name} {shlex.quote(raw)}"
    kind = type(default)
    if kind not in (int, float, str):
        raise ParameterError(f"{given}: -p sets only ints, floats and strings, and the default is {default!r}.")
    try:
        value = kind(raw)
    except ValueError:
        raise ParameterError(
            f"{given}: expected a value of type {kind.__name__}, like the default {default!r}."
        ) from None
    expected = parameters.problem(name, value)
    if expected is not None:
        raise ParameterError(f"{given}: {expected}.")
    return value


def injected_parameters(
    notebooks: Sequence[Path], given: Sequence[tuple[str, str]], output_dir: Path
) -> dict[Path, dict[str, object]]:
    """What papermill injects into each notebook: the `-p NAME VALUE` pairs `given` for the parameters its
    `parameters` cell sets, each typed like its default, and OUTPUT_DIR, `output_dir`; paths are made
    absolute, since the kernel runs in the notebook's folder.

    A name applies to the notebooks that have it; the last value given for a name wins. Raises a
    ParameterError (one sentence) for a name no notebook has, for OUTPUT_DIR (`--output-dir` sets it), or
    for a value a notebook cannot use; a ValueError for a parameters cell papermill cannot read.
    """
    defaults = {path: notebook_defaults(path) for path in notebooks}
    values = dict(given)
    for name, raw in values.items():
        if name == "OUTPUT_DIR":
            raise ParameterError(f"-p OUTPUT_DIR {shlex.quote(raw)}: the output folder is set with --output-dir.")
        if not any(name in own for own in defaults.values()):
            raise no_such_parameter(f"-p {name} {shlex.quote(raw)}", name, defaults)
    values = {name: os.path.abspath(raw) if name in PATHS and raw else raw for name, raw in values.items()}
    injected = {}
    for path, own in defaults.items():
        injected[path] = {
            name: os.path.abspath(output_dir) if name == "OUTPUT_DIR" else typed(name, values[name], default)
            for name, default in own.items()
            if name in values or name == "OUTPUT_DIR"
        }
        try:
            parameters.check(own | injected[path])  # its own defaults too
        except ParameterError as error:
            raise ParameterError(f"{path}: {error}") from None
    return injected


def no_such_parameter(given: str, name: str, defaults: Mapping[Path, Mapping[str, object]]) -> ParameterError:
    """The error for `given`, a `-p` whose name none of the notebooks has: one sentence naming those they have."""
    known = ", ".join(dict.fromkeys(other for own in defaults.values() for other in own if other != "OUTPUT_DIR"))
    if len(defaults) == 1:
        notebook = next(iter(defaults))
        return ParameterError(f"{given}: {notebook} has no parameter {name}" + (f", only {known}." if known else "."))
    return ParameterError(f"{given}: no notebook has a parameter {name}" + (f"; they have {known}." if known else "."))


def execute_notebook(
    notebook_path: Path, parameters: Mapping[str, object], environment: Mapping[str, str], timeout: int = CELL_TIMEOUT
) -> nbformat.NotebookNode:
    """Run the notebook with papermill in a fresh kernel, injecting `parameters`, printing progress; raise
    RunStopped at a failing cell, SIGINT or SIGTERM.

    papermill writes nothing (no output path): the report writes its own files, atomically. The kernel is
    shut down in every case, and the signals' handlers are left as they were.
    """
    papermill_engines.register(ENGINE, ReportEngine)
    run = Run()
    with tempfile.TemporaryDirectory(prefix="mnist_cnn-kernel-") as scratch:
        transport, address = kernel_transport(scratch)
        # The kernel sends everything it prints to the notebook; what libraries write to its file
        # descriptors goes to a log (`KERNEL_ARGUMENTS`), shown only if the kernel dies.
        log_path = Path(scratch) / "kernel.log"
        with log_path.open("w") as log:
            try:
                notebook = papermill.execute_notebook(
                    str(notebook_path),
                    None,
                    dict(parameters),
                    engine_name=ENGINE,
                    kernel_name="python3",
                    language="python",
                    progress_bar=False,
                    request_save_on_cell_execute=False,
                    autosave_cell_every=0,
                    run=run,
                    km=AsyncKernelManager(kernel_name="python3", transport=transport, ip=address),
                    timeout=timeout,
                    record_timing=False,
                    store_widget_state=False,  # the drawing pad is live only in Jupyter: no widget state to save
                    kernel_options={"env": dict(environment), "stdout": log, "stderr": subprocess.STDOUT},
                    extra_arguments=list(KERNEL_ARGUMENTS),
                )
            except (PapermillExecutionError, CellTimeoutError, DeadKernelError) as error:
                if run.stop_signal is None:
                    raise cell_failure(run, error, timeout, log_path) from None
            except RuntimeError:  # as when the kernel is killed while it starts
                if run.stop_signal is None:
                    raise
            if run.stop_signal is not None:  # the kernel was killed, whatever that raised, if anything
                raise RunStopped(run.notebook, run.cell, stop_signal=run.stop_signal)
    return notebook


def cell_failure(run: Run, error: Exception, timeout: int, log_path: Path) -> RunStopped:
    """The RunStopped for a cell that raised, that ran past `timeout`, or whose kernel died (its log at `log_path`)."""
    if isinstance(error, PapermillExecutionError):
        return RunStopped(run.notebook, run.cell, error_line(error.ename, error.evalue))
    if isinstance(error, CellTimeoutError):
        return RunStopped(run.notebook, run.cell, f"still running after {timeout} s (--timeout)")
    last_output = log_path.read_text()[-KERNEL_OUTPUT_CHARACTERS:]
    return RunStopped(run.notebook, run.cell, "the kernel died", kernel_output=last_output)


def write_failed_run(stopped: RunStopped, reports_dir: Path, name: str) -> Path:
    """Write the stopped run as a notebook and its HTML page beside the reports, both or neither; return the
    notebook's path."""
    end = stopped.cell.index + 1 if stopped.cell is not None else 0
    notebook = failed_notebook(stopped.notebook, stopped.summary, end, stopped.kernel_output)
    notebook_path, html_path = failed_run_paths(reports_dir, name)
    write_together(
        {notebook_path: (nbformat.writes(notebook) + "\n").encode(), html_path: html_page(notebook).encode()}
    )
    return notebook_path


def cause(error: OSError) -> str:
    """Why a file could not be written, in words: "No space left on device (errno 28)"."""
    return f"{error.strerror} (errno {error.errno})" if error.strerror and error.errno else str(error)


def end_stopped_run(stopped: RunStopped, reports_dir: Path, name: str, earlier: str) -> int:
    """Save the stopped run beside the reports and say so, or why it could not be saved, in one line on stderr;
    return the command's exit status."""
    try:
        saved = write_failed_run(stopped, reports_dir, name)
    except OSError as error:
        message = (
            f"{stopped.summary}; could not write the failed run's page in {reports_dir}: {cause(error)}; {earlier}"
        )
    else:
        if stopped.stop_signal is not None:
            message = f"{stopped.summary}; {earlier}; partial run saved to {saved}"
        else:
            message = f"{stopped.summary}\n{earlier.capitalize()}; the run up to {stopped.cell} is saved in {saved}"
    return fail(for_terminal(message, sys.stderr), stopped.exit_status)


def fail(message: str, status: int = 1) -> int:
    """Print `message` on stderr; return `status`."""
    print(message, file=sys.stderr, flush=True)
    return status


def with_outputs(notebook_path: Path, executed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook at `notebook_path` holding the outputs of its run, `executed`, numbered as they ran there.

    That is nbval's reference: without papermill's injected parameters and metadata.
    """
    notebook = nbformat.read(notebook_path, as_version=4)
    ran = {cell.id: cell for cell in executed.cells}
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        cell.outputs, cell.execution_count = ran[cell.id].outputs, number
        for output in cell.outputs:
            if "execution_count" in output:
                output.execution_count = number
    return notebook


def output_folder(option: Path | None) -> Path:
    """Where the report writes: `--output-dir`, else $MNIST_CNN_OUTPUT_DIR, else the current folder.

    Raises a ParameterError if that is not a folder this process can write in or create.
    """
    if option is not None:
        return parameters.writable_folder(option, f"--output-dir {str(option)!r}")
    variable = os.environ.get(OUTPUT_DIR_VARIABLE)
    if variable:
        return parameters.writable_folder(variable, f"{OUTPUT_DIR_VARIABLE}={variable!r}")
    return parameters.writable_folder(".")


def main(arguments: list[str] | None = None) -> int:
    """`python -m mnist_cnn report`: run the notebooks headless and write their reports; the exit status."""
    parser = argparse.ArgumentParser(description="Run the notebooks headless and build their HTML reports.")
    parser.add_argument(
        "--notebook",
        type=Path,
        action="append",
        help=f"a notebook to run (repeatable; default: {', '.join(map(str, NOTEBOOKS))})",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter of the notebooks that have it, the value typed like its default (repeatable)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        help="where reports/ and models/ go (default: $MNIST_CNN_OUTPUT_DIR if set, else the current folder)",
    )
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds allowed per cell")
    parser.add_argument("--save-notebook", action="store_true", help="also store each run's outputs in its notebook")
    options = parser.parse_args(arguments)
    notebooks = options.notebook or list(NOTEBOOKS)

    # Every input is checked before the first kernel starts: a bad one stops the command with one line.
    with logger_disabled("papermill"):
        try:
            if options.timeout < 1:
                raise ValueError(f"--timeout {options.timeout}: expected a whole number of seconds of at least 1.")
            for path in notebooks:
                if not path.is_file():
                    raise ValueError(f"--notebook {path}: expected a notebook, but there is no file there.")
            output_dir = output_folder(options.output_dir)
            injected = injected_parameters(notebooks, options.parameter, output_dir)
        except ValueError as error:  # a ParameterError, or a parameters cell papermill cannot use
            return fail(f"error: {error}", 2)
        environment = kernel_environment(output_dir)
        return run_notebooks(injected, output_dir, environment, options.timeout, options.save_notebook)


def run_notebooks(
    injected: Mapping[Path, Mapping[str, object]],
    output_dir: Path,
    environment: Mapping[str, str],
    timeout: int,
    save_notebook: bool,
) -> int:
    """Run each notebook (a key of `injected`, its value what papermill injects) and write its report.

    Return the command's exit status: 0, or that of the first run that stopped or whose files could not
    be written (one line on stderr says why), after which none runs.
    """
    reports_dir = output_dir / "reports"
    for path, values in injected.items():
        has_report = (reports_dir / f"{path.stem}.html").exists()
        earlier = "the earlier report is unchanged" if has_report else "no report was written"
        shown = ", ".join(f"{name}={value!r}" for name, value in values.items())
        print(f"Running {path}" + (f" with {shown}" if shown else ""), flush=True)
        started = time.perf_counter()
        try:
            notebook = execute_notebook(path, values, environment, timeout)
        except RunStopped as stopped:
            return end_stopped_run(stopped, reports_dir, path.stem, earlier)
        except KeyboardInterrupt:  # just before or after the kernel's run, where SIGINT raises as usual
            return fail(f"interrupted; {earlier}", 128 + signal.SIGINT)
        try:
            report = write_report(notebook, reports_dir, path.stem)  # all its files, or none
        except OSError as error:
            return fail(f"error: could not write the pages of {path} in {reports_dir}: {cause(error)}; {earlier}")
        except KeyboardInterrupt:
            return fail(f"interrupted; {earlier}", 128 + signal.SIGINT)
        for stale in failed_run_paths(reports_dir, path.stem):
            stale.unlink(missing_ok=True)
        print(f"Wrote {report} and {report.with_suffix('.results.html').name} in {time.perf_counter() - started:.0f} s")
        if save_notebook:
            try:
                write_text(path, nbformat.writes(with_outputs(path, notebook)) + "\n")
            except OSError as error:
                return fail(f"error: could not store the outputs in {path}: {cause(error)}; the notebook is unchanged")
            print(f"Stored the outputs in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
