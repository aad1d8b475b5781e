"""Figures of the data, the training run, the model's mistakes and the ablation.

Each function takes data and returns a matplotlib Figure built without pyplot: a notebook shows
it, a script saves it (`figure.savefig`), and nothing is drawn on screen behind the caller's back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from mnist_cnn.data import IMAGE_SHAPE, NUM_CLASSES, check_images

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_image(image: np.ndarray, label: int | None = None) -> Figure:
    """One digit image, as the original notebook's first figure."""
    image = as_images(np.asarray(image)[np.newaxis])[0]
    figure = Figure(figsize=(4, 4), layout="constrained")
    axes = figure.subplots()
    shown = axes.imshow(image, cmap="gray")
    figure.colorbar(shown, ax=axes, shrink=0.8, label="Pixel intensity")
    axes.set_title("First training image" if label is None else f"First training image, label {label}")
    axes.set_axis_off()
    return figure


def plot_samples(images: np.ndarray, labels: np.ndarray, rows: int = 2, columns: int = 5) -> Figure:
    """A `rows` x `columns` grid of the first images, each titled with its label."""
    images = as_images(images)
    count = rows * columns
    if len(images) < count or len(labels) < count:
        raise ValueError(f"Expected at least {count} images and labels, found {len(images)} and {len(labels)}.")
    figure = Figure(figsize=(2 * columns, 2 * rows), layout="constrained")
    for axes, image, label in zip(figure.subplots(rows, columns).flat, images, labels):
        axes.imshow(image, cmap="gray")
        axes.set_title(f"Label: {label}")
        axes.set_axis_off()
    return figure


def plot_class_distribution(labels: np.ndarray) -> Figure:
    """How many samples each digit has."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"Expected labels of shape (N,), found {labels.shape}.")
    figure = Figure(figsize=(6, 4), layout="constrained")
    axes = figure.subplots()
    sns.countplot(x=labels.astype(int), order=range(NUM_CLASSES), color="tab:blue", ax=axes)
    axes.set_title("Class distribution")
    axes.set_xlabel("Digit")
    axes.set_ylabel("Number of images")
    return figure


def plot_pixel_intensities(images: np.ndarray) -> Figure:
    """The distribution of all pixel values of uint8 images, on a log scale."""
    images = as_images(images)
    if images.dtype != np.uint8:
        raise ValueError(f"Expected uint8 images (values 0-255), found {images.dtype}.")
    counts = np.bincount(images.ravel(), minlength=256)
    figure = Figure(figsize=(8, 4), layout="constrained")
    axes = figure.subplots()
    axes.stairs(counts, np.arange(257), fill=True)
    axes.set_yscale("log")
    axes.set_xlim(0, 256)
    axes.set_title("Pixel intensity distribution (all pixels)")
    axes.set_xlabel("Pixel intensity (0 = black background, 255 = full ink)")
    axes.set_ylabel("Number of pixels (log scale)")
    return figure


def plot_training_curves(history: Mapping[str, Sequence[float]]) -> Figure:
    """Loss and accuracy per epoch, training against validation, from `History.history`."""
    for metric in ("loss", "accuracy"):
        if metric not in history:
            raise ValueError(f"Expected a history with '{metric}', found keys {sorted(history)}.")
    figure = Figure(figsize=(10, 4), layout="constrained")
    for axes, metric in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        epochs = np.arange(1, len(history[metric]) + 1)
        axes.plot(epochs, history[metric], marker="o", label="training")
        if f"val_{metric}" in history:
            axes.plot(epochs, history[f"val_{metric}"], marker="o", label="validation")
        axes.set_title(metric.capitalize())
        axes.set_xlabel("Epoch")
        axes.legend()
    return figure


def plot_confusion_matrix(confusion: np.ndarray) -> Figure:
    """The confusion matrix as a heatmap of counts; the diagonal holds the correct answers."""
    confusion = np.asarray(confusion)
    if confusion.shape != (NUM_CLASSES, NUM_CLASSES):
        raise ValueError(f"Expected a confusion matrix of shape (10, 10), found {confusion.shape}.")
    figure = Figure(figsize=(8, 7), layout="constrained")
    draw_confusion(figure.subplots(), confusion, "Confusion matrix (test set)", colorbar_label="Number of test images")
    return figure


def plot_misclassified(
    images: np.ndarray,
    true_labels: np.ndarray,
    probabilities: np.ndarray,
    indices: Sequence[int],
    columns: int = 6,
    title: str = "Misclassified test digits, most confident first",
) -> Figure:
    """A gallery of the images at `indices`, each titled true / predicted (confidence)."""
    images = as_images(images)
    if len(indices) == 0:
        raise ValueError("Expected at least one index of a misclassified image, found none.")
    rows = -(-len(indices) // columns)
    figure = Figure(figsize=(1.8 * columns, 2.1 * rows), layout="constrained")
    for position, axes in enumerate(figure.subplots(rows, columns, squeeze=False).flat):
        axes.set_axis_off()
        if position >= len(indices):
            continue
        index = indices[position]
        predicted = int(np.argmax(probabilities[index]))
        axes.imshow(images[index], cmap="gray")
        axes.set_title(
            f"true {true_labels[index]}, pred {predicted}\n({probabilities[index][predicted]:.0%})",
            fontsize=9,
        )
    figure.suptitle(title)
    return figure


def plot_ablation(table: pd.DataFrame) -> Figure:
    """Test accuracy against training time, a labelled point per step of `ablation.ablation_table`."""
    missing = {"test accuracy (%)", "training (s)"} - set(table.columns)
    if missing:
        raise ValueError(f"Expected an ablation table with the columns {sorted(missing)}, found {list(table.columns)}.")
    figure = Figure(figsize=(8, 5), layout="constrained")
    axes = figure.subplots()
    axes.plot(table["training (s)"], table["test accuracy (%)"], marker="o", color="tab:blue")
    for name, row in table.iterrows():
        axes.annotate(
            name,
            (row["training (s)"], row["test accuracy (%)"]),
            textcoords="offset points",
            xytext=(6, -4),
            fontsize=9,
        )
    axes.set_xlabel("training time (s)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_title("What each step bought, and what it cost")
    axes.grid(alpha=0.3)
    return figure


def draw_confusion(
    axes: Axes,
    confusion: np.ndarray,
    title: str,
    *,
    colorbar_label: str | None,
    vmax: int | None = None,
    annotation_size: float | None = None,
    column_labels: Sequence[object] | str = "auto",
) -> None:
    """Draw a confusion matrix of counts on `axes`: log colours (the few mistakes stay visible), zeros blank."""
    sns.heatmap(
        confusion,
        mask=confusion == 0,
        annot=True,
        fmt="d",
        cmap="Blues",
        norm=LogNorm(vmin=1, vmax=max(int(confusion.max() if vmax is None else vmax), 2)),
        cbar=colorbar_label is not None,
        cbar_kws=None if colorbar_label is None else {"label": colorbar_label},
        annot_kws=None if annotation_size is None else {"fontsize": annotation_size},
        xticklabels=column_labels,
        ax=axes,
    )
    axes.set_title(title)
    axes.set_xlabel("Predicted digit")
    axes.set_ylabel("True digit")


def as_images(images: np.ndarray) -> np.ndarray:
    """Images (N, 28, 28) or (N, 28, 28, 1), checked, as (N, 28, 28): what `imshow` draws."""
    return check_images(images).reshape(-1, *IMAGE_SHAPE)
