"""Each plot function returns a Figure with the expected axes and titles, drawn headless."""

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mnist_cnn import plots

IMAGES = np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8)
LABELS = np.arange(30, dtype=np.uint8) % 10


def rendered(figure: Figure) -> Figure:
    """Draw the figure to PNG bytes, as a report would, and return it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")
    return figure


def test_plot_image():
    figure = rendered(plots.plot_image(IMAGES[0], label=5))
    image_axes = figure.axes[0]
    assert image_axes.get_title() == "First training image, label 5"
    assert np.array_equal(image_axes.images[0].get_array(), IMAGES[0])


def test_plot_samples_grid():
    figure = rendered(plots.plot_samples(IMAGES, LABELS, rows=2, columns=5))
    assert len(figure.axes) == 10
    assert [axes.get_title() for axes in figure.axes] == [f"Label: {label}" for label in LABELS[:10]]
    with pytest.raises(ValueError, match="at least 10 images"):
        plots.plot_samples(IMAGES[:4], LABELS[:4])


def test_plot_class_distribution_counts_each_digit():
    labels = np.array([0, 1, 1, 2, 2, 2], np.uint8)
    figure = rendered(plots.plot_class_distribution(labels))
    axes = figure.axes[0]
    assert axes.get_title() == "Class distribution"
    assert [patch.get_height() for patch in axes.patches][:3] == [1, 2, 3]
    assert [tick.get_text() for tick in axes.get_xticklabels()] == [str(digit) for digit in range(10)]
    with pytest.raises(ValueError, match=r"\(N,\), found \(2, 3\)"):
        plots.plot_class_distribution(np.zeros((2, 3)))


def test_plot_pixel_intensities_covers_all_pixels():
    figure = rendered(plots.plot_pixel_intensities(IMAGES))
    axes = figure.axes[0]
    assert axes.get_title() == "Pixel intensity distribution (all pixels)"
    assert axes.get_yscale() == "log"
    counts = axes.patches[0].get_data().values
    assert counts.sum() == IMAGES.size and len(counts) == 256
    with pytest.raises(ValueError, match="uint8"):
        plots.plot_pixel_intensities(IMAGES / 255)


def test_plot_training_curves():
    history = {"loss": [0.3, 0.1], "val_loss": [0.2, 0.15], "accuracy": [0.9, 0.97], "val_accuracy": [0.95, 0.96]}
    figure = rendered(plots.plot_training_curves(history))
    assert [axes.get_title() for axes in figure.axes] == ["Loss", "Accuracy"]
    assert [line.get_label() for line in figure.axes[0].lines] == ["training", "validation"]
    assert figure.axes[1].lines[1].get_ydata().tolist() == [0.95, 0.96]
    with pytest.raises(ValueError, match="'accuracy'"):
        plots.plot_training_curves({"loss": [1.0]})


def test_plot_confusion_matrix_annotates_counts():
    confusion = np.diag(np.arange(1, 11))
    confusion[4, 9] = 7
    figure = rendered(plots.plot_confusion_matrix(confusion))
    axes = figure.axes[0]
    assert axes.get_title() == "Confusion matrix (test set)"
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("Predicted digit", "True digit")
    assert sorted(int(text.get_text()) for text in axes.texts) == sorted([*range(1, 11), 7])
    with pytest.raises(ValueError, match=r"\(10, 10\)"):
        plots.plot_confusion_matrix(np.eye(3))


def test_plot_misclassified_titles_true_and_predicted():
    probabilities = np.full((30, 10), 0.02)
    probabilities[:, 3] = 0.82
    figure = rendered(plots.plot_misclassified(IMAGES, LABELS, probabilities, [0, 1, 2], columns=2))
    titles = [axes.get_title() for axes in figure.axes if axes.get_title()]
    assert titles == ["true 0, pred 3\n(82%)", "true 1, pred 3\n(82%)", "true 2, pred 3\n(82%)"]
    assert len(figure.axes) == 4  # a 2 x 2 grid, the last cell empty
    with pytest.raises(ValueError, match="at least one index"):
        plots.plot_misclassified(IMAGES, LABELS, probabilities, [])
    titled = plots.plot_misclassified(IMAGES, LABELS, probabilities, [0], title="Fixed")
    assert titled.get_suptitle() == "Fixed"


def test_plot_ablation_labels_each_step():
    table = pd.DataFrame(
        {"test accuracy (%)": [99.08, 99.3, 99.55], "training (s)": [29, 38, 130]},
        index=pd.Index(["original CNN", "+ augmentation", "final"], name="step"),
    )
    figure = rendered(plots.plot_ablation(table))
    (axes,) = figure.axes
    assert [text.get_text() for text in axes.texts] == ["original CNN", "+ augmentation", "final"]
    assert list(axes.get_lines()[0].get_xdata()) == [29, 38, 130]
    assert axes.get_xlabel() == "training time (s)" and axes.get_ylabel() == "test accuracy (%)"
    with pytest.raises(ValueError, match=r"columns \['training \(s\)'\]"):
        plots.plot_ablation(table.drop(columns="training (s)"))


def test_images_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"\(N, 28, 28\) or \(N, 28, 28, 1\), found \(3, 784\)"):
        plots.plot_samples(np.zeros((3, 784)), LABELS)


def test_no_figure_is_left_open_in_pyplot():
    import matplotlib.pyplot as pyplot

    before = pyplot.get_fignums()
    plots.plot_samples(IMAGES, LABELS)
    assert pyplot.get_fignums() == before
