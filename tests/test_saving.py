"""Saved results: written atomically, readable again, and the model reloads unchanged."""

import io
import json
import logging
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from helpers import learnable_arrays

from mnist_cnn import saving
from mnist_cnn.networks import build_model
from mnist_cnn.reading.export import export_litert
from mnist_cnn.reading.saved_models import load_model
from mnist_cnn.report.command import main
from mnist_cnn.report.summary import describe_run
from mnist_cnn.speed.plan import Machine, plan_execution
from mnist_cnn.training import train

PLAN = plan_execution(Machine("Test CPU", 2, frozenset({"avx2"})), batch_size=64)


def test_failed_write_leaves_the_earlier_file_untouched(tmp_path):
    path = saving.write_text(tmp_path / "metrics.json", "earlier result")

    def interrupted(temporary):
        temporary.write_text("half a resu")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        saving.write_atomically(path, interrupted)
    assert path.read_text() == "earlier result"
    assert [file.name for file in tmp_path.iterdir()] == ["metrics.json"]  # no temporary left


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_usual_permissions_without_touching_the_umask(tmp_path, monkeypatch, umask, mode):
    previous = os.umask(umask)
    try:
        set_umask, calls = os.umask, []
        monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or set_umask(mask))  # process-wide: not ours
        path = saving.write_text(tmp_path / "report.html", "<html></html>")
        model = saving.save_model(build_model(), tmp_path / "model.keras")  # a file its writer makes afresh
        assert calls == [] and path.stat().st_mode & 0o777 == model.stat().st_mode & 0o777 == mode
    finally:
        os.umask(previous)


def test_saved_model_predicts_like_the_one_in_memory(tmp_path):
    images, labels = learnable_arrays(128)
    model = build_model(seed=0)
    train(model, images, labels, epochs=1, verbose=0)
    path = saving.save_model(model, tmp_path / "models" / "mnist_cnn.keras")
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(images, verbose=0), model.predict(images, verbose=0))


def test_saved_model_loads_without_the_package(tmp_path):
    """Plain keras.saving.load_model (safe mode) in a Python that cannot import mnist_cnn."""
    images, labels = learnable_arrays(128)
    model = build_model(seed=0)
    train(model, images, labels, epochs=1, verbose=0)
    path = saving.save_model(model, tmp_path / "mnist_cnn.keras")
    np.save(tmp_path / "images.npy", images)
    script = f"""
import sys
sys.modules["mnist_cnn"] = None  # any import of the package now fails
try:
    import mnist_cnn
    sys.exit("mnist_cnn was importable")
except ImportError:
    pass
import keras, numpy as np
model = keras.saving.load_model({str(path)!r})
assert {{layer.compute_dtype for layer in model.layers}} == {{"float32"}}, "not float32"
np.save({str(tmp_path / "predictions.npy")!r}, model.predict(np.load({str(tmp_path / "images.npy")!r}), verbose=0))
"""
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    loaded_predictions = np.load(tmp_path / "predictions.npy")
    np.testing.assert_allclose(loaded_predictions, model.predict(images, verbose=0), atol=1e-6)
    assert (loaded_predictions.argmax(axis=1) == model.predict(images, verbose=0).argmax(axis=1)).all()


def test_model_path_must_be_keras_format(tmp_path):
    with pytest.raises(ValueError, match=r"ending in \.keras, found .*model\.h5"):
        saving.save_model(build_model(), tmp_path / "model.h5")


def test_loading_a_missing_model_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `make report`"):
        load_model(tmp_path / "absent.keras")


class StandIn:
    """A model as `run_summary` sees it: its parameter count."""

    def count_params(self) -> int:
        return 93_322


def run_summary(**changes):
    """A run's record, made from these arguments (or small stand-ins for them)."""
    per_class = pd.DataFrame({"precision": [1.0], "recall": [0.5], "f1-score": [2 / 3], "support": [4]}, index=["2"])
    arguments = {
        "scores": {
            "train": {"loss": 0.1, "accuracy": 0.99},
            "test": {"loss": 0.2, "accuracy": 0.98},
            "per_class": per_class,
        },
        "parameters": {"epochs": 5, "seed": 0},
        "training_seconds": 61.234,
        "training_data": (np.zeros((2, 28, 28), np.uint8), np.array([1, 2], np.uint8)),
        "how_it_ran": PLAN.record(),
    }
    return saving.run_summary(StandIn(), **(arguments | changes))


def test_run_summary_round_trips_through_json(tmp_path):
    saved = json.loads(json.dumps(run_summary()))
    assert saved["test"] == {"loss": 0.2, "accuracy": 0.98}
    assert saved["per_class"]["2"]["recall"] == 0.5
    assert saved["training_seconds"] == 61.23
    assert saved["versions"]["keras"].startswith("3.")
    assert saved["data_sha256"]["y_train"] == "a12871fee210fb8619291eaea194581cbd2531e4b23759d225f6806923f63222"
    assert saved["parameters"] == {"epochs": 5, "seed": 0, "train_samples": 2} and saved["parameter_count"] == 93_322
    assert saved["machine"] == "Test CPU, 2 cores, avx2"
    assert saved["execution"].startswith("CPU: 2 shards per batch")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", saved["date"])


def test_describe_run_gives_the_results_first():
    per_class = pd.DataFrame({"recall": [1.0]}, index=["2"])
    metrics = run_summary(
        scores={
            "train": {"loss": 0.01, "accuracy": 0.9941},
            "test": {"loss": 0.03, "accuracy": 0.9908},
            "per_class": per_class,
        },
        parameters={"epochs": 5, "batch_size": 64},
        training_seconds=28.6,
    )
    lines = describe_run(metrics).splitlines()
    assert lines[0] == "## Summary of this run"
    assert lines[4] == "| test accuracy | 99.08% (loss 0.0300) |"
    assert "| training time | 29 s |" in lines and "| settings | epochs 5, batch size 64, train samples 2 |" in lines
    assert f"| machine | {PLAN.machine.describe()} |" in lines
    assert any(line.startswith("| versions | python 3.") for line in lines)


def test_export_logs_nothing_even_where_tensorflow_logs_info(tmp_path, caplog, capfd):
    caplog.set_level(logging.INFO, logger="tensorflow")  # as TensorFlow sets itself in Jupyter
    model = build_model(seed=0)
    export_litert(model, saving.save_model(model, tmp_path / "mnist_cnn.keras"))
    assert logging.getLogger("tensorflow").level == logging.INFO  # set back after the export
    assert [record.getMessage() for record in caplog.records] == []
    assert capfd.readouterr() == ("", "")  # nor the converter's lines on the stderr descriptor
    assert (tmp_path / "mnist_cnn.tflite").stat().st_mtime >= (tmp_path / "mnist_cnn.keras").stat().st_mtime


def test_save_run_writes_the_model_history_tables_and_metrics_in_one_call(tmp_path):
    images, labels = learnable_arrays(128)
    model = build_model(seed=0)
    history = train(model, images, labels, epochs=1, verbose=0)
    per_class = pd.DataFrame({"precision": [1.0], "recall": [1.0], "f1-score": [1.0], "support": [4]}, index=["2"])
    metrics = saving.save_run(
        tmp_path,
        model,
        scores={
            "train": {"loss": 0.1, "accuracy": 0.9},
            "test": {"loss": 0.2, "accuracy": 0.8},
            "per_class": per_class,
        },
        parameters={"epochs": 1},
        training_data=(images, labels),
        training_seconds=1.5,
        how_it_ran=PLAN.record(),
        history=history,
        tables={"steps.csv": pd.DataFrame({"accuracy": [0.5]})},
    )
    saved = json.loads((tmp_path / "reports" / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(metrics))
    assert saved["parameters"] == {"epochs": 1, "train_samples": 128}
    assert saved["parameter_count"] == model.count_params()
    assert (tmp_path / "models" / "mnist_cnn.keras").is_file()
    history_table = pd.read_csv(tmp_path / "reports" / "history.csv")
    assert history_table["epoch"].tolist() == [1] and history_table["loss"].tolist() == history.history["loss"]
    assert pd.read_csv(tmp_path / "reports" / "steps.csv")["accuracy"].tolist() == [0.5]


def zip_archive(*names: str) -> bytes:
    """A zip archive holding an empty JSON document under each name."""
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        for name in names:
            archive.writestr(name, "{}")
    return content.getvalue()


@pytest.mark.parametrize(
    "name, content, found",
    [
        ("x.keras", b"hi\n", "a file that is not a zip archive, beginning b'hi\\n'"),
        ("x.keras", zip_archive("weights.json"), "a zip archive without config.json"),
        ("x.h5", zip_archive("config.json"), "a file named x.h5"),
    ],
)
def test_a_file_that_is_not_a_keras_model_is_named_as_such(tmp_path, name, content, found):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError) as raised:
        load_model(path)
    assert str(raised.value) == (
        f"{path} is there but is not a saved Keras model: expected a .keras file, "
        f"the zip archive holding config.json that model.save writes, found {found}."
    )


def test_exporting_a_text_file_says_so_in_one_line(tmp_path, capsys):
    path = tmp_path / "x.keras"
    path.write_text("hi\n")
    assert main(["export", "--model", str(path)]) == 1
    output, error = capsys.readouterr()
    assert output == "" and error.count("\n") == 1
    assert error.startswith(f"error: {path} is there but is not a saved Keras model") and "Traceback" not in error


def test_export_without_tensorflow_says_so_and_fails(tmp_path, monkeypatch, capsys):
    import importlib.util

    import keras

    path = tmp_path / "model.keras"
    build_model().save(path)
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")  # as under KERAS_BACKEND=jax
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *rest: None)  # and no TensorFlow installed
    assert main(["export", "--model", str(path)]) == 1
    output, error = capsys.readouterr()
    assert output == "" and error == f"No LiteRT export of {path}: it needs TensorFlow, which is not installed.\n"
    assert not path.with_suffix(".tflite").exists()
