"""Plots our users judge their models by: loss curves, actual against predicted, and a forecast
after the training data. Matplotlib figures built directly (Agg canvas, no pyplot state, no
screen needed); given ``path=``, each is also written as a PNG, atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lstmkit.saving.files import atomic_write

__all__ = [
    "plot_errors_by_step",
    "plot_forecast",
    "plot_forecast_band",
    "plot_heldout",
    "plot_history",
    "plot_predictions",
    "save_png",
]


def save_png(figure: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``figure`` as a PNG at ``path`` atomically (:func:`~lstmkit.saving.files.atomic_write`:
    a temporary file in the same folder, flushed to disk, then renamed over ``path``); nothing
    is left behind if writing fails."""
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"cannot save the plot: folder {str(target.parent)!r} does not exist"
        )
    atomic_write(target, FigureCanvasAgg(figure).print_png)
    return target


def _finish(figure: Figure, path: Any) -> Figure:
    if path is not None:
        save_png(figure, path)
    return figure


def plot_history(
    history: Any,
    *,
    metrics: tuple[str, ...] = ("loss",),
    path: Any = None,
    title: str | None = None,
) -> Figure:
    """One panel per metric: its training curve and, when present, its ``val_`` curve, against
    epochs counted from 1. ``history``: a :class:`~lstmkit.callbacks.History` or its
    ``.history`` dict."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(f"plot_history expects a History or its .history dict; got {type(logs)}")
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise ValueError(f"plot_history: {missing} not in the history; it has {sorted(logs)}")
    figure = Figure(figsize=(6.4, 3.2 * len(metrics)))
    for row, metric in enumerate(metrics):
        axes = figure.add_subplot(len(metrics), 1, row + 1)
        values = logs[metric]
        epochs = np.arange(1, len(values) + 1)
        axes.plot(epochs, values, label=f"training {metric}")
        if f"val_{metric}" in logs:
            axes.plot(epochs, logs[f"val_{metric}"], label=f"validation {metric}")
        axes.set_xlabel("epoch")
        axes.set_ylabel(metric)
        axes.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return _finish(figure, path)


def plot_predictions(
    actual: Any,
    predicted: Any,
    *,
    index: Any = None,
    path: Any = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Actual and predicted values over the same positions (``index``, default 0…n-1)."""
    actual, predicted = np.ravel(actual), np.ravel(predicted)
    if actual.shape != predicted.shape:
        raise ValueError(
            f"plot_predictions needs as many predictions as actual values; got {actual.size} "
            f"and {predicted.size}"
        )
    x = np.arange(actual.size) if index is None else index
    figure = Figure(figsize=(8, 4))
    axes = figure.add_subplot()
    axes.plot(x, actual, label="actual")
    axes.plot(x, predicted, label="predicted")
    axes.set_ylabel(ylabel or "value")
    axes.legend()
    if title:
        axes.set_title(title)
    figure.autofmt_xdate()
    return _finish(figure, path)


def plot_forecast(
    train: Any,
    forecast: Any,
    *,
    test: Any = None,
    forecast_index: Any = None,
    path: Any = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """The training series, the held-out test series if given (after a dashed line at the
    boundary), and the forecast drawn where it belongs. Series keep their index; arrays are
    placed one after another."""
    train_x, train_y = _xy(train, 0)
    lines = [("training data", train_x, train_y)]
    end = len(train_y)
    if test is not None:
        test_x, test_y = _xy(test, end)
        lines.append(("test data", test_x, test_y))
        end += len(test_y)
    forecast_y = np.ravel(np.asarray(forecast, dtype=float))
    if forecast_index is None:
        forecast_index = getattr(forecast, "index", None)
    if forecast_index is not None:
        forecast_x = forecast_index
    elif test is not None and len(forecast_y) == end - len(train_y):
        forecast_x = lines[1][1]  # a forecast of the test span is drawn over it
    else:
        forecast_x = np.arange(end, end + len(forecast_y))
    figure = Figure(figsize=(9, 4))
    axes = figure.add_subplot()
    for label, x, y in lines:
        axes.plot(x, y, label=label)
    axes.plot(forecast_x, forecast_y, label="forecast")
    if test is not None:
        axes.axvline(lines[1][1][0], color="grey", linestyle="--", linewidth=1)
    axes.set_ylabel(ylabel or "value")
    axes.legend()
    if title:
        axes.set_title(title)
    figure.autofmt_xdate()
    return _finish(figure, path)


def _xy(series: Any, start: int) -> tuple[Any, np.ndarray]:
    if hasattr(series, "index") and hasattr(series, "to_numpy"):
        return series.index, np.ravel(series.to_numpy(dtype=float))
    values = np.ravel(np.asarray(series, dtype=float))
    return np.arange(start, start + len(values)), values


def plot_forecast_band(
    series: Any,
    n_train: int,
    future: Any,
    members: Any,
    label: str,
    title: str,
    levels: list[float],
) -> Figure:
    """The data (training part, held-out part), the published forecast ``future`` (a frame:
    the target column, ``lo-L``/``hi-L`` columns) with its bands, and the LSTM ensemble's
    members ``(n_models, steps)`` as thin lines. The forecast line starts at the last
    observation, so it continues the data."""
    target = series.target[0]
    values = series.frame[target]
    figure = Figure(figsize=(9, 4.4))
    axes = figure.add_subplot()
    x = values.index
    future_x = future.index
    if not isinstance(future.index, type(values.index)):
        x = np.arange(len(values))
        future_x = np.arange(len(values), len(values) + len(future))
    # The last four horizons of training data: enough to see the pattern the forecast continues.
    first = max(0, n_train - 4 * len(future))
    axes.plot(x[first:n_train], values.iloc[first:n_train], color="C0", label="training data")
    axes.plot(x[n_train - 1 :], values.iloc[n_train - 1 :], color="C1", label="held-out data")
    join_x = [x[-1], *future_x]
    last = float(values.iloc[-1])
    for alpha, level in zip((0.35, 0.18), sorted(levels), strict=False):
        lo = [last, *future[f"lo-{level:g}"]]
        hi = [last, *future[f"hi-{level:g}"]]
        axes.fill_between(
            join_x, lo, hi, color="C3", alpha=alpha, linewidth=0, label=f"{level:g} % interval"
        )
    members = np.asarray(members)
    for row, path in enumerate(members):
        axes.plot(
            join_x,
            [last, *path],
            color="grey",
            linewidth=0.6,
            alpha=0.7,
            label="LSTM ensemble members" if row == 0 else None,
        )
    axes.plot(join_x, [last, *future[target]], color="C3", linewidth=2, label=f"forecast: {label}")
    axes.axvline(x[n_train], color="grey", linestyle="--", linewidth=1)
    axes.set_xlabel("time" if isinstance(x, type(values.index)) else "row")
    axes.set_ylabel(target)
    axes.set_title(title)
    axes.legend(fontsize="small", loc="upper left")
    figure.autofmt_xdate()
    return figure


def plot_heldout(
    series: Any, n_train: int, forecasts: dict[str, Any], labels: dict[str, str]
) -> Figure:
    """Every model's forecast of the first steps of the held-out part, made at the end of the
    training part, against the data; each line starts at the last training value."""
    target = series.target[0]
    values = series.frame[target]
    steps = len(next(iter(forecasts.values())))
    start = max(0, n_train - 3 * steps)
    x = values.index
    figure = Figure(figsize=(9, 4.4))
    axes = figure.add_subplot()
    axes.plot(
        x[start : n_train + steps],
        values.iloc[start : n_train + steps],
        color="black",
        linewidth=2,
        label="data",
    )
    join_x = x[n_train - 1 : n_train + steps]
    last = float(values.iloc[n_train - 1])
    for position, (name, forecast) in enumerate(forecasts.items()):
        axes.plot(
            join_x,
            [last, *np.ravel(forecast)],
            color=f"C{position}",
            label=labels.get(name, name),
            linestyle="-" if name == "lstm" else "--",
        )
    axes.axvline(x[n_train - 1], color="grey", linestyle=":", linewidth=1)
    axes.set_xlabel("time")
    axes.set_ylabel(target)
    axes.set_title(f"{steps}-step forecasts from the end of the training part")
    axes.legend(fontsize="small")
    figure.autofmt_xdate()
    return figure


def plot_errors_by_step(table: Any, labels: dict[str, str], target: str) -> Figure:
    """RMSE by step ahead (rows of ``table``, a frame indexed by step) for each model
    (columns)."""
    figure = Figure(figsize=(7, 3.8))
    axes = figure.add_subplot()
    for position, name in enumerate(table.columns):
        axes.plot(
            table.index, table[name], marker="o", color=f"C{position}", label=labels.get(name, name)
        )
    axes.set_xlabel("steps ahead")
    axes.set_ylabel(f"RMSE ({target})")
    axes.set_title("Error by step ahead, rolling origins through the held-out part")
    axes.set_xticks(list(table.index))
    axes.legend(fontsize="small")
    figure.tight_layout()
    return figure
