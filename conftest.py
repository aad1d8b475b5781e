"""Settings for every pytest run, the notebook's included (nbval starts its kernel from here).

The notebook writes its model and reports under MNIST_CNN_OUTPUT_DIR: during tests that is a
temporary folder, so a test run never replaces a user's own results.
"""

import os
import tempfile

from mnist_cnn.settings import kernel_environment


def pytest_configure(config):
    if not os.environ.get("MNIST_CNN_OUTPUT_DIR"):
        os.environ["MNIST_CNN_OUTPUT_DIR"] = tempfile.mkdtemp(prefix="mnist_cnn-test-")
    os.environ.update(kernel_environment())
