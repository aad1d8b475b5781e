"""The networks, each a plain `keras.Sequential` read top to bottom; a `seed` seeds the process (`set_random_seed`).

`original_cnn` is the original notebook's CNN (93,322 parameters). The second notebook's network
(188,234) is trained with the ideas a `Recipe` names, one flag each; `FINAL_RECIPE` is where it
ends, and `ROBUST_RECIPE` the third notebook's, on distorted digits instead of augmentation layers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import keras
from keras import layers

from mnist_cnn.data import INPUT_SHAPE, NUM_CLASSES
from mnist_cnn.training import EPOCHS, steps_per_epoch

LEARNING_RATE = 1e-3  # Adam's default, the original's
PEAK_LEARNING_RATE = 3e-3  # with the schedule: warm up to this, then cosine decay to almost 0
WARMUP_EPOCHS = 1
DROPOUT = 0.3  # of the units before and after the dense layer
EMA_MOMENTUM = 0.999  # the average weighs about the last 1,000 steps, a little over an epoch


def original_cnn() -> keras.Sequential:
    """The original notebook's network, read top to bottom: three convolutions, two poolings, two dense layers."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mnist_cnn",
    )


def build_model(seed: int | None = None) -> keras.Sequential:
    """The original CNN (`original_cnn`), compiled with Adam and cross-entropy; a `seed` fixes its weights."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = original_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@dataclass(frozen=True)
class Recipe:
    """The ideas a model is trained with; the defaults are none of them (the larger network alone)."""

    augmentation: bool = False  # small random rotations, shifts and zooms of each training image
    dropout: bool = False  # drop units at random while training, before and after the dense layer
    schedule: bool = False  # learning rate: linear warm-up, then cosine decay
    weight_averaging: bool = False  # end with an exponential moving average of the weights
    batch_norm: bool = False  # normalize each convolution's output over the batch
    epochs: int = EPOCHS

    def with_(self, **changes) -> Recipe:
        """A copy with some ideas changed: `recipe.with_(dropout=True)`."""
        return dataclasses.replace(self, **changes)


FINAL_RECIPE = Recipe(augmentation=True, dropout=True, schedule=True, weight_averaging=True, epochs=10)
ROBUST_RECIPE = FINAL_RECIPE.with_(augmentation=False)  # trained on distorted digits in its place


def augmentation_layers(rotation_degrees: float = 10, shift: float = 0.1, zoom: float = 0.1) -> list[layers.Layer]:
    """Keras preprocessing layers that move each training image a little; inactive at inference."""
    return [
        layers.RandomRotation(rotation_degrees / 360, fill_mode="constant"),
        layers.RandomTranslation(shift, shift, fill_mode="constant"),
        layers.RandomZoom(zoom, fill_mode="constant"),
    ]


def build_improved_model(
    recipe: Recipe, *, steps_per_epoch: int, seed: int | None = None, name: str = "improved_cnn"
) -> keras.Sequential:
    """Build and compile the network of `recipe` (Adam, categorical cross-entropy, accuracy)."""
    if steps_per_epoch < 1:
        raise ValueError(f"Expected at least 1 step per epoch, found {steps_per_epoch}.")
    if seed is not None:
        keras.utils.set_random_seed(seed)

    def convolution(filters: int) -> list[layers.Layer]:
        if not recipe.batch_norm:
            return [layers.Conv2D(filters, 3, activation="relu")]
        return [layers.Conv2D(filters, 3, use_bias=False), layers.BatchNormalization(), layers.ReLU()]

    model = keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            *(augmentation_layers() if recipe.augmentation else []),
            *convolution(32),
            layers.MaxPooling2D(2),
            *convolution(64),
            *convolution(64),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            *([layers.Dropout(DROPOUT)] if recipe.dropout else []),
            layers.Dense(128, activation="relu"),
            *([layers.Dropout(DROPOUT)] if recipe.dropout else []),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name=name,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate(recipe, steps_per_epoch), use_ema=recipe.weight_averaging, ema_momentum=EMA_MOMENTUM
        ),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_robust_model(
    train_samples: int, *, outliers: int = 0, epochs: int = ROBUST_RECIPE.epochs, seed: int | None = None
) -> keras.Sequential:
    """The robust model's network, compiled, its schedule spread over `epochs` of `train_samples` and `outliers`."""
    recipe, steps = ROBUST_RECIPE.with_(epochs=epochs), steps_per_epoch(train_samples, outliers=outliers)
    return build_improved_model(recipe, steps_per_epoch=steps, seed=seed, name="robust_cnn")


def learning_rate(recipe: Recipe, steps_per_epoch: int) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """Adam's default rate, or with `recipe.schedule` a warm-up to the peak then cosine decay."""
    if not recipe.schedule:
        return LEARNING_RATE
    warmup = min(WARMUP_EPOCHS, recipe.epochs - 1) * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=PEAK_LEARNING_RATE / 10,
        warmup_target=PEAK_LEARNING_RATE,
        warmup_steps=warmup,
        decay_steps=recipe.epochs * steps_per_epoch - warmup,
        alpha=0.01,
    )
