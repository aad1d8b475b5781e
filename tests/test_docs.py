"""The README and docs/ stay true to the code: the make targets, commands, options and links they name exist."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from mnist_cnn.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TARGETS = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))
COMMAND = re.compile(r"python -m mnist_cnn (\w+)((?: +[^\s`|]+)*)")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def documents_text() -> list[tuple[str, str]]:
    return [(path.relative_to(ROOT).as_posix(), path.read_text()) for path in DOCUMENTS]


def anchors(markdown: str) -> set[str]:
    """GitHub's ids for the headings of a Markdown file."""
    headings = re.findall(r"^#{1,6} +(.+?) *$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def help_text(command: str) -> str:
    """The --help of `python -m mnist_cnn <command>`."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), pytest.raises(SystemExit):
        main([command, "--help"])
    return output.getvalue()


@pytest.mark.parametrize("name, text", documents_text())
def test_every_make_target_named_exists(name, text):
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", text))
    assert named <= TARGETS, f"{name} names make targets the Makefile lacks: {sorted(named - TARGETS)}"


@pytest.mark.parametrize("name, text", documents_text())
def test_every_command_and_option_shown_exists(name, text):
    for command, arguments in COMMAND.findall(text):
        usage = help_text(command)  # an unknown command exits with an error and no help
        assert "usage:" in usage, f"{name}: `python -m mnist_cnn {command}` is not a command"
        for option in re.findall(r"--[a-z][a-z-]*", arguments):
            assert option in usage, f"{name}: `python -m mnist_cnn {command}` has no option {option}"


@pytest.mark.parametrize("name, text", documents_text())
def test_every_relative_link_resolves(name, text):
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        path, _, anchor = target.partition("#")
        linked = (ROOT / name).parent / path if path else ROOT / name
        assert linked.exists(), f"{name} links to {target}: no such file"
        if anchor:
            assert anchor in anchors(linked.read_text()), f"{name} links to {target}: no such heading"
