"""OpenCV, imported without changing the process's environment.

opencv-python's loader (`cv2/__init__.py`) puts its library folder in front of `LD_LIBRARY_PATH`
(`PATH` on Windows) when it is imported, for the subprocesses started afterwards: a global
change that importing this package must not make. OpenCV's own libraries are loaded by the end
of the import, so `loader_paths_kept` sets those variables back as they were. Every module of the
package takes OpenCV from here (`from mnist_cnn.reading.opencv import cv2`), and the package's
`__init__` imports it first: Keras imports OpenCV too, when it is installed, and then finds it loaded.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

LOADER_VARIABLES = ("LD_LIBRARY_PATH", "PATH")


@contextlib.contextmanager
def loader_paths_kept() -> Iterator[None]:
    """While inside, let imports change the library search paths; on leaving, set them back."""
    saved = {name: os.environ.get(name) for name in LOADER_VARIABLES}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            elif os.environ.get(name) != value:
                os.environ[name] = value


with loader_paths_kept():
    import cv2

__all__ = ["cv2", "loader_paths_kept"]
