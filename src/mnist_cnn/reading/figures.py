"""Figures of the third notebook: photos, the preparation step by step, distortions, accuracy per condition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from mnist_cnn.data import IMAGE_SHAPE, NUM_CLASSES
from mnist_cnn.figures import as_images, draw_confusion
from mnist_cnn.reading.photo_accuracy import ALL_CONDITIONS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mnist_cnn.reading.preparation import Digit, PreparationSteps


def plot_photographs(photographs: Sequence[np.ndarray], titles: Sequence[str], columns: int = 8) -> Figure:
    """A grid of photos (RGB or grayscale uint8), each under its title."""
    if len(photographs) == 0:
        raise ValueError("Expected at least one photo, found none.")
    if len(titles) != len(photographs):
        raise ValueError(f"Expected a title per photo ({len(photographs)}), found {len(titles)} titles.")
    if columns < 1:
        raise ValueError(f"Expected at least one column, found {columns}.")
    columns = min(columns, len(photographs))
    rows = -(-len(photographs) // columns)
    figure = Figure(figsize=(1.65 * columns, 1.75 * rows), layout="constrained")
    for position, axes in enumerate(figure.subplots(rows, columns, squeeze=False).flat):
        if position >= len(photographs):
            axes.set_axis_off()
            continue
        _show_picture(axes, photographs[position])
        axes.set_title(titles[position], fontsize=8)
    return figure


PREPARATION_COLUMNS = (
    "photo",
    "grayscale:\ndark ink on paper",
    "even light",
    "ink or not",
    "lines removed",
    "what the network sees",
)
DIGIT_GAP = 2  # pixels between the prepared 28x28 digits of one photo


def plot_preparation_steps(steps: Sequence[PreparationSteps], names: Sequence[str] | None = None) -> Figure:
    """Each photo's preparation, step by step (`preparation.preparation_steps`): a row per photo, a column per step."""
    if len(steps) == 0:
        raise ValueError("Expected the steps of at least one photo, found none.")
    if names is not None and len(names) != len(steps):
        raise ValueError(f"Expected a name per photo ({len(steps)}), found {len(names)} names.")
    # Each row as tall as its picture needs at the column's width: a wide photo of a number takes less.
    heights = [float(np.clip(1.85 * step.picture.shape[0] / step.picture.shape[1], 1.2, 1.85)) for step in steps]
    figure = Figure(figsize=(2.0 * len(PREPARATION_COLUMNS), sum(heights) + 0.5), layout="constrained")
    grid = figure.subplots(len(steps), len(PREPARATION_COLUMNS), squeeze=False, height_ratios=heights)
    for row, (prepared, cells) in enumerate(zip(steps, grid)):
        _show_picture(cells[0], prepared.picture)
        _show_picture(cells[1], prepared.paper_and_ink)
        for axes, ink in zip(cells[2:5], (prepared.ink, prepared.mask, prepared.marks)):
            _show_picture(axes, ink, cmap="gray_r")  # ink dark on white paper, as on the page
        _show_picture(cells[5], _side_by_side([digit.image for digit in prepared.digits]))
        if not prepared.digits:
            cells[5].text(0.5, 0.5, "no digit", ha="center", va="center", transform=cells[5].transAxes)
        if row == 0:
            for axes, title in zip(cells, PREPARATION_COLUMNS):
                axes.set_title(title, fontsize=10)
        if names is not None:
            cells[0].set_ylabel(names[row], fontsize=10)
    return figure


def plot_distortions(images: np.ndarray, distorted: Sequence[tuple[str, np.ndarray]]) -> Figure:
    """The original digits (first column) beside each named distortion of them (a column each); a row per digit."""
    images = as_images(images)
    if len(images) == 0:
        raise ValueError("Expected at least one image, found none.")
    columns = [("original", images)]
    for name, changed in distorted:
        changed = as_images(changed)
        if changed.shape != images.shape:
            raise ValueError(f"Expected '{name}' of shape {images.shape}, as the originals, found {changed.shape}.")
        columns.append((name, changed))
    figure = Figure(figsize=(1.1 * len(columns), 1.1 * len(images) + 0.3), layout="constrained")
    grid = figure.subplots(len(images), len(columns), squeeze=False)
    for column, (name, shown) in enumerate(columns):
        # A fixed scale (black = 0, white = full ink), so that fainter ink shows as fainter.
        top = 255 if shown.dtype == np.uint8 else 1
        for row, axes in enumerate(grid[:, column]):
            axes.imshow(shown[row], cmap="gray", vmin=0, vmax=top)
            axes.set_axis_off()
        grid[0, column].set_title(name, fontsize=9, fontweight="bold" if column == 0 else "normal")
    return figure


def plot_condition_accuracy(table: pd.DataFrame) -> Figure:
    """Percent read correctly (`photo_accuracy.accuracy_by_condition`): a group of bars per condition, one per model."""
    if table.empty:
        raise ValueError("Expected a table with at least one condition and one model, found an empty one.")
    values = table.apply(pd.to_numeric, errors="coerce")
    if values.isna().to_numpy().all():
        raise ValueError(f"Expected percentages in the table, found no number in columns {list(table.columns)}.")
    conditions = [name for name in table.index if name != ALL_CONDITIONS]
    overall = [name for name in table.index if name == ALL_CONDITIONS]
    models = list(table.columns)
    # Groups from the top down, the overall row last and set apart by a gap.
    positions = {name: float(index) for index, name in enumerate(conditions)}
    positions.update({name: len(conditions) + 0.5 for name in overall})
    height = 0.8 / len(models)
    lowest = float(np.nanmin(values.to_numpy()))
    start = min(50.0, 10 * np.floor(lowest / 10))
    figure = Figure(figsize=(9, 0.9 + (0.22 * len(models) + 0.18) * len(table)), layout="constrained")
    axes = figure.subplots()
    for number, model in enumerate(models):
        offset = (number - (len(models) - 1) / 2) * height
        centres = [positions[name] + offset for name in table.index]
        percents = values[model].to_numpy(dtype=float)
        axes.barh(centres, percents - start, height=height * 0.92, left=start, color=f"C{number}", label=str(model))
        for centre, percent in zip(centres, percents):
            if np.isnan(percent):
                continue
            inside = percent - start > 0.12 * (100 - start)
            axes.text(
                percent - 0.4 if inside else percent + 0.4,
                centre,
                f"{percent:.1f}",
                ha="right" if inside else "left",
                va="center",
                fontsize=8,
                color="white" if inside else "black",
            )
    axes.set_yticks([positions[name] for name in table.index], [str(name) for name in table.index])
    for label in axes.get_yticklabels():
        if label.get_text() == ALL_CONDITIONS:
            label.set_fontweight("bold")
    if overall:
        axes.axhline(len(conditions) - 0.25, color="gray", linewidth=0.8)
    axes.set_ylim(max(positions.values()) + 0.6, -0.6)
    axes.set_xlim(start, 100)
    axes.set_xlabel("photos read correctly (%)")
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    axes.set_title("Photos read correctly, by condition")
    figure.legend(loc="outside lower center", ncols=min(len(models), 4))
    return figure


def plot_confusion_matrices(matrices: Mapping[str, np.ndarray], title: str | None = None) -> Figure:
    """Several models' confusion matrices side by side, on one colour scale; a last column may count 'not read'."""
    if len(matrices) == 0:
        raise ValueError("Expected at least one confusion matrix, found none.")
    checked = {}
    for name, confusion in matrices.items():
        confusion = np.asarray(confusion)
        if confusion.shape not in ((NUM_CLASSES, NUM_CLASSES), (NUM_CLASSES, NUM_CLASSES + 1)):
            raise ValueError(f"Expected '{name}' of shape (10, 10) or (10, 11), found {confusion.shape}.")
        if not np.array_equal(confusion, np.round(confusion)):
            raise ValueError(f"Expected '{name}' to hold counts (whole numbers), found fractions.")
        checked[name] = confusion.astype(int)
    columns = min(len(checked), 3)
    rows = -(-len(checked) // columns)
    figure = Figure(figsize=(4.3 * columns + 1.0, 4.2 * rows + (0.4 if title else 0)), layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False)
    largest = max(int(confusion.max()) for confusion in checked.values())
    for position, (axes, (name, confusion)) in enumerate(zip(grid.flat, checked.items())):
        draw_confusion(
            axes, confusion, name, colorbar_label=None, vmax=largest, annotation_size=8, column_labels=COLUMNS
        )
        if confusion.shape[1] > NUM_CLASSES:
            axes.axvline(NUM_CLASSES, color="0.4", linewidth=1)  # photos not read are no digit's reading
        if position % columns:
            axes.set_ylabel("")
    for axes in grid.flat[len(checked) :]:
        axes.set_axis_off()
    figure.colorbar(grid.flat[0].collections[0], ax=grid, shrink=0.8, label="Number of images")
    if title:
        figure.suptitle(title)
    return figure


COLUMNS = [*range(NUM_CLASSES), "not\nread"]  # the digits read, and NOT_READ
READING_COLOURS = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:cyan")


def plot_found_digits(picture: np.ndarray, digits: Sequence[Digit], readings: Sequence[str]) -> Figure:
    """The picture with a box and its reading around each digit found, and below it the 28x28 digits the network saw."""
    picture = np.asarray(picture)
    if picture.ndim not in (2, 3):
        raise ValueError(f"Expected a picture of shape (H, W) or (H, W, 3), found {picture.shape}.")
    if len(digits) == 0:
        raise ValueError("Expected at least one digit found in the picture, found none.")
    if len(readings) != len(digits):
        raise ValueError(f"Expected a reading per digit ({len(digits)}), found {len(readings)} readings.")
    # Enough columns for the digits below the photo to sit centred, and not too wide.
    columns = len(digits) if len(digits) >= 4 else 4 + len(digits) % 2
    width = min(12.0, max(6.0, 1.5 * len(digits)))
    photo_height = min(6.0, width * picture.shape[0] / picture.shape[1])
    figure = Figure(figsize=(width, photo_height + 2.0), layout="constrained")
    grid = figure.add_gridspec(2, columns, height_ratios=[photo_height, 1.5])
    photo = figure.add_subplot(grid[0, :])
    _show_picture(photo, picture)
    for number, (digit, reading) in enumerate(zip(digits, readings)):
        colour = READING_COLOURS[number % len(READING_COLOURS)]
        left, top, box_width, box_height = digit.box
        # Pixel centres sit on whole coordinates: a box of pixels spans half a pixel more on each side.
        photo.add_patch(
            Rectangle((left - 0.5, top - 0.5), box_width, box_height, fill=False, edgecolor=colour, linewidth=2)
        )
        photo.text(
            left - 0.5,
            top - 0.5 - 0.01 * picture.shape[0],
            reading,
            color=colour,
            fontsize=11,
            fontweight="bold",
            ha="left",
            va="bottom",
            clip_on=False,
        )
        seen = figure.add_subplot(grid[1, number + (columns - len(digits)) // 2])
        _show_picture(seen, digit.image)
        seen.set_title(reading, color=colour, fontsize=10)
    return figure


def plot_refusal_curves(scores: Mapping[str, tuple[np.ndarray, np.ndarray]], threshold: float) -> Figure:
    """For each network, the share of digits kept against the share of non-digits refused, threshold by threshold.

    `scores` maps a network's name to (digits' scores, non-digits' scores) (`refusals.picture_scores`);
    the point where each curve meets `threshold` (`predict.NOT_A_DIGIT_BELOW`) is marked.
    """
    if not scores:
        raise ValueError("Expected the scores of at least one network, found none.")
    figure = Figure(figsize=(6.5, 4.2), layout="constrained")
    axes = figure.subplots()
    for name, (digit_scores, non_digit_scores) in scores.items():
        thresholds = np.unique(np.r_[0.0, digit_scores, non_digit_scores, 1.01])
        kept = [100 * np.mean(np.asarray(digit_scores) >= value) for value in thresholds]
        refused = [100 * np.mean(np.asarray(non_digit_scores) < value) for value in thresholds]
        (line,) = axes.plot(kept, refused, label=name)
        at = (
            100 * np.mean(np.asarray(digit_scores) >= threshold),
            100 * np.mean(np.asarray(non_digit_scores) < threshold),
        )
        axes.plot(*at, "o", color=line.get_color())
        axes.annotate(
            f"{at[0]:.1f} % kept, {at[1]:.1f} % refused",
            at,
            textcoords="offset points",
            xytext=(-8, -14),
            ha="right",
            fontsize=8,
        )
    axes.set_xlim(80, 100.5)
    axes.set_ylim(0, 101)
    axes.set_xlabel("photographed digits kept (%)")
    axes.set_ylabel('non-digits answered "not a digit" (%)')
    axes.set_title(f"Each threshold on the top probability; the dot: {threshold:.2f}, the one predict uses")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    return figure


def _show_picture(axes: Axes, picture: np.ndarray, cmap: str = "gray") -> None:
    """Show an RGB or grayscale uint8 picture at its own aspect, framed thinly, without ticks."""
    picture = np.asarray(picture)
    if picture.ndim == 3:
        axes.imshow(picture)
    else:
        top = 255 if picture.dtype == np.uint8 or np.nanmax(picture, initial=0) > 1 else 1
        axes.imshow(picture, cmap=cmap, vmin=0, vmax=top)
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_edgecolor("0.75")
        spine.set_linewidth(0.6)


def _side_by_side(images: Sequence[np.ndarray]) -> np.ndarray:
    """28x28 images in a row, `DIGIT_GAP` blank (NaN, shown as background) pixels apart; float."""
    if not images:
        return np.zeros(IMAGE_SHAPE, np.float32)
    width = len(images) * (IMAGE_SHAPE[1] + DIGIT_GAP) - DIGIT_GAP
    row = np.full((IMAGE_SHAPE[0], width), np.nan, np.float32)
    for number, image in enumerate(images):
        left = number * (IMAGE_SHAPE[1] + DIGIT_GAP)
        row[:, left : left + IMAGE_SHAPE[1]] = image
    return row
