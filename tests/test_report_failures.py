"""How the report ends a run that fails or is stopped, shown on notebooks of a few quick cells, and how it
refuses bad inputs before any kernel starts.

Each run test starts a real kernel (a second or two): the failing cell, the saved run, the terminal's lines.
"""

from __future__ import annotations

import functools
import io
import signal
from pathlib import Path

import nbformat
import psutil
import pytest

from mnist_cnn import report
from mnist_cnn.pages import failed_run_paths
from mnist_cnn.report import error_line, for_terminal, kernel_transport

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
    nbformat.write(notebook, path)
    return path


def run(notebook: Path, output_dir: Path, *options: str) -> int:
    return report.main(["--notebook", str(notebook), "--output-dir", str(output_dir), *options])


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


def test_a_setting_error_in_a_cell_reads_as_its_message(tmp_path, capsys, monkeypatch):
    # No `parameters` cell: the report checks nothing before the run, the notebook's call does.
    monkeypatch.setenv("MNIST_CNN_EPOCHS", "0")
    source = "from mnist_cnn import settings\n\nEPOCHS = 5\nsettings.apply_overrides(globals())"
    notebook = write_notebook(tmp_path, {"settings": source})
    assert run(notebook, tmp_path / "out") == 1
    saved = tmp_path / "out" / "reports" / "tiny.failed.ipynb"
    assert capsys.readouterr().err.splitlines() == [
        "cell 1/1 (settings) failed: MNIST_CNN_EPOCHS=0: expected a whole number of at least 1.",
        f"No report was written; the run up to cell 1/1 (settings) is saved in {saved}",
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
    monkeypatch.setattr(report, "kernel_transport", functools.partial(kernel_transport, platform="win32"))
    notebook = write_notebook(tmp_path, {"die": "import os\n\nos._exit(3)"})
    assert run(notebook, tmp_path / "out") == 1
    out, err = capfd.readouterr()
    assert err.splitlines()[0] == "cell 1/1 (die) failed: the kernel died"
    assert "encryption" not in out + err
    note = nbformat.read(tmp_path / "out" / "reports" / "tiny.failed.ipynb", as_version=4).cells[0].source
    assert "The kernel's last output" in note and "Kernel is running over TCP without encryption" in note


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


def test_papermill_injects_the_environments_values_after_the_parameters_cell(tmp_path, capsys, monkeypatch):
    cells = {
        "parameters": 'EPOCHS = 5  # passes\nEXECUTION = "auto"  # how\nOUTPUT_DIR = ".."  # where',
        "show": "print(EPOCHS, EXECUTION, OUTPUT_DIR)",
    }
    notebook = write_notebook(tmp_path, cells)
    monkeypatch.setenv("MNIST_CNN_EPOCHS", "2")
    monkeypatch.setenv("MNIST_CNN_EXECUTION", "plain")
    assert run(notebook, tmp_path / "out", "--save-notebook") == 0
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


@pytest.mark.parametrize(
    "variable, value, expected",
    [
        ("MNIST_CNN_TRAIN_SAMPLES", "5", "MNIST_CNN_TRAIN_SAMPLES=5: expected a whole number of at least 1000 and "),
        ("MNIST_CNN_EPOCHS", "0", "MNIST_CNN_EPOCHS=0: expected a whole number of at least 1."),
        ("MNIST_CNN_EPOCHS", "two", "MNIST_CNN_EPOCHS='two': expected a value of type int, like the default 5."),
        ("MNIST_CNN_EXECUTION", "fast", "MNIST_CNN_EXECUTION='fast': expected one of "),
        ("MNIST_CNN_OUTPUT_DIR", "/dev/null/reports", "MNIST_CNN_OUTPUT_DIR='/dev/null/reports': expected a folder "),
    ],
)
def test_a_bad_setting_stops_the_command_before_any_kernel_starts(
    tmp_path, capsys, monkeypatch, variable, value, expected
):
    monkeypatch.setenv(variable, value)
    output_dir = [] if variable == "MNIST_CNN_OUTPUT_DIR" else ["--output-dir", str(tmp_path / "out")]
    assert report.main(["--notebook", str(ROOT / "notebooks" / "mnist_cnn.ipynb"), *output_dir]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and err.startswith(f"error: {expected}")
    assert list(tmp_path.iterdir()) == []  # nothing written


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


def test_a_parameter_that_is_not_a_plain_value_stops_the_command(tmp_path, capsys):
    notebook = write_notebook(tmp_path, {"parameters": "import math\n\nEPOCHS = math.ceil(4.5)"})
    assert run(notebook, tmp_path / "out") == 2
    assert capsys.readouterr().err == (
        f"error: {notebook}: the parameter EPOCHS = math.ceil(4.5): expected a plain value, such as 5.\n"
    )


def test_the_output_folder_defaults_to_the_environments(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_OUTPUT_DIR", str(tmp_path / "from-environment"))
    with pytest.raises(SystemExit):
        report.main(["--help"])
    assert "$MNIST_CNN_OUTPUT_DIR" in capsys.readouterr().out
    notebook = write_notebook(tmp_path, {"fine": "print('fine')"})
    assert report.main(["--notebook", str(notebook)]) == 0
    assert (tmp_path / "from-environment" / "reports" / "tiny.html").exists()


def test_the_kernel_uses_ipc_sockets_on_posix_and_loopback_tcp_on_windows(tmp_path):
    for platform in ("linux", "darwin"):
        assert kernel_transport(tmp_path, platform=platform) == ("ipc", str(tmp_path / "kernel"))
    assert kernel_transport(tmp_path, platform="win32") == ("tcp", "127.0.0.1")


@pytest.mark.parametrize(
    "ename, evalue, line",
    [
        ("ValueError", "MNIST_CNN_EPOCHS='abc': expected a value of type int.", "ValueError: MNIST_CNN_EPOCHS='abc': "),
        ("SettingError", "MNIST_CNN_EPOCHS=0: expected a whole number of at least 1.", "MNIST_CNN_EPOCHS=0: "),
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
