# %% [markdown]
# # Handwritten digits with a convolutional network (MNIST)
#
# MNIST ("Modified National Institute of Standards and Technology") is a collection of
# handwritten digits and the "Hello World" of computer vision: 60,000 training images and
# 10,000 test images of the digits 0 to 9, each 28 × 28 grayscale pixels, 784 in all. The
# digits were size-normalised to fit a 20 × 20 box and centred in the frame; the pixel values
# themselves are raw, from 0 (background) to 255 (full ink), and scaling them is our job.
#
# MNIST made its name as the benchmark on which convolutional neural networks (CNNs) were
# developed and compared. This notebook follows the classic path: load the data, look at it,
# train a small CNN, and measure how well it reads digits it has never seen.
#
# It is a tidied version of an original notebook: each cell is a short call into the `mnist_cnn`
# package (`src/mnist_cnn/`), so the same steps run unchanged in the tests and in the HTML report
# (`make report`).

# %% [markdown]
# ## The recipe
#
# The run's parameters, as plain values: the original notebook's recipe, 5 epochs in batches of 64,
# with the last 10 % of the training images held out for validation. To change one, edit it here,
# or leave the notebook as it is and pass it from outside, as papermill's parameters do
# (`python -m mnist_cnn report -p EPOCHS 1`). The cell after this one checks every value: one out
# of range stops the run with a sentence saying what is allowed.

# %% tags=["parameters"]
EPOCHS = 5  # passes over the training images
BATCH_SIZE = 64  # images per training step
VALIDATION_SPLIT = 0.1  # the share of training images held out to watch for overfitting
SEED = 0  # one seed, one result: the initial weights and the shuffling
TRAIN_SAMPLES = 60_000  # fewer make a quicker, rougher run (at least 1,000)
MIN_TEST_ACCURACY = 0.985  # the run fails below this test accuracy
EXECUTION = "auto"  # how training runs on this machine: "auto" (fastest here) or "plain" (as built)
DATA = ""  # a local copy of MNIST (.npz, or a folder of IDX files); "": Keras's download
OUTPUT_DIR = ".."  # models/ and reports/ are written below it

# %%
# %matplotlib inline
import inspect
import time
from pathlib import Path

import numpy as np
from IPython.display import Code, Markdown

from mnist_cnn import data, evaluation, figures, progress, saving, speed
from mnist_cnn.networks import build_model, original_cnn
from mnist_cnn.reading import drawing_pad, export
from mnist_cnn.report import parameters, summary
from mnist_cnn.training import train

parameters.check_notebook(globals())  # every value above checked
plan = speed.use(EXECUTION, batch_size=BATCH_SIZE)  # how training runs on this machine: see the end

# %% [markdown]
# ## Loading the data
#
# `load_mnist` gives the four arrays exactly as `keras.datasets.mnist.load_data()` does. It
# reads a local copy when one is named (the `DATA` setting, or `MNIST_CNN_DATA`) and otherwise
# lets Keras download and cache the data. Either way it checks the arrays against the
# checksums of the published MNIST, so we know we train on the real thing.

# %%
(x_train, y_train), (x_test, y_test) = data.load_mnist(DATA or None)
x_train, y_train = x_train[:TRAIN_SAMPLES], y_train[:TRAIN_SAMPLES]
print("Training images:", x_train.shape, x_train.dtype, "labels:", y_train.shape, y_train.dtype)
print("Test images:    ", x_test.shape, x_test.dtype, "labels:", y_test.shape, y_test.dtype)

# %% [markdown]
# The first training image, in its raw form: pixel values run from 0 (background) to 255 (ink).

# %%
figures.plot_image(x_train[0], label=y_train[0])

# %% [markdown]
# ## Exploratory data analysis
#
# A digit image has 28 × 28 = 784 features (pixels), and there are 10 classes. (The original
# notebook printed 28 features and 2 classes: it read the width of one image row, and counted
# the distinct values, 0 and 1, of the one-hot label matrix instead of the digits.)

# %%
for name, images, labels in [("Training", x_train, y_train), ("Test", x_test, y_test)]:
    print(f"{name} set: {len(images)} samples, {images[0].size} features per sample, {len(np.unique(labels))} classes")

# %% [markdown]
# The first ten training images with their labels: the digits vary in slant, thickness and style.

# %%
figures.plot_samples(x_train, y_train, rows=2, columns=5)

# %% [markdown]
# Are the classes balanced? If some digits were rare, a high accuracy could hide how badly they
# are read, and they would need more weight in training.

# %%
counts = np.bincount(y_train, minlength=10)
print("Images per digit:", dict(enumerate(counts.tolist())))
print(f"Fewest: {counts.min():,} images of a {counts.argmin()}; most: {counts.max():,} of a {counts.argmax()}")
figures.plot_class_distribution(y_train)

# %% [markdown]
# The distribution of all training pixels (the original drew the columns of one image
# instead). Most pixels are pure background (0); the ink sits near 255, with the anti-aliased
# edges of the strokes in between. Note the log scale.

# %%
figures.plot_pixel_intensities(x_train)

# %% [markdown]
# ## Preparing the data
#
# The network wants float32 pixels scaled to [0, 1] with a channel axis, (N, 28, 28, 1), and
# one-hot labels, (N, 10).

# %%
train_images, test_images = data.preprocess_images(x_train), data.preprocess_images(x_test)
train_labels, test_labels = data.one_hot(y_train), data.one_hot(y_test)
print("Images:", train_images.shape, train_images.dtype, f"values {train_images.min():.0f} to {train_images.max():.0f}")
print("Labels:", train_labels.shape, train_labels.dtype)

# %% [markdown]
# ## The network
#
# The original notebook's CNN, a plain `keras.Sequential` read top to bottom: three 3 × 3
# convolutions (32, 64 and 64 filters) with two max-pooling steps between them, then a dense
# layer of 64 units and a softmax over the 10 digits:

# %%
Code(inspect.getsource(original_cnn), language="python")

# %% [markdown]
# `build_model` builds it with a seed, so that its initial weights are the same on every run, and
# compiles it with the Adam optimizer and categorical cross-entropy, the loss for one-hot labels.

# %%
model = build_model(seed=SEED)

# %%
model.summary()

# %% [markdown]
# ## Training
#
# One run of the recipe, with livelossplot's live plot of loss and accuracy redrawn after every
# epoch, and a line per epoch with the time left. (The original notebook trained 5 epochs, then 5
# more with the live plot, and reported the test accuracy after all 10; here the model is trained
# once.) The validation images are the last of the training set, and the model never fits them.

# %% tags=["nbval-ignore-output", "progress"]
started = time.perf_counter()
history = train(
    model,
    train_images,
    train_labels,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_split=VALIDATION_SPLIT,
    seed=SEED,
    callbacks=[progress.LivePlot(), progress.EpochLog()],
    verbose=0,
)
training_seconds = time.perf_counter() - started
print(f"Trained {EPOCHS} epochs in {training_seconds:.0f} s")

# %% [markdown]
# The same history as a static figure, kept in the report (and saved as CSV below). Where
# validation loss stops falling while training loss still falls, more epochs would begin to
# overfit.

# %%
figures.plot_training_curves(history.history)

# %% [markdown]
# ## Evaluation
#
# Loss and accuracy on all training images and on the 10,000 test images, which played no
# part in training, from one prediction pass over each set (reused below for the confusion
# matrix and the mistakes). The notebook stops here if the test accuracy falls below the set
# minimum.

# %% tags=["nbval-ignore-output"]
train_probabilities = evaluation.predict(model, train_images)
probabilities = evaluation.predict(model, test_images)
train_scores = evaluation.scores(y_train, train_probabilities)
test_scores = evaluation.scores(y_test, probabilities)
print(f"Train: loss {train_scores['loss']:.4f}, accuracy {train_scores['accuracy']:.4f}")
print(f"Test:  loss {test_scores['loss']:.4f}, accuracy {test_scores['accuracy']:.4f}")

# %%
assert test_scores["accuracy"] >= MIN_TEST_ACCURACY, test_scores
print(f"Test accuracy {test_scores['accuracy']:.2f}, at least {MIN_TEST_ACCURACY}")

# %% [markdown]
# ### Where the model goes wrong
#
# The confusion matrix counts, for each true digit (row), what the model predicted (column).
# The diagonal holds the correct answers; everything off it is a mistake.

# %%
predicted = probabilities.argmax(axis=1)
confusion = evaluation.digit_confusion(y_test, predicted)
figures.plot_confusion_matrix(confusion)

# %% [markdown]
# Precision (of the images predicted as a digit, how many are that digit), recall (of the
# images of a digit, how many were found) and their harmonic mean F1, per digit, from
# scikit-learn:

# %% tags=["nbval-ignore-output"]
per_class = evaluation.per_class_metrics(y_test, predicted)
per_class.round(4)

# %% tags=["nbval-ignore-output"]
mistakes = evaluation.misclassified(y_test, probabilities)
print(f"{len(mistakes)} of {len(y_test)} test digits misclassified")
pairs = evaluation.most_confused_pairs(confusion, count=3)
print("Most confused: " + "; ".join(f"{true} read as {guess} ({times} times)" for true, guess, times in pairs))

# %% [markdown]
# The mistakes the model was surest of, each with its true label and the model's answer and
# confidence. Look at them before trusting the accuracy figure: some are digits a person
# would hesitate over too, others are plain errors of the model.

# %%
figures.plot_misclassified(x_test, y_test, probabilities, mistakes[:24])

# %% [markdown]
# ## Saving the run
#
# One call saves the trained model (Keras format), the training history (`reports/history.csv`) and
# a record of the run (`reports/metrics.json`), with its metrics, settings, machine, library versions
# and the checksums of the data it saw; a second writes the model's LiteRT export beside it, which
# `python -m mnist_cnn predict` runs without TensorFlow. Each file is written whole or not at all,
# so an interrupted run never spoils an earlier one.

# %%
metrics = saving.save_run(
    OUTPUT_DIR,
    model,
    scores={"train": train_scores, "test": test_scores, "per_class": per_class},
    parameters={"epochs": EPOCHS, "batch_size": BATCH_SIZE, "validation_split": VALIDATION_SPLIT, "seed": SEED},
    training_data=(x_train, y_train),
    training_seconds=training_seconds,
    how_it_ran=plan.record(),
    history=history,
)
exported = export.export_litert(model, Path(OUTPUT_DIR) / saving.MODEL_PATH)
print(f"Saved {saving.MODEL_PATH} and {exported.name} beside it, reports/history.csv and reports/metrics.json")

# %% tags=["summary", "nbval-ignore-output"]
Markdown(summary.describe_run(metrics))

# %% [markdown]
# ## Try it yourself
#
# Draw a digit on the pad below, with a mouse, a pen or a finger. At the end of each stroke the
# model gives its answer with the probabilities of all ten digits, and shows the 28 × 28 image it
# actually reads: your drawing cropped, scaled into a 20 × 20 box and centred by its centre of
# mass, as MNIST's digits were. An answer under 45 % is "not a digit, it seems"; an empty pad, a
# dot or a blot gets a sentence instead. The pad works in Jupyter and in this notebook's HTML
# pages, where the page itself reads your drawing with this run's network, in the browser.

# %% tags=["nbval-ignore-output"]
drawing_pad.DrawingPad(model)

# %% [markdown]
# The same reading, through the same code, on the first six test digits: each image, the view the
# network gets (almost the image itself, since MNIST's digits were prepared this way) and its ten
# probabilities, the answer in orange.

# %%
drawing_pad.plot_readings(model, x_test[:6])

# %% [markdown]
# ## How it ran on this machine
#
# The model above is what was trained, saved and evaluated. How its steps ran here was chosen by
# the `EXECUTION` parameter at the start: `"auto"` picks what is fastest on this machine (on a CPU,
# batches cut into one shard per core, the image edge the network never looks at skipped, and
# bfloat16 in the largest convolution where the CPU has it), with the same outputs and gradients
# as the model as built; `"plain"` runs the model exactly as built. docs/training-speed.md has
# the measurements. This run's plan, and why:

# %% tags=["nbval-ignore-output"]
print(plan.describe())

# %% [markdown]
# The versions this run used; `requirements.txt` pins the same ones.

# %%
saving.library_versions()

# %% [markdown]
# ## Conclusion

# %% tags=["nbval-ignore-output"]
Markdown(
    f"A CNN of {model.count_params():,} parameters, trained for {EPOCHS} epochs on this machine, reads "
    f"{test_scores['accuracy']:.2%} of the {len(y_test):,} test digits it never saw: {len(mistakes)} mistakes."
)

# %% [markdown]
# Before trusting that figure, look at its surest mistakes in the gallery above: which would a
# person hesitate over too, and which are plain errors of the model? MNIST
# remains a good place to learn the basics (loading and inspecting data, training, evaluation),
# but it is a solved and forgiving problem: what works here needs testing on harder, more varied
# data before it is trusted elsewhere.
#
# To read your own handwriting: `python -m mnist_cnn predict my_digit.jpg` (a photo or scan, or a
# folder of them). Next:
#
# - `improving_the_cnn.ipynb` (its report: [improving_the_cnn.html](improving_the_cnn.html)) adds
#   one idea at a time (a larger network, augmentation, dropout, a learning-rate schedule, weight
#   averaging, batch normalization) and measures what each buys;
# - `reading_real_handwriting.ipynb` ([reading_real_handwriting.html](reading_real_handwriting.html))
#   reads photos of other people's digits: ruled paper, shadows, coloured ink.
