"""The package's shape: a small core and three wings, and the rules of who imports whom.

Read from the source with `ast`, so every import counts: at module level, inside functions and
under `TYPE_CHECKING`. The core is the top level of `mnist_cnn` (what the first two notebooks
teach); each subpackage is a wing. The rules:

- no two modules import each other, directly or not;
- the core imports no wing, except that training and batch prediction reach `speed` (the plan);
- the reading wing never imports the training stack, nor TensorFlow (`predict` stays free of it);
- outside the core's training and evaluation, `speed` is reached only for its pure `plan` (the
  report's check of the EXECUTION parameter), which imports no backend;
- the core stays small: at most `CORE_LINES` lines.

The package's `__init__` (its map, and the first import of `reading.opencv`, which undoes OpenCV's
change to LD_LIBRARY_PATH before Keras imports OpenCV) and `__main__` (the command line's entry)
are not counted as the core.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

import mnist_cnn

PACKAGE = Path(mnist_cnn.__file__).parent
WINGS = ("reading", "report", "speed")
TRAINING_STACK = {"training", "networks", "ablation", "progress", "evaluation", "speed"}
BACKENDS = {"keras", "tensorflow", "jax", "torch"}
REACHES_SPEED = {"training", "evaluation"}  # the core's modules that run a model as the plan says
CORE_LINES = 1000
NOT_CORE = {"__init__", "__main__"}  # the package's map and the command line's entry point


def module_names(package: Path) -> dict[str, Path]:
    """Each module of `package` by its dotted name inside it ("data", "reading.predict", ...)."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)] = path
    return names


def imported_modules(path: Path, package_modules: set[str], package: Path = PACKAGE) -> set[str]:
    """The full names of the modules `path` (in `package`) imports anywhere in it ("mnist_cnn.speed.plan", ...)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # a relative import, from inside the package
                parts = ("mnist_cnn", *path.parent.relative_to(package).parts)
                module = ".".join([*parts[: len(parts) - node.level + 1], *([module] if module else [])])
            names.add(module)
            for alias in node.names:  # from mnist_cnn import data; from mnist_cnn.reading import photos
                if f"{module}.{alias.name}".removeprefix("mnist_cnn.") in package_modules:
                    names.add(f"{module}.{alias.name}")
    return names


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each module of `package` and the package's modules it imports (a package's own `__init__` left out)."""
    modules = module_names(package)
    graph = {}
    for name, path in modules.items():
        imported = {
            full.removeprefix("mnist_cnn.")
            for full in imported_modules(path, set(modules), package)
            if full.startswith("mnist_cnn.")
        }
        # A package's __init__ runs before its modules, whichever imports the other: no edge from them to it.
        graph[name] = {module for module in imported if module in modules and not name.startswith(f"{module}.")}
        graph[name] -= {name}
    return graph


def cycle(package: Path) -> list[str] | None:
    """A cycle of imports between `package`'s modules, as [a, b, ..., a], or None if there is none."""
    try:
        graphlib.TopologicalSorter(import_graph(package)).prepare()
    except graphlib.CycleError as error:
        return error.args[1]
    return None


def wing(module: str) -> str | None:
    """The wing a module belongs to, or None for the core."""
    first = module.split(".")[0]
    return first if first in WINGS else None


def broken_rules(package: Path) -> list[str]:
    """One sentence per import that breaks the rules above, for `package` laid out as mnist_cnn is."""
    modules = module_names(package)
    problems = []
    for name, imported in import_graph(package).items():
        if name in NOT_CORE:
            continue
        for target in sorted(imported):
            if wing(name) is None and wing(target) is not None:
                if not (wing(target) == "speed" and name in REACHES_SPEED):
                    problems.append(f"the core's {name} imports the wing {target}")
            if wing(name) == "reading" and (target.split(".")[0] in TRAINING_STACK):
                problems.append(f"the reading wing's {name} imports {target}, of the training stack")
            if wing(name) not in (None, "speed") and wing(target) == "speed" and target != "speed.plan":
                problems.append(f"{name} imports {target}: only training and batch prediction run the plan")
        if wing(name) == "reading":
            backends = {
                full
                for full in imported_modules(modules[name], set(modules), package)
                if full.split(".")[0] == "tensorflow"
            }
            problems += [f"the reading wing's {name} imports {full}" for full in sorted(backends)]
    return problems


def test_no_modules_of_the_package_import_each_other():
    found = cycle(PACKAGE)
    assert found is None, f"Expected no import cycle in mnist_cnn, found {' -> '.join(found)}."


def test_the_core_and_the_wings_import_as_the_rules_say():
    assert broken_rules(PACKAGE) == []


def test_the_plan_imports_no_backend():
    """Neither the plan nor any module of the package it imports, directly or not, imports a backend."""
    graph, modules = import_graph(PACKAGE), module_names(PACKAGE)
    reached, waiting = set(), ["speed.plan"]
    while waiting:
        name = waiting.pop()
        if name not in reached:
            reached.add(name)
            waiting += graph[name]
    for name in reached:
        backends = {full for full in imported_modules(modules[name], set(modules)) if full.split(".")[0] in BACKENDS}
        assert not backends, f"Expected mnist_cnn.speed.plan to import no backend, found {sorted(backends)} in {name}."


def test_the_core_is_small():
    core = [path for name, path in module_names(PACKAGE).items() if wing(name) is None and name not in NOT_CORE]
    lines = sum(len(path.read_text().splitlines()) for path in core)
    assert len(core) <= 10 and lines <= CORE_LINES, f"{len(core)} core modules, {lines} lines"


def test_each_wing_says_what_it_is():
    for name in WINGS:
        docstring = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert docstring and len(docstring.splitlines()[0]) > 20, f"mnist_cnn.{name} has no docstring saying its job"


def fake_package(folder: Path, files: dict[str, str]) -> Path:
    """A package laid out as mnist_cnn, with the given modules' sources."""
    for name, source in files.items():
        path = folder / f"{name.replace('.', '/')}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return folder


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    package = fake_package(
        tmp_path,
        {
            "first": "from mnist_cnn.second import helper\n",
            "second": "def helper():\n    from mnist_cnn import first\n",
            "third": "import mnist_cnn.first\nfrom . import second\n",
        },
    )
    assert import_graph(package) == {"first": {"second"}, "second": {"first"}, "third": {"first", "second"}}
    assert sorted(cycle(package)[1:]) == ["first", "second"]
    (package / "second.py").write_text("def helper():\n    from mnist_cnn import data\n")
    assert cycle(package) is None


@pytest.mark.parametrize(
    ("module", "source", "problem"),
    [
        ("data", "from mnist_cnn.reading import photos\n", "the core's data imports the wing reading.photos"),
        ("figures", "def f():\n    from mnist_cnn.speed import runtime\n", "the core's figures imports the wing speed"),
        ("reading.predict", "from mnist_cnn import training\n", "the reading wing's reading.predict imports training"),
        ("reading.photos", "import tensorflow as tf\n", "the reading wing's reading.photos imports tensorflow"),
        ("report.runner", "from mnist_cnn.speed import runtime\n", "report.runner imports speed.runtime"),
    ],
)
def test_a_wrong_import_breaks_a_rule(tmp_path, module, source, problem):
    modules = {
        "__init__": "",
        "data": "",
        "figures": "",
        "training": "from mnist_cnn.speed import runtime\n",
        "reading.__init__": "",
        "reading.photos": "from mnist_cnn import data\n",
        "reading.predict": "from mnist_cnn.reading import photos\n",
        "report.__init__": "",
        "report.runner": "from mnist_cnn.speed.plan import MODES\n",
        "speed.__init__": "",
        "speed.plan": "",
        "speed.runtime": "from mnist_cnn.speed import plan\n",
    }
    assert broken_rules(fake_package(tmp_path / "right", modules)) == []
    wrong = fake_package(tmp_path / "wrong", modules | {module: modules[module] + source})
    assert any(found.startswith(problem) for found in broken_rules(wrong)), broken_rules(wrong)


def test_the_report_and_predict_commands_import_no_tensorflow():
    script = (
        "import sys\n"
        "import mnist_cnn.report.command, mnist_cnn.report.runner, mnist_cnn.reading.predict, mnist_cnn.speed.plan\n"
        "print(sorted(name for name in ('tensorflow', 'keras', 'jax') if name in sys.modules))\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (finished.returncode, finished.stdout) == (0, "[]\n"), finished.stderr[-2000:]
