"""Classifying your own digit: MNIST's preparation, real test digits, drawn variants, bad input, the LiteRT runner."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zlib

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from mnist_cnn import saving
from mnist_cnn.__main__ import main
from mnist_cnn.data import preprocess_images
from mnist_cnn.reading import predict, saved_models
from mnist_cnn.reading.export import export_litert, exported_path
from mnist_cnn.reading.predict import PredictError, classify, default_model, image_files, read_image
from mnist_cnn.reading.preparation import prepare_digit
from mnist_cnn.reading.saved_models import NetworkError, load_network
from mnist_cnn.saving import MODEL_PATH, ROBUST_MODEL_PATH

DIGITS = 20  # the first test digits used below


@pytest.fixture(scope="module")
def model_path(trained_model, tmp_path_factory):
    saved = saving.save_model(trained_model, tmp_path_factory.mktemp("models") / "mnist_cnn.keras")
    export_litert(trained_model, saved)
    return saved


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
        classify(save_png(digit, tmp_path / f"{index}.png"), trained_model)[0].digit
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
        predictions.append(classify(path, trained_model)[0].digit)
    agreement = np.mean(np.array(predictions) == expected)
    assert agreement >= 0.9, (predictions, expected.tolist())


def test_command_prints_the_digit_and_top_probabilities(model_path, mnist, expected, tmp_path, capsys):
    image = save_png(mnist["x_test"][0], tmp_path / "seven.png")
    assert main(["predict", image, "--model", str(model_path), "--top", "3"]) == 0
    read_by, *lines = capsys.readouterr().out.splitlines()
    assert read_by == f"Read by {model_path}"
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
    assert result.stdout.splitlines()[1].startswith(f"{image}: {expected[1]} (")
    assert result.stderr == ""  # LiteRT's XNNPACK notice included


def test_small_scans_are_prepared_in_one_thread_and_photos_in_one_per_core(tmp_path):
    scans = [save_png(np.zeros((28, 28), np.uint8), tmp_path / f"scan{index}.png") for index in range(3)]
    noise = np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    photos = []
    for index in range(3):
        Image.fromarray(noise).save(tmp_path / f"photo{index}.jpg")
        photos.append(tmp_path / f"photo{index}.jpg")
    assert predict._threads(list(image_files(scans))) == 1
    assert predict._threads(list(image_files(photos))) == min(3, os.cpu_count() or 1)
    assert predict._threads(list(image_files([tmp_path / "missing.png"]))) == 1


def write_blank(path):
    Image.new("L", (50, 50), 255).save(path)


def write_text(path):
    path.write_text("not an image")


def write_empty(path):
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "make, message",
    [
        (None, "no such file or folder"),
        (write_text, "not an image that can be read (12 bytes)"),
        (write_empty, "the file is empty, not an image"),
        (write_blank, "no digit found: the image is blank"),
    ],
)
def test_bad_images_exit_non_zero_with_a_clear_error(model_path, tmp_path, capsys, make, message):
    path = tmp_path / "input.png"
    if make:
        make(path)
    assert main(["predict", str(path), "--model", str(model_path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {path}: {message}") and error.count("\n") == 1  # one line


def test_missing_model_names_the_command_that_creates_it(mnist, tmp_path, capsys):
    image = save_png(mnist["x_test"][0], tmp_path / "digit.png")
    assert main(["predict", image, "--model", str(tmp_path / "absent.keras")]) == 1
    assert "run `make report`" in capsys.readouterr().err


def test_a_missing_number_network_is_one_line_and_one_not_needed_is_never_loaded(model_path, mnist, tmp_path, capsys):
    image = save_png(mnist["x_test"][0], tmp_path / "digit.png")
    assert main(["predict", image, "--model", str(model_path), "--numbers", str(tmp_path / "absent.keras")]) == 1
    assert capsys.readouterr().err == (
        f"error: no number network at {tmp_path / 'absent.keras'}: run `make report-all` (or the fourth notebook) "
        "to save it\n"
    )
    assert main(["predict", image, "--model", str(model_path), "--no-numbers", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["number_model"] is None
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a model")  # there, so checked; loaded only for a wide mark that is not a digit
    (prediction,) = classify(image, model_path, broken)
    assert prediction.digit is not None and not any(mark.joined for mark in prediction.marks)
    assert main(["predict", image, "--model", str(model_path), "--numbers", str(broken), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["number_model"] == str(broken)


def test_read_image_keeps_colour_and_flattens_transparency_onto_white(tmp_path):
    path = tmp_path / "colour.png"
    Image.new("RGBA", (10, 8), (255, 0, 0, 0)).save(path)
    image = read_image(path)
    assert image.mode == "RGB" and image.size == (10, 8) and image.getpixel((0, 0)) == (255, 255, 255)
    Image.new("RGB", (10, 8), (0, 0, 255)).save(path)
    assert read_image(path).getpixel((3, 3)) == (0, 0, 255)


def test_read_image_names_the_problem(tmp_path, monkeypatch):
    """Hostile or broken files: each a one-line error, never a traceback."""
    truncated = tmp_path / "truncated.png"
    noise = np.random.default_rng(0).integers(0, 256, (200, 200), dtype=np.uint8)
    Image.fromarray(noise).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:2000])
    with pytest.raises(PredictError, match=r"cannot be read \(truncated or corrupt\?\)"):
        read_image(truncated)
    bomb = write_png_header(tmp_path / "bomb.png", 30_000, 30_000)  # 900 Mpx of nothing, 60 bytes
    with pytest.raises(
        PredictError, match=r"too large to read safely: 900,000,000 pixels, over the limit of 178,956,970"
    ):
        read_image(bomb)
    large = write_png_header(tmp_path / "large.png", 10_000, 10_000)  # over PIL's warning limit only
    with pytest.raises(PredictError, match=r"100,000,000 pixels, over the limit of 89,478,485"):
        read_image(large)

    def denied(*arguments, **keywords):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("mnist_cnn.reading.predict.open", denied, raising=False)
    with pytest.raises(PredictError, match="^the file cannot be read: permission denied$"):
        read_image(truncated)


def write_png_header(path, width: int, height: int):
    """A PNG that declares `width` x `height` pixels but holds almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")
    )
    return path


def test_many_paths_and_folders_one_line_each(model_path, mnist, expected, tmp_path, capsys):
    folder = tmp_path / "scans"
    folder.mkdir()
    for index in (2, 0, 1):  # written out of order, read in sorted order
        save_png(mnist["x_test"][index], folder / f"digit{index}.png")
    (folder / "notes.txt").write_text("not an image, and not an image file name: skipped")
    (folder / "broken.png").write_bytes(b"")
    single = save_png(mnist["x_test"][3], tmp_path / "single.png")
    assert main(["predict", str(folder), single, str(tmp_path / "missing.png"), "--model", str(model_path)]) == 1
    captured = capsys.readouterr()
    answers = [line.rsplit(" (", 1)[0] for line in captured.out.splitlines()[1:]]
    assert answers == [f"{folder / f'digit{index}.png'}: {expected[index]}" for index in (0, 1, 2)] + [
        f"{single}: {expected[3]}"
    ]
    assert captured.err.splitlines() == [
        f"error: {folder / 'broken.png'}: the file is empty, not an image",
        f"error: {tmp_path / 'missing.png'}: no such file or folder",
    ]


def test_a_folder_without_images(model_path, tmp_path, capsys):
    assert main(["predict", str(tmp_path), "--model", str(model_path)]) == 1
    assert capsys.readouterr().err.startswith(f"error: {tmp_path}: no image files in this folder (expected .bmp")


def test_json_gives_every_probability_or_the_error(model_path, mnist, expected, tmp_path, capsys):
    image = save_png(mnist["x_test"][0], tmp_path / "seven.png")
    assert main(["predict", image, str(tmp_path / "absent.png"), "--json", "--model", str(model_path)]) == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert captured.err == "" and document["model"] == str(model_path)
    found, missing = document["predictions"]
    assert found["path"] == image and found["digit"] == expected[0] and len(found["probabilities"]) == 10
    assert sum(found["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert missing == {"path": str(tmp_path / "absent.png"), "error": "no such file or folder"}


def test_litert_export_predicts_what_the_keras_model_does(model_path, trained_model, mnist):
    images = preprocess_images(mnist["x_test"])
    exported = load_network(exported_path(model_path))(images)
    keras_probabilities = trained_model.predict(images, verbose=0)
    assert (exported.argmax(axis=1) == keras_probabilities.argmax(axis=1)).all()
    np.testing.assert_allclose(exported, keras_probabilities, atol=1e-4)


def test_litert_reads_a_large_batch_in_parts_with_the_same_result(model_path, mnist, monkeypatch):
    images = preprocess_images(mnist["x_test"][:10])
    whole = load_network(exported_path(model_path))(images)
    monkeypatch.setattr(saved_models, "LITERT_BATCH", 3)  # 10 images in 4 calls
    np.testing.assert_allclose(load_network(exported_path(model_path))(images), whole, rtol=1e-5, atol=1e-7)


def test_the_litert_runner_names_images_of_another_shape(model_path):
    network = load_network(model_path)
    assert network(np.zeros((3, 28, 28, 1), np.float32)).shape == (3, 10)
    with pytest.raises(ValueError, match=r"^Expected images of shape \(N, 28, 28, 1\), found shape \(28, 28, 1\)\.$"):
        network(np.zeros((28, 28, 1), np.float32))


def test_a_file_that_is_not_a_litert_model_is_one_line(mnist, tmp_path, capsys):
    model = tmp_path / "broken.tflite"
    model.write_text("not a model")
    with pytest.raises(NetworkError, match=f"^{re.escape(str(model))} is not a LiteRT model that can be loaded: "):
        load_network(model)
    image = save_png(mnist["x_test"][0], tmp_path / "digit.png")
    assert main(["predict", image, "--model", str(model)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {model} is not a LiteRT model that can be loaded: ") and error.count("\n") == 1


def test_a_missing_or_stale_export_is_never_used(model_path, tmp_path, capsys):
    model = tmp_path / "copy.keras"
    shutil.copy(model_path, model)
    image = str(tmp_path / "any.png")
    assert main(["predict", image, "--model", str(model)]) == 1
    assert "has no LiteRT export beside it" in capsys.readouterr().err
    shutil.copy(exported_path(model_path), exported_path(model))
    os.utime(exported_path(model), (1, 1))  # older than the model
    assert main(["predict", image, "--model", str(model)]) == 1
    error = capsys.readouterr().err
    assert "is older than" in error and f"python -m mnist_cnn export --model {model}" in error
    assert main(["export", "--model", str(model)]) == 0
    assert capsys.readouterr().out == f"Wrote {exported_path(model)}\n"
    assert exported_path(model).stat().st_mtime >= model.stat().st_mtime


def test_predict_imports_no_tensorflow_and_prints_only_answers(model_path, mnist, tmp_path):
    image = save_png(mnist["x_test"][0], tmp_path / "digit.png")
    script = (
        "import sys\n"
        "from mnist_cnn.__main__ import main\n"
        f"status = main(['predict', {image!r}, {str(tmp_path / 'empty.png')!r}, '--model', {str(model_path)!r}])\n"
        "print('tensorflow or keras imported:', bool({'tensorflow', 'keras'} & set(sys.modules)), 'exit', status)\n"
    )
    (tmp_path / "empty.png").write_bytes(b"")
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    lines = finished.stdout.splitlines()
    assert lines[0] == f"Read by {model_path}" and lines[1].startswith(f"{image}: ")
    assert lines[2] == "tensorflow or keras imported: False exit 1"
    assert finished.stderr == f"error: {tmp_path / 'empty.png'}: the file is empty, not an image\n"


# What reading a picture never imports: TensorFlow, Keras, and the package's training stack.
TRAINING_STACK = ["tensorflow", "keras", "mnist_cnn.training", "mnist_cnn.networks", "mnist_cnn.ablation"]
TRAINING_STACK += ["mnist_cnn.progress", "mnist_cnn.evaluation", "mnist_cnn.speed"]


def test_reading_a_picture_with_a_tflite_imports_neither_keras_nor_the_training_stack(model_path, mnist, tmp_path):
    image = save_png(mnist["x_test"][0], tmp_path / "digit.png")
    exported = exported_path(model_path)
    script = (
        "import sys\n"
        "from mnist_cnn.reading.predict import classify\n"
        f"(found,) = classify({image!r}, {str(exported)!r})\n"
        f"stack = {TRAINING_STACK!r}\n"
        "print(found.digit, sorted(name for name in sys.modules if any(\n"
        "    name == top or name.startswith(top + '.') for top in stack)))\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    digit = load_network(exported)(preprocess_images(mnist["x_test"][:1]))[0].argmax()
    assert finished.stdout == f"{digit} []\n"


def test_a_tflite_that_reads_other_images_is_refused_when_loaded(tmp_path):
    import keras

    small = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    saved = saving.save_model(small, tmp_path / "usps_sized.keras")
    export_litert(small, saved)
    message = rf"^{re.escape(str(exported_path(saved)))} reads images of shape \(N, 16, 16, 1\), not MNIST's"
    with pytest.raises(NetworkError, match=message):
        load_network(saved)


def written_number(digits: list[np.ndarray]) -> np.ndarray:
    """MNIST digits written side by side on white paper, apart from each other, enlarged 3 times."""
    paper = np.full((130, 40 + 100 * len(digits)), 245, np.uint8)
    for position, digit in enumerate(digits):
        enlarged = np.asarray(Image.fromarray(255 - digit).resize((84, 84), Image.Resampling.BICUBIC))
        paper[20:104, 30 + 100 * position : 114 + 100 * position] = np.minimum(
            paper[20:104, 30 + 100 * position : 114 + 100 * position], enlarged
        )
    return paper


def test_a_number_is_read_digit_by_digit_left_to_right(model_path, mnist, expected, tmp_path, capsys):
    image = save_png(written_number(list(mnist["x_test"][:3])), tmp_path / "number.png")
    assert main(["predict", image, "--model", str(model_path)]) == 0
    _, line = capsys.readouterr().out.splitlines()
    number = "".join(map(str, expected[:3]))
    assert line.startswith(f"{image}: {number} ({expected[0]} ") and line.count("%") == 3

    assert main(["predict", image, "--model", str(model_path), "--json"]) == 0
    (found,) = json.loads(capsys.readouterr().out)["predictions"]
    assert found["number"] == number and "digit" not in found  # one digit only has "digit" at the top
    lefts = [digit["box"]["left"] for digit in found["digits"]]
    assert all(30 + 100 * position <= left < 114 + 100 * position for position, left in enumerate(lefts))
    assert [len(digit["probabilities"]) for digit in found["digits"]] == [10, 10, 10]


def test_the_robust_model_reads_by_default_when_it_is_saved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_model() == MODEL_PATH
    ROBUST_MODEL_PATH.parent.mkdir(parents=True)
    ROBUST_MODEL_PATH.write_bytes(b"")
    assert default_model() == ROBUST_MODEL_PATH


def test_a_page_without_a_digit_is_one_sentence(model_path, tmp_path, capsys):
    page = np.full((120, 160, 3), 240, np.uint8)
    page[10::20] = page[11::20] = (130, 160, 230)  # ruled paper, blue lines, nothing written
    path = save_png(page, tmp_path / "ruled.png")
    assert main(["predict", path, "--model", str(model_path)]) == 1
    assert (
        capsys.readouterr().err
        == f"error: {path}: no digit found: only lines (ruled or squared paper, or a page's edge)\n"
    )


# Image modes and formats: each picture reads as its 8-bit RGB version does (issue 31).


def ink_mark() -> np.ndarray:
    """A dark ring with a tail on white paper, its edges in greys: 8-bit, 48 x 40, no two sides alike."""
    rows, columns = np.mgrid[:40, :48]
    ring = 30 + 75 * (np.abs(np.hypot(rows - 20, columns - 22) - 11) - 2)
    tail = 30 + 75 * (np.abs(rows - 31.5) - 1.5) + np.where((columns >= 22) & (columns < 44), 0, 1000)
    return np.clip(np.minimum(ring, tail), 30, 255).astype(np.uint8)


def as_rgb(grey: np.ndarray) -> np.ndarray:
    return np.stack([grey] * 3, axis=-1).astype(int)


def ink_on_transparent_black(mark: np.ndarray) -> Image.Image:
    """The mark as "LA": its paper black but transparent, so that only flattening onto white gives it back."""
    paper = mark == 255
    image = Image.fromarray(np.where(paper, 0, mark).astype(np.uint8))
    image.putalpha(Image.fromarray(np.where(paper, 0, 255).astype(np.uint8)))
    return image


def palette_with_transparency(mark: np.ndarray) -> Image.Image:
    image = Image.fromarray(np.where(mark == 255, 0, mark).astype(np.uint8)).convert("P")  # index i is (i, i, i)
    image.info["transparency"] = 0  # the paper, black
    return image


@pytest.mark.parametrize(
    "make, name, mode",
    [
        pytest.param(lambda mark: Image.fromarray(mark.astype(np.uint16) * 257), "mark.png", "I;16", id="I;16 PNG"),
        pytest.param(
            lambda mark: Image.frombytes("I;16B", mark.shape[::-1], (mark.astype(">u2") * 257).tobytes()),
            "mark.tif",
            "I;16B",
            id="I;16B TIFF",
        ),
        pytest.param(lambda mark: Image.fromarray(mark.astype(np.int32) * 257), "mark.tif", "I", id="I TIFF 16-bit"),
        pytest.param(lambda mark: Image.fromarray(mark.astype(np.int32)), "mark.tif", "I", id="I TIFF 8-bit"),
        pytest.param(lambda mark: Image.fromarray(mark / np.float32(255)), "mark.tif", "F", id="F TIFF 0 to 1"),
        pytest.param(lambda mark: Image.fromarray(mark.astype(np.float32)), "mark.tif", "F", id="F TIFF 0 to 255"),
        pytest.param(lambda mark: Image.fromarray(mark), "mark.png", "L", id="L PNG"),
        pytest.param(ink_on_transparent_black, "mark.png", "LA", id="LA PNG"),
        pytest.param(lambda mark: ink_on_transparent_black(mark).convert("RGBA"), "mark.png", "RGBA", id="RGBA PNG"),
        pytest.param(lambda mark: Image.fromarray(mark).convert("P"), "mark.png", "P", id="P PNG"),
        pytest.param(palette_with_transparency, "mark.png", "P", id="P PNG transparency"),
        pytest.param(lambda mark: palette_with_transparency(mark).convert("PA"), "mark.tif", "PA", id="PA TIFF"),
        pytest.param(lambda mark: Image.fromarray(mark).convert("CMYK"), "mark.tif", "CMYK", id="CMYK TIFF"),
    ],
)
def test_every_mode_reads_as_the_8_bit_rgb_picture(tmp_path, make, name, mode):
    mark = ink_mark()
    make(mark).save(tmp_path / name)
    with Image.open(tmp_path / name) as written:
        assert written.mode == mode
    read = np.asarray(read_image(tmp_path / name))
    assert np.abs(read - as_rgb(mark)).max() <= 2


def test_a_bilevel_picture_reads_as_black_and_white(tmp_path):
    bilevel = ink_mark() >= 128
    Image.fromarray(bilevel).save(tmp_path / "mark.png")  # mode "1"
    assert np.array_equal(read_image(tmp_path / "mark.png"), as_rgb(np.where(bilevel, 255, 0)))


def test_a_16_bit_png_with_alpha_reads_as_its_8_bit_version(tmp_path):
    """Greyscale and alpha, 16 bits each (PNG colour type 4), which Pillow opens as 8-bit RGBA."""
    mark = ink_mark()
    pixels = np.stack([np.where(mark == 255, 0, mark), np.where(mark == 255, 0, 255)], axis=-1).astype(">u2") * 257
    header = (48).to_bytes(4, "big") + (40).to_bytes(4, "big") + bytes([16, 4, 0, 0, 0])
    chunks = [(b"IHDR", header), (b"IDAT", zlib.compress(b"".join(b"\0" + row.tobytes() for row in pixels)))]
    (tmp_path / "mark.png").write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + b"".join(
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
            for kind, data in [*chunks, (b"IEND", b"")]
        )
    )
    assert np.abs(np.asarray(read_image(tmp_path / "mark.png")) - as_rgb(mark)).max() <= 2


def test_a_cmyk_jpeg_reads_as_the_rgb_jpeg(tmp_path):
    rgb = Image.fromarray(ink_mark()).convert("RGB")
    rgb.save(tmp_path / "rgb.jpg", quality=90)
    rgb.convert("CMYK").save(tmp_path / "cmyk.jpg", quality=90)
    with Image.open(tmp_path / "cmyk.jpg") as written:
        assert written.mode == "CMYK"
    read = np.asarray(read_image(tmp_path / "cmyk.jpg"))
    assert np.abs(read - np.asarray(read_image(tmp_path / "rgb.jpg")).astype(int)).max() <= 2


def test_an_iphone_heic_photo_reads_upright(tmp_path):
    """A lossy HEIC taken in portrait (EXIF orientation 6): read once rotated, within a JPEG's error."""
    mark = ink_mark()
    exif = Image.Exif()
    exif[0x0112] = 6  # the orientation: rotate 90 degrees clockwise to view
    pillow_heif.from_pillow(Image.fromarray(mark)).save(tmp_path / "photo.heic", quality=90, exif=exif.tobytes())
    read = np.asarray(read_image(tmp_path / "photo.heic"))
    assert np.abs(read - as_rgb(np.rot90(mark, -1))).max() <= 12  # JPEG's at quality 90 on this picture: 11


def test_folders_of_heic_photos_are_read(tmp_path):
    for name in ("a.heic", "b.HEIF"):
        pillow_heif.from_pillow(Image.fromarray(ink_mark())).save(tmp_path / name, quality=90)
    assert list(image_files([tmp_path])) == [(tmp_path / "a.heic", None), (tmp_path / "b.HEIF", None)]


def test_pillow_heif_is_imported_only_for_a_heic_photo(tmp_path):
    """A new process: a PNG is read without pillow-heif (20 ms at every start), a HEIC photo with it."""
    Image.fromarray(ink_mark()).save(tmp_path / "scan.png")
    pillow_heif.from_pillow(Image.fromarray(ink_mark())).save(tmp_path / "photo.heic", quality=90)
    script = (
        "import sys\n"
        "from mnist_cnn.reading.predict import read_image\n"
        f"read_image({str(tmp_path / 'scan.png')!r})\n"
        "print('pillow_heif' in sys.modules)\n"
        f"print(read_image({str(tmp_path / 'photo.heic')!r}).size, 'pillow_heif' in sys.modules)\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == f"False\n{Image.fromarray(ink_mark()).size} True\n"
