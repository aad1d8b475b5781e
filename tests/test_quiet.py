"""`export`'s quiet: TensorFlow's start-up notices are left out; every other line on stderr still shows, as it comes."""

import os
import subprocess
import sys

import pytest

from mnist_cnn.reading.quiet import is_notice

NOTICES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795740774.488134    3912 port.cc:153] oneDNN custom operations are on.\n"
    "I0000 00:00:1795740774.538646    3912 cpu_feature_guard.cc:227] This TensorFlow binary is optimized.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the "
    "appropriate compiler flags.\n"
    "W0000 00:00:1795776844.941023   16045 tf_tfl_flatbuffer_helpers.cc:364] Ignored output_format.\n"
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
)
WARNINGS = (
    "W0000 00:00:1795740779.042602    3912 some_op.cc:52] a warning that matters\n"
    "E0000 00:00:1795740779.042602    3912 cuda_platform.cc:52] failed call to cuInit\n"
    "/x/keras/trainer.py:12: UserWarning: something to read\n"
)


def test_only_the_notices_are_recognised():
    assert all(is_notice(line) for line in NOTICES.splitlines(keepends=True))
    assert not any(is_notice(line) for line in WARNINGS.splitlines(keepends=True))


def run(script: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)


@pytest.mark.tensorflow
def test_export_prints_only_what_it_wrote(tmp_path):
    # A tiny saved model: the command loads TensorFlow and its LiteRT converter, whose notices are dropped.
    saved = tmp_path / "tiny.keras"
    script = (
        "import sys, keras\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation='softmax')])\n"
        "model.save(sys.argv[1])\n"
    )
    made = subprocess.run([sys.executable, "-c", script, str(saved)], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    loud = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}  # as in a shell
    finished = subprocess.run(
        [sys.executable, "-m", "mnist_cnn", "export", "--model", str(saved)],
        capture_output=True,
        text=True,
        timeout=300,
        env=loud,
    )
    exported = tmp_path / "tiny.tflite"
    assert (finished.returncode, finished.stdout, finished.stderr) == (0, f"Wrote {exported}\n", "")
    assert exported.stat().st_size > 0


def test_other_lines_pass_as_they_come_and_survive_an_error():
    # Each line reaches stderr while the block still runs (the marker file proves the order),
    # and an error inside loses nothing.
    script = (
        "import os, sys\n"
        "from mnist_cnn.reading.quiet import notices_dropped\n"
        "try:\n"
        "    with notices_dropped():\n"
        f"        os.write(2, {(NOTICES + WARNINGS).encode()!r})\n"
        "        os.write(2, b'partial line without newline')\n"
        "        raise ImportError('a library failed to load')\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    finished = run(script)
    assert (finished.returncode, finished.stdout) == (0, "a library failed to load\n")
    assert finished.stderr == WARNINGS + "partial line without newline"


@pytest.mark.slow
def test_lines_are_not_held_back_until_the_end():
    script = (
        "import os, select, sys, time\n"
        "from mnist_cnn.reading.quiet import notices_dropped\n"
        "with notices_dropped():\n"
        "    os.write(2, b'first\\n')\n"
        "    time.sleep(3)\n"  # the reader below sees 'first' before this block ends
        "    os.write(2, b'second\\n')\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    first = process.stderr.readline()
    still_inside = process.poll() is None
    rest = process.stderr.read()
    process.wait(timeout=60)
    assert (first, still_inside, rest) == (b"first\n", True, b"second\n")
