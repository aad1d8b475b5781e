"""Classifying your own digit: MNIST's preparation, real test digits, drawn variants, bad input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mnist_cnn import artifacts
from mnist_cnn.__main__ import main
from mnist_cnn.data import preprocess_images
from mnist_cnn.predict import classify, prepare_digit, read_image

DIGITS = 20  # the first test digits used below


@pytest.fixture(scope="module")
def model_path(trained_model, tmp_path_factory):
    return artifacts.save_model(trained_model, tmp_path_factory.mktemp("models") / "mnist_cnn.keras")


@pytest.fixture(scope="module")
def expected(trained_model, mnist):
    """The model's predictions on the first test digits, straight from the arrays."""
    images = mnist["x_test"][:DIGITS]
    return trained_model.predict(preprocess_images(images), verbose=0).argmax(axis=1)


def save_png(array: np.ndarray, path) -> str:
    Image.fromarray(array).save(path)
    return str(path)


def test_an_mnist_digit_comes_back_nearly_unchanged(mnist):
    digit = mnist["x_test"][0]
    prepared = prepare_digit(Image.fromarray(digit))
    assert prepared.shape == (28, 28) and prepared.dtype == np.uint8
    assert np.abs(prepared.astype(int) - digit).mean() < 2


def test_test_digits_written_as_png_get_the_array_prediction(trained_model, mnist, expected, tmp_path):
    predictions = [
        classify(save_png(digit, tmp_path / f"{index}.png"), trained_model, top=1)[0][0]
        for index, digit in enumerate(mnist["x_test"][:DIGITS])
    ]
    assert predictions == expected.tolist()


def dark_on_light(digit: np.ndarray) -> Image.Image:
    return Image.fromarray(255 - digit)


def off_centre_on_a_large_canvas(digit: np.ndarray) -> Image.Image:
    canvas = Image.new("L", (240, 180), 250)
    canvas.paste(Image.fromarray(255 - digit).resize((90, 90), Image.Resampling.BICUBIC), (15, 70))
    return canvas


def colour_photo_with_transparency(digit: np.ndarray) -> Image.Image:
    ink = Image.fromarray(255 - digit).resize((56, 56)).convert("RGBA")
    ink.putalpha(Image.fromarray(digit).resize((56, 56)))  # ink opaque, paper transparent
    return ink


@pytest.mark.parametrize("variant", [dark_on_light, off_centre_on_a_large_canvas, colour_photo_with_transparency])
def test_drawn_variants_are_read_like_the_original(trained_model, mnist, expected, tmp_path, variant):
    predictions = []
    for index, digit in enumerate(mnist["x_test"][:DIGITS]):
        path = tmp_path / f"{index}.png"
        variant(digit).save(path)
        predictions.append(classify(path, trained_model, top=1)[0][0])
    agreement = np.mean(np.array(predictions) == expected)
    assert agreement >= 0.9, (predictions, expected.tolist())


def test_command_prints_the_digit_and_top_probabilities(model_path, mnist, expected, tmp_path, capsys):
    image = save_png(mnist["x_test"][0], tmp_path / "seven.png")
    assert main(["predict", image, "--model", str(model_path), "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{image}: {expected[0]} (") and lines[0].endswith("%)")
    assert len(lines) == 3 and all(line.startswith("  then ") for line in lines[1:])


def test_command_rejects_a_top_out_of_range(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(tmp_path / "digit.png"), "--top", "0"])
    assert exit_info.value.code == 2
    assert "expected a number of digits from 1 to 10, found 0" in capsys.readouterr().err


def test_command_runs_as_a_module(model_path, mnist, expected, tmp_path):
    image = save_png(mnist["x_test"][1], tmp_path / "digit.png")
    result = subprocess.run(
        [sys.executable, "-m", "mnist_cnn", "predict", image, "--model", str(model_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{image}: {expected[1]} (")


def write_blank(path):
    Image.new("L", (50, 50), 255).save(path)


def write_text(path):
    path.write_text("not an image")


def write_empty(path):
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "make, message",
    [
        (None, "No image at"),
        (write_text, "is not an image that can be read"),
        (write_empty, "is not an image that can be read"),
        (write_blank, "No digit found: the image is blank"),
    ],
)
def test_bad_images_exit_non_zero_with_a_clear_error(model_path, tmp_path, capsys, make, message):
    path = tmp_path / "input.png"
    if make:
        make(path)
    assert main(["predict", str(path), "--model", str(model_path)]) == 1
    assert message in capsys.readouterr().err


def test_missing_model_names_the_command_that_creates_it(mnist, tmp_path, capsys):
    image = save_png(mnist["x_test"][0], tmp_path / "digit.png")
    assert main(["predict", image, "--model", str(tmp_path / "absent.keras")]) == 1
    assert "run `make report`" in capsys.readouterr().err


def test_read_image_flattens_to_grayscale(tmp_path):
    path = tmp_path / "colour.png"
    Image.new("RGB", (10, 8), (255, 0, 0)).save(path)
    image = read_image(path)
    assert image.mode == "L" and image.size == (10, 8)
