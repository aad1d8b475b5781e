"""The distortions that imitate other people's handwriting, on digits drawn with OpenCV; the batches training makes
with them."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from mnist_cnn.reading.distortions import MAX_INK_LOSS, Distortions, distort
from mnist_cnn.training import DistortedBatches

SIZE = 28


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    rows, columns = np.indices(image.shape[:2])
    return np.array([(columns * image[..., 0]).sum(), (rows * image[..., 0]).sum()]) / image.sum()


def drawn(draw, thickness: int = 2) -> np.ndarray:
    """A 28x28 float32 image in [0, 1], light ink on black, drawn by `draw(canvas, thickness)` at 4x, reduced,
    and moved to put its centre of mass at the centre, as MNIST's digits are."""
    canvas = np.zeros((4 * SIZE, 4 * SIZE), dtype=np.uint8)
    draw(canvas, 4 * thickness)
    image = cv2.resize(canvas, (SIZE, SIZE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    across, down = (SIZE - 1) / 2 - centre_of_mass(image[..., np.newaxis])
    return cv2.warpAffine(image, np.float32([[1, 0, across], [0, 1, down]]), (SIZE, SIZE))


def one(thickness: int = 2) -> np.ndarray:
    """A vertical stroke, 19 pixels tall, in MNIST's 20x20 box."""
    return drawn(lambda canvas, width: cv2.line(canvas, (56, 18), (56, 94), 255, width, cv2.LINE_AA), thickness)


def seven() -> np.ndarray:
    def draw(canvas, width):
        cv2.line(canvas, (28, 30), (84, 30), 255, width, cv2.LINE_AA)
        cv2.line(canvas, (84, 30), (48, 90), 255, width, cv2.LINE_AA)

    return drawn(draw)


def zero(height: int = 36) -> np.ndarray:
    """An ellipse; `height` is its half-height at 4x (36 fills the 20x20 box)."""
    return drawn(lambda canvas, width: cv2.ellipse(canvas, (56, 56), (26, height), 0, 0, 360, 255, width, cv2.LINE_AA))


def batch(*images: np.ndarray, copies: int = 1) -> np.ndarray:
    return np.tile(np.stack(images)[..., np.newaxis], (copies, 1, 1, 1))


DIGITS = batch(one(), seven(), zero())


def only(**settings) -> Distortions:
    """Every distortion off but the ones named."""
    return dataclasses.replace(Distortions.none(), **settings)


def ink(images: np.ndarray) -> np.ndarray:
    return images.sum(axis=(1, 2, 3))


def largest_gradient(image: np.ndarray) -> float:
    return max(np.abs(np.diff(image[..., 0], axis=0)).max(), np.abs(np.diff(image[..., 0], axis=1)).max())


def test_shape_dtype_and_range_are_kept_and_the_input_is_not_changed():
    images = batch(one(), seven(), zero(), copies=40)
    before = images.copy()
    result = distort(images, np.random.default_rng(0))
    assert result.shape == images.shape and result.dtype == np.float32
    assert np.isfinite(result).all() and result.min() >= 0 and result.max() <= 1
    assert np.array_equal(images, before)
    assert not np.array_equal(result, images)


def test_no_distortion_returns_an_equal_copy():
    result = distort(DIGITS, np.random.default_rng(0), Distortions.none())
    assert np.array_equal(result, DIGITS) and result is not DIGITS


def test_an_empty_batch_gives_an_empty_batch():
    assert distort(DIGITS[:0], np.random.default_rng(0)).shape == (0, SIZE, SIZE, 1)


def inked(images: np.ndarray) -> np.ndarray:
    """Per image, how many pixels are brighter than half its brightest: the strokes' area."""
    return (images > 0.5 * images.max(axis=(1, 2, 3), keepdims=True)).sum(axis=(1, 2, 3))


def test_thicker_strokes_hold_more_ink_and_thinner_less_but_never_none():
    rng = np.random.default_rng(0)
    images = batch(one(thickness=3), seven(), zero())
    thicker = distort(images, rng, only(stroke_probability=1, stroke_change=(1.0, 1.0)))
    thickest = distort(images, rng, only(stroke_probability=1, stroke_change=(2.0, 2.0)))
    thinner = distort(images, rng, only(stroke_probability=1, stroke_change=(-1.0, -1.0)))
    assert (ink(thicker) > 1.2 * ink(images)).all() and (inked(thicker) > inked(images)).all()
    assert (ink(thickest) > 1.2 * ink(thicker)).all() and (inked(thickest) > inked(thicker)).all()
    assert (ink(thinner) < 0.95 * ink(images)).all() and (inked(thinner) < inked(images)).all()
    assert (ink(thinner) >= (1 - MAX_INK_LOSS) * ink(images) - 1e-3).all()
    assert np.allclose(thinner.max(axis=(1, 2, 3)), images.max(axis=(1, 2, 3)))  # brought back to full brightness


def test_a_hairline_is_thinned_but_stays_visible():
    hairline = batch(one(thickness=1))
    thinner = distort(hairline, np.random.default_rng(0), only(stroke_probability=1, stroke_change=(-1.0, -1.0)))
    assert ink(thinner)[0] >= (1 - MAX_INK_LOSS) * ink(hairline)[0] - 1e-3
    assert thinner[0, 6:22].max(axis=1).min() > 0.3  # every row of the stroke still has ink


def test_a_fractional_change_lies_between_the_whole_ones():
    rng = np.random.default_rng(0)
    amounts = [0.0, 0.25, 0.5, 1.0, 1.5]
    inks = [ink(distort(DIGITS, rng, only(stroke_probability=1, stroke_change=(a, a))))[0] for a in amounts]
    assert inks == sorted(inks) and len(set(inks)) == len(inks)


@pytest.mark.parametrize("slant", [0.3, -0.3])
def test_slant_moves_the_top_of_a_vertical_stroke_sideways_against_its_bottom(slant):
    images = batch(one())
    result = distort(images, np.random.default_rng(0), only(slant_probability=1, slant=(slant, slant)))[0, ..., 0]

    def centre_across(rows: slice, image: np.ndarray) -> float:
        part = image[rows]
        return float((part * np.arange(SIZE)).sum() / part.sum())

    def lean(image: np.ndarray) -> float:  # how far the top third is right of the bottom third
        return centre_across(slice(5, 10), image) - centre_across(slice(17, 22), image)

    assert abs(lean(images[0, ..., 0])) < 0.1
    assert lean(result) == pytest.approx(slant * 12, abs=1.0)  # the thirds' centres are 12 pixels apart


def test_rotation_turns_a_vertical_stroke_anticlockwise():
    result = distort(batch(one()), np.random.default_rng(0), only(rotation_probability=1, rotation=(12.0, 12.0)))
    image = result[0, ..., 0]
    top, bottom = image[4:10], image[18:24]
    across = np.arange(SIZE)
    # Anticlockwise on screen: the top goes left.
    assert (top * across).sum() / top.sum() < (bottom * across).sum() / bottom.sum() - 2


def test_uneven_scale_changes_width_and_height_separately():
    images = batch(zero(height=30))
    wide = distort(images, np.random.default_rng(0), only(scale_probability=1, scale=(1.15, 1.15)))
    rng = np.random.default_rng(0)
    widths_and_heights = []
    for _ in range(20):
        result = distort(images, rng, only(scale_probability=1))[0, ..., 0] > 0.3
        widths_and_heights.append((np.ptp(np.nonzero(result.any(0))), np.ptp(np.nonzero(result.any(1)))))
    widths, heights = np.array(widths_and_heights).T
    assert ink(wide)[0] > ink(images)[0]
    assert len(set((widths - heights).tolist())) > 2  # the aspect ratio varies


def test_the_map_keeps_the_centre_of_mass_without_a_shift():
    images = batch(one(), zero(height=30))  # with room to spare in the frame, so the map is not shrunk
    settings = only(slant_probability=1, rotation_probability=1, scale_probability=1)
    result = distort(images, np.random.default_rng(0), settings)
    for before, after in zip(images, result):
        assert np.abs(centre_of_mass(after) - centre_of_mass(before)).max() < 0.3


def test_shift_moves_the_digit_by_at_most_its_range():
    images = batch(seven(), copies=50)
    result = distort(images, np.random.default_rng(0), only(shift_probability=1, shift=(-1.5, 1.5)))
    moves = np.array([centre_of_mass(after) - centre_of_mass(images[0]) for after in result])
    assert np.abs(moves).max() <= 1.6 and np.abs(moves).max() > 0.8


def test_the_digit_stays_inside_the_frame_whatever_the_map():
    images = batch(zero(), seven(), one(), copies=30)  # the zero fills the 20x20 box
    settings = only(
        slant_probability=1,
        rotation_probability=1,
        scale_probability=1,
        scale=(1.6, 1.6),  # would overflow a 28x28 frame by far, were the map not shrunk
        shift_probability=1,
        elastic_probability=1,
        elastic_displacement=(1.0, 1.0),
    )
    result = distort(images, np.random.default_rng(0), settings)
    border = result.sum(axis=(1, 2, 3)) - result[:, 1:-1, 1:-1].sum(axis=(1, 2, 3))
    assert (border <= 0.01 * ink(result)).all()
    assert (ink(result) > 0.5 * ink(images)).all()


def test_elastic_distortion_bends_strokes_but_keeps_the_digit():
    images = batch(one(), seven(), zero())
    result = distort(images, np.random.default_rng(0), only(elastic_probability=1, elastic_displacement=(1.0, 1.0)))
    for before, after in zip(images, result):
        assert np.abs(after - before).max() > 0.3
        assert abs(after.sum() - before.sum()) < 0.2 * before.sum()
        assert np.abs(centre_of_mass(after) - centre_of_mass(before)).max() < 1.5


@pytest.mark.parametrize(
    "settings",
    [
        only(blur_probability=1, blur_sigma=(1.0, 1.0)),
        only(low_resolution_probability=1, low_resolution_size=(14, 14)),
    ],
    ids=["blur", "low resolution"],
)
def test_blur_and_lower_resolution_soften_the_edges(settings):
    result = distort(DIGITS, np.random.default_rng(0), settings)
    for before, after in zip(DIGITS, result):
        assert largest_gradient(after) < 0.7 * largest_gradient(before)


def brightened(image: np.ndarray, like: np.ndarray) -> np.ndarray:
    """`image` scaled to the brightness of `like`, as the preparation does (its brightest pixel at full)."""
    return image * (like.max() / image.max())


def test_lower_resolution_is_a_reduced_scan_enlarged_back():
    result = distort(DIGITS, np.random.default_rng(0), only(low_resolution_probability=1, low_resolution_size=(16, 16)))
    for before, after in zip(DIGITS[..., 0], result[..., 0]):
        small = cv2.resize(before, (16, 16), interpolation=cv2.INTER_AREA)
        expected = brightened(cv2.resize(small, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR), before)
        assert np.allclose(after, expected, atol=1e-5)


def test_blur_is_a_gaussian_blur():
    result = distort(DIGITS, np.random.default_rng(0), only(blur_probability=1, blur_sigma=(0.8, 0.8)))
    for before, after in zip(DIGITS[..., 0], result[..., 0]):
        expected = brightened(cv2.GaussianBlur(before, (0, 0), 0.8, borderType=cv2.BORDER_CONSTANT), before)
        assert np.allclose(after, expected, atol=1e-4)


def test_an_image_is_blurred_or_reduced_never_both():
    rng = np.random.default_rng(0)
    blurred = distort(DIGITS, rng, only(blur_probability=1, blur_sigma=(1.0, 1.0)))
    both = only(blur_probability=1, blur_sigma=(1.0, 1.0), low_resolution_probability=1, low_resolution_size=(12, 12))
    assert np.array_equal(distort(DIGITS, rng, both), blurred)


def test_contrast_dims_the_ink_and_noise_speckles_the_background():
    rng = np.random.default_rng(0)
    faint = distort(DIGITS, rng, only(contrast_probability=1, ink_peak=(0.6, 0.6)))
    assert np.allclose(faint, 0.6 * DIGITS, atol=1e-6)
    noisy = distort(DIGITS, rng, only(noise_probability=1, noise_level=(0.05, 0.05)))
    background = noisy[DIGITS == 0]
    assert 0.2 < np.mean(background > 0) < 0.8  # about half the background pixels: the negative noise is clipped
    assert np.std(noisy - DIGITS) == pytest.approx(0.05 * 0.7, rel=0.3)


def test_blank_images_stay_blank_without_noise():
    blank = np.zeros((4, SIZE, SIZE, 1), dtype=np.float32)
    result = distort(blank, np.random.default_rng(0), dataclasses.replace(Distortions(), noise_probability=0))
    assert np.array_equal(result, blank)


def test_each_image_keeps_its_place_in_the_batch():
    shapes = batch(one(), seven(), zero())
    images = np.tile(shapes, (10, 1, 1, 1))
    settings = only(stroke_probability=1, stroke_change=(-1.0, 2.0), elastic_probability=0.5, slant_probability=0.5)
    result = distort(images, np.random.default_rng(0), settings)  # drawn in another order, by stroke change
    distances = ((result[:, np.newaxis] - shapes[np.newaxis]) ** 2).sum(axis=(2, 3, 4))
    assert distances.argmin(axis=1).tolist() == [0, 1, 2] * 10


def test_the_same_seed_gives_the_same_result_and_another_seed_another():
    images = batch(one(), seven(), zero(), copies=10)
    first = distort(images, np.random.default_rng(7))
    assert np.array_equal(first, distort(images, np.random.default_rng(7)))
    assert not np.array_equal(first, distort(images, np.random.default_rng(8)))


def test_default_distortions_apply_each_distortion_to_some_images_only():
    images = batch(seven(), copies=200)
    result = distort(images, np.random.default_rng(0))
    unchanged = np.all(result == images, axis=(1, 2, 3))
    assert 0 < unchanged.sum() < 0.2 * len(images)


@pytest.mark.parametrize(
    "images, found",
    [
        (DIGITS.astype(np.float64), "found float64"),
        (DIGITS[..., 0], "found shape (3, 28, 28)"),
        (np.zeros((2, 32, 32, 1), dtype=np.float32), "found shape (2, 32, 32, 1)"),
        (DIGITS * 255, "found values from 0.0 to 255.0"),
        (np.full((1, 28, 28, 1), np.nan, dtype=np.float32), "found values from nan to nan"),
        (DIGITS.tolist(), "found float64"),  # Python's floats, as an array
        ({"images": DIGITS}, "found a dict"),
    ],
    ids=["float64", "no channel axis", "32x32", "0 to 255", "NaN", "list", "dict"],
)
def test_bad_images_are_refused_with_what_was_expected_and_found(images, found):
    expected = "Expected images of shape (N, 28, 28, 1) as float32 values in [0, 1], "
    with pytest.raises(ValueError) as error:
        distort(images, np.random.default_rng(0))
    assert str(error.value).startswith(expected) and found in str(error.value)


def test_distortions_are_a_function_of_images_and_a_generator():
    images = batch(one(), seven(), zero(), copies=4)
    settings = only(slant_probability=1, noise_probability=0.5)
    expected = distort(images, np.random.default_rng(5), settings)
    assert np.array_equal(settings(images, np.random.default_rng(5)), expected)
    assert np.array_equal(Distortions()(images, np.random.default_rng(5)), distort(images, np.random.default_rng(5)))


def test_a_seed_instead_of_a_generator_is_refused():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        distort(DIGITS, 0)


@pytest.mark.parametrize(
    "settings",
    [
        {"blur_probability": 1.5},
        {"rotation": (12.0, -12.0)},
        {"stroke_change": (-2.0, 1.0)},
        {"low_resolution_size": (12.5, 20)},
        {"elastic_smoothness": 0.0},
        {"shift": 1.5},
    ],
)
def test_bad_settings_are_refused(settings):
    with pytest.raises(ValueError, match="Distortions"):
        Distortions(**settings)


def labelled(count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` images, each a slightly different zero, labelled with their own index."""
    images = batch(zero(height=30), copies=count) * np.linspace(0.5, 1.0, count, dtype=np.float32)[:, None, None, None]
    return images, np.arange(count)


def epochs(count: int, images: np.ndarray, labels: np.ndarray, batch_size: int, **keywords):
    """The first `count` epochs of `DistortedBatches`, each a list of its batches, as `fit` goes through them."""
    data = DistortedBatches(images, labels, batch_size, **{"seed": 0, "distort": Distortions(), **keywords})
    result = []
    for _ in range(count):
        result.append([data[index] for index in range(len(data))])
        data.on_epoch_end()
    return result


def test_batches_have_the_right_sizes_and_hold_every_sample_once_an_epoch():
    images, labels = labelled(10)
    for batches in epochs(2, images, labels, 4):
        assert [len(x) for x, _ in batches] == [4, 4, 2] and [len(y) for _, y in batches] == [4, 4, 2]
        assert all(x.shape[1:] == (SIZE, SIZE, 1) and x.dtype == np.float32 for x, _ in batches)
        assert sorted(np.concatenate([y for _, y in batches]).tolist()) == labels.tolist()


def test_the_batches_go_on_for_as_many_epochs_as_asked():
    images, labels = labelled(6)
    assert len(epochs(5, images, labels, 3)) == 5


def test_each_image_comes_with_its_own_label():
    images, labels = labelled(10)
    for batches in epochs(2, images, labels, 4, distort=Distortions.none()):
        for x, y in batches:
            assert np.array_equal(x, images[y])


def test_batches_are_reshuffled_and_distorted_afresh_each_epoch():
    images, labels = labelled(64)
    first, second = epochs(2, images, labels, 16)
    assert not np.array_equal(np.concatenate([y for _, y in first]), np.concatenate([y for _, y in second]))
    assert not np.array_equal(first[0][0], second[0][0])


def test_the_same_seed_gives_the_same_batches_and_another_seed_others():
    images, labels = labelled(20)
    runs = {
        name: sum(epochs(2, images, labels, 8, seed=seed), [])
        for name, seed in [("first", 3), ("again", 3), ("other", 4)]
    }

    def same(one_run, another_run):
        return all(np.array_equal(a, c) and np.array_equal(b, d) for (a, b), (c, d) in zip(one_run, another_run))

    assert same(runs["first"], runs["again"])
    assert not same(runs["first"], runs["other"])


def test_each_batch_has_a_generator_of_its_own_from_the_seed_the_epoch_and_its_place():
    images, labels = labelled(10)
    given = []

    def distort(images, rng):
        given.append(rng.integers(1 << 62))
        return images

    epochs(2, images, labels, 4, seed=7, distort=distort)
    expected = [
        np.random.default_rng([7, epoch, index + 1]).integers(1 << 62) for epoch in (0, 1) for index in range(3)
    ]
    assert given == expected and len(set(given)) == 6
    order = np.random.default_rng([7, 0]).permutation(10)
    first = epochs(1, images, labels, 4, seed=7, distort=distort)[0]
    assert np.concatenate([y for _, y in first]).tolist() == order.tolist()


def test_only_one_distortion_at_a_time():
    slant = Distortions.only("slant")
    assert slant.slant_probability == 1.0
    assert [name for name in Distortions.names() if getattr(slant, f"{name}_probability")] == ["slant"]
    assert Distortions.names()[:2] == ("stroke", "slant") and len(Distortions.names()) == 10
    with pytest.raises(ValueError, match="Expected one of the distortions stroke, slant, .*; found 'italic'"):
        Distortions.only("italic")
