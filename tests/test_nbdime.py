"""`git diff` shows a notebook's change cell by cell (nbdime), as `make nbdime` (run by the first make) sets git up.

The setup runs for real, on a temporary repository: git is pointed at it (GIT_DIR), so the Makefile's
recipe writes that repository's configuration, not this one's. git then runs without .venv on its PATH,
as from a shell where the environment is not activated.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("make") is None, reason="needs git and make"
)


def environment_without_the_venv() -> dict[str, str]:
    """os.environ without .venv on PATH, and with git's global and system settings left out."""
    venv_bin = os.path.realpath(Path(sys.prefix) / "bin")
    path = [entry for entry in os.environ["PATH"].split(os.pathsep) if os.path.realpath(entry) != venv_bin]
    environment = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    return environment | {"PATH": os.pathsep.join(path), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def run(command: list[str], directory: Path, environment: dict[str, str]) -> str:
    """The standard output of `command` run in `directory`, which must succeed."""
    result = subprocess.run(command, cwd=directory, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, f"Expected {' '.join(command)} to succeed, it failed: {result.stderr.strip()}"
    return result.stdout


def test_git_diff_shows_the_changed_cell_not_json_lines(tmp_path):
    repository = tmp_path / "repository"
    repository.mkdir()
    environment = environment_without_the_venv()
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    run([*git, "init", "--quiet"], repository, environment)
    shutil.copy(ROOT / ".gitattributes", repository)
    pointed_at_repository = environment | {"GIT_DIR": str(repository / ".git"), "GIT_WORK_TREE": str(repository)}
    run(["make", "--no-print-directory", "nbdime"], ROOT, pointed_at_repository)

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# A small notebook"), nbformat.v4.new_code_cell("print(1)")]
    nbformat.write(notebook, repository / "small.ipynb")
    run([*git, "add", "--all"], repository, environment)
    run([*git, "commit", "--quiet", "--message", "A small notebook"], repository, environment)
    notebook.cells[1].source = "print(2)"
    nbformat.write(notebook, repository / "small.ipynb")

    diff = ANSI_ESCAPE.sub("", run([*git, "diff"], repository, environment))
    assert "## modified /cells/1/source:" in diff, f"Expected nbdime's cell-by-cell diff, found:\n{diff}"
    assert '"source":' not in diff, f"Expected no JSON lines in the diff, found:\n{diff}"
    changed_lines = re.findall(r"^([-+])\s*(print\(\d\))$", diff, flags=re.MULTILINE)
    assert changed_lines == [("-", "print(1)"), ("+", "print(2)")], f"Expected the cell's two lines, found:\n{diff}"
