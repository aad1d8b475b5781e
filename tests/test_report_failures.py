"""How the report runs its kernel, and ends a run that fails or is stopped, shown on notebooks of a few quick cells.

Each test that runs a notebook starts a real kernel (a second or two).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import psutil

from mnist_cnn import report
from mnist_cnn.report import kernel_transport


def write_notebook(folder: Path, cells: dict[str, str]) -> Path:
    """`folder/tiny.ipynb`: a title, then a code cell per entry of `cells` (id: source)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Tiny")])
    for cell_id, source in cells.items():
        cell = nbformat.v4.new_code_cell(source)
        cell.id = cell_id
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


def test_a_run_shuts_its_kernel_down(tmp_path):
    notebook = write_notebook(tmp_path, {"fine": "print('fine')"})
    assert run(notebook, tmp_path / "out") == 0
    assert (tmp_path / "out" / "reports" / "tiny.html").exists()
    assert running_kernels() == []


def test_the_kernel_uses_ipc_sockets_on_posix_and_loopback_tcp_on_windows(tmp_path):
    for platform in ("linux", "darwin"):
        assert kernel_transport(tmp_path, platform=platform) == ("ipc", str(tmp_path / "kernel"))
    assert kernel_transport(tmp_path, platform="win32") == ("tcp", "127.0.0.1")
