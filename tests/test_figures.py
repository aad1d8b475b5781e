"""Each plot function of `figures` and `reading.figures` returns a Figure with the expected axes and titles, drawn
headless."""

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mnist_cnn import figures
from mnist_cnn.reading import figures as reading_figures
from mnist_cnn.reading.photo_accuracy import ALL_CONDITIONS

IMAGES = np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8)
LABELS = np.arange(30, dtype=np.uint8) % 10


def rendered(figure: Figure) -> Figure:
    """Draw the figure to PNG bytes, as a report would, and return it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")
    return figure


def test_plot_image():
    figure = rendered(figures.plot_image(IMAGES[0], label=5))
    image_axes = figure.axes[0]
    assert image_axes.get_title() == "First training image, label 5"
    assert np.array_equal(image_axes.images[0].get_array(), IMAGES[0])


def test_plot_samples_grid():
    figure = rendered(figures.plot_samples(IMAGES, LABELS, rows=2, columns=5))
    assert len(figure.axes) == 10
    assert [axes.get_title() for axes in figure.axes] == [f"Label: {label}" for label in LABELS[:10]]
    with pytest.raises(ValueError, match="at least 10 images"):
        figures.plot_samples(IMAGES[:4], LABELS[:4])


def test_plot_class_distribution_counts_each_digit():
    labels = np.array([0, 1, 1, 2, 2, 2], np.uint8)
    figure = rendered(figures.plot_class_distribution(labels))
    axes = figure.axes[0]
    assert axes.get_title() == "Class distribution"
    assert [patch.get_height() for patch in axes.patches][:3] == [1, 2, 3]
    assert [tick.get_text() for tick in axes.get_xticklabels()] == [str(digit) for digit in range(10)]
    with pytest.raises(ValueError, match=r"\(N,\), found \(2, 3\)"):
        figures.plot_class_distribution(np.zeros((2, 3)))


def test_plot_pixel_intensities_covers_all_pixels():
    figure = rendered(figures.plot_pixel_intensities(IMAGES))
    axes = figure.axes[0]
    assert axes.get_title() == "Pixel intensity distribution (all pixels)"
    assert axes.get_yscale() == "log"
    counts = axes.patches[0].get_data().values
    assert counts.sum() == IMAGES.size and len(counts) == 256
    with pytest.raises(ValueError, match="uint8"):
        figures.plot_pixel_intensities(IMAGES / 255)


def test_plot_training_curves():
    history = {"loss": [0.3, 0.1], "val_loss": [0.2, 0.15], "accuracy": [0.9, 0.97], "val_accuracy": [0.95, 0.96]}
    figure = rendered(figures.plot_training_curves(history))
    assert [axes.get_title() for axes in figure.axes] == ["Loss", "Accuracy"]
    assert [line.get_label() for line in figure.axes[0].lines] == ["training", "validation"]
    assert figure.axes[1].lines[1].get_ydata().tolist() == [0.95, 0.96]
    with pytest.raises(ValueError, match="'accuracy'"):
        figures.plot_training_curves({"loss": [1.0]})


def test_plot_confusion_matrix_annotates_counts():
    confusion = np.diag(np.arange(1, 11))
    confusion[4, 9] = 7
    figure = rendered(figures.plot_confusion_matrix(confusion))
    axes = figure.axes[0]
    assert axes.get_title() == "Confusion matrix (test set)"
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("Predicted digit", "True digit")
    assert sorted(int(text.get_text()) for text in axes.texts) == sorted([*range(1, 11), 7])
    with pytest.raises(ValueError, match=r"\(10, 10\)"):
        figures.plot_confusion_matrix(np.eye(3))


def test_plot_misclassified_titles_true_and_predicted():
    probabilities = np.full((30, 10), 0.02)
    probabilities[:, 3] = 0.82
    figure = rendered(figures.plot_misclassified(IMAGES, LABELS, probabilities, [0, 1, 2], columns=2))
    titles = [axes.get_title() for axes in figure.axes if axes.get_title()]
    assert titles == ["true 0, pred 3\n(82%)", "true 1, pred 3\n(82%)", "true 2, pred 3\n(82%)"]
    assert len(figure.axes) == 4  # a 2 x 2 grid, the last cell empty
    with pytest.raises(ValueError, match="at least one index"):
        figures.plot_misclassified(IMAGES, LABELS, probabilities, [])
    titled = figures.plot_misclassified(IMAGES, LABELS, probabilities, [0], title="Fixed")
    assert titled.get_suptitle() == "Fixed"


def test_plot_ablation_labels_each_step():
    table = pd.DataFrame(
        {"test accuracy (%)": [99.08, 99.3, 99.55], "training (s)": [29, 38, 130]},
        index=pd.Index(["original CNN", "+ augmentation", "final"], name="step"),
    )
    figure = rendered(figures.plot_ablation(table))
    (axes,) = figure.axes
    assert [text.get_text() for text in axes.texts] == ["original CNN", "+ augmentation", "final"]
    assert list(axes.get_lines()[0].get_xdata()) == [29, 38, 130]
    assert axes.get_xlabel() == "training time (s)" and axes.get_ylabel() == "test accuracy (%)"
    with pytest.raises(ValueError, match=r"columns \['training \(s\)'\]"):
        figures.plot_ablation(table.drop(columns="training (s)"))


def test_images_of_the_wrong_shape_are_refused():
    refused = r"^Expected images of shape \(N, 28, 28\) or \(N, 28, 28, 1\), found shape \(3, 784\)\.$"
    with pytest.raises(ValueError, match=refused):
        figures.plot_samples(np.zeros((3, 784)), LABELS)
    with pytest.raises(ValueError, match=refused):
        reading_figures.plot_distortions(np.zeros((3, 784)), [])


def test_no_figure_is_left_open_in_pyplot():
    import matplotlib.pyplot as pyplot

    before = pyplot.get_fignums()
    figures.plot_samples(IMAGES, LABELS)
    assert pyplot.get_fignums() == before


def drawn_digits() -> list[np.ndarray]:
    """A 1, a 0 and a 7 drawn with OpenCV on 28x28 uint8 arrays, ink high on 0, as MNIST's."""
    import cv2

    one, zero, seven = (np.zeros((28, 28), np.uint8) for _ in range(3))
    cv2.line(one, (14, 4), (14, 23), 255, 3)
    cv2.ellipse(zero, (14, 14), (6, 9), 0, 0, 360, 255, 3)
    cv2.polylines(seven, [np.array([[7, 5], [21, 5], [11, 23]], np.int32)], False, 255, 3)
    return [one, zero, seven]


def test_plot_photographs_titles_each_photo():
    from mnist_cnn.reading import photos

    pictures = [photos.photograph(digit, "ruled", np.random.default_rng(0)) for digit in drawn_digits()]
    pictures.append(pictures[0].min(axis=2))  # a grayscale photo
    titles = ["ruled: read 1, is 1", "ruled: read 8, is 0", "ruled: read 7, is 7", "gray"]
    figure = rendered(reading_figures.plot_photographs(pictures, titles, columns=3))
    assert len(figure.axes) == 6  # 2 rows of 3, the last two cells empty
    assert [axes.get_title() for axes in figure.axes] == [*titles, "", ""]
    for axes, picture in zip(figure.axes, pictures):
        assert np.array_equal(axes.images[0].get_array(), picture)
    assert figure.axes[3].images[0].get_cmap().name == "gray"
    assert not figure.axes[4].axison and not figure.axes[4].images
    assert len(reading_figures.plot_photographs(pictures[:2], titles[:2]).axes) == 2  # no more columns than photos
    with pytest.raises(ValueError, match=r"a title per photo \(4\), found 3"):
        reading_figures.plot_photographs(pictures, titles[:3])
    with pytest.raises(ValueError, match="at least one photo"):
        reading_figures.plot_photographs([], [])


def test_plot_preparation_steps_shows_each_step():
    from mnist_cnn.reading import photos, preparation

    photo = photos.photograph(drawn_digits()[2], "shadow", np.random.default_rng(1))
    steps = preparation.preparation_steps(photo)
    images = [np.full((28, 28), value, np.uint8) for value in (50, 100, 150)]
    three = preparation.PreparationSteps(
        steps.picture,
        steps.paper_and_ink,
        steps.ink,
        steps.mask,
        steps.marks,
        [preparation.Digit(image, (0, 0, 1, 1)) for image in images],
    )
    figure = rendered(reading_figures.plot_preparation_steps([steps, three], names=["shadow", "three digits"]))
    assert len(figure.axes) == 12
    assert [axes.get_title() for axes in figure.axes[:6]] == list(reading_figures.PREPARATION_COLUMNS)
    assert [axes.get_title() for axes in figure.axes[6:]] == [""] * 6  # column titles on the first row only
    assert [figure.axes[row * 6].get_ylabel() for row in (0, 1)] == ["shadow", "three digits"]
    shown = [axes.images[0] for axes in figure.axes[:6]]
    for image, step in zip(shown, (steps.picture, steps.paper_and_ink, steps.ink, steps.mask, steps.marks)):
        assert np.array_equal(image.get_array(), step)
    assert [image.get_cmap().name for image in shown[1:]] == ["gray", "gray_r", "gray_r", "gray_r", "gray"]
    assert np.array_equal(shown[5].get_array(), steps.digits[0].image)  # one digit: the 28x28 image alone
    side_by_side = np.ma.filled(figure.axes[11].images[0].get_array(), np.nan)
    assert side_by_side.shape == (28, 3 * 28 + 2 * 2)  # three digits, 2-px gaps between them
    assert np.array_equal(side_by_side[:, 30:58], images[1]) and np.isnan(side_by_side[:, 28:30]).all()
    with pytest.raises(ValueError, match=r"a name per photo \(2\), found 1"):
        reading_figures.plot_preparation_steps([steps, three], names=["shadow"])
    with pytest.raises(ValueError, match="at least one photo"):
        reading_figures.plot_preparation_steps([])


def test_plot_distortions_puts_each_distortion_in_a_column():
    from mnist_cnn.reading.distortions import Distortions

    images = np.stack(drawn_digits())[..., np.newaxis].astype(np.float32) / 255
    rotated = Distortions.only("rotation")(images, np.random.default_rng(0))
    fainter = (images * 0.5).astype(np.float32)
    figure = rendered(reading_figures.plot_distortions(images, [("rotation", rotated), ("contrast", fainter)]))
    assert len(figure.axes) == 9  # 3 digits x (original + 2 distortions)
    assert [axes.get_title() for axes in figure.axes[:3]] == ["original", "rotation", "contrast"]
    assert np.array_equal(figure.axes[1].images[0].get_array(), rotated[0, ..., 0])
    assert np.array_equal(figure.axes[8].images[0].get_array(), fainter[2, ..., 0])
    assert figure.axes[2].images[0].get_clim() == (0, 1)  # a fixed scale: fainter ink shows fainter
    as_bytes = reading_figures.plot_distortions(np.stack(drawn_digits()), [])
    assert len(as_bytes.axes) == 3 and as_bytes.axes[0].images[0].get_clim() == (0, 255)
    with pytest.raises(ValueError, match=r"'rotation' of shape \(3, 28, 28\), as the originals, found \(2, 28, 28\)"):
        reading_figures.plot_distortions(images, [("rotation", rotated[:2])])


ACCURACY = pd.DataFrame(
    {"original CNN": [99.0, 62.5, 42.3, 67.9], "robust CNN": [99.5, 97.0, 95.1, 97.2]},
    index=pd.Index(["clean scan", "ruled", "shadow", ALL_CONDITIONS], name="condition"),
)


def test_plot_condition_accuracy_writes_each_percent():
    figure = rendered(reading_figures.plot_condition_accuracy(ACCURACY))
    (axes,) = figure.axes
    bars = axes.patches
    assert len(bars) == 8
    assert [bar.get_x() + bar.get_width() for bar in bars] == pytest.approx(ACCURACY.to_numpy().T.ravel())
    assert sorted(text.get_text() for text in axes.texts) == sorted(
        f"{value:.1f}" for value in ACCURACY.to_numpy().ravel()
    )
    labels = axes.get_yticklabels()
    assert [label.get_text() for label in labels] == list(ACCURACY.index)
    assert [label.get_fontweight() for label in labels] == ["normal"] * 3 + ["bold"]
    positions = axes.get_yticks()
    assert positions[3] - positions[2] > positions[2] - positions[1]  # ALL_CONDITIONS set apart
    assert axes.get_xlim() == (40, 100)  # from the lowest, 42.3, rounded down to 10
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["original CNN", "robust CNN"]
    assert reading_figures.plot_condition_accuracy(ACCURACY + 20 - ACCURACY % 1).axes[0].get_xlim() == (50, 100)
    with pytest.raises(ValueError, match="an empty one"):
        reading_figures.plot_condition_accuracy(ACCURACY.iloc[:0])


def test_plot_confusion_matrices_side_by_side_on_one_scale():
    before = np.diag(np.arange(1, 11))
    before[4, 9] = 7
    after = np.zeros((10, 11), int)
    after[:, :10] = np.diag(np.arange(20, 30))
    after[3, 10] = 2  # two photos of a 3 not read
    figure = rendered(reading_figures.plot_confusion_matrices({"original": before, "robust": after}, title="Photos"))
    heatmaps = [axes for axes in figure.axes if axes.get_title()]
    assert [axes.get_title() for axes in heatmaps] == ["original", "robust"]
    assert len(figure.axes) == 3  # two heatmaps and one shared colour bar
    assert figure.get_suptitle() == "Photos"
    assert sorted(int(text.get_text()) for text in heatmaps[0].texts) == sorted([*range(1, 11), 7])
    assert sorted(int(text.get_text()) for text in heatmaps[1].texts) == sorted([*range(20, 30), 2])
    assert heatmaps[1].get_xticklabels()[-1].get_text() == "not\nread"
    assert {axes.collections[0].norm.vmax for axes in heatmaps} == {29}
    assert (heatmaps[0].get_ylabel(), heatmaps[1].get_ylabel()) == ("True digit", "")
    with pytest.raises(ValueError, match=r"'robust' of shape \(10, 10\) or \(10, 11\), found \(3, 3\)"):
        reading_figures.plot_confusion_matrices({"original": before, "robust": np.eye(3, dtype=int)})
    with pytest.raises(ValueError, match="at least one confusion matrix"):
        reading_figures.plot_confusion_matrices({})


def test_plot_found_digits_boxes_each_digit():
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Rectangle

    from mnist_cnn.reading import photos, preparation

    picture = photos.photograph_number(drawn_digits(), "clean scan", np.random.default_rng(2))
    found = preparation.find_digits(picture)
    readings = [f"{number} (9{number}%)" for number in range(len(found))]
    figure = rendered(reading_figures.plot_found_digits(picture, found, readings))
    photo, *seen = figure.axes
    assert np.array_equal(photo.images[0].get_array(), picture)
    boxes = [patch for patch in photo.patches if isinstance(patch, Rectangle)]
    assert [(box.get_x() + 0.5, box.get_y() + 0.5, box.get_width(), box.get_height()) for box in boxes] == [
        digit.box for digit in found
    ]
    assert [text.get_text() for text in photo.texts] == readings
    assert [axes.get_title() for axes in seen] == readings
    for axes, digit in zip(seen, found):
        assert np.array_equal(axes.images[0].get_array(), digit.image)
    assert [box.get_edgecolor() for box in boxes] == [to_rgba(text.get_color()) for text in photo.texts]
    assert len({box.get_edgecolor() for box in boxes}) == len(boxes)  # a colour per digit
    with pytest.raises(ValueError, match=rf"a reading per digit \({len(found)}\), found 0"):
        reading_figures.plot_found_digits(picture, found, [])
    with pytest.raises(ValueError, match="at least one digit"):
        reading_figures.plot_found_digits(picture, [], [])
