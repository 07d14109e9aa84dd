"""Forecasting a series in original units: the LSTM :class:`Forecaster` and baselines with the
same interface (``fit``, ``predict``, ``walk_forward``, ``evaluate``, ``backtest``);
``Forecaster.save(path)`` and :func:`load_forecaster` keep a fitted one in a file."""

from lstmkit.forecast.base import (
    BaseForecaster,
    Series,
    backtest_scores,
    future_index,
    prepare_series,
)
from lstmkit.forecast.baselines import (
    NaiveForecaster,
    SARIMAXForecaster,
    SeasonalNaiveForecaster,
    infer_season,
)
from lstmkit.forecast.intervals import interval_backtest
from lstmkit.forecast.lstm import Forecaster
from lstmkit.forecast.tuning import TuneResult, tune
from lstmkit.saving.forecaster_file import load_forecaster

__all__ = [
    "BaseForecaster",
    "Forecaster",
    "NaiveForecaster",
    "SARIMAXForecaster",
    "SeasonalNaiveForecaster",
    "Series",
    "TuneResult",
    "backtest_scores",
    "future_index",
    "infer_season",
    "interval_backtest",
    "load_forecaster",
    "prepare_series",
    "tune",
]
