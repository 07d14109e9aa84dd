"""Forecasting a series in original units: the LSTM :class:`Forecaster` and baselines with the
same interface (``fit``, ``predict``, ``walk_forward``, ``evaluate``, ``backtest``)."""

from lstmkit.forecast.base import BaseForecaster, Series, future_index, prepare_series
from lstmkit.forecast.baselines import (
    NaiveForecaster,
    SARIMAXForecaster,
    SeasonalNaiveForecaster,
    infer_season,
)
from lstmkit.forecast.lstm import Forecaster

__all__ = [
    "BaseForecaster",
    "Forecaster",
    "NaiveForecaster",
    "SARIMAXForecaster",
    "SeasonalNaiveForecaster",
    "Series",
    "future_index",
    "infer_season",
    "prepare_series",
]
