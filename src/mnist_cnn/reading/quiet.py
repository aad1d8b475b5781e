"""TensorFlow's and LiteRT's notices, dropped where a command starts TensorFlow (`export`), around the LiteRT
conversion, and where LiteRT applies its XNNPACK delegate (`saved_models`).

TensorFlow 2.21 logs INFO notices on stderr while its libraries load (oneDNN's "custom operations
are on", the CPU instructions it was not built for), unless TF_CPP_MIN_LOG_LEVEL was set when the
process started; the LiteRT converter adds its own INFO lines and two warnings about options Keras
sets; LiteRT's interpreter says when it creates its XNNPACK delegate. Inside `notices_dropped`,
every line written to the stderr descriptor passes through as it comes, but those notices:
warnings and errors still show, at once. Afterwards stderr is as it was.
Importing the package filters nothing: the notebooks' kernels started by the report command, the
tests and `make lab` get TF_CPP_MIN_LOG_LEVEL=1 (`report.parameters.kernel_environment`).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

# absl's INFO records ("I1127 10:22:33.123456  1234 port.cc:153] ..."), absl's note that logging
# is not yet initialised, the second line of TensorFlow's CPU-instructions notice, and the two
# options the LiteRT converter reports ignoring (Keras sets them; they change nothing).
NOTICE = re.compile(
    r"I\d{4} [\d:.]+ +\d+ \S+:\d+\] .*"
    r"|W\d{4} [\d:.]+ +\d+ tf_tfl_flatbuffer_helpers\.cc:\d+\] Ignored (?:output_format|drop_control_dependency)\."
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\."
    r"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
)


def is_notice(line: str) -> bool:
    """Whether one line of stderr is one of TensorFlow's start-up notices."""
    return NOTICE.fullmatch(line.rstrip("\r\n")) is not None


@contextlib.contextmanager
def notices_dropped() -> Iterator[None]:
    """While inside, pass each line written to the stderr descriptor on as it comes, unless it is a notice."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no stderr descriptor to filter
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    forwarder = threading.Thread(target=_forward, args=(read_end, saved), name="stderr-notices", daemon=True)
    forwarder.start()
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the forwarder reads to its end
        forwarder.join()
        os.close(saved)


def _forward(read_end: int, destination: int) -> None:
    with open(read_end, "rb", buffering=0) as pipe:
        for line in pipe:  # each line as soon as it is complete
            if not is_notice(line.decode(errors="replace")):
                os.write(destination, line)
