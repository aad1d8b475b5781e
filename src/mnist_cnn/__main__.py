"""Command line: `python -m mnist_cnn predict IMAGE` or `python -m mnist_cnn report`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mnist_cnn.settings import MODEL_PATH


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_cnn")
    commands = parser.add_subparsers(dest="command", required=True)
    predict_parser = commands.add_parser("predict", help="classify an image of one handwritten digit")
    predict_parser.add_argument("image", type=Path)
    predict_parser.add_argument("--model", type=Path, default=MODEL_PATH)
    predict_parser.add_argument("--top", type=int, default=3, help="how many digits to list")
    commands.add_parser("report", help="run the notebook headless and build the HTML report", add_help=False)
    options, rest = parser.parse_known_args(arguments)

    # Each command imports only what it needs: the report itself runs no TensorFlow.
    if options.command == "report":
        from mnist_cnn import report

        return report.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if not 1 <= options.top <= 10:
        parser.error(f"--top: expected a number of digits from 1 to 10, found {options.top}")
    from mnist_cnn.predict import classify

    try:
        ranking = classify(options.image, options.model, options.top)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    digit, probability = ranking[0]
    print(f"{options.image}: {digit} ({probability:.1%})")
    for other, other_probability in ranking[1:]:
        print(f"  then {other} ({other_probability:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
