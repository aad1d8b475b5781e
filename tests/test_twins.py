"""Each notebook agrees with its py:percent twin (jupytext.toml), and `jupytext --sync` carries an edit across.

Compared through jupytext: a twin must be exactly the text jupytext writes from its notebook, which is what
`make sync` leaves behind, so `make sync` is all it takes to make a disagreeing pair agree again.
"""

import os
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.cli import jupytext as jupytext_command
from jupytext.config import load_jupytext_config
from jupytext.paired_paths import paired_paths

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def twin(notebook: Path) -> tuple[Path, dict]:
    """The text file that the jupytext configuration above `notebook` pairs with it, and its jupytext format."""
    config = load_jupytext_config(str(notebook))
    formats = config.default_formats(str(notebook)) if config else None
    pairs = paired_paths(str(notebook), "ipynb", formats) if formats else []
    texts = [(Path(path), fmt) for path, fmt in pairs if fmt["extension"] != ".ipynb"]
    if not texts:
        raise ValueError(f"Expected a jupytext configuration pairing {notebook} with a text file, found {formats!r}.")
    return texts[0]


def disagreement(notebook: Path) -> str | None:
    """A sentence saying how `notebook` and its twin disagree, or None when the twin is jupytext's text of it."""
    twin_path, fmt = twin(notebook)
    if not twin_path.exists():
        return f"{notebook.name} has no twin {twin_path.name}: run make sync."
    config = load_jupytext_config(str(notebook))
    expected = jupytext.writes(jupytext.read(notebook, config=config), fmt=fmt, config=config)
    if twin_path.read_text(encoding="utf-8") == expected:
        return None
    cells = nbformat.read(notebook, as_version=4).cells
    twin_cells = jupytext.read(twin_path, fmt=fmt, config=config).cells
    for number, (cell, twin_cell) in enumerate(zip(cells, twin_cells), start=1):
        if (cell.cell_type, cell.source) != (twin_cell.cell_type, twin_cell.source):
            return (
                f"Cell {number} of {notebook.name} differs from cell {number} of its twin {twin_path.name}: "
                "run make sync, which keeps the more recently edited of the two."
            )
    if len(cells) != len(twin_cells):
        return f"{notebook.name} has {len(cells)} cells and its twin {twin_path.name} {len(twin_cells)}: run make sync."
    return f"{twin_path.name} has {notebook.name}'s cells, not as jupytext writes them (tags, layout): run make sync."


def sync(notebook: Path) -> None:
    """`jupytext --sync`, as `make sync` runs it, on one notebook (in this process: quicker)."""
    status = jupytext_command(["--sync", "--quiet", str(notebook)])
    assert status == 0, f"Expected jupytext --sync to succeed on {notebook.name}, it exited with {status}."


def make_newer(path: Path, than: Path) -> None:
    """Set the modification time of `path` after that of `than`: jupytext --sync takes the newer one's cells."""
    later = than.stat().st_mtime + 10
    os.utime(path, (later, later))


@pytest.fixture
def paired_copy(tmp_path) -> Path:
    """A copy of the smallest notebook, its twin and the jupytext configuration, laid out as in the repository."""
    notebook = min(NOTEBOOKS, key=lambda path: path.stat().st_size)
    twin_path, _ = twin(notebook)
    folder = tmp_path / notebook.parent.relative_to(ROOT)
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "jupytext.toml", tmp_path)
    shutil.copy(notebook, folder)
    shutil.copy(twin_path, folder)
    return folder / notebook.name


def test_the_notebooks_are_found():
    names = [path.name for path in NOTEBOOKS]
    assert len(names) == 4, f"Expected the four notebooks in notebooks/, found {names}."


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_each_notebook_agrees_with_its_twin(notebook):
    message = disagreement(notebook)
    assert message is None, message


def test_an_edit_in_the_twin_reaches_the_notebook_and_keeps_its_outputs(paired_copy):
    before = nbformat.read(paired_copy, as_version=4)
    number, cell = next((number, cell) for number, cell in enumerate(before.cells) if cell.cell_type == "code")
    first_line = cell.source.splitlines()[0]
    twin_path, _ = twin(paired_copy)
    text = twin_path.read_text(encoding="utf-8")
    assert text.count(f"\n{first_line}\n") == 1, f"Expected the line {first_line!r} once in {twin_path.name}."
    twin_path.write_text(text.replace(f"\n{first_line}\n", f"\n{first_line}  # edited in the twin\n"), encoding="utf-8")
    make_newer(twin_path, paired_copy)
    assert disagreement(paired_copy).startswith(f"Cell {number + 1} of ")

    sync(paired_copy)

    after = nbformat.read(paired_copy, as_version=4)
    assert after.cells[number].source.splitlines()[0] == f"{first_line}  # edited in the twin"
    assert [cell.get("outputs") for cell in after.cells] == [cell.get("outputs") for cell in before.cells]
    assert [cell.get("execution_count") for cell in after.cells] == [
        cell.get("execution_count") for cell in before.cells
    ]
    assert [(cell.id, cell.metadata) for cell in after.cells] == [(cell.id, cell.metadata) for cell in before.cells]
    assert after.metadata == before.metadata
    assert disagreement(paired_copy) is None


def test_an_edit_in_the_notebook_reaches_the_twin(paired_copy):
    notebook = nbformat.read(paired_copy, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("A closing remark, written in Jupyter."))
    nbformat.write(notebook, paired_copy)
    twin_path, _ = twin(paired_copy)
    make_newer(paired_copy, twin_path)
    assert disagreement(paired_copy).endswith("run make sync.")

    sync(paired_copy)

    assert twin_path.read_text(encoding="utf-8").endswith("# A closing remark, written in Jupyter.\n")
    assert disagreement(paired_copy) is None
