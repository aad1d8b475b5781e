# %% [markdown]
# # Reading real handwriting: photos, ruled paper, shadows, other writers
#
# The first notebook's model reads about 99 % of MNIST's test digits. The question every user then
# asks is: *will it read mine?* Their digits are not MNIST's. They are written by other people, with
# other pens, on ruled or squared paper, photographed with a phone under a lamp, saved as JPEG. MNIST's
# digits were prepared in one careful way: light ink on black, the digit fitted into a 20 x 20 box
# and centred by its centre of mass in a 28 x 28 frame. A photo is none of that.
#
# This notebook takes the two halves of the problem in turn:
#
# 1. **The preparation** (`mnist_cnn.reading.preparation`): turning any photo of a digit into what MNIST's digits
#    look like: ink of any colour, shadows divided out, ruled lines removed, specks dropped, several
#    digits found left to right.
# 2. **The network** (the robust model of `mnist_cnn.networks`): a model trained on MNIST alone, but on digits distorted
#    the ways other writers, pens and cameras differ from MNIST's, and shown pictures that are *not* digits,
#    so that it can answer "not a digit" for a letter, a scribble or a photo of a flower.
#
# To measure both we need handwriting that is *not* MNIST. We use the **USPS** digits: 9,298
# digits from envelopes scanned by the US Postal Service (16 x 16 pixels), written by people none of
# whom wrote MNIST's, and render them as phone photos under each of the conditions of `mnist_cnn.reading.photos`.
# Nothing here trains on them: the first half (`usps.load()[0]`) is for tuning the preparation and
# the distortions, the second half is what this notebook reports.

# %% [markdown]
# ## The recipe
#
# The run's parameters, as plain values: the robust model's epochs, the original model's (the
# first notebook's recipe), how many USPS test digits are photographed under each condition, and
# the MNIST test accuracy the robust model must keep. As in the first notebook, papermill's
# parameters (`python -m mnist_cnn report -p NAME VALUE`) can set any of them from outside, and the
# next cell checks them all.

# %% tags=["parameters"]
EPOCHS = 10  # the robust model's epochs (networks.ROBUST_RECIPE)
ORIGINAL_EPOCHS = 5  # the original model's, as in the first notebook
SEED = 0  # one seed, one result
TRAIN_SAMPLES = 60_000  # fewer make a quicker, rougher run (at least 1,000)
PHOTOS = 1000  # USPS test digits photographed under each condition (10 to 4,649)
NON_DIGITS = 12_000  # pictures of no digit the robust model is shown in training (0: none)
NON_DIGIT_PICTURES = 200  # of each kind, to measure how often "not a digit" is answered
MIN_TEST_ACCURACY = 0.995  # the robust model fails below this test accuracy on MNIST
EXECUTION = "auto"  # how training runs on this machine: "auto" (fastest here) or "plain" (as built)
DATA = ""  # a local copy of MNIST (.npz, or a folder of IDX files); "": Keras's download
USPS = ""  # a copy of usps_resampled.mat; "": the cache, fetched there on first use
OUTPUT_DIR = ".."  # models/ and reports/ are written below it

# %%
# %matplotlib inline
from pathlib import Path

import numpy as np
from IPython.display import Markdown, display
from PIL import Image

from mnist_cnn import data, evaluation, networks, progress, saving, speed, training
from mnist_cnn.reading import (
    distortions,
    export,
    figures,
    non_digits,
    photo_accuracy,
    photos,
    preparation,
    refusals,
    usps,
)
from mnist_cnn.reading.drawing_pad import DrawingPad
from mnist_cnn.reading.predict import NOT_A_DIGIT_BELOW, find, read_marks
from mnist_cnn.reading.saved_models import load_network
from mnist_cnn.report import parameters

parameters.check_notebook(globals())  # every value above checked
plan = speed.use(EXECUTION, batch_size=training.BATCH_SIZE)  # how training runs on this machine

# %% [markdown]
# ## The data: MNIST to learn from, other writers to test on
#
# MNIST as in the first notebook, and the USPS digits. USPS's writers hold their pens differently:
# thicker strokes, 1s with a flag and a foot, 4s closed at the top, 7s with a bar through them, and
# the scans are small and soft (16 x 16, enlarged here to MNIST's 28 x 28 for the picture).

# %%
(x_train, y_train), (x_test, y_test) = data.load_mnist(DATA or None)
x_train, y_train = x_train[:TRAIN_SAMPLES], y_train[:TRAIN_SAMPLES]
train_images, train_labels = data.preprocess_images(x_train), data.one_hot(y_train)
test_images = data.preprocess_images(x_test)
_, (usps_images, usps_labels) = usps.load(USPS or None)
usps_images, usps_labels = usps_images[:PHOTOS], usps_labels[:PHOTOS]
print(f"MNIST: {len(x_train):,} training and {len(x_test):,} test digits; USPS: {len(usps_images):,} test digits")

# %%
figures.plot_photographs(list(usps_images[:16]), [f"USPS: {label}" for label in usps_labels[:16]])

# %% [markdown]
# ## The original model
#
# The first notebook's network and recipe, trained here on the same data and seed.

# %% tags=["nbval-ignore-output", "progress"]
original_model = networks.build_model(seed=SEED)
training.train(
    original_model,
    train_images,
    train_labels,
    epochs=ORIGINAL_EPOCHS,
    seed=SEED,
    callbacks=[progress.EpochLog()],
    verbose=0,
)
original = load_network(original_model)

# %% [markdown]
# ## Why an MNIST model fails on photos
#
# One USPS test digit photographed under each condition. A program that prepares a photo the
# simplest way (grayscale, inverted so that ink is light, fitted into the 20 x 20 box) shows the
# network the whole page: paper texture, ruled lines and shadow become "ink", and the digit is a
# small part of a grey smear. The second row is what the network is shown that way, with what it
# reads; the third row is the same photo through `preparation.find_digits`.

# %%
conditions = list(photos.CONDITIONS)
examples = [
    photos.photograph(usps_images[index], condition, np.random.default_rng(index))
    for index, condition in enumerate(conditions)
]
naive = np.stack([preparation.to_mnist(255 - np.asarray(Image.fromarray(photo).convert("L"))) for photo in examples])
prepared = np.stack([preparation.prepare_digit(photo) for photo in examples])
naive_readings = original(data.preprocess_images(naive)).argmax(axis=1)
prepared_readings = original(data.preprocess_images(prepared)).argmax(axis=1)
figures.plot_photographs(
    [*examples, *naive, *prepared],
    [f"{condition}: is {usps_labels[index]}" for index, condition in enumerate(conditions)]
    + [f"simply: reads {digit}" for digit in naive_readings]
    + [f"prepared: reads {digit}" for digit in prepared_readings],
)

# %% [markdown]
# ## The preparation, step by step
#
# Each row is one photo; each column one step of `preparation.find_digits`:
#
# - **grayscale**: dark ink on light paper, whatever the ink's colour: a pixel is as dark as its
#   darkest colour channel, so blue, red or green ink is dark while faint blue rules stay light;
# - **even light**: the paper's brightness, estimated by filling in the strokes with the paper
#   around them, divided out: a shadow or light falling off across the page is gone;
# - **ink or not**: a threshold between paper and ink;
# - **lines removed**: straight thin runs of ink that reach across the picture are rules, squares or a
#   margin, not a digit; where one crossed a stroke, the stroke is closed again;
# - **what the network sees**: each group of strokes (marks above one another are one digit, specks
#   are dropped) thickened to MNIST's stroke width if thinner, fitted into the 20 x 20 box and centred
#   by its centre of mass.

# %%
figures.plot_preparation_steps([preparation.preparation_steps(photo) for photo in examples], names=conditions)

# %% [markdown]
# ## Other writers: distortions to learn from
#
# The preparation makes a photo look like MNIST's digits, but it cannot make another person's 4
# look like an MNIST writer's. For that the network must see more kinds of handwriting while it
# learns, and MNIST is all we train on. So every epoch it sees each MNIST digit distorted in the
# ways other handwriting, pens and cameras differ (`distortions.Distortions`): thicker or thinner
# strokes, slant, rotation, narrower or wider shapes, a hand's wobble (elastic distortion), blur,
# lower resolution (as USPS's 16 x 16 scans), faint ink and noise. Each column below applies one of
# them at random to the same digits; in training they are combined, each with its own probability.

# %%
shown = test_images[:6]
rng = np.random.default_rng(SEED)
figures.plot_distortions(
    shown, [(name, distortions.Distortions.only(name)(shown, rng)) for name in distortions.Distortions.names()]
)

# %% [markdown]
# ## Pictures that are not digits
#
# A network that has only ever seen digits answers a digit for anything, a letter as well as a
# real digit, and its wrong answers are often as confident as its right ones, so its top
# probability does not tell a digit from a letter well (the curves below measure how well). So
# the robust model is also shown pictures that hold no digit, with "every digit equally likely" as
# the answer to learn (Outlier Exposure, Hendrycks et al. 2019), and learns to be unsure of them:
# letters and words from fonts, symbols, scribbles, simple drawings, and things (shapes and textures
# in colour), all drawn by `mnist_cnn.reading.non_digits`, each prepared as a digit is. Letters that
# are a digit's twin (O and 0, l and 1, S and 5, ...) are left out: a reader may well call them
# digits. The evaluation below draws its letters and symbols in fonts this training never shows.

# %%
non_digit_images = non_digits.training_pictures(NON_DIGITS, seed=SEED)
figures.plot_photographs(list(non_digit_images[:18]), [non_digits.KINDS[index % 6] for index in range(18)], columns=9)

# %% [markdown]
# ## Training the robust model
#
# The second notebook's final network and recipe (dropout, a warm-up then cosine learning rate,
# weight averaging), with these distortions in place of its small random rotations, shifts and
# zooms, and the pictures above among the digits. Both are made outside the network, so the saved
# model is the plain `keras.Sequential`, ten probabilities out.

# %% tags=["nbval-ignore-output", "progress"]
robust_model = networks.build_robust_model(len(x_train), outliers=NON_DIGITS, epochs=EPOCHS, seed=SEED)
training.train(
    robust_model,
    train_images,
    train_labels,
    epochs=EPOCHS,
    seed=SEED,
    distort=distortions.Distortions(),
    outliers=data.preprocess_images(non_digit_images),
    callbacks=[progress.LivePlot(), progress.EpochLog()],
    verbose=0,
)
robust_network = load_network(robust_model)

# %% [markdown]
# Has it kept MNIST? Both models on MNIST's 10,000 test digits:

# %% tags=["nbval-ignore-output"]
mnist_accuracy = {
    name: evaluation.scores(y_test, evaluation.predict(model, test_images))["accuracy"]
    for name, model in {"original": original_model, "robust": robust_model}.items()
}
print(", ".join(f"{name}: {accuracy:.2%}" for name, accuracy in mnist_accuracy.items()))
assert mnist_accuracy["robust"] >= MIN_TEST_ACCURACY, mnist_accuracy

# %% [markdown]
# ## Reading photos of other writers, condition by condition
#
# Every USPS test digit photographed under each condition (the same seed, so the same photos for
# both models), prepared and read as `python -m mnist_cnn predict` reads a file: a photo in which
# it reads no digit, or more than one, counts as a mistake, and so does "not a digit".

# %% tags=["nbval-ignore-output"]
found = photo_accuracy.found_in_photographs(usps_images, seed=SEED)
readings = photo_accuracy.photo_readings({"original": original, "robust": robust_network}, found)
table = photo_accuracy.accuracy_by_condition(readings, usps_labels)
table

# %%
figures.plot_condition_accuracy(table)

# %% tags=["nbval-ignore-output"]
overall = table.loc[photo_accuracy.ALL_CONDITIONS]
hardest = table.drop(photo_accuracy.ALL_CONDITIONS)["original"].idxmin()
Markdown(
    f"Over all conditions the robust model reads **{overall['robust']:.1f} %** of these photos "
    f"and the original **{overall['original']:.1f} %**; the original's hardest condition here, "
    f"*{hardest}*, goes from {table.loc[hardest, 'original']:.1f} % to {table.loc[hardest, 'robust']:.1f} %."
)

# %% [markdown]
# ## The hard cases
#
# Which digits does each model confuse, in the original's hardest condition? Rows are the true
# digits, columns the digit read, and the last column the photos in which no single digit was found.

# %%
figures.plot_confusion_matrices(
    {name: photo_accuracy.reading_confusion(usps_labels, read) for name, read in readings[hardest].items()},
    title=f"USPS test digits photographed: {hardest}",
)

# %% [markdown]
# ## "Not a digit"
#
# The same question for pictures that hold no digit: letters and words, symbols, scribbles and
# drawings, written and photographed as the digits were, and pictures of things. A picture is
# answered "not a digit" when no mark in it is read as a digit: when the network's top probability
# for each mark is under `predict.NOT_A_DIGIT_BELOW`. One picture of each kind, and what each model
# answers:

# %%
non_digit_photos = {kind: refusals.photographed_non_digits(kind, NON_DIGIT_PICTURES, SEED) for kind in non_digits.KINDS}
shown = [pictures[0] for pictures in non_digit_photos.values()]
said = {
    name: refusals.answers(network, shown) for name, network in {"original": original, "robust": robust_network}.items()
}
figures.plot_photographs(
    shown,
    [
        f"{kind}\noriginal: {said['original'][i]}\nrobust: {said['robust'][i]}"
        for i, kind in enumerate(non_digits.KINDS)
    ],
    columns=6,
)

# %% [markdown]
# Over all of them, the share answered "not a digit", kind by kind; then how well the top probability
# separates these pictures from the photographed digits (the USPS digits above, under every condition):
# the area under the ROC curve (1: perfectly), and the share of non-digits refused by the threshold
# that keeps 95 % of the digits. The original model's column is the baseline: the top probability of
# a network never shown a non-digit.

# %% tags=["nbval-ignore-output"]
networks_read = {"original": original, "robust": robust_network}
digit_scores = refusals.scores_of(networks_read, refusals.first_photos(found, NON_DIGIT_PICTURES))
non_digit_scores = {
    kind: refusals.scores_of(networks_read, photo_accuracy.found_in(pictures))
    for kind, pictures in non_digit_photos.items()
}
refusal = refusals.refusal_table(non_digit_scores)
display(refusal, refusals.separation_table(digit_scores, non_digit_scores))

# %% [markdown]
# Every threshold on the top probability trades digits kept against non-digits refused; the dot on
# each curve is the threshold `predict` uses.

# %%
every_non_digit = refusals.every_kind(non_digit_scores)
figures.plot_refusal_curves(
    {name: (digit_scores[name], every_non_digit[name]) for name in networks_read}, NOT_A_DIGIT_BELOW
)

# %% [markdown]
# ## A number
#
# Digits written apart from each other on one photo are found, ordered left to right and read one
# by one; `python -m mnist_cnn predict` prints the number and each digit's confidence. A digit the
# network is unsure of on its own is still read when it stands among the others, as tall as they
# are, unless the network calls it no digit outright (docs/predict.md). Digits that
# touch are one mark to the preparation, which the robust model does not read as a digit: the
# second photo's answer. The fourth notebook trains a network that reads such a mark whole.

# %%
rng = np.random.default_rng(SEED)
number_digits = list(usps_images[[3, 14, 15]])
for touching in (False, True):
    number_photo = photos.photograph_number(number_digits, "ruled", rng, touching=touching)
    (marks,) = read_marks([find(number_photo)], robust_network)
    found = [preparation.Digit(mark.image, mark.box) for mark in marks]
    display(figures.plot_found_digits(number_photo, found, [refusals.said(mark) for mark in marks]))

# %% [markdown]
# ## Saving the robust model
#
# A plain `.keras` file that `keras.saving.load_model` opens without this package, and its
# LiteRT export: `python -m mnist_cnn predict` uses it by default from now on, and says so. The
# table above is saved as `reports/handwriting.csv`.

# %%
output = Path(OUTPUT_DIR)
saving.save_model(robust_model, output / saving.ROBUST_MODEL_PATH)
export.export_litert(robust_model, output / saving.ROBUST_MODEL_PATH)
saving.write_text(output / "reports" / "handwriting.csv", table.to_csv())
print(f"Saved {saving.ROBUST_MODEL_PATH} (and .tflite) and reports/handwriting.csv")

# %% [markdown]
# ## Try it yourself
#
# Draw a digit with the mouse, a pen or a finger: the robust model reads it at the end of each
# stroke, in Jupyter and in this notebook's HTML pages, where the page reads it in the browser.
# Or photograph one on paper and run `python -m mnist_cnn predict photo.jpg`.

# %% tags=["nbval-ignore-output"]
DrawingPad(robust_model)

# %% [markdown]
# ## Conclusion
#
# Two things stand between an MNIST model and a photo of someone's handwriting: the photo, which
# the preparation turns into what MNIST's digits look like, and the writer, whose digits the
# robust model learned from distorted MNIST digits. How much each buys on this run is the table and
# the sentence under it above, condition by condition; what the robust model kept of MNIST, the
# accuracies before them. Shown pictures that are not digits while it learned, the robust model also
# says when a picture holds no digit, far more often than the original's top probability could
# (the refusal tables and curves).
#
# What it does not read yet (docs/handwriting.md): digits that touch each other (a joined-up number
# is one mark, answered "not a digit": the fourth notebook's network reads it), letters that are a digit's twin (an O is read as a 0), a
# stroke running along a ruled line (a 7's bar written exactly on a rule is taken away with it), and
# pictures whose paper is darker than the ink over most of the frame.
