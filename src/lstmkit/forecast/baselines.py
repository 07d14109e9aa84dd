"""Baselines with the forecasters' interface, so every forecast can be compared: the naive and
seasonal-naive forecasts and an ARIMA-family model through statsmodels."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from lstmkit._registry import register_class
from lstmkit.forecast.base import BaseForecaster, Series
from lstmkit.forecast.seasons import infer_season

__all__ = ["NaiveForecaster", "SARIMAXForecaster", "SeasonalNaiveForecaster", "infer_season"]


@register_class
class NaiveForecaster(BaseForecaster):
    """Every forecast is the last observed value."""

    def __init__(self, target: Any = None, date_column: str | None = None) -> None:
        self.target = target
        self.date_column = date_column

    def _fit(self, series: Series) -> None:
        self.target_names_ = list(series.target)

    def _forecast(self, history: pd.DataFrame, steps: int) -> np.ndarray:
        last = history[self.target_names_].to_numpy()[-1]
        return np.repeat(last[None], steps, axis=0)

    def _walk_forward(self, history: pd.DataFrame, start: int) -> np.ndarray:
        return history[self.target_names_].to_numpy()[start - 1 : len(history) - 1]


@register_class
class SeasonalNaiveForecaster(NaiveForecaster):
    """Every forecast is the value one season earlier. ``season=None`` infers it from the date
    index (12 monthly, 4 quarterly, 7 daily, 24 hourly)."""

    def __init__(
        self, season: int | None = None, target: Any = None, date_column: str | None = None
    ) -> None:
        self.season = season
        self.target = target
        self.date_column = date_column

    def _fit(self, series: Series) -> None:
        super()._fit(series)
        season = self.season if self.season is not None else infer_season(series.freq)
        if season is None:
            raise ValueError(
                "SeasonalNaiveForecaster cannot infer the season of this series (no dated index "
                "of a known frequency); give season=..."
            )
        if isinstance(season, bool) or not isinstance(season, int | np.integer) or season < 1:
            raise ValueError(f"season must be a positive integer; got season={season!r}")
        if season > len(series.frame):
            raise ValueError(
                f"SeasonalNaiveForecaster: season={season} is longer than the series "
                f"({len(series.frame)} rows)"
            )
        self.season_ = int(season)

    def _forecast(self, history: pd.DataFrame, steps: int) -> np.ndarray:
        values = history[self.target_names_].to_numpy()
        last_season = values[-self.season_ :]
        return np.stack([last_season[i % self.season_] for i in range(steps)])

    def _walk_forward(self, history: pd.DataFrame, start: int) -> np.ndarray:
        values = history[self.target_names_].to_numpy()
        return values[start - self.season_ : len(history) - self.season_]


@register_class
class SARIMAXForecaster(BaseForecaster):
    """A seasonal ARIMA model through ``statsmodels.tsa.statespace.sarimax.SARIMAX``, on the
    target alone (univariate: future values of features are unknown when forecasting).

    ``seasonal_order=None`` means ``(0, 1, 1, season)`` when the season can be inferred from the
    dates, else no seasonal part. ``log=True`` models ``log(target)`` and returns ``exp`` of the
    forecast (the target must be positive).
    """

    def __init__(
        self,
        order: tuple[int, int, int] = (1, 1, 1),
        seasonal_order: tuple[int, int, int, int] | None = None,
        trend: str | None = None,
        log: bool = False,
        target: Any = None,
        date_column: str | None = None,
    ) -> None:
        self.order = order
        self.seasonal_order = seasonal_order
        self.trend = trend
        self.log = log
        self.target = target
        self.date_column = date_column

    def _endog(self, history: pd.DataFrame) -> np.ndarray:
        values = history[self.target_].to_numpy(dtype=np.float64)
        if self.log:
            if np.any(values <= 0):
                raise ValueError(f"SARIMAXForecaster(log=True) needs a positive {self.target_!r}")
            values = np.log(values)
        return values

    def _back(self, values: np.ndarray) -> np.ndarray:
        return np.exp(values) if self.log else values

    def _fit(self, series: Series) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        if len(series.target) != 1:
            raise ValueError("SARIMAXForecaster forecasts one target")
        self.target_ = series.target[0]
        seasonal = self.seasonal_order
        if seasonal is None:
            season = infer_season(series.freq)
            seasonal = (0, 1, 1, season) if season else (0, 0, 0, 0)
        self.seasonal_order_ = tuple(seasonal)
        model = SARIMAX(
            self._endog(series.frame),
            order=self.order,
            seasonal_order=self.seasonal_order_,
            trend=self.trend,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.results_ = model.fit(disp=False)
        if caught:
            warnings.warn(f"statsmodels while fitting SARIMAX: {caught[0].message}", stacklevel=3)

    def _forecast(self, history: pd.DataFrame, steps: int) -> np.ndarray:
        results = self.results_.apply(self._endog(history))
        return self._back(np.asarray(results.forecast(steps)))[:, None]

    def _walk_forward(self, history: pd.DataFrame, start: int) -> np.ndarray:
        # The fitted parameters applied to the whole history: one pass gives every one-step
        # forecast, each from the observations before it.
        results = self.results_.apply(self._endog(history))
        predicted = np.asarray(results.predict(start=start, end=len(history) - 1))
        return self._back(predicted)[:, None]
