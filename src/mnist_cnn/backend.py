"""Keras, imported without TensorFlow's start-up notices, and which backend it runs on.

Every module of this package takes Keras from here (`from mnist_cnn.backend import keras`), so
the first import of Keras, and with the TensorFlow backend of TensorFlow, happens inside
`notices_dropped`. TensorFlow 2.21 logs INFO notices on stderr while its libraries load
(oneDNN's "custom operations are on", the CPU instructions it was not built for), before
TF_CPP_MIN_LOG_LEVEL or absl's log level take effect, so no setting stops them. While inside,
every line written to the stderr descriptor passes through as it comes, but those notices:
warnings and errors still show, at once. Afterwards stderr is as it was. The JAX and PyTorch
backends (`KERAS_BACKEND=jax` or `torch`) print no such notices and do not import TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator
from types import ModuleType

from mnist_cnn.opencv import loader_paths_kept

# absl's INFO records ("I1127 10:22:33.123456  1234 port.cc:153] ..."), absl's note that logging
# is not yet initialised, the second line of TensorFlow's CPU-instructions notice, and the two
# options the LiteRT converter reports ignoring (Keras sets them; they change nothing).
NOTICE = re.compile(
    r"I\d{4} [\d:.]+ +\d+ \S+:\d+\] .*"
    r"|W\d{4} [\d:.]+ +\d+ tf_tfl_flatbuffer_helpers\.cc:\d+\] Ignored (?:output_format|drop_control_dependency)\."
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\."
)


def is_notice(line: str) -> bool:
    """Whether one line of stderr is one of TensorFlow's start-up notices."""
    return NOTICE.fullmatch(line.rstrip("\r\n")) is not None


@contextlib.contextmanager
def notices_dropped() -> Iterator[None]:
    """While inside, pass each line written to the stderr descriptor on as it comes, unless it is a notice."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no stderr descriptor to filter
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    forwarder = threading.Thread(target=_forward, args=(read_end, saved), name="stderr-notices", daemon=True)
    forwarder.start()
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the forwarder reads to its end
        forwarder.join()
        os.close(saved)


def _forward(read_end: int, destination: int) -> None:
    with open(read_end, "rb", buffering=0) as pipe:
        for line in pipe:  # each line as soon as it is complete
            if not is_notice(line.decode(errors="replace")):
                os.write(destination, line)


def _import_keras() -> ModuleType:
    # With the TensorFlow backend, importing Keras imports TensorFlow; Keras imports OpenCV.
    with notices_dropped(), loader_paths_kept():
        import keras
    return keras


def name() -> str:
    """The Keras backend in use: 'tensorflow', 'jax' or 'torch' (set by KERAS_BACKEND)."""
    return keras.backend.backend()


def tensorflow() -> ModuleType:
    """TensorFlow, imported quietly; for the TensorFlow-only features (the CPU plan, the LiteRT export)."""
    with notices_dropped():
        import tensorflow
    return tensorflow


def set_random_seed(seed: int) -> None:
    """`keras.utils.set_random_seed`, quietly: it imports TensorFlow where installed, whatever the backend."""
    with notices_dropped():
        keras.utils.set_random_seed(seed)


keras = _import_keras()
