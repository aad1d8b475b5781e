"""Load MNIST, check that it is the real data set, and prepare it for the CNN.

Sources, in order: a path, `$MNIST_CNN_DATA`, then Keras's own loader (download and cache). A
local copy is a Keras-layout `.npz` file or a folder of the four IDX files, checked against the
content of the published arrays, so any faithful copy passes whatever its container.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

DATA_ENVIRONMENT_VARIABLE = "MNIST_CNN_DATA"
IMAGE_SHAPE = (28, 28)
INPUT_SHAPE = (*IMAGE_SHAPE, 1)  # what a network reads: an image with a channel axis
TRAIN_SAMPLES = 60_000  # images in MNIST's training set (and 10,000 in its test set)
NUM_CLASSES = 10
ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")

# sha256 of each array's raw bytes (`array.tobytes()`) in the published MNIST data set.
MNIST_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}

# The original IDX files, by array, with the magic number that opens each one.
IDX_FILES = {
    "x_train": ("train-images-idx3-ubyte", 0x00000803),
    "y_train": ("train-labels-idx1-ubyte", 0x00000801),
    "x_test": ("t10k-images-idx3-ubyte", 0x00000803),
    "y_test": ("t10k-labels-idx1-ubyte", 0x00000801),
}

Split = tuple[np.ndarray, np.ndarray]


class MnistDataError(ValueError):
    """The data at a local source is not a readable, faithful MNIST."""


class MnistUnavailableError(RuntimeError):
    """No local copy was named and Keras could not download the data set."""


def load_mnist(path: str | os.PathLike | None = None, *, verify: bool = True) -> tuple[Split, Split]:
    """Return `(x_train, y_train), (x_test, y_test)` as Keras gives them (uint8 arrays).

    `path` (or else `$MNIST_CNN_DATA`) names a Keras-layout `.npz` file or a folder of
    IDX files; with neither, Keras downloads and caches the data. `verify=False` accepts
    a deliberately different data set of the same layout (a subset, Fashion-MNIST, ...).
    """
    if path is None and os.environ.get(DATA_ENVIRONMENT_VARIABLE):
        path = os.environ[DATA_ENVIRONMENT_VARIABLE]
    if path is None:
        arrays = _load_with_keras()
        source = "Keras's MNIST cache"
    else:
        source = Path(path)
        if not source.exists():
            raise FileNotFoundError(
                f"MNIST data not found at {source}: expected a Keras-layout .npz file or a "
                f"folder holding the four IDX files (set {DATA_ENVIRONMENT_VARIABLE} or pass a path)."
            )
        arrays = _read_idx_folder(source) if source.is_dir() else _read_npz(source)
    check_arrays(arrays, source=str(source), verify=verify)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def check_arrays(arrays: dict[str, np.ndarray], *, source: str, verify: bool = True) -> None:
    """Raise `MnistDataError` unless the four arrays have MNIST's layout (and content)."""
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
            raise MnistDataError(
                f"x_{split} in {source}: expected uint8 images of shape (N, 28, 28), "
                f"found {images.dtype} of shape {images.shape}."
            )
        if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
            raise MnistDataError(
                f"y_{split} in {source}: expected uint8 labels of shape ({len(images)},), "
                f"found {labels.dtype} of shape {labels.shape}."
            )
        if labels.size and labels.max() >= NUM_CLASSES:
            raise MnistDataError(f"y_{split} in {source}: expected labels 0-9, found {int(labels.max())}.")
    if not verify:
        return
    for name in ARRAY_NAMES:
        digest = array_sha256(arrays[name])
        if digest != MNIST_SHA256[name]:
            raise MnistDataError(
                f"{name} in {source} is not the published MNIST data: the sha256 of its "
                f"bytes is {digest}, expected {MNIST_SHA256[name]}. For a deliberately "
                "different data set, load it with verify=False."
            )


def array_sha256(array: np.ndarray) -> str:
    """Return the sha256 of an array's raw bytes: a checksum of its content, not its file."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def check_images(images: object, *, channel: bool | None = None, scaled: bool = False) -> np.ndarray:
    """`images` as an array, if they are MNIST's shape: (N, 28, 28), or (N, 28, 28, 1) with a `channel` axis.

    `channel=None` accepts either; `scaled` asks for float32 in [0, 1] (`preprocess_images`). Else a ValueError.
    """
    shapes = {False: "(N, 28, 28)", True: "(N, 28, 28, 1)", None: "(N, 28, 28) or (N, 28, 28, 1)"}[channel]
    expected = f"images of shape {shapes}" + (" as float32 values in [0, 1]" if scaled else "")
    if not isinstance(images, np.ndarray | list | tuple):
        raise ValueError(f"Expected {expected}, found a {type(images).__name__}.")
    images = np.asarray(images)
    with_channel = images.ndim == 4 and images.shape[-1] == 1
    wrong_channel = (images.ndim == 4 and not with_channel) or (channel is not None and with_channel != channel)
    if images.shape[1:3] != IMAGE_SHAPE or images.ndim not in (3, 4) or wrong_channel:
        raise ValueError(f"Expected {expected}, found shape {images.shape}.")
    if scaled and images.dtype != np.float32:
        raise ValueError(f"Expected {expected}, found {images.dtype}.")
    if scaled and images.size and not (images.min() >= 0 and images.max() <= 1):  # NaN fails both comparisons
        raise ValueError(f"Expected {expected}, found values from {images.min()} to {images.max()}.")
    return images


def preprocess_images(images: np.ndarray) -> np.ndarray:
    """Scale uint8 images (N, 28, 28) to float32 in [0, 1] with a channel axis: (N, 28, 28, 1)."""
    return np.expand_dims(check_images(images, channel=False).astype("float32") / 255.0, -1)


def check_labels(labels: object) -> np.ndarray:
    """`labels` as an array, if they are digits: whole numbers 0 to 9 of shape (N,). Else a ValueError."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"Expected digit labels, whole numbers (N,), found {labels.dtype} {labels.shape}.")
    if labels.size and not 0 <= labels.min() <= labels.max() < NUM_CLASSES:
        raise ValueError(f"Expected digit labels 0 to 9, found values {labels.min()} to {labels.max()}.")
    return labels


def one_hot(labels: np.ndarray) -> np.ndarray:
    """Turn digit labels (N,) into one-hot float32 rows (N, 10)."""
    return np.eye(NUM_CLASSES, dtype=np.float32)[check_labels(labels)]


def _load_with_keras() -> dict[str, np.ndarray]:
    import keras  # here: importing Keras takes seconds, and reading a local copy needs none of it

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # Keras raises a bare Exception when the download fails.
        raise MnistUnavailableError(
            f"Could not download MNIST ({error}) and no local copy was named. Point "
            f"{DATA_ENVIRONMENT_VARIABLE} at a Keras-layout mnist.npz or a folder of the IDX "
            f"files, or place mnist.npz in Keras's cache ($KERAS_HOME/datasets, else ~/.keras/datasets)."
        ) from error
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        raise MnistDataError(f"Could not read {path} as an .npz archive (truncated or corrupt?): {error}") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise MnistDataError(f"{path} holds a single array: expected an .npz archive of {list(ARRAY_NAMES)}.")
    with archive:
        missing = [name for name in ARRAY_NAMES if name not in archive.files]
        if missing:
            raise MnistDataError(
                f"{path} lacks the arrays {missing}: expected {list(ARRAY_NAMES)}, found {archive.files}."
            )
        try:
            return {name: archive[name] for name in ARRAY_NAMES}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            if "allow_pickle" in str(error):
                raise MnistDataError(
                    f"{path} holds pickled Python objects, which are never loaded: expected plain uint8 arrays."
                ) from error
            raise MnistDataError(f"Could not read the arrays in {path} (corrupt?): {error}") from error


def _read_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for name, (filename, magic) in IDX_FILES.items():
        candidates = [folder / filename, folder / f"{filename}.gz"]
        found = [candidate for candidate in candidates if candidate.exists()]
        if not found:
            raise FileNotFoundError(
                f"{folder} lacks {filename} (or {filename}.gz): expected the four MNIST IDX "
                f"files {[file for file, _ in IDX_FILES.values()]}."
            )
        arrays[name] = read_idx(found[0], expected_magic=magic)
    return arrays


def read_idx(path: str | os.PathLike, *, expected_magic: int | None = None) -> np.ndarray:
    """Read one IDX file (optionally gzipped) of unsigned bytes into a numpy array."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise MnistDataError(f"Could not read {path} (truncated or corrupt?): {error}") from error
    if len(raw) < 4:
        raise MnistDataError(f"{path} is {len(raw)} bytes long: too short for an IDX header.")
    magic = int.from_bytes(raw[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise MnistDataError(f"{path} has the magic number {magic:#010x}, expected {expected_magic:#010x}.")
    if raw[:3] != b"\x00\x00\x08":
        raise MnistDataError(
            f"{path} has the magic number {magic:#010x}: expected an IDX file of unsigned bytes (0x000008NN)."
        )
    dimensions = raw[3]
    header_size = 4 + 4 * dimensions
    shape = tuple(int.from_bytes(raw[4 + 4 * axis : 8 + 4 * axis], "big") for axis in range(dimensions))
    expected_size = header_size + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected_size:
        raise MnistDataError(
            f"{path} is {len(raw)} bytes long, but its header declares shape {shape}, "
            f"which needs {expected_size} bytes."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)
