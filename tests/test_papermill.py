"""papermill runs the first notebook with its own parameters, injected after the `parameters` cell.

papermill's `-p NAME VALUE` is the one way to set a parameter from outside: the environment says
only where things are (MNIST_CNN_DATA here), and a recipe variable such as MNIST_CNN_EPOCHS is
read by nothing. The run leaves MNIST_CNN_OUTPUT_DIR out of its environment, as it would replace
the OUTPUT_DIR given here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_papermill_parameters_take_effect(mnist_path, tmp_path):
    output = tmp_path / "executed.ipynb"
    command = [sys.executable, "-m", "papermill", "notebooks/mnist_cnn.ipynb", str(output), "--cwd", "notebooks"]
    command += ["-p", "EPOCHS", "1", "-p", "TRAIN_SAMPLES", "3000", "-p", "MIN_TEST_ACCURACY", "0.8"]
    command += ["-p", "OUTPUT_DIR", str(tmp_path)]
    environment = {name: value for name, value in os.environ.items() if not name.startswith("MNIST_CNN_")}
    environment["MNIST_CNN_DATA"] = str(mnist_path.resolve())
    environment["MNIST_CNN_EPOCHS"] = "2"  # no longer an override: ignored
    finished = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr[-3000:]

    notebook = nbformat.read(output, as_version=4)
    tags = [cell.metadata.get("tags", []) for cell in notebook.cells]
    injected = tags.index(["injected-parameters"])
    assert tags[injected - 1] == ["parameters"]  # right after the notebook's own
    assert "EPOCHS = 1" in notebook.cells[injected].source
    training = next(cell for cell in notebook.cells if cell.get("id") == "training")
    assert "Trained 1 epochs" in "".join(output.get("text", "") for output in training.outputs)
    metrics = json.loads((tmp_path / "reports" / "metrics.json").read_text())
    assert (metrics["parameters"]["epochs"], metrics["parameters"]["train_samples"]) == (1, 3000)
