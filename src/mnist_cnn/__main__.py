"""`python -m mnist_cnn predict | export | report | book`: the command line, `mnist_cnn.report.command`."""

import sys

from mnist_cnn.report.command import main

if __name__ == "__main__":
    sys.exit(main())
