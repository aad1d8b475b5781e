"""Where the tests find MNIST: where `mnist_cnn.data.load_mnist` finds it for a user's run.

In order: what `MNIST_CNN_DATA` names; else Keras's cache (`$KERAS_HOME`, else `~/.keras`, then
`datasets/mnist.npz`); else Keras's download into that cache. Keras sets no timeout of its own:
here every connection and read gives up after DOWNLOAD_TIMEOUT seconds of silence, so that a run
without a network stops at once rather than after the system's minutes.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import tempfile
from pathlib import Path

from mnist_cnn.data import DATA_ENVIRONMENT_VARIABLE, MnistDataError, MnistUnavailableError, load_mnist

DOWNLOAD_TIMEOUT = 10.0  # seconds


class MnistNotFound(RuntimeError):
    """No MNIST for the tests that read it; the message is one sentence saying how to provide it."""


def keras_cache() -> Path:
    """Where Keras's own loader keeps `mnist.npz`, as `keras.utils.get_file` decides.

    Below `$KERAS_HOME` (else `~/.keras`), or below `/tmp/.keras` where that cannot be written.
    """
    base = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser()
    if not os.access(base, os.W_OK):
        base = Path("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()) / ".keras"
    return base / "datasets" / "mnist.npz"


def find_mnist(timeout: float = DOWNLOAD_TIMEOUT) -> Path:
    """Return the checked MNIST the tests read (an .npz or a folder of IDX files), downloading it if need be."""
    named = os.environ.get(DATA_ENVIRONMENT_VARIABLE)
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Keras's "Downloading data from ..." and progress bar
            load_mnist()
    except (OSError, MnistDataError) as error:  # what MNIST_CNN_DATA names is missing or not MNIST
        raise MnistNotFound(str(error)) from error
    except MnistUnavailableError as error:
        raise MnistNotFound(
            f"The tests marked `data` read MNIST, but {DATA_ENVIRONMENT_VARIABLE} is unset, Keras's cache has no "
            f"valid {keras_cache()} and Keras could not download it ({error.__cause__}): set "
            f"{DATA_ENVIRONMENT_VARIABLE} to a Keras-layout mnist.npz or a folder of the four IDX files "
            '(docs/data.md), or leave those tests out with -m "not data".'
        ) from error
    finally:
        socket.setdefaulttimeout(previous_timeout)
    return Path(named) if named else keras_cache()
