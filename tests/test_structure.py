"""The package's shape: no two of its modules import each other, and the execution plan imports no backend.

Read from the source with `ast`, so every import counts: at module level and inside functions.
"""

import ast
import graphlib
from pathlib import Path

import mnist_cnn

PACKAGE = Path(mnist_cnn.__file__).parent
BACKENDS = {"keras", "tensorflow", "jax", "torch", "mnist_cnn.backend"}


def imported_modules(path: Path, package_modules: set[str]) -> set[str]:
    """The full names of the modules `path` imports anywhere in it ("mnist_cnn.plan", "keras.ops", ...)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = "mnist_cnn" + (f".{node.module}" if node.module else "") if node.level else node.module
            names.add(module)
            if module == "mnist_cnn":  # from mnist_cnn import execution, training
                names |= {f"mnist_cnn.{alias.name}" for alias in node.names if alias.name in package_modules}
    return names


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each module of `package` (by its name in the package) and the package's modules it imports."""
    files = {path.stem: path for path in package.glob("*.py")}
    graph = {}
    for name, path in files.items():
        imported = imported_modules(path, set(files))
        graph[name] = {module.split(".")[1] for module in imported if module.startswith("mnist_cnn.")} - {name}
    return graph


def cycle(package: Path) -> list[str] | None:
    """A cycle of imports between `package`'s modules, as [a, b, ..., a], or None if there is none."""
    try:
        graphlib.TopologicalSorter(import_graph(package)).prepare()
    except graphlib.CycleError as error:
        return error.args[1]
    return None


def test_no_modules_of_the_package_import_each_other():
    found = cycle(PACKAGE)
    assert found is None, f"Expected no import cycle in mnist_cnn, found {' -> '.join(found)}."


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    (tmp_path / "first.py").write_text("from mnist_cnn.second import helper\n")
    (tmp_path / "second.py").write_text("def helper():\n    from mnist_cnn import first\n")
    (tmp_path / "third.py").write_text("import mnist_cnn.first\nfrom . import second\n")
    assert import_graph(tmp_path) == {"first": {"second"}, "second": {"first"}, "third": {"first", "second"}}
    assert sorted(cycle(tmp_path)[1:]) == ["first", "second"]
    (tmp_path / "second.py").write_text("def helper():\n    from mnist_cnn import data\n")
    assert cycle(tmp_path) is None


def test_the_plan_imports_no_backend():
    """Neither the plan nor any module of the package it imports, directly or not, imports a backend."""
    graph = import_graph(PACKAGE)
    reached, waiting = set(), ["plan"]
    while waiting:
        name = waiting.pop()
        if name not in reached:
            reached.add(name)
            waiting += graph[name]
    for name in reached:
        imported = imported_modules(PACKAGE / f"{name}.py", set(graph))
        backends = {full for full in imported if full in BACKENDS or full.split(".")[0] in BACKENDS}
        assert not backends, f"Expected mnist_cnn.plan to import no backend, found {sorted(backends)} in {name}."
