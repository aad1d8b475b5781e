"""The notebooks read as stories: plain parameters that agree with the package, and sections in order."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from mnist_cnn import data, networks, training
from mnist_cnn.reading import number_training
from mnist_cnn.report import parameters
from mnist_cnn.report.runner import NOTEBOOKS

ROOT = Path(__file__).resolve().parents[1]
# What each notebook's defaults must equal in the package, which the rest of the package uses too.
PACKAGE_DEFAULTS = {
    "mnist_cnn": {
        "EPOCHS": training.EPOCHS,
        "BATCH_SIZE": training.BATCH_SIZE,
        "VALIDATION_SPLIT": training.VALIDATION_SPLIT,
        "SEED": training.SEED,
        "TRAIN_SAMPLES": data.TRAIN_SAMPLES,
    },
    "improving_the_cnn": {"SEED": training.SEED, "TRAIN_SAMPLES": data.TRAIN_SAMPLES},
    "reading_real_handwriting": {
        "EPOCHS": networks.ROBUST_RECIPE.epochs,
        "ORIGINAL_EPOCHS": training.EPOCHS,
        "SEED": training.SEED,
        "TRAIN_SAMPLES": data.TRAIN_SAMPLES,
    },
    "reading_joined_numbers": {
        "NUMBERS": number_training.NUMBERS,
        "EPOCHS": number_training.EPOCHS,
        "SEED": training.SEED,
    },
}


def parameters_cell(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(ROOT / path, as_version=4)
    (cell,) = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    return cell


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_parameters_are_plain_values_with_a_comment_each(path):
    source = parameters_cell(path).source
    for statement in ast.parse(source).body:
        assert isinstance(statement, ast.Assign), ast.unparse(statement)
        ast.literal_eval(statement.value)  # a value, not a call
    assert all("  # " in line for line in source.splitlines()), source
    # papermill skips, with a mere warning, a line it cannot read as one parameter (an "=" in its comment)
    assert len(papermill.inspect_notebook(str(ROOT / path))) == len(ast.parse(source).body)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_defaults_agree_with_the_package_and_are_allowed(path):
    defaults = {
        name: ast.literal_eval(parameter["default"])
        for name, parameter in papermill.inspect_notebook(str(ROOT / path)).items()
    }
    assert set(defaults) <= set(parameters.PARAMETERS), set(defaults) - set(parameters.PARAMETERS)
    parameters.check({name: value for name, value in defaults.items() if name != "OUTPUT_DIR"})
    assert {name: defaults[name] for name in PACKAGE_DEFAULTS[path.stem]} == PACKAGE_DEFAULTS[path.stem]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_try_it_yourself_comes_before_the_conclusion_and_how_it_ran_after_the_results(path):
    notebook = nbformat.read(ROOT / path, as_version=4)
    texts = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    headings = [heading for text in texts for heading in re.findall(r"^## (.+)$", text, flags=re.MULTILINE)]
    assert headings[-1] == "Conclusion", headings
    if "Try it yourself" in headings:
        assert headings.index("Try it yourself") < headings.index("Conclusion")
    results = next(index for index, heading in enumerate(headings) if re.search("Evaluation|bought|condition", heading))
    if path.stem != "reading_real_handwriting":  # the notebooks whose training runs as the plan chose
        assert headings.index("How it ran on this machine") > results, headings
    before_results = texts[: next(index for index, text in enumerate(texts) if f"## {headings[results]}" in text)]
    plumbing = [word for word in ("thread", "shard", "bfloat16") if any(word in text for text in before_results)]
    assert plumbing == [], f"{plumbing} mentioned before the results"
