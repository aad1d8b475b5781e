"""The summary a notebook shows first: its run's `metrics.json` (`saving.save_run`) as a Markdown table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def describe_run(metrics: Mapping[str, Any]) -> str:
    """A short Markdown summary of a run's `metrics.json`: results, settings, machine, versions."""
    settings = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in metrics["parameters"].items())
    versions = ", ".join(f"{name} {version}" for name, version in metrics["versions"].items())
    return "\n".join(
        [
            "## Summary of this run",
            "",
            "| | |",
            "|---|---|",
            f"| test accuracy | {metrics['test']['accuracy']:.2%} (loss {metrics['test']['loss']:.4f}) |",
            f"| train accuracy | {metrics['train']['accuracy']:.2%} (loss {metrics['train']['loss']:.4f}) |",
            f"| training time | {metrics['training_seconds']:.0f} s |",
            f"| settings | {settings} |",
            f"| parameters | {metrics['parameter_count']:,} |",
            f"| machine | {metrics['machine']} |",
            f"| how it trained | {metrics['execution']} ({metrics['backend']} backend) |",
            f"| versions | {versions} |",
            f"| date | {metrics['date']} |",
        ]
    )
