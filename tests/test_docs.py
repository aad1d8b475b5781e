"""The README and docs/ stay true to the code: the make targets, commands, options and links they name exist,
and what they say each test tier runs is what the Makefile, `.ci/run` and the tests' markers make it run."""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from mnist_cnn.report.command import main

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TARGETS = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))
PYTEST_SETTINGS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
MARKERS = {line.partition(":")[0] for line in PYTEST_SETTINGS["markers"]}
TIER_DOCUMENTS = ["README.md", "docs/testing.md"]  # the two that say what each tier runs
NAMED_TEST = re.compile(r"`((?:tests/test_\w+\.py|notebooks/\w+\.ipynb)(?:::\w+(?:\[[\w-]+\])?)?)`")
ALL_ADDS = "What `make test-all` adds"  # the heading, in docs/testing.md, of what only `make test-all` runs
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


# The test tiers: what `make test` and `make test-all` run, read from the Makefile, `.ci/run` and the tests.


@functools.cache
def makefile_recipes() -> dict[str, tuple[str, ...]]:
    """Each Makefile target's recipe, a line per command, with the Makefile's variables expanded."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    variables = dict(re.findall(r"^([A-Z_]+) *[:?]?= *(.*)$", text, flags=re.MULTILINE))

    def expand(line: str) -> str:
        while (expanded := re.sub(r"\$\((\w+)\)", lambda match: variables.get(match[1], ""), line)) != line:
            line = expanded
        return line

    recipes = re.findall(r"^([a-z][a-z-]*):.*\n((?:\t.*\n?)*)", text, flags=re.MULTILINE)
    return {target: tuple(expand(line.strip()) for line in recipe.splitlines()) for target, recipe in recipes}


def pytest_commands(target: str) -> list[str]:
    """The pytest runs of a make target as one would type them: `[NAME=value ]pytest [arguments]`."""
    recipe = makefile_recipes()[target]
    return [re.sub(r"\S*python -m pytest", "pytest", line) for line in recipe if "-m pytest" in line]


TIERS = [target for target in makefile_recipes() if pytest_commands(target)]  # test, test-all


def expression_names(expression: str) -> set[str]:
    """The markers a `-m` expression names."""
    return set(re.findall(r"\w+", expression)) - {"and", "or", "not"}


def markers_named(text: str) -> set[str]:
    """The markers a text names: "marked `slow` or `browser`", `-m "not data"`."""
    phrases = re.findall(r"marked ((?:`\w+`(?:,? (?:or|and) |, )?)+)", text)
    expressions = re.findall(r'-m "([^"]+)"', text)
    return {name for phrase in phrases for name in re.findall(r"`(\w+)`", phrase)}.union(
        *map(expression_names, expressions)
    )


def code_markers(node: ast.AST) -> set[str]:
    """The registered markers X of the `pytest.mark.X` in a decorator, a `pytestmark` value or a `marks=`."""
    return MARKERS & {
        child.attr
        for child in ast.walk(node)
        if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Attribute) and child.value.attr == "mark"
    }


def variants(function: ast.FunctionDef, markers: set[str]) -> dict[str, frozenset[str]]:
    """A test function's items and their markers: `name`, and `name[id]` for each `pytest.param` with its own marks."""
    apart, plain = {}, True
    for decorator in function.decorator_list:
        if getattr(getattr(decorator, "func", None), "attr", "") != "parametrize":
            markers = markers | code_markers(decorator)
            continue
        values = getattr(decorator.args[1], "elts", []) if len(decorator.args) > 1 else []  # [] if not written out
        marked = 0
        for value in values:
            options = {option.arg: option.value for option in getattr(value, "keywords", [])}
            if getattr(getattr(value, "func", None), "attr", "") == "param" and "marks" in options:
                arguments = [str(argument.value) for argument in value.args if isinstance(argument, ast.Constant)]
                name = options["id"].value if "id" in options else "-".join(arguments)
                apart[f"{function.name}[{name}]"] = code_markers(options["marks"])
                marked += 1
        plain = plain and (marked < len(values) or not values)
    return {name: frozenset(markers | own) for name, own in apart.items()} | (
        {function.name: frozenset(markers)} if plain else {}
    )


@functools.cache
def collected() -> dict[str, frozenset[str]]:
    """Every test (`tests/test_x.py::name`, `name[id]` for a parameter marked apart) and notebook, with its markers."""
    items = {f"notebooks/{path.name}": frozenset() for path in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        module = ast.parse(path.read_text())
        pytestmark = set().union(
            *(
                code_markers(node.value)
                for node in module.body
                if isinstance(node, ast.Assign)
                and any(getattr(name, "id", "") == "pytestmark" for name in node.targets)
            )
        )
        for node in module.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                items |= {f"tests/{path.name}::{name}": markers for name, markers in variants(node, pytestmark).items()}
    return items


def selects(command: str, item: str, markers: frozenset[str]) -> bool:
    """Whether a pytest command line runs a test item that carries these markers."""
    words = shlex.split(command)
    paths, ignored, expression = [], [], None
    arguments = iter(words[words.index("pytest") + 1 :])
    for word in arguments:
        if word == "-m":
            expression = next(arguments)
        elif word in ("-n", "--dist"):  # pytest-xdist's processes and how it shares the tests: not paths
            next(arguments)
        elif word.startswith("--ignore="):
            ignored.append(word.removeprefix("--ignore="))
        elif not word.startswith("-"):
            paths.append(word)
    file = item.partition("::")[0]
    return (
        any(file == path or file.startswith(f"{path}/") for path in paths or PYTEST_SETTINGS["testpaths"])
        and file not in ignored
        and (expression is None or marked(expression, markers))
    )


class Marks(dict):
    """Each marker's name as True or False, for Python to evaluate a `-m` expression: `and`, `or`, `not`, names."""

    def __missing__(self, name: str) -> bool:
        return False


def marked(expression: str, markers: set[str]) -> bool:
    """Whether a test with `markers` is selected by `-m expression` ("not slow and not browser")."""
    return bool(eval(compile(expression, "-m", "eval"), {"__builtins__": {}}, Marks.fromkeys(markers, True)))


def test_marker_expressions_read_as_pytest_reads_them():
    assert marked("not slow and not browser", {"data"}) and not marked("not slow and not browser", {"slow"})
    assert marked("slow or browser", {"browser"}) and not marked("not tensorflow", {"tensorflow", "data"})


def tier_items(target: str) -> set[str]:
    """The test items that some pytest run of a make target runs."""
    commands = pytest_commands(target)
    return {
        item for item, markers in collected().items() if any(selects(command, item, markers) for command in commands)
    }


def expand_named(named: set[str]) -> set[str]:
    """The test items named: a file stands for all of its tests, a function for all of its own."""
    return {item for item in collected() if {item, item.partition("::")[0], item.partition("[")[0]} & named}


def section(markdown: str, heading: str) -> str:
    """The text under a `## heading`, up to the next heading of that level ('' if there is none)."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, flags=re.MULTILINE | re.DOTALL)
    return match[1] if match else ""


def sentences(markdown: str) -> list[str]:
    """A Markdown text's sentences (and list items), each on one line."""
    return [" ".join(sentence.split()) for sentence in re.split(r"(?<=[.!?])\s+|\n- ", markdown)]


def test_ci_runs_the_tier_the_docs_say():
    ci_targets = re.findall(r"^make ([a-z-]+)", (ROOT / ".ci" / "run").read_text(), flags=re.MULTILINE)
    assert len(ci_targets) == 1 and ci_targets[0] in TIERS, f".ci/run runs {ci_targets}: expected one test tier"
    for name in TIER_DOCUMENTS:
        said = [sentence for sentence in sentences((ROOT / name).read_text()) if "CI runs" in sentence]
        assert said, f"{name} does not say which tier CI runs"
        for sentence in said:
            tiers = set(re.findall(r"`make ([a-z-]+)`", sentence)) & set(TIERS)
            assert tiers == set(ci_targets), f"{name} says CI runs {sorted(tiers)}, .ci/run {ci_targets}: {sentence}"


@pytest.mark.parametrize("name", TIER_DOCUMENTS)
def test_every_test_named_exists_where_it_is_named(name):
    for named in NAMED_TEST.findall((ROOT / name).read_text()):
        file, _, function = named.partition("::")
        assert (ROOT / file).is_file(), f"{name} names {file}: no such file"
        assert not function or named in collected(), f"{name} names {named}: {file} has no test {function}"


@pytest.mark.parametrize("name", TIER_DOCUMENTS)
def test_markers_named_are_those_registered(name):
    named = markers_named((ROOT / name).read_text())
    assert named <= MARKERS, f"{name} names markers that pyproject.toml does not register: {sorted(named - MARKERS)}"
    if name == "docs/testing.md":
        assert MARKERS <= named, f"{name} does not say what these markers mean: {sorted(MARKERS - named)}"


@pytest.mark.parametrize("target", TIERS)
def test_the_pytest_runs_shown_for_each_tier_are_the_makefiles(target):
    tiers = re.findall(r"^- `make ([a-z-]+)`(.*?)(?=^- |^$)", (ROOT / "docs/testing.md").read_text(), flags=re.M | re.S)
    shown = [
        " ".join(command.split())
        for tier, text in tiers
        if tier == target
        for command in re.findall(r"`((?:\w+=\w+\s+)?pytest\b[^`]*)`", text)
    ]
    assert shown == pytest_commands(target), f"docs/testing.md shows {shown} for make {target}, not the Makefile's"


def test_what_only_make_test_all_runs_is_listed():
    only_all = tier_items("test-all") - tier_items("test")
    listed = expand_named(set(NAMED_TEST.findall(section((ROOT / "docs/testing.md").read_text(), ALL_ADDS))))
    assert listed == only_all, (
        f"docs/testing.md, under '{ALL_ADDS}', should name what make test-all runs and make test does not: "
        f"it lacks {sorted(only_all - listed)} and names {sorted(listed - only_all)} as well"
    )


def test_tests_placed_under_make_test_run_there():
    """Outside its section on what `make test-all` adds, docs/testing.md places tests under `make test`."""
    text = (ROOT / "docs/testing.md").read_text()
    quick = tier_items("test")
    named = set(NAMED_TEST.findall(text.replace(section(text, ALL_ADDS), "")))
    misplaced = sorted(name for name in named if not expand_named({name}) & quick)
    assert not misplaced, f"docs/testing.md places {misplaced} under make test, which runs none of their tests"


def test_the_readme_says_what_make_test_leaves_out():
    """The README's sentence on `make test` names the markers it leaves out, and no test file it never runs."""
    said = sentences(section((ROOT / "README.md").read_text(), "Tests"))
    sentence = next((sentence for sentence in said if sentence.startswith("`make test` ")), "")
    left_out = expression_names(re.search(r'-m "([^"]+)"', pytest_commands("test")[0])[1])
    quick_files = {item.partition("::")[0] for item in tier_items("test")}
    never_run = {item.partition("::")[0] for item in collected() if item.startswith("tests/")} - quick_files
    topics = {Path(file).stem.removeprefix("test_") for file in never_run} - MARKERS
    named = sorted(topic for topic in topics if re.search(rf"\b{topic}\b", sentence, flags=re.IGNORECASE))
    assert (markers_named(sentence), named) == (left_out, []), (
        f"README's sentence on make test should name the markers it leaves out, {sorted(left_out)}, "
        f"and none of {sorted(topics)}, of which it runs no test: {sentence!r}"
    )
