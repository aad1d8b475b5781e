"""The command line: `python -m mnist_cnn predict PATH [PATH ...]`, `... export`, `... report` or `... book`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mnist_cnn.saving import MODEL_PATH, NUMBER_MODEL_PATH, ROBUST_MODEL_PATH

if TYPE_CHECKING:  # predict is imported only by the predict command
    from mnist_cnn.reading.predict import Prediction


def main(arguments: list[str] | None = None) -> int:
    """`python -m mnist_cnn COMMAND ...`: predict, export, report or book; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mnist_cnn")
    commands = parser.add_subparsers(dest="command", required=True)
    predict_parser = commands.add_parser(
        "predict", help="read the handwritten digits in photos or scans: one digit, or a number"
    )
    predict_parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="an image file, or a folder of them"
    )
    predict_parser.add_argument(
        "--model",
        type=Path,
        help=f"the saved .keras model, or a .tflite (default: {ROBUST_MODEL_PATH} if it exists, else {MODEL_PATH})",
    )
    predict_parser.add_argument(
        "--numbers",
        type=Path,
        help=f"the saved number network that reads joined-up numbers (default: {NUMBER_MODEL_PATH} if it exists)",
    )
    predict_parser.add_argument("--no-numbers", action="store_true", help="read no joined-up numbers")
    predict_parser.add_argument("--top", type=int, default=1, help="how many candidates to list per digit (1-10)")
    predict_parser.add_argument("--json", action="store_true", help="print one JSON document instead of lines")
    export_parser = commands.add_parser("export", help="export a saved .keras model to LiteRT (.tflite) beside it")
    export_parser.add_argument("--model", type=Path, default=MODEL_PATH)
    commands.add_parser(
        "report",
        help="run the notebooks headless (all four, or each --notebook) and build their HTML reports",
        add_help=False,
    )
    commands.add_parser(
        "book", help="build the book: the notebooks' runs and the guides as one static site", add_help=False
    )
    options, rest = parser.parse_known_args(arguments)

    # Each command imports only what it needs: neither the report, the book nor predict imports TensorFlow.
    if options.command == "report":
        from mnist_cnn.report import runner

        return runner.main(rest)
    if options.command == "book":
        from mnist_cnn.report import book

        return book.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if options.command == "export":
        return export(options.model)
    if not 1 <= options.top <= 10:
        parser.error(f"--top: expected a number of digits from 1 to 10, found {options.top}")
    numbers = False if options.no_numbers else options.numbers
    return predict(options.paths, options.model, options.top, options.json, numbers)


def predict(paths: list[Path], model: Path | None, top: int, as_json: bool, numbers: Path | bool | None = None) -> int:
    """Print which models read, then a line (or a JSON record) per image; exit status 1 if any failed.

    `numbers` is the number network's path; None: the saved one if any (`default_number_model`); False: none."""
    from mnist_cnn.reading.predict import PredictError, classify, default_model, default_number_model

    model = default_model() if model is None else model
    numbers = default_number_model() if numbers is None else numbers or None
    try:
        predictions = classify(paths, model, numbers)
    except PredictError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if as_json:
        found = {"model": str(model), "number_model": None if numbers is None else str(numbers)}
        print(json.dumps(found | {"predictions": [p.to_dict() for p in predictions]}, indent=2))
    else:
        print(f"Read by {model}" + ("" if numbers is None else f"; joined-up numbers by {numbers}"), flush=True)
    for prediction in predictions:
        if prediction.error is not None:
            if not as_json:
                print(f"error: {prediction.path}: {prediction.error}", file=sys.stderr, flush=True)
            continue
        if not as_json:
            print(answer(prediction, top), flush=True)  # flushed: answers and errors in order in one file
    return 1 if any(prediction.error is not None for prediction in predictions) else 0


def answer(prediction: Prediction, top: int) -> str:
    """ "photo.png: 7 (99.2%)", then a line per other candidate; a number lists each digit's confidence.

    A picture none of whose marks is a digit is "not a digit", with the likeliest digit and its probability.
    """
    if not prediction.is_digit:
        best = max(prediction.marks, key=lambda mark: mark.probabilities[mark.digit])
        return f"{prediction.path}: not a digit (at most {best.digit}, {best.probabilities[best.digit]:.1%})"
    refused = len(prediction.marks) - len(prediction.digits)
    aside = f"; {refused} other mark{'s' * (refused > 1)} not a digit" if refused else ""
    aside += "; joined up, read whole" if any(mark.joined for mark in prediction.digits) else ""
    if len(prediction.digits) == 1:
        (digit, probability), *others = prediction.digits[0].ranking(top)
        lines = [f"{prediction.path}: {digit} ({probability:.1%}{aside})"]
        lines += [f"  then {other} ({other_probability:.1%})" for other, other_probability in others]
        return "\n".join(lines)
    confidences = ", ".join(f"{reading.digit} {max(reading.probabilities):.1%}" for reading in prediction.digits)
    lines = [f"{prediction.path}: {prediction.number} ({confidences}{aside})"]
    for position, reading in enumerate(prediction.digits, start=1):
        lines += [f"  digit {position}: then {d} ({p:.1%})" for d, p in reading.ranking(top)[1:]]
    return "\n".join(lines)


def export(model: Path) -> int:
    """Write the LiteRT export of a saved model beside it (needs TensorFlow); the exit status, 1 if none is written."""
    from mnist_cnn.reading.quiet import notices_dropped

    with notices_dropped():  # TensorFlow's and the converter's INFO lines, from their start
        from mnist_cnn.reading.export import export_litert
        from mnist_cnn.reading.saved_models import load_model

        try:
            loaded = load_model(model)
        except (FileNotFoundError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        exported = export_litert(loaded, model)
    if exported is None:  # no TensorFlow: stderr has said so
        return 1
    print(f"Wrote {exported}")
    return 0
