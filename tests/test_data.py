"""The loader: real data from every kind of source, and a clear error for each bad input."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import numpy as np
import pytest
from helpers import small_arrays, write_idx, write_idx_folder

from mnist_cnn import data
from mnist_cnn.data import MnistDataError, MnistUnavailableError, load_mnist

# Label counts published with the data (shared/data/README.md).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez(path, **arrays)
    return path


# The real data set.


def test_real_npz_loads_as_keras_gives_it(mnist_path):
    (x_train, y_train), (x_test, y_test) = load_mnist(mnist_path)
    assert (x_train.shape, x_train.dtype) == ((60000, 28, 28), np.uint8)
    assert (x_test.shape, x_test.dtype) == ((10000, 28, 28), np.uint8)
    assert (y_train.dtype, y_test.dtype) == (np.uint8, np.uint8)
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert 0 == x_train.min() and x_train.max() == 255


def test_environment_variable_names_the_data(mnist_path, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_DATA", str(mnist_path))
    (_, y_train), _ = load_mnist()
    assert len(y_train) == 60000


def test_explicit_path_wins_over_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_DATA", str(tmp_path / "absent.npz"))
    path = save_npz(tmp_path / "small.npz", small_arrays())
    (x_train, _), _ = load_mnist(path, verify=False)
    assert len(x_train) == 20


@pytest.mark.parametrize("gzipped", [False, True])
def test_idx_folder_of_the_real_data_passes_verification(mnist, tmp_path, gzipped):
    folder = write_idx_folder(tmp_path / "raw", mnist, gzipped=gzipped)
    (x_train, y_train), (x_test, y_test) = load_mnist(folder)
    assert np.array_equal(x_train, mnist["x_train"]) and np.array_equal(y_test, mnist["y_test"])


def test_one_changed_label_fails_the_checksum(mnist, tmp_path):
    arrays = dict(mnist, y_train=mnist["y_train"].copy())
    arrays["y_train"][123] = (arrays["y_train"][123] + 1) % 10
    with pytest.raises(MnistDataError, match=r"y_train in .*changed\.npz is not the published MNIST.*verify=False"):
        load_mnist(save_npz(tmp_path / "changed.npz", arrays))


def test_a_different_data_set_needs_the_opt_out(tmp_path):
    path = save_npz(tmp_path / "small.npz", small_arrays())
    with pytest.raises(MnistDataError, match="x_train .*sha256"):
        load_mnist(path)
    (x_train, y_train), (x_test, y_test) = load_mnist(path, verify=False)
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == ((20, 28, 28), (20,), (10, 28, 28), (10,))


# Bad input.


def test_missing_path_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"absent\.npz.*expected a Keras-layout \.npz"):
        load_mnist(tmp_path / "absent.npz")


def test_truncated_npz(tmp_path):
    path = save_npz(tmp_path / "whole.npz", small_arrays())
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(MnistDataError, match=r"whole\.npz.*truncated or corrupt"):
        load_mnist(path, verify=False)


def test_file_that_is_not_an_archive(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("these are not arrays")
    with pytest.raises(MnistDataError, match=r"Could not read .*notes\.npz as an \.npz archive"):
        load_mnist(path, verify=False)


def test_single_npy_array_is_not_an_archive(tmp_path):
    path = tmp_path / "images.npy"
    np.save(path, small_arrays()["x_train"])
    with pytest.raises(MnistDataError, match=r"images\.npy holds a single array"):
        load_mnist(path, verify=False)


def test_corrupt_array_inside_the_archive(tmp_path):
    path = tmp_path / "corrupt.npz"
    np.savez_compressed(path, **small_arrays())
    content = bytearray(path.read_bytes())
    middle = len(content) // 3
    content[middle : middle + 64] = bytes(64)  # zero out part of a compressed array
    path.write_bytes(bytes(content))
    with pytest.raises(MnistDataError, match=r"corrupt\.npz"):
        load_mnist(path, verify=False)


def test_missing_keys_are_listed(tmp_path):
    arrays = small_arrays()
    del arrays["y_test"]
    with pytest.raises(MnistDataError, match=r"lacks the arrays \['y_test'\]"):
        load_mnist(save_npz(tmp_path / "three.npz", arrays), verify=False)


@pytest.mark.parametrize(
    "name, array, message",
    [
        (
            "x_train",
            np.zeros((20, 28, 27), np.uint8),
            r"x_train .*expected uint8 images of shape \(N, 28, 28\), found uint8 of shape \(20, 28, 27\)",
        ),
        ("x_test", np.zeros((10, 28, 28), np.float32), r"x_test .*found float32"),
        (
            "y_train",
            np.zeros(19, np.uint8),
            r"y_train .*expected uint8 labels of shape \(20,\), found uint8 of shape \(19,\)",
        ),
        ("y_test", np.full(10, 10, np.uint8), r"y_test .*expected labels 0-9, found 10"),
    ],
)
def test_wrong_shape_dtype_or_values(tmp_path, name, array, message):
    arrays = small_arrays() | {name: array}
    with pytest.raises(MnistDataError, match=message):
        load_mnist(save_npz(tmp_path / "bad.npz", arrays), verify=False)


def test_pickled_objects_are_refused(tmp_path):
    arrays = small_arrays() | {"y_train": np.array([object()] * 20, dtype=object)}
    with pytest.raises(MnistDataError, match="pickled Python objects"):
        load_mnist(save_npz(tmp_path / "pickled.npz", arrays), verify=False)


def test_idx_folder_missing_a_file(tmp_path):
    folder = write_idx_folder(tmp_path / "raw", small_arrays())
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="lacks t10k-labels-idx1-ubyte"):
        load_mnist(folder, verify=False)


def test_idx_with_wrong_magic_number(tmp_path):
    folder = write_idx_folder(tmp_path / "raw", small_arrays())
    # Labels written where images belong: magic 0x801 instead of 0x803.
    write_idx(folder / "train-images-idx3-ubyte", small_arrays()["y_train"], 0x00000801)
    with pytest.raises(
        MnistDataError, match=r"train-images-idx3-ubyte has the magic number 0x00000801, expected 0x00000803"
    ):
        load_mnist(folder, verify=False)


def test_idx_size_disagreeing_with_header(tmp_path):
    folder = write_idx_folder(tmp_path / "raw", small_arrays())
    images = folder / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(
        MnistDataError,
        match=r"t10k-images-idx3-ubyte is 7756 bytes long, "
        r"but its header declares shape \(10, 28, 28\), which needs 7856 bytes",
    ):
        load_mnist(folder, verify=False)


def test_truncated_gzip_idx(tmp_path):
    folder = write_idx_folder(tmp_path / "raw", small_arrays(), gzipped=True)
    labels = folder / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-10])
    with pytest.raises(MnistDataError, match=r"train-labels-idx1-ubyte\.gz \(truncated or corrupt\?\)"):
        load_mnist(folder, verify=False)


def test_corrupt_gzip_idx(tmp_path):
    folder = write_idx_folder(tmp_path / "raw", small_arrays(), gzipped=True)
    labels = folder / "train-labels-idx1-ubyte.gz"
    content = bytearray(labels.read_bytes())
    content[10] ^= 0xFF  # the first byte after the header, in the compressed stream: a zlib.error
    labels.write_bytes(bytes(content))
    with pytest.raises(MnistDataError, match=r"train-labels-idx1-ubyte\.gz \(truncated or corrupt\?\)"):
        load_mnist(folder, verify=False)


def test_no_internet_and_no_local_copy(tmp_path, monkeypatch):
    """Keras's real loader runs with an empty cache and a failing download."""
    from keras.src.backend import config
    from keras.src.utils import file_utils

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.delenv("MNIST_CNN_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))  # Keras reads KERAS_HOME at import.
    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    cache = r"\(\$KERAS_HOME/datasets, else ~/\.keras/datasets\)"
    with pytest.raises(MnistUnavailableError, match=rf"MNIST_CNN_DATA.*Keras's cache {cache}"):
        load_mnist()


# Preparing the arrays for the network.


def test_preprocess_images_scales_and_adds_the_channel():
    images = np.array([[[0] * 28] * 28, [[255] * 28] * 28], dtype=np.uint8)
    prepared = data.preprocess_images(images)
    assert prepared.shape == (2, 28, 28, 1) and prepared.dtype == np.float32
    assert prepared[0].max() == 0.0 and prepared[1].min() == 1.0


def test_preprocess_images_rejects_flat_images():
    with pytest.raises(ValueError, match=r"^Expected images of shape \(N, 28, 28\), found shape \(3, 784\)\.$"):
        data.preprocess_images(np.zeros((3, 784), np.uint8))


def test_check_images_says_what_it_expected_and_what_it_found():
    flat, with_channel = np.zeros((2, 28, 28), np.uint8), np.zeros((2, 28, 28, 1), np.float32)
    assert data.check_images(flat) is flat
    assert data.check_images(with_channel, channel=True, scaled=True) is with_channel
    assert data.check_images([[[0] * 28] * 28]).shape == (1, 28, 28)  # a list becomes an array
    either, scaled = r"\(N, 28, 28\) or \(N, 28, 28, 1\)", r"as float32 values in \[0, 1\]"
    refusals = [
        ("a string", {}, rf"{either}, found a str"),
        (np.zeros((2, 28, 28, 3)), {}, rf"{either}, found shape \(2, 28, 28, 3\)"),
        (np.zeros((28, 28)), {}, rf"{either}, found shape \(28, 28\)"),
        (with_channel, {"channel": False}, r"\(N, 28, 28\), found shape \(2, 28, 28, 1\)"),
        (flat, {"channel": True}, r"\(N, 28, 28, 1\), found shape \(2, 28, 28\)"),
        (flat, {"scaled": True}, rf"{either} {scaled}, found uint8"),
        (with_channel + 2, {"scaled": True}, rf"{either} {scaled}, found values from 2\.0 to 2\.0"),
        (
            with_channel * np.nan,
            {"channel": True, "scaled": True},
            rf"\(N, 28, 28, 1\) {scaled}, found values from nan",
        ),
    ]
    for images, options, message in refusals:
        with pytest.raises(ValueError, match=rf"^Expected images of shape {message}"):
            data.check_images(images, **options)


def test_one_hot():
    encoded = data.one_hot(np.array([3, 0, 9], np.uint8))
    assert encoded.dtype == np.float32
    assert encoded.shape == (3, 10) and encoded.sum(axis=1).tolist() == [1, 1, 1]
    assert encoded.argmax(axis=1).tolist() == [3, 0, 9]
    with pytest.raises(ValueError, match=r"Expected digit labels, whole numbers \(N,\), found float32 \(3, 10\)\."):
        data.one_hot(encoded)
    with pytest.raises(ValueError, match=r"Expected digit labels, whole numbers \(N,\), found float64 \(2,\)\."):
        data.one_hot(np.array([0.0, 9.0]))
    with pytest.raises(ValueError, match=r"Expected digit labels, whole numbers \(N,\), found float64 \(0,\)\."):
        data.one_hot(np.array([]))
    assert data.one_hot(np.array([], np.uint8)).shape == (0, 10)
    with pytest.raises(ValueError, match="digit labels 0 to 9, found values 0 to 10"):
        data.one_hot(np.array([0, 10]))
    with pytest.raises(ValueError, match="digit labels 0 to 9, found values -1 to 2"):
        data.one_hot(np.array([-1, 2]))
