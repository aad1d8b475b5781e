"""mnist_cnn: the MNIST CNN of the notebooks, as a small package, and the programs around it.

The core is the pipeline the first two notebooks teach, a module per step: `data` → `networks` →
`training` (with `progress`) → `evaluation` (and `ablation`) → `figures` → `saving`. Each wing is a
program of its own: `reading` reads digits in pictures (`python -m mnist_cnn predict`, the drawing
pad, the third notebook), `report` runs the notebooks headless and writes their pages, `speed`
chooses and runs how training goes fast on this machine.
"""

# OpenCV's loader prepends its folder to LD_LIBRARY_PATH when imported, and Keras imports it:
# loaded here first, with that undone, importing this package changes no environment variable.
from mnist_cnn.reading import opencv as _opencv  # noqa: F401

__version__ = "0.1.0"
