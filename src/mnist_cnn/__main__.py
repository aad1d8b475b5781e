"""Command line: `python -m mnist_cnn predict PATH [PATH ...]`, `... export` or `... report`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mnist_cnn.settings import MODEL_PATH


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_cnn")
    commands = parser.add_subparsers(dest="command", required=True)
    predict_parser = commands.add_parser("predict", help="classify images of handwritten digits, one digit each")
    predict_parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="an image file, or a folder of them"
    )
    predict_parser.add_argument("--model", type=Path, default=MODEL_PATH, help="the saved .keras model, or a .tflite")
    predict_parser.add_argument("--top", type=int, default=1, help="how many digits to list per image (1-10)")
    predict_parser.add_argument("--json", action="store_true", help="print one JSON document instead of lines")
    export_parser = commands.add_parser("export", help="export a saved .keras model to LiteRT (.tflite) beside it")
    export_parser.add_argument("--model", type=Path, default=MODEL_PATH)
    commands.add_parser("report", help="run the notebook headless and build the HTML report", add_help=False)
    options, rest = parser.parse_known_args(arguments)

    # Each command imports only what it needs: neither the report nor predict imports TensorFlow.
    if options.command == "report":
        from mnist_cnn import report

        return report.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if options.command == "export":
        return export(options.model)
    if not 1 <= options.top <= 10:
        parser.error(f"--top: expected a number of digits from 1 to 10, found {options.top}")
    return predict(options.paths, options.model, options.top, options.json)


def predict(paths: list[Path], model: Path, top: int, as_json: bool) -> int:
    """Print a line (or a JSON record) per image; exit status 1 if any image or the model failed."""
    from mnist_cnn.predict import PredictError, classify

    try:
        predictions = classify(paths, model)
    except PredictError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps({"model": str(model), "predictions": [p.to_dict() for p in predictions]}, indent=2))
    for prediction in predictions:
        if prediction.error is not None:
            if not as_json:
                print(f"error: {prediction.path}: {prediction.error}", file=sys.stderr, flush=True)
            continue
        if not as_json:
            (digit, probability), *others = prediction.ranking(top)
            print(f"{prediction.path}: {digit} ({probability:.1%})")
            for other, other_probability in others:
                print(f"  then {other} ({other_probability:.1%})")
            sys.stdout.flush()  # keep answers and errors in order when both go to one file
    return 1 if any(prediction.error is not None for prediction in predictions) else 0


def export(model: Path) -> int:
    """Write the LiteRT export of a saved model beside it (needs TensorFlow)."""
    from mnist_cnn import artifacts

    try:
        loaded = artifacts.load_model(model)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {artifacts.export_litert(loaded, model)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
