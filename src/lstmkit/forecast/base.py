"""What every forecaster shares: reading a series (date detection, column checks), the future
index, and one implementation of ``fit``/``predict``/``walk_forward``/``evaluate``/``backtest``
over two hooks a forecaster defines (``_fit`` and ``_forecast``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from lstmkit._registry import register_class
from lstmkit.data.scores import mae, mape, r2, rmse

__all__ = ["BaseForecaster", "Series", "future_index", "prepare_series"]


@register_class
@dataclass(frozen=True)
class Series:
    """A series ready to forecast: ``frame`` holds only the numeric columns used (features
    first, then targets), float64, indexed by time (a DatetimeIndex when there is a date column,
    else a RangeIndex); ``freq`` is the index's pandas frequency when it can be inferred."""

    frame: pd.DataFrame
    target: list[str]
    features: list[str]
    date_column: str | None
    freq: str | None


def _parse_dates(column: pd.Series) -> pd.DatetimeIndex | None:
    """The column as dates, or ``None`` when some value is not a date. Quarterly text such as
    ``1970 Q1`` parses too."""
    text = column.astype(str)
    try:
        return pd.DatetimeIndex(pd.to_datetime(text, format="mixed"))
    except (ValueError, TypeError):
        pass
    try:
        return pd.PeriodIndex(text.str.replace(" ", "-"), freq="Q").to_timestamp()
    except (ValueError, TypeError):
        return None


def prepare_series(
    data: Any, *, target: Any = None, features: Any = None, date_column: str | None = None
) -> Series:
    """Check ``data`` and make the :class:`Series` a forecaster reads.

    ``data``: a DataFrame, or an ``(n,)``/``(n, k)`` array (columns named ``"0"``, ``"1"``, …).
    ``target``: a column name (or index for arrays) or a list; ``None`` means the only numeric
    column. ``features``: other numeric input columns, ``None`` for a univariate series.
    ``date_column``: the column of dates; ``None`` detects the one non-numeric column that
    parses completely as dates.
    """
    if isinstance(data, pd.DataFrame):
        frame = data.reset_index(drop=True)
    else:
        array = np.asarray(data)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise ValueError(f"a series must be (n,) or (n, columns); got shape {array.shape}")
        frame = pd.DataFrame(array, columns=[str(j) for j in range(array.shape[1])])
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if len(frame) < 2:
        raise ValueError(f"a series needs at least 2 rows; got {len(frame)}")

    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c])]
    if date_column is None:
        candidates = [c for c in columns if c not in numeric and _parse_dates(frame[c]) is not None]
        if len(candidates) > 1:
            raise ValueError(
                f"several columns hold dates ({candidates}); choose one with date_column=..."
            )
        date_column = candidates[0] if candidates else None
    elif date_column not in columns:
        raise ValueError(f"date_column {date_column!r} is not a column; the columns are {columns}")

    def names(wanted: Any, argument: str) -> list[str]:
        items = list(wanted) if isinstance(wanted, list | tuple) else [wanted]
        out = []
        for item in items:
            name = str(item)
            if name not in columns:
                raise ValueError(f"{argument} {item!r} is not a column; the columns are {columns}")
            if name not in numeric:
                values = frame[name]
                text = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
                row = text.index[0] if len(text) else 0
                raise ValueError(
                    f"{argument} column {name!r} is not numeric: row {row} holds "
                    f"{values.iloc[row]!r}"
                )
            out.append(name)
        return out

    if target is None:
        usable = [c for c in numeric if c != date_column]
        if len(usable) != 1:
            raise ValueError(
                f"say which column to forecast with target=...; the numeric columns are {usable}"
            )
        target = usable[0]
    targets = names(target, "target")
    feature_names = [] if features is None else names(features, "feature")
    feature_names = [c for c in feature_names if c not in targets]
    used = frame[feature_names + targets].astype(np.float64)
    if used.isna().to_numpy().any():
        column = used.columns[used.isna().any().to_numpy()][0]
        row = used.index[used[column].isna().to_numpy()][0]
        raise ValueError(f"column {column!r} has a gap (NaN) at row {row}; fill it first")

    freq = None
    if date_column is not None:
        dates = _parse_dates(frame[date_column])
        if dates is None:
            raise ValueError(f"date_column {date_column!r} does not hold dates")
        if dates.has_duplicates or not dates.is_monotonic_increasing:
            raise ValueError(
                f"the dates in {date_column!r} must increase without repeats, one row per time"
            )
        used.index = dates
        if len(dates) >= 3:
            inferred = pd.DatetimeIndex(dates, freq="infer")
            freq = inferred.freqstr if inferred.freq is not None else None
    return Series(used, targets, feature_names, date_column, freq)


def future_index(index: pd.Index, freq: str | None, steps: int) -> pd.Index:
    """The ``steps`` times after ``index``: dates continuing a DatetimeIndex with a known
    ``freq``, else integers continuing the row positions."""
    if isinstance(index, pd.DatetimeIndex) and freq is not None:
        return pd.date_range(index[-1], periods=steps + 1, freq=freq)[1:]
    return pd.RangeIndex(len(index), len(index) + steps)


def _steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be a positive integer; got steps={steps!r}")
    return int(steps)


class BaseForecaster(BaseEstimator):
    """The interface every forecaster shares (scikit-learn's estimator contract).

    Subclasses define ``_fit(series)`` and ``_forecast(history, steps) -> (steps, n_targets)``
    (``history``: a frame like ``series_.frame``, original units), and may override
    ``_walk_forward(history, start)`` with something faster than one forecast per row.
    ``target``, ``features`` and ``date_column`` are constructor parameters of every forecaster.
    """

    target: Any = None
    features: Any = None
    date_column: str | None = None

    def _fit(self, series: Series, **fit_params: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _fit(series)")

    def _forecast(self, history: pd.DataFrame, steps: int) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define _forecast(history, steps)")

    def _walk_forward(self, history: pd.DataFrame, start: int) -> np.ndarray:
        return np.stack(
            [self._forecast(history.iloc[:t], 1)[0] for t in range(start, len(history))]
        )

    # -- public ---------------------------------------------------------------------------------

    def _prepare(self, data: Any) -> Series:
        return prepare_series(
            data, target=self.target, features=self.features, date_column=self.date_column
        )

    def fit(self, data: Any, **fit_params: Any) -> BaseForecaster:
        """Learn from ``data`` (a DataFrame or array, rows in time order). ``fit_params`` go to
        the forecaster's own fitting (the LSTM :class:`Forecaster` takes ``callbacks``)."""
        series = self._prepare(data)
        self._fit(series, **fit_params)
        self.series_ = series
        self.n_targets_ = len(series.target)
        return self

    def _fitted(self) -> Series:
        if not hasattr(self, "series_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit first")
        return self.series_

    def _continuation(self, data: Any) -> Series:
        series = self._prepare(data)
        fitted = self._fitted()
        if list(series.frame.columns) != list(fitted.frame.columns):
            raise ValueError(
                f"the data must have the columns the forecaster was fitted on "
                f"({list(fitted.frame.columns)}); got {list(series.frame.columns)}"
            )
        return series

    def _shape(self, values: np.ndarray) -> np.ndarray:
        return values[:, 0] if self.n_targets_ == 1 else values

    def predict(self, steps: int = 1, data: Any = None) -> np.ndarray:
        """Forecasts of the target for the ``steps`` times after the data seen in ``fit`` (or
        after ``data``, with the same columns; nothing is refitted). Shape ``(steps,)``, or
        ``(steps, n_targets)`` for several targets; original units."""
        steps = _steps(steps)
        series = self._fitted() if data is None else self._continuation(data)
        return self._shape(np.asarray(self._forecast(series.frame, steps), dtype=np.float64))

    def predict_frame(self, steps: int = 1, data: Any = None) -> pd.DataFrame:
        """:meth:`predict` as a DataFrame indexed by the future times, one column per target."""
        series = self._fitted() if data is None else self._continuation(data)
        values = self._forecast(series.frame, _steps(steps))
        index = future_index(series.frame.index, series.freq, steps)
        return pd.DataFrame(np.asarray(values), index=index, columns=series.target)

    def _joined(self, test: Any) -> tuple[pd.DataFrame, int]:
        fitted = self._fitted()
        frame = self._continuation(test).frame
        if isinstance(fitted.frame.index, pd.DatetimeIndex):
            history = pd.concat([fitted.frame, frame])
        else:
            history = pd.concat([fitted.frame, frame], ignore_index=True)
        return history, len(fitted.frame)

    def walk_forward(self, test: Any) -> np.ndarray:
        """One-step-ahead forecasts for every row of ``test`` (which continues the fitted data),
        each from all observations before it — earlier test rows included — without refitting.
        Shape ``(len(test),)`` or ``(len(test), n_targets)``."""
        history, start = self._joined(test)
        return self._shape(np.asarray(self._walk_forward(history, start), dtype=np.float64))

    def evaluate(self, test: Any) -> dict[str, float]:
        """``rmse``, ``mae``, ``mape`` (percent; NaN when the test target has a zero) and ``r2``
        of :meth:`walk_forward` on ``test``, in original units."""
        forecast = self.walk_forward(test)
        history, start = self._joined(test)
        actual = self._shape(history[self.series_.target].to_numpy()[start:])
        has_zero = np.any(actual == 0)
        return {
            "rmse": rmse(actual, forecast),
            "mae": mae(actual, forecast),
            "mape": float("nan") if has_zero else mape(actual, forecast),
            "r2": r2(actual, forecast),
        }

    def backtest(
        self, data: Any, start: int, stride: int = 1, steps: int = 1, refit: bool = False
    ) -> pd.DataFrame:
        """Walk-forward evaluation: forecast ``steps`` ahead from origins ``start``,
        ``start + stride``, … (row positions of ``data``). With ``refit=True`` a fresh clone is
        fitted on everything before each origin; otherwise this forecaster is fitted once on the
        rows before ``start``. Rows: ``origin, step, time, target, actual, forecast``."""
        steps, stride = _steps(steps), _steps(stride)
        series = self._prepare(data)
        n = len(series.frame)
        if isinstance(start, bool) or not isinstance(start, int | np.integer) or not 2 <= start < n:
            raise ValueError(f"start must be a row position in [2, {n}); got start={start!r}")
        frame_data = data.reset_index(drop=True) if isinstance(data, pd.DataFrame) else data
        rows = []
        fitted = None if refit else clone(self).fit(_head(frame_data, start))
        for origin in range(start, n, stride):
            model = clone(self).fit(_head(frame_data, origin)) if refit else fitted
            horizon = min(steps, n - origin)
            forecast = np.asarray(model._forecast(series.frame.iloc[:origin], horizon))
            for step in range(horizon):
                for j, name in enumerate(series.target):
                    rows.append(
                        {
                            "origin": origin,
                            "step": step + 1,
                            "time": series.frame.index[origin + step],
                            "target": name,
                            "actual": float(series.frame[name].iloc[origin + step]),
                            "forecast": float(forecast[step, j]),
                        }
                    )
        return pd.DataFrame(rows)


def backtest_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """RMSE and MAE of a :meth:`BaseForecaster.backtest` frame for each step ahead."""
    return frame.groupby("step").apply(
        lambda part: pd.Series(
            {
                "rmse": rmse(part["actual"], part["forecast"]),
                "mae": mae(part["actual"], part["forecast"]),
            }
        ),
        include_groups=False,
    )


def _head(data: Any, rows: int) -> Any:
    if isinstance(data, pd.DataFrame):
        return data.iloc[:rows]
    return np.asarray(data)[:rows]
