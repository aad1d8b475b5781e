"""The pre-commit hooks (.pre-commit-config.yaml) pass on the repository and change nothing in it.

They run on a clone of this repository holding the working tree's files, staged (what a commit would
hold): from a fresh clone of main that is main itself. Slow the first time: pre-commit installs each hook's
environment from the package registry into its cache (PRE_COMMIT_HOME, by default ~/.cache/pre-commit),
which every later run, from any clone, reuses (`make hooks` fills it too).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]


def run(command: list[str], directory: Path) -> subprocess.CompletedProcess:
    """`command` run in `directory`, its output captured."""
    return subprocess.run(command, cwd=directory, capture_output=True, text=True)


def git(directory: Path, *arguments: str) -> str:
    """The output of a git command that must succeed."""
    result = run(["git", *arguments], directory)
    assert result.returncode == 0, f"Expected git {' '.join(arguments)} to succeed, it failed: {result.stderr.strip()}"
    return result.stdout


def clone_with_the_working_tree(clone: Path) -> None:
    """Clone this repository into `clone`, then bring in the working tree's files (not ignored) and stage them."""
    git(ROOT, "clone", "--quiet", str(ROOT), str(clone))
    for name in git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0"):
        if not name:
            continue
        source, copy = ROOT / name, clone / name
        if source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
        else:  # deleted in the working tree
            copy.unlink(missing_ok=True)
    git(clone, "add", "--all")


def test_the_hooks_pass_on_the_repository_and_change_nothing(tmp_path):
    clone = tmp_path / "clone"
    clone_with_the_working_tree(clone)

    result = run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"], clone)

    assert result.returncode == 0, f"Expected every hook to pass, found:\n{result.stdout}{result.stderr}"
    modified = git(clone, "diff", "--name-only")
    assert not modified, f"Expected the hooks to change nothing, they changed: {', '.join(modified.split())}."
