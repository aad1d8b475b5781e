"""Training progress: livelossplot's live plot, and one line per epoch with the time left."""

from __future__ import annotations

import time

import keras
from livelossplot import PlotLosses
from livelossplot.outputs import MatplotlibPlot
from matplotlib.ticker import MaxNLocator


class LivePlot(keras.callbacks.Callback):
    """livelossplot's live loss and accuracy plot, epochs numbered from 1 as in the static curves and epoch lines.

    A marker on each epoch shows the first one, a single point that a line alone would not draw.
    """

    def __init__(self) -> None:
        super().__init__()
        self.plot = PlotLosses(outputs=[MatplotlibPlot(after_subplot=_label_epochs)])

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.plot.update(dict(logs or {}), current_step=epoch + 1)
        self.plot.send()


def _label_epochs(axes, group_name: str, x_label: str) -> None:
    for line in axes.get_lines():
        line.set_marker("o")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(group_name)
    axes.set_xlabel(x_label)
    axes.legend(loc="center right")


class EpochLog(keras.callbacks.Callback):
    """Prints a line per epoch: its metrics, its seconds and an estimate of the time left."""

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self.started)
        print(epoch_line(epoch + 1, self.params["epochs"], logs or {}, self.seconds), flush=True)


def epoch_line(epoch: int, epochs: int, logs: dict[str, float], seconds: list[float]) -> str:
    """'epoch 2/5: loss 0.0512, accuracy 0.9843, val_loss ... (5.6 s, about 17 s left)'."""
    names = sorted(logs, key=lambda name: (name.startswith("val_"), name.removeprefix("val_") != "loss"))
    metrics = ", ".join(f"{name} {logs[name]:.4f}" for name in names if name != "learning_rate")
    left = (epochs - epoch) * sum(seconds) / len(seconds)
    timing = f"{seconds[-1]:.1f} s, about {left:.0f} s left" if epoch < epochs else f"{seconds[-1]:.1f} s, done"
    return f"epoch {epoch}/{epochs}: {metrics} ({timing})"
