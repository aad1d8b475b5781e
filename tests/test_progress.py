"""The live plot counts epochs from 1 with a marker each; the epoch line says what is left."""

import matplotlib.pyplot as plt
import pytest

from mnist_cnn.progress import EpochLog, LivePlot, epoch_line

LOGS = {"accuracy": 0.9, "loss": 0.3, "val_accuracy": 0.95, "val_loss": 0.2, "learning_rate": 0.001}


def test_epoch_line_orders_metrics_and_estimates_the_time_left():
    assert epoch_line(2, 5, LOGS, [6.0, 4.0]) == (
        "epoch 2/5: loss 0.3000, accuracy 0.9000, val_loss 0.2000, val_accuracy 0.9500 (4.0 s, about 15 s left)"
    )
    assert epoch_line(5, 5, {"loss": 0.1}, [5.0] * 5) == "epoch 5/5: loss 0.1000 (5.0 s, done)"


def test_epoch_log_prints_a_line_per_epoch(capsys):
    log = EpochLog()
    log.set_params({"epochs": 2})
    log.on_train_begin()
    for epoch in range(2):
        log.on_epoch_begin(epoch)
        log.on_epoch_end(epoch, LOGS)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]


@pytest.mark.filterwarnings("ignore:FigureCanvasAgg is non-interactive")
def test_live_plot_numbers_epochs_from_one_with_markers():
    plot = LivePlot()
    plot.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.6})
    figure = plt.gcf()
    lines = [line for axes in figure.axes for line in axes.get_lines()]
    assert lines and all(line.get_marker() == "o" for line in lines)
    assert all(list(line.get_xdata()) == [1] for line in lines)  # one point, at epoch 1
    plot.on_epoch_end(1, {"loss": 0.4, "val_loss": 0.5})
    assert [item.step for item in plot.plot.logger.log_history["loss"]] == [1, 2]
    plt.close("all")
