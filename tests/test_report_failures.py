"""How the report ends a run that fails or is stopped, shown on notebooks of a few quick cells, how it
refuses bad inputs before any kernel starts, and how it ends when its files cannot be written (a full disk).

Each run test starts a real kernel (a second or two): the failing cell, the saved run, the terminal's lines.
The full-disk tests start none: the run is replaced by its outcome, and writing fails as on a full disk.
"""

from __future__ import annotations

import base64
import errno
import functools
import io
import os
import signal
from pathlib import Path

import nbformat
import psutil
import pytest

from mnist_cnn.report import runner
from mnist_cnn.report.pages import failed_run_paths
from mnist_cnn.report.runner import CellPosition, RunStopped, error_line, for_terminal, kernel_transport

ROOT = Path(__file__).resolve().parents[1]


def write_notebook(folder: Path, cells: dict[str, str]) -> Path:
    """`folder/tiny.ipynb`: a title, then a code cell per entry of `cells` (id: source); the one with id
    `parameters` is tagged so, as papermill expects."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Tiny")])
    for cell_id, source in cells.items():
        cell = nbformat.v4.new_code_cell(source)
        cell.id = cell_id
        if cell_id == "parameters":
            cell.metadata["tags"] = ["parameters"]
        notebook.cells.append(cell)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "tiny.ipynb"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def run(notebook: Path, output_dir: Path, *options: str) -> int:
    return runner.main(["--notebook", str(notebook), "--output-dir", str(output_dir), *options])


def running_kernels() -> list[psutil.Process]:
    """The kernels this process started that still run."""
    return [child for child in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(child.cmdline())]


def test_a_failing_cell_is_one_line_and_the_run_up_to_it_is_saved(tmp_path, capsys):
    cells = {
        "greet": "print('hello')",
        "fail": r"raise ValueError('\x1b[1mbad\x1b[0m value\nand more')",
        "never": "print('never')",
    }
    notebook = write_notebook(tmp_path, cells)
    earlier = tmp_path / "out" / "reports" / "tiny.html"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("the earlier report")

    assert run(notebook, tmp_path / "out") == 1
    out, err = capsys.readouterr()
    saved, saved_html = failed_run_paths(earlier.parent, "tiny")
    assert err.splitlines() == [  # not a terminal: no colours
        "cell 2/3 (fail) failed: ValueError: bad value …",
        f"The earlier report is unchanged; the run up to cell 2/3 (fail) is saved in {saved}",
    ]
    assert out.splitlines()[-1].startswith("[ 2/3] fail (")
    assert earlier.read_text() == "the earlier report"

    failed = nbformat.read(saved, as_version=4)
    note, title, greet, fail = failed.cells
    assert "cell 2/3 (fail) failed: ValueError: bad value …" in note.source and title.source == "# Tiny"
    assert greet.outputs[0].text == "hello\n"
    error = fail.outputs[-1]
    assert error.output_type == "error" and error.evalue == "\x1b[1mbad\x1b[0m value\nand more"
    assert any("Traceback" in line for line in error.traceback)
    html = saved_html.read_text()
    assert "bad value" in html and "Traceback" in html and "never" not in html


def test_a_parameter_error_in_a_cell_reads_as_its_message(tmp_path, capsys):
    # No `parameters` cell: the report checks nothing before the run, the notebook's own check does.
    source = "from mnist_cnn.report import parameters\n\nEPOCHS = 0\nparameters.check_notebook(globals())"
    notebook = write_notebook(tmp_path, {"setup": source})
    assert run(notebook, tmp_path / "out") == 1
    saved = tmp_path / "out" / "reports" / "tiny.failed.ipynb"
    assert capsys.readouterr().err.splitlines() == [
        "cell 1/1 (setup) failed: EPOCHS = 0: expected a whole number of at least 1.",
        f"No report was written; the run up to cell 1/1 (setup) is saved in {saved}",
    ]


def test_a_successful_run_removes_the_failed_one(tmp_path):
    notebook = write_notebook(tmp_path, {"fail": "1 / 0"})
    assert run(notebook, tmp_path / "out") == 1
    failed = failed_run_paths(tmp_path / "out" / "reports", "tiny")
    assert all(path.exists() for path in failed)
    write_notebook(tmp_path, {"fine": "print('fine')"})
    assert run(notebook, tmp_path / "out") == 0
    assert not any(path.exists() for path in failed) and (tmp_path / "out" / "reports" / "tiny.html").exists()
    assert running_kernels() == []  # both runs shut theirs down


def test_a_cell_past_its_timeout_fails(tmp_path, capsys):
    notebook = write_notebook(tmp_path, {"sleep": "import time\n\ntime.sleep(60)"})
    assert run(notebook, tmp_path / "out", "--timeout", "1") == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "[ 1/1] sleep"  # the cell's line is ended
    assert err.splitlines()[0] == "cell 1/1 (sleep) failed: still running after 1 s (--timeout)"


def test_over_tcp_the_kernels_warning_stays_in_its_log(tmp_path, capfd, monkeypatch):
    # Windows' transport, here: the kernel warns that TCP is not encrypted. A kernel that dies shows its log.
    monkeypatch.setattr(runner, "kernel_transport", functools.partial(kernel_transport, platform="win32"))
    notebook = write_notebook(tmp_path, {"die": "import os\n\nos._exit(3)"})
    assert run(notebook, tmp_path / "out") == 1
    out, err = capfd.readouterr()
    assert err.splitlines()[0] == "cell 1/1 (die) failed: the kernel died"
    assert "encryption" not in out + err
    note = nbformat.read(tmp_path / "out" / "reports" / "tiny.failed.ipynb", as_version=4).cells[0].source
    assert "The kernel's last output" in note and "Kernel is running over TCP without encryption" in note


def test_what_a_library_writes_on_the_kernels_descriptors_stays_out_of_the_notebook(tmp_path, capfd, monkeypatch):
    # As TensorFlow's start-up notices on a CPU with AVX-512: C code writing to file descriptor 2. Printed words stay.
    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # ipykernel passes such writes on only outside pytest, as for a user
    started = []  # the report's own setting, whatever the kernels of .venv read (tests/test_lab_kernel.py)

    class Recording(runner.AsyncKernelManager):
        async def start_kernel(self, **options):
            started.append(options.get("extra_arguments"))
            return await super().start_kernel(**options)

    monkeypatch.setattr(runner, "AsyncKernelManager", Recording)
    write = "os.write(2, b'I0000 port.cc:153] a notice\\n')\ntime.sleep(1)"  # a second for the kernel to pass it on
    cells = {"library": f"import os, time\n\n{write}\nprint('printed')"}
    notebook = write_notebook(tmp_path, cells)
    assert run(notebook, tmp_path / "out", "--save-notebook") == 0
    assert len(started) == 1 and "--IPKernelApp.capture_fd_output=False" in started[0]  # nbclient adds its own
    outputs = nbformat.read(notebook, as_version=4).cells[1].outputs
    assert [output.get("text") for output in outputs] == ["printed\n"]
    out, err = capfd.readouterr()
    assert "a notice" not in out + err


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_run_and_leaves_the_handlers_as_they_were(tmp_path, capsys, stop_signal):
    # The kernel is this process's child: its cell signals the report, as Ctrl-C or `kill` would.
    cells = {
        "first": "print('first')",
        "stop": f"import os, time\n\nos.kill(os.getppid(), {int(stop_signal)})\ntime.sleep(60)",
        "never": "print('never')",
    }
    notebook = write_notebook(tmp_path, cells)

    def unexpected(number, frame):
        raise AssertionError(f"the report let signal {number} through")

    previous = signal.signal(stop_signal, unexpected)
    try:
        status = run(notebook, tmp_path / "out")
        assert signal.getsignal(stop_signal) is unexpected
    finally:
        signal.signal(stop_signal, previous)

    assert status == 128 + stop_signal
    saved = tmp_path / "out" / "reports" / "tiny.failed.ipynb"
    verb = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}[stop_signal]
    assert capsys.readouterr().err.splitlines() == [
        f"{verb} during cell 2/3 (stop); no report was written; partial run saved to {saved}"
    ]
    failed = nbformat.read(saved, as_version=4)
    assert [cell.get("id") for cell in failed.cells[2:]] == ["first", "stop"]
    assert running_kernels() == []


def test_papermill_injects_the_parameters_given_after_the_parameters_cell(tmp_path, capsys, monkeypatch):
    cells = {
        "parameters": 'EPOCHS = 5  # passes\nEXECUTION = "auto"  # how\nOUTPUT_DIR = ".."  # where',
        "show": "print(EPOCHS, EXECUTION, OUTPUT_DIR)",
    }
    notebook = write_notebook(tmp_path, cells)
    monkeypatch.setenv("MNIST_CNN_EPOCHS", "3")  # not a location: the report and the kernel ignore it
    assert (
        run(notebook, tmp_path / "out", "-p", "EPOCHS", "2", "--parameter", "EXECUTION", "plain", "--save-notebook")
        == 0
    )
    output_dir = str((tmp_path / "out").resolve())
    lines = [line.rsplit(" (", 1)[0] for line in capsys.readouterr().out.splitlines()]  # without the times
    assert lines[:4] == [
        f"Running {notebook} with EPOCHS=2, EXECUTION='plain', OUTPUT_DIR={output_dir!r}",
        "[ 1/3] parameters",
        "[ 2/3] injected-parameters",
        "[ 3/3] show",
    ]
    html = (tmp_path / "out" / "reports" / "tiny.html").read_text()
    assert html.index('id="cell-id=parameters"') < html.index('id="cell-id=injected-parameters"')
    assert f"2 plain {output_dir}" in html
    stored = nbformat.read(notebook, as_version=4)  # the outputs, without papermill's cell and metadata
    assert [cell.id for cell in stored.cells[1:]] == ["parameters", "show"]
    assert stored.cells[2].outputs[0].text == f"2 plain {output_dir}\n" and stored.cells[2].execution_count == 2
    assert "papermill" not in stored.metadata and "papermill" not in stored.cells[2].metadata


FIRST_NOTEBOOK = ROOT / "notebooks" / "mnist_cnn.ipynb"
FIRST_PARAMETERS = "EPOCHS, BATCH_SIZE, VALIDATION_SPLIT, SEED, TRAIN_SAMPLES, MIN_TEST_ACCURACY, EXECUTION, DATA"


@pytest.mark.parametrize(
    "options, expected",
    [
        (
            ["-p", "TRAIN_SAMPLES", "5"],
            "-p TRAIN_SAMPLES 5: expected a whole number of at least 1000 and at most 60000.",
        ),
        (["-p", "EPOCHS", "0"], "-p EPOCHS 0: expected a whole number of at least 1."),
        (["-p", "EPOCHS", "two"], "-p EPOCHS two: expected a value of type int, like the default 5."),
        (["-p", "EPOCHS", "1.5"], "-p EPOCHS 1.5: expected a value of type int, like the default 5."),
        (["-p", "VALIDATION_SPLIT", "1"], "-p VALIDATION_SPLIT 1: expected a number of at least 0 and below 1."),
        (["-p", "EXECUTION", "fast"], "-p EXECUTION fast: expected one of 'auto', 'plain'."),
        (["-p", "EPOCH", "1"], f"-p EPOCH 1: {FIRST_NOTEBOOK} has no parameter EPOCH, only {FIRST_PARAMETERS}."),
        (["-p", "OUTPUT_DIR", "/tmp/x"], "-p OUTPUT_DIR /tmp/x: the output folder is set with --output-dir."),
        (["-p", "EPOCHS", "1", "-p", "EPOCHS", "0"], "-p EPOCHS 0: expected a whole number of at least 1."),
    ],
)
def test_a_bad_parameter_stops_the_command_before_any_kernel_starts(tmp_path, capsys, options, expected):
    assert runner.main(["--notebook", str(FIRST_NOTEBOOK), "--output-dir", str(tmp_path / "out"), *options]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: {expected}\n")
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_bad_output_folder_from_the_environment_stops_the_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_OUTPUT_DIR", "/dev/null/reports")
    assert runner.main(["--notebook", str(FIRST_NOTEBOOK)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (
        "error: MNIST_CNN_OUTPUT_DIR='/dev/null/reports': expected a folder that can be written, "
        "but /dev/null is not a folder.\n"
    )


def test_a_relative_data_path_is_made_absolute_for_the_kernel(tmp_path, monkeypatch):
    notebook = write_notebook(tmp_path / "first", {"parameters": "DATA = ''\nUSPS = ''"})
    monkeypatch.chdir(tmp_path)
    given = [("DATA", "data/mnist.npz"), ("USPS", "")]
    injected = runner.injected_parameters([notebook], given, tmp_path / "out")
    assert injected == {notebook: {"DATA": str(tmp_path / "data" / "mnist.npz"), "USPS": ""}}


def test_a_parameter_applies_to_the_notebooks_that_have_it(tmp_path, monkeypatch):
    first = write_notebook(tmp_path / "first", {"parameters": "EPOCHS = 5\nOUTPUT_DIR = '..'"})
    second = write_notebook(tmp_path / "second", {"parameters": "PHOTOS = 1000\nEPOCHS = 10\nMIN_TEST_ACCURACY = 0.99"})
    monkeypatch.setenv("MNIST_CNN_EPOCHS", "0")  # read by nothing
    given = [("PHOTOS", "20"), ("EPOCHS", "3"), ("MIN_TEST_ACCURACY", "1")]
    injected = runner.injected_parameters([first, second], given, tmp_path / "out")
    assert injected == {
        first: {"EPOCHS": 3, "OUTPUT_DIR": str(tmp_path / "out")},
        second: {"PHOTOS": 20, "EPOCHS": 3, "MIN_TEST_ACCURACY": 1.0},  # each typed like its default
    }
    assert type(injected[second]["MIN_TEST_ACCURACY"]) is float
    assert runner.injected_parameters([first, second], [], tmp_path / "out") == {
        first: {"OUTPUT_DIR": str(tmp_path / "out")},
        second: {},
    }
    with pytest.raises(runner.ParameterError) as error:
        runner.injected_parameters([first, second], [("EPOCHS", "1"), ("PHOTO", "20")], tmp_path / "out")
    assert (
        str(error.value)
        == "-p PHOTO 20: no notebook has a parameter PHOTO; they have EPOCHS, PHOTOS, MIN_TEST_ACCURACY."
    )
    with pytest.raises(runner.ParameterError) as error:
        runner.injected_parameters([first, second], [("PHOTOS", "5")], tmp_path / "out")
    assert str(error.value) == "-p PHOTOS 5: expected a whole number of at least 10 and at most 4649."


def test_a_notebooks_own_bad_default_is_named_with_the_notebook(tmp_path):
    notebook = write_notebook(tmp_path, {"parameters": "EPOCHS = 0"})
    with pytest.raises(runner.ParameterError) as error:
        runner.injected_parameters([notebook], [], tmp_path / "out")
    assert str(error.value) == f"{notebook}: EPOCHS = 0: expected a whole number of at least 1."
    without = write_notebook(tmp_path / "plain", {"fine": "print('fine')"})
    with pytest.raises(runner.ParameterError) as error:
        runner.injected_parameters([without], [("EPOCHS", "1")], tmp_path / "out")
    assert str(error.value) == f"-p EPOCHS 1: {without} has no parameter EPOCHS."


def test_an_output_folder_that_cannot_be_written_stops_the_command(tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    notebook = write_notebook(tmp_path, {"never": "print('never')"})
    assert run(notebook, tmp_path / "file" / "out") == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [
        f"error: --output-dir '{tmp_path / 'file' / 'out'}': expected a folder that can be written, "
        f"but {tmp_path / 'file'} is not a folder."
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file", "tiny.ipynb"]


@pytest.mark.parametrize(
    "options, expected",
    [
        (["--timeout", "0"], "error: --timeout 0: expected a whole number of seconds of at least 1."),
        (["--notebook", "missing.ipynb"], "error: --notebook missing.ipynb: expected a notebook, but there is no "),
    ],
)
def test_a_bad_option_stops_the_command(tmp_path, capsys, options, expected):
    notebook = write_notebook(tmp_path, {"never": "print('never')"})
    assert run(notebook, tmp_path / "out", *options) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and err.startswith(expected)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "content, found",
    [
        ("{}", "Notebook could not be converted from version 1 to version 2 because it's missing a key: cells"),
        ("hello", "Notebook does not appear to be JSON: 'hello'"),
        ('{"cells": 3}', "'int' object is not iterable"),
    ],
)
def test_a_file_that_is_not_a_notebook_stops_the_command_in_one_line(tmp_path, capsys, content, found):
    notebook = tmp_path / "broken.ipynb"
    notebook.write_text(content)
    assert run(notebook, tmp_path / "out") == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (
        f"error: --notebook {notebook}: expected a Jupyter notebook, found a file nbformat cannot read ({found}).\n"
    )
    assert not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_looked_up_stops_the_command_in_one_line(tmp_path, capsys):
    notebook = write_notebook(tmp_path, {"never": "print('never')"})
    too_long = tmp_path / ("x" * 300) / "out"
    assert run(notebook, too_long) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1  # the system's words for it follow, in brackets
    assert err.startswith(f"error: --output-dir '{too_long}': expected a folder that can be written, but {too_long} ")
    assert "cannot be looked up (" in err and err.endswith(").\n")


def test_a_parameter_that_is_not_a_plain_value_stops_the_command(tmp_path, capsys):
    notebook = write_notebook(tmp_path, {"parameters": "import math\n\nEPOCHS = math.ceil(4.5)"})
    assert run(notebook, tmp_path / "out") == 2
    assert capsys.readouterr().err == (
        f"error: {notebook}: the parameter EPOCHS = math.ceil(4.5): expected a plain value, such as 5.\n"
    )


def test_the_output_folder_defaults_to_the_environments(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_OUTPUT_DIR", str(tmp_path / "from-environment"))
    with pytest.raises(SystemExit):
        runner.main(["--help"])
    assert "$MNIST_CNN_OUTPUT_DIR" in capsys.readouterr().out
    notebook = write_notebook(tmp_path, {"fine": "print('fine')"})
    assert runner.main(["--notebook", str(notebook)]) == 0
    assert (tmp_path / "from-environment" / "reports" / "tiny.html").exists()


def test_the_kernel_uses_ipc_sockets_on_posix_and_loopback_tcp_on_windows(tmp_path):
    for platform in ("linux", "darwin"):
        assert kernel_transport(tmp_path, platform=platform) == ("ipc", str(tmp_path / "kernel"))
    assert kernel_transport(tmp_path, platform="win32") == ("tcp", "127.0.0.1")


@pytest.mark.parametrize(
    "ename, evalue, line",
    [
        ("ValueError", "EPOCHS = 'abc': expected a whole number of at least 1.", "ValueError: EPOCHS = 'abc': "),
        ("ParameterError", "EPOCHS = 0: expected a whole number of at least 1.", "EPOCHS = 0: expected a whole "),
        ("KeyError", "'digit'\n\nmore about it", "KeyError: 'digit' …"),
        ("AssertionError", "", "AssertionError"),
    ],
)
def test_an_error_is_one_line(ename, evalue, line):
    assert error_line(ename, evalue).startswith(line) and "\n" not in error_line(ename, evalue)


def test_colours_reach_only_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    coloured = "\x1b[31mValueError\x1b[39m: bad"
    assert for_terminal(coloured, Terminal()) == coloured
    assert for_terminal(coloured, io.StringIO()) == "ValueError: bad"


# A 1x1 PNG: a figure for the pages to extract.
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="
NO_SPACE = f"{os.strerror(errno.ENOSPC)} (errno {errno.ENOSPC})"


def fill_up(monkeypatch, room: int = 0, methods: tuple[str, ...] = ("write_bytes", "write_text")) -> None:
    """Make the disk full once `room` more files are written: each later write writes half its data, then fails
    with ENOSPC, as a write on a full disk does."""
    written = []
    for method in methods:
        real = getattr(Path, method)

        def write(self, data, *args, real=real, **kwargs):
            if len(written) >= room:
                real(self, data[: len(data) // 2], *args, **kwargs)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written.append(self)
            return real(self, data, *args, **kwargs)

        monkeypatch.setattr(Path, method, write)


def files(folder: Path) -> dict[str, bytes]:
    """Every file below `folder`, temporary ones included, and its bytes."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def executed_notebook() -> nbformat.NotebookNode:
    """A run of two code cells, the second with a figure, as papermill returns it."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Tiny")])
    for cell_id, outputs in [
        ("greet", [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]),
        ("save", [nbformat.v4.new_output("display_data", data={"image/png": PIXEL})]),
    ]:
        cell = nbformat.v4.new_code_cell("...", outputs=outputs)
        cell.id = cell_id
        notebook.cells.append(cell)
    return notebook


@pytest.fixture
def earlier_run(tmp_path) -> Path:
    """An output folder holding an earlier run's report and failed run; its `reports/` folder is returned."""
    reports = tmp_path / "out" / "reports"
    (reports / "figures" / "tiny").mkdir(parents=True)
    (reports / "tiny.html").write_bytes(b"<html>the earlier report</html>")
    (reports / "tiny.results.html").write_bytes(b"<html>the earlier results</html>")
    (reports / "figures" / "tiny" / "save.png").write_bytes(b"the earlier figure")
    for path in failed_run_paths(reports, "tiny"):
        path.write_bytes(b"an earlier failed run")
    return reports


@pytest.mark.parametrize(
    "stop_signal, status, summary",
    [
        (None, 1, "cell 2/2 (save) failed: OSError: [Errno 28] No space left on device"),
        (signal.SIGTERM, 128 + signal.SIGTERM, "terminated during cell 2/2 (save)"),
    ],
)
def test_a_full_disk_ends_a_stopped_run_in_one_line(earlier_run, capsys, monkeypatch, stop_signal, status, summary):
    # The save cell failed inside the kernel for want of space; then the failed run's page cannot be written.
    error = "OSError: [Errno 28] No space left on device"
    stopped = RunStopped(executed_notebook(), CellPosition(2, 2, 2, "save"), error, stop_signal=stop_signal)

    def execute_notebook(*arguments):
        raise stopped

    monkeypatch.setattr(runner, "execute_notebook", execute_notebook)
    before = files(earlier_run.parent)
    fill_up(monkeypatch)
    assert runner.run_notebooks({Path("tiny.ipynb"): {}}, earlier_run.parent, {}, 60, False) == status
    out, err = capsys.readouterr()
    assert err == (
        f"{summary}; could not write the failed run's page in {earlier_run}: {NO_SPACE}; "
        "the earlier report is unchanged\n"
    )
    assert out == "Running tiny.ipynb\n"
    assert files(earlier_run.parent) == before  # byte for byte, and no temporary file


@pytest.mark.parametrize("room", [0, 1, 2, 3])  # the pages, the notebook, the figure: full before the 1st ... 4th
def test_a_full_disk_leaves_the_earlier_report_whole(earlier_run, capsys, monkeypatch, room):
    monkeypatch.setattr(runner, "execute_notebook", lambda *arguments: executed_notebook())
    before = files(earlier_run.parent)
    fill_up(monkeypatch, room)
    assert runner.run_notebooks({Path("tiny.ipynb"): {}}, earlier_run.parent, {}, 60, False) == 1
    assert capsys.readouterr().err == (
        f"error: could not write the pages of tiny.ipynb in {earlier_run}: {NO_SPACE}; "
        "the earlier report is unchanged\n"
    )
    assert files(earlier_run.parent) == before  # none of the new files, not even those written before the disk filled


def test_with_room_the_same_run_writes_its_report(earlier_run, capsys, monkeypatch):
    # The test above, with space: its files do change (and the earlier failed run is removed).
    monkeypatch.setattr(runner, "execute_notebook", lambda *arguments: executed_notebook())
    fill_up(monkeypatch, room=4)
    assert runner.run_notebooks({Path("tiny.ipynb"): {}}, earlier_run.parent, {}, 60, False) == 0
    assert capsys.readouterr().err == ""
    written = files(earlier_run.parent)
    assert sorted(written) == [
        "reports/figures/tiny/save.png",
        "reports/tiny.html",
        "reports/tiny.ipynb",
        "reports/tiny.results.html",
    ]
    assert written["reports/figures/tiny/save.png"] == base64.b64decode(PIXEL)
    stored = nbformat.reads(written["reports/tiny.ipynb"].decode(), as_version=4)  # the run, for the book
    assert [cell.outputs for cell in stored.cells[1:]] == [cell.outputs for cell in executed_notebook().cells[1:]]


def test_a_full_disk_leaves_the_notebook_as_it_was(tmp_path, capsys, monkeypatch):
    notebook = write_notebook(tmp_path, {"greet": "print('hello')", "save": "..."})
    before = notebook.read_bytes()
    monkeypatch.setattr(runner, "execute_notebook", lambda *arguments: executed_notebook())
    fill_up(monkeypatch, methods=("write_text",))  # the pages are written as bytes, the notebook as text
    assert runner.run_notebooks({notebook: {}}, tmp_path / "out", {}, 60, True) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].startswith(f"Wrote {tmp_path / 'out' / 'reports' / 'tiny.html'} and ")
    assert err == f"error: could not store the outputs in {notebook}: {NO_SPACE}; the notebook is unchanged\n"
    assert notebook.read_bytes() == before and sorted(path.name for path in tmp_path.iterdir()) == ["out", "tiny.ipynb"]
