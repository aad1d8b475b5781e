"""Small data files and arrays that the tests write for themselves."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from mnist_cnn.data import IDX_FILES


def small_arrays(train: int = 20, test: int = 10, seed: int = 0) -> dict[str, np.ndarray]:
    """A tiny, random data set in MNIST's layout (it fails MNIST's checksums, as it should)."""
    generator = np.random.default_rng(seed)
    return {
        "x_train": generator.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "y_train": generator.integers(0, 10, train, dtype=np.uint8),
        "x_test": generator.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "y_test": generator.integers(0, 10, test, dtype=np.uint8),
    }


def write_idx(path: Path, array: np.ndarray, magic: int) -> Path:
    """Write an array of unsigned bytes in the IDX format, gzipped when the name ends in .gz."""
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    content = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(content, compresslevel=1) if path.suffix == ".gz" else content)
    return path


def write_idx_folder(folder: Path, arrays: dict[str, np.ndarray], gzipped: bool = False) -> Path:
    """Write the four IDX files of `arrays` into `folder`, as LeCun's site ships them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (filename, magic) in IDX_FILES.items():
        write_idx(folder / (filename + (".gz" if gzipped else "")), arrays[name], magic)
    return folder


def learnable_arrays(count: int = 512, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28, 1) whose class is the row of a bright bar, and one-hot labels."""
    generator = np.random.default_rng(seed)
    labels = generator.integers(0, 10, count)
    images = generator.uniform(0, 0.2, (count, 28, 28, 1)).astype("float32")
    for image, label in zip(images, labels):
        image[2 + 2 * label : 4 + 2 * label, 4:24, 0] = 1.0
    return images, np.eye(10, dtype="float32")[labels]
