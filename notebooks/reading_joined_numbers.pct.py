# %% [markdown]
# # Reading joined-up numbers
#
# The third notebook reads photos of other writers' digits, one digit or a number written left to
# right. People often write a number with its digits touching: a 4 whose bar runs into the 7, a 0
# closed against the next 0. The preparation then finds one mark, not two, and the robust model,
# shown it as one digit, answers "not a digit", or a digit it doubts.
#
# Cutting such a mark into its digits, where the robust model reads every part, was tried first and
# is not used: a wrong cut is often read as surely as the right one (a sliver of a 0 is a confident
# 1), and pieces of letters read as digits too, so it refused far fewer non-digits
# (docs/handwriting.md). This notebook trains a second, small network instead, the **number
# network**, that reads the whole mark: in each of three places, a digit or none.
# `python -m mnist_cnn predict` then asks it about every wide mark the robust model calls "not a digit"
# or reads as a digit with doubt.

# %% [markdown]
# ## The recipe
#
# How many joined-up numbers the network learns from and for how many epochs, how many USPS test
# numbers are photographed under each condition to measure it, and how many pictures of each kind
# of non-digit. As in the other notebooks, `python -m mnist_cnn report -p NAME VALUE` sets any of
# them from outside, and the next cell checks them all.

# %% tags=["parameters"]
NUMBERS = 24_000  # joined-up numbers of two and three MNIST digits to learn from (at least 8)
EPOCHS = 10  # the number network's epochs
SEED = 0  # one seed, one result
PHOTOS = 200  # USPS test numbers photographed under each condition (10 to 4,649)
NON_DIGIT_PICTURES = 200  # of each kind, to measure how often one is read as a number
EXECUTION = "auto"  # how training runs on this machine: "auto" (fastest here) or "plain" (as built)
DATA = ""  # a local copy of MNIST (.npz, or a folder of IDX files); "": Keras's download
USPS = ""  # a copy of usps_resampled.mat; "": the cache, fetched there on first use
OUTPUT_DIR = ".."  # models/ and reports/ are written below it

# %%
# %matplotlib inline
from pathlib import Path

import numpy as np
from IPython.display import display

from mnist_cnn import data, progress, saving, speed, training
from mnist_cnn.reading import (
    export,
    figures,
    joined_numbers,
    number_training,
    photo_accuracy,
    photos,
    refusals,
    usps,
)
from mnist_cnn.reading.predict import find
from mnist_cnn.reading.saved_models import load_network
from mnist_cnn.report import parameters

parameters.check_notebook(globals())  # every value above checked
plan = speed.use(EXECUTION, batch_size=training.BATCH_SIZE)  # how training runs on this machine

# %% [markdown]
# ## A joined-up number is one mark
#
# Three USPS test digits (other writers than MNIST's) written joined up and photographed on ruled
# paper: the preparation finds one mark. Below it, the mark as the number network is shown it: as
# tall as MNIST's digits (20 pixels), in a frame three digits wide (28 x 84).

# %%
(x_train, y_train), _ = data.load_mnist(DATA or None)
_, (usps_images, usps_labels) = usps.load(USPS or None)
number_digits = list(usps_images[[3, 14, 15]])
number_photo = photos.photograph_number(number_digits, "ruled", np.random.default_rng(SEED), touching=True)
found = find(number_photo)
display(figures.plot_found_digits(number_photo, found.digits, [f"mark {n + 1}" for n in range(len(found.digits))]))
figures.plot_photographs([joined_numbers.frame(found.digits[0].strokes, found.digits[0].stroke_width)], ["framed"])

# %% [markdown]
# ## What it learns from
#
# MNIST's training digits, two or three at a time, written joined up
# and photographed under a condition drawn at random, then found and framed as `predict` finds and
# frames a mark (`number_training`). Beside them, single digits ("one digit, then none") and
# pictures that are no number: letters, words, symbols, scribbles, drawings and things in the
# training fonts, and two or three letters, symbols, scribbles or drawings written joined up as a
# number is. Their answer to learn is "every answer equally likely" in each place (Outlier
# Exposure, as for the robust model): in the tuning runs, without the joined ones, the network read
# far more such marks as a number (docs/handwriting.md).

# %%
frames, answers, outliers = number_training.training_set(x_train, y_train, NUMBERS, seed=SEED)
said = ["".join(str(digit) for digit in row if digit != joined_numbers.NONE) for row in answers.argmax(axis=2)]
print(f"{len(frames):,} numbers and single digits, {len(outliers):,} non-digits")
figures.plot_photographs([*frames[:10], *outliers[:5]], [*said[:10], *["no number"] * 5])

# %% [markdown]
# ## The number network
#
# Five convolutions in three blocks over the wider frame, then for each of three places the
# probability of each digit and of "none" (`number_training.number_cnn`). A plain `keras.Sequential`,
# trained as the robust model is (Adam, a warm-up epoch, then cosine decay), on this machine's plan.

# %% tags=["nbval-ignore-output", "progress"]
training_samples = training.training_samples(len(frames)) + len(outliers)  # the validation tenth kept out
number_model = number_training.build_number_model(training_samples, epochs=EPOCHS, seed=SEED)
training.train(
    number_model,
    joined_numbers.network_input(frames),
    answers,
    epochs=EPOCHS,
    seed=SEED,
    outliers=joined_numbers.network_input(outliers),
    callbacks=[progress.LivePlot(), progress.EpochLog()],
    verbose=0,
)
number_network = load_network(number_model)

# %% [markdown]
# The photo at the start, whose digits are 5, 5 and 2 (a 2 slanted far to the right), read by it,
# with the probability it gives the number:

# %% tags=["nbval-ignore-output"]
(number,) = joined_numbers.read_numbers(found.digits, number_network)
print("not read" if number is None else f"{''.join(map(str, number.digits))} ({number.score:.0%})")

# %% [markdown]
# ## Joined-up numbers of other writers, condition by condition
#
# USPS test digits, two and three at a time, written joined up and photographed under each of the
# photo conditions. A number counts as read when the preparation finds it as one mark and the
# network reads all its digits, in order, sure enough (`joined_numbers.SURE`).

# %% tags=["nbval-ignore-output"]
photo_accuracy.joined_number_accuracy(number_network, usps_images, usps_labels, numbers=PHOTOS, seed=SEED)

# %% [markdown]
# ## What it says for pictures that hold no number
#
# `predict` answers "not a digit" for a picture only when neither network reads anything in it. So
# every picture of no digit in which the number network reads a number is a refusal lost. The
# pictures are the third notebook's evaluation ones: letters and symbols in fonts training never
# shows, written and photographed as the digits are.

# %% tags=["nbval-ignore-output"]
read_as_number = refusals.read_as_numbers(number_network, NON_DIGIT_PICTURES, SEED)
print("read as a number: " + ", ".join(f"{kind} {percent:.1f} %" for kind, percent in read_as_number.items()))

# %% [markdown]
# ## Saving the number network
#
# A plain `.keras` file that `keras.saving.load_model` opens without this package, and its LiteRT
# export, as `models/number_cnn.keras`: from now on `python -m mnist_cnn predict` reads joined-up
# numbers with it, and says so.

# %%
output = Path(OUTPUT_DIR)
saving.save_model(number_model, output / saving.NUMBER_MODEL_PATH)
export.export_litert(number_model, output / saving.NUMBER_MODEL_PATH)
print(f"Saved {saving.NUMBER_MODEL_PATH} (and .tflite)")

# %% [markdown]
# ## How it ran on this machine
#
# The number network is a plain `keras.Sequential`; how its training steps ran here was chosen by
# the `EXECUTION` parameter at the start, as in the first notebook (docs/training-speed.md). This
# run's plan, and why:

# %% tags=["nbval-ignore-output"]
print(plan.describe())

# %% [markdown]
# ## Conclusion
#
# A number written joined up is no longer "not a digit": the number network reads it whole, in the
# share of photos the table above gives for each condition, at the cost in refusals the last line
# gives. What it does not read: numbers of more than three digits, a number joined to a letter or a
# line, and digits that touch in ways MNIST's digits written side by side do not show (cursive
# ligatures). The benchmark (`benchmarks/handwriting.py --numbers`) measures it together with the
# robust model, as `predict` reads (docs/handwriting.md).
