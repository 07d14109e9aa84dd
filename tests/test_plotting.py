"""Plots hold the data they were given and are written as whole PNG files or not at all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmkit.callbacks import History
from lstmkit.data import load_dataset
from lstmkit.forecast import SeasonalNaiveForecaster
from lstmkit.plotting import plot_forecast, plot_history, plot_predictions, save_png

PNG = b"\x89PNG\r\n\x1a\n"


def test_history_curves_start_at_epoch_one(tmp_path):
    history = History()
    history.history = {"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0], "mae": [1, 1, 1]}
    path = tmp_path / "loss.png"
    figure = plot_history(history, path=path)
    (axes,) = figure.axes
    train, val = axes.get_lines()
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(train.get_ydata(), [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(val.get_ydata(), [3.5, 2.5, 2.0])
    assert axes.get_xlabel() == "epoch" and axes.get_ylabel() == "loss"
    assert path.read_bytes().startswith(PNG)
    assert len(plot_history(history.history, metrics=("loss", "mae")).axes) == 2
    with pytest.raises(ValueError, match=r"\['accuracy'\] not in the history"):
        plot_history(history, metrics=("accuracy",))


def test_predictions_and_forecast_plots(tmp_path):
    data = load_dataset("airline")
    train, test = data.iloc[:-24], data.iloc[-24:]
    model = SeasonalNaiveForecaster().fit(train)
    forecast = model.walk_forward(test)
    figure = plot_predictions(test["Passengers"], forecast, ylabel="passengers")
    actual, predicted = figure.axes[0].get_lines()
    np.testing.assert_array_equal(actual.get_ydata(), test["Passengers"].to_numpy(float))
    np.testing.assert_array_equal(predicted.get_ydata(), forecast)
    series = model.series_.frame["Passengers"]
    future = model.predict_frame(steps=12)
    path = tmp_path / "forecast.png"
    figure = plot_forecast(series, future["Passengers"], path=path)
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["training data", "forecast"]
    assert pd.Timestamp(lines[1].get_xdata()[0]) == pd.Timestamp("1959-01-01")
    assert path.read_bytes().startswith(PNG)
    arrays = plot_forecast(np.arange(5.0), np.ones(3), test=np.arange(5.0, 8.0))
    labels = [line.get_label() for line in arrays.axes[0].get_lines()]
    assert labels[:3] == ["training data", "test data", "forecast"]
    np.testing.assert_array_equal(arrays.axes[0].get_lines()[2].get_xdata(), [5, 6, 7])


def test_a_failed_save_leaves_nothing_behind(tmp_path):
    figure = plot_predictions([1, 2], [1, 2])
    target = tmp_path / "plot.png"
    target.write_bytes(b"old")

    class Broken:
        def print_png(self, handle):
            handle.write(b"half")
            raise OSError("disk full")

    import lstmkit.plotting as plotting

    original = plotting.FigureCanvasAgg
    plotting.FigureCanvasAgg = lambda figure: Broken()
    try:
        with pytest.raises(OSError, match="disk full"):
            save_png(figure, target)
    finally:
        plotting.FigureCanvasAgg = original
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_png(figure, tmp_path / "missing" / "plot.png")
