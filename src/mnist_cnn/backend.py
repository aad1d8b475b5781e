"""Import TensorFlow and Keras without TensorFlow's start-up notices; every other line still shows.

While its libraries load, TensorFlow 2.21 logs INFO notices on stderr (oneDNN's "custom
operations are on", the CPU instructions it was not built for), before TF_CPP_MIN_LOG_LEVEL or
absl's log level can take effect, so no setting stops them. Every module of this package that
uses TensorFlow imports this module first (ruff's isort section `backend` keeps it first). It
imports TensorFlow with the stderr file descriptor sent to a temporary file, then writes back
every line but those notices: warnings and errors still reach the user. Afterwards stderr is as
it was; if TensorFlow was already imported, nothing is done.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

# absl's INFO records ("I1127 10:22:33.123456  1234 port.cc:153] ..."), absl's note that logging
# is not yet initialised, the second line of TensorFlow's CPU-instructions notice, and the two
# options the LiteRT converter reports ignoring (Keras sets them; they change nothing).
NOTICE = re.compile(
    r"I\d{4} [\d:.]+ +\d+ \S+:\d+\] .*"
    r"|W\d{4} [\d:.]+ +\d+ tf_tfl_flatbuffer_helpers\.cc:\d+\] Ignored (?:output_format|drop_control_dependency)\."
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\."
)


def without_notices(text: str) -> str:
    """`text` without the lines that are TensorFlow's start-up notices."""
    return "".join(line for line in text.splitlines(keepends=True) if not NOTICE.fullmatch(line.rstrip("\n")))


@contextlib.contextmanager
def notices_dropped() -> Iterator[None]:
    """While inside, capture what is written to the stderr descriptor; then write it back without notices."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no stderr descriptor to capture
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            sys.stderr.write(without_notices(captured.read().decode(errors="replace")))
            sys.stderr.flush()


def _import_tensorflow() -> None:
    if "tensorflow" in sys.modules:
        return
    with notices_dropped():
        import keras  # noqa: F401
        import tensorflow  # noqa: F401


_import_tensorflow()
