"""What every forecaster shares: reading a series (date detection, column checks), the future
index, and one implementation of ``fit``/``predict``/``walk_forward``/``evaluate``/``backtest``
over two hooks a forecaster defines (``_fit`` and ``_forecast``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from lstmkit._registry import register_class
from lstmkit.data.reading import (
    check_fill,
    fill_gaps,
    fill_values,
    looks_like_dates,
    parse_dates,
    parse_numbers,
    regular_frequency,
)
from lstmkit.data.scores import mae, mape, r2, rmse
from lstmkit.forecast.intervals import (
    check_levels,
    interval_columns,
    interval_scores,
    seasonal_scale,
)
from lstmkit.forecast.seasons import infer_season
from lstmkit.saving.forecaster_file import save_forecaster

__all__ = ["BaseForecaster", "Series", "backtest_scores", "future_index", "prepare_series"]


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

    def rows(self, start: int | None = None, stop: int | None = None) -> Series:
        """The rows ``start:stop`` (positions) as a Series of the same columns and frequency."""
        return replace(self, frame=self.frame.iloc[start:stop])


def _check_values(used: pd.DataFrame, fill: str | None) -> None:
    """Refuse NaN (unless ``fill`` closes it), inf and values past float32's range, naming the
    column and the row."""
    values = used.to_numpy()
    if fill is None and np.isnan(values).any():
        column = used.columns[np.isnan(values).any(axis=0)][0]
        row = used.index[used[column].isna().to_numpy()][0]
        raise ValueError(
            f"column {column!r} has a gap (NaN) at row {row}; fill it first (or fill=...)"
        )
    if np.isinf(values).any():
        column = used.columns[np.isinf(values).any(axis=0)][0]
        row = used.index[np.isinf(used[column].to_numpy())][0]
        raise ValueError(
            f"column {column!r} holds {used.loc[row, column]} (infinite) at row {row}; "
            "replace it first"
        )
    big = np.abs(np.nan_to_num(values)) > _FLOAT32_MAX
    if big.any():
        column = used.columns[big.any(axis=0)][0]
        row = used.index[big[:, list(used.columns).index(column)]][0]
        raise ValueError(
            f"column {column!r} holds {used.loc[row, column]:g} at row {row}, beyond the float32 "
            f"range (±{_FLOAT32_MAX:.3g}) the network computes in; rescale the column first"
        )


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def prepare_series(
    data: Any,
    *,
    target: Any = None,
    features: Any = None,
    date_column: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    fill: str | None = None,
    decimal: str | None = None,
) -> Series:
    """Check ``data`` and make the :class:`Series` a forecaster reads.

    ``data``: a DataFrame, or an ``(n,)``/``(n, k)`` array (columns named ``"0"``, ``"1"``, …).
    ``target``: a column name (or index for arrays) or a list; ``None`` means the only numeric
    column. ``features``: other numeric input columns, ``None`` for a univariate series.
    ``date_column``: the column of dates; ``None`` detects the one non-numeric column that
    parses completely as dates. ``date_format`` (``'%d/%m/%Y'``) and ``dayfirst`` say how to
    read the dates where the column does not settle it (see :mod:`lstmkit.data.reading`).
    ``fill``: a regular dated series that skips some times is refused, naming the first one
    skipped, unless ``fill`` is ``'interpolate'``, ``'ffill'`` or ``'zero'``, which adds the
    skipped times (and fills NaN values) that way. ``decimal``: ``','`` or ``'.'``, for text
    columns of numbers such as ``'1,500'`` that nothing else settles.
    """
    check_fill(fill)
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise ValueError(f"dayfirst must be True, False or None; got dayfirst={dayfirst!r}")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise ValueError(f"date_format={date_format!r} is not a strftime format such as '%d/%m/%Y'")
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

    # Text columns of numbers written with thousands separators or decimal commas become
    # numbers before anything looks for dates (dateutil reads "112,000" as a date).
    # A column whose numbers cannot be read without guessing keeps its error, raised only if
    # the column is used (an unused column of codes must not stop the run).
    unreadable: dict[str, ValueError] = {}
    for name in columns:
        column = frame[name]
        if name != date_column and not (
            pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)
        ):
            try:
                numbers = parse_numbers(frame[name], name, decimal)
            except ValueError as error:
                unreadable[name] = error
                continue
            if numbers is not None:
                frame[name] = numbers
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c])]
    if date_column is None:
        candidates = [
            c
            for c in columns
            if c not in numeric and c not in unreadable and looks_like_dates(frame[c])
        ]
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
            if name in unreadable:
                raise unreadable[name]
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
        if not usable and unreadable:
            raise next(iter(unreadable.values()))
        if len(usable) != 1:
            raise ValueError(
                f"say which column to forecast with target=...; the numeric columns are {usable}"
            )
        target = usable[0]
    targets = names(target, "target")
    feature_names = [] if features is None else names(features, "feature")
    feature_names = [c for c in feature_names if c not in targets]
    used = frame[feature_names + targets].astype(np.float64)
    _check_values(used, fill)

    freq = None
    if date_column is not None:
        dates = parse_dates(
            frame[date_column], date_column, date_format=date_format, dayfirst=dayfirst
        ).rename(date_column)
        later = dates[1:] <= dates[:-1]
        if later.any():
            row = int(np.argmax(later)) + 1
            raise ValueError(
                f"the dates in {date_column!r} must increase without repeats, one row per time: "
                f"row {row} ({_when(dates[row])}) does not come after row {row - 1} "
                f"({_when(dates[row - 1])})"
            )
        used.index = dates
        freq, grid = regular_frequency(dates)
        if grid is not None:
            missing = grid.difference(dates)
            if fill is None:
                before = dates[dates < missing[0]][-1]
                raise ValueError(
                    f"the dates in {date_column!r} skip {len(missing)} of the {len(grid)} "
                    f"times of their frequency ({freq}), the first {_when(missing[0])} (after "
                    f"{_when(before)}); fill them with fill='interpolate', 'ffill' or 'zero', "
                    "or give the complete series"
                )
            used = fill_gaps(used, grid, fill)
            used.index.freq = None
    if fill is not None and used.isna().to_numpy().any():
        used = fill_values(used, fill)
    return Series(used, targets, feature_names, date_column, freq)


def _when(value: Any) -> str:
    if not isinstance(value, pd.Timestamp):
        return f"row {value}"
    return f"{value:%Y-%m-%d}" if value == value.normalize() else f"{value:%Y-%m-%d %H:%M:%S}"


def _check_frequency(fitted: Series, series: Series) -> None:
    """Refuse dated data that does not run at the frequency the forecaster was fitted on."""
    index = series.frame.index
    if fitted.freq is None or not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return
    expected = pd.date_range(index[0], periods=len(index), freq=fitted.freq)
    if not expected.equals(pd.DatetimeIndex(index).rename(expected.name)):
        found = series.freq or "no regular frequency"
        raise ValueError(
            f"the data's dates run at {found} ({_when(index[0])}, {_when(index[1])}, ...), but "
            f"the forecaster was fitted on data of frequency {fitted.freq}; give data at "
            f"{fitted.freq}"
        )


def _check_follows(fitted: Series, frame: pd.DataFrame) -> None:
    """Refuse test data that does not start right after the fitted data (see walk_forward)."""
    before, after = fitted.frame.index, frame.index
    hint = "; pass allow_gap=True to score it anyway"
    if isinstance(before, pd.DatetimeIndex) and isinstance(after, pd.DatetimeIndex):
        last, first = before[-1], after[0]
        if fitted.freq is not None:
            expected = pd.date_range(last, periods=2, freq=fitted.freq)[1]
            if first != expected:
                raise ValueError(
                    f"the test data starts at {_when(first)}, but the data the forecaster was "
                    f"fitted on ends at {_when(last)}: it must start at {_when(expected)}, the "
                    f"next time of its frequency ({fitted.freq}){hint}"
                )
        elif first <= last:
            raise ValueError(
                f"the test data starts at {_when(first)}, but the data the forecaster was "
                f"fitted on ends at {_when(last)}: it must start after it{hint}"
            )
        return
    # No dates: the rows cannot say where they belong, but a test that repeats rows of the
    # fitted data (evaluate(train), or earlier rows) is caught.
    seen, test = fitted.frame.to_numpy(), frame.to_numpy()
    width = min(len(test), len(seen), 8)
    if width < 2:
        return
    windows = np.lib.stride_tricks.sliding_window_view(seen, (width, seen.shape[1]))[:, 0]
    same = np.all(windows == test[:width], axis=(1, 2))
    starts = [int(np.argmax(same))] if same.any() else []
    # The test may also start with the fitted data's last rows (fewer than `width` of them).
    starts += [
        start
        for start in range(len(seen) - width + 1, len(seen) - 1)
        if np.array_equal(seen[start:], test[: len(seen) - start])
    ]
    if starts:
        start = starts[0]
        end = min(start + width, len(seen)) - 1
        raise ValueError(
            f"the test data starts with rows {start}..{end} of the data the forecaster was "
            f"fitted on (which ends at row {len(seen) - 1}); test data must follow the fitted "
            f"data{hint}"
        )


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
        if isinstance(data, Series):
            # Read by prepare_series already (with its date_format, dayfirst, fill options).
            if self.target is not None:
                wanted = self.target if isinstance(self.target, list | tuple) else [self.target]
                if [str(name) for name in wanted] != list(data.target):
                    raise ValueError(
                        f"the Series forecasts {data.target}, but this forecaster's target is "
                        f"{self.target!r}"
                    )
            return data
        try:
            return prepare_series(
                data, target=self.target, features=self.features, date_column=self.date_column
            )
        except ValueError as error:
            text = str(error)
            if any(word in text for word in ("date_format=", "dayfirst=", "fill=", "decimal=")):
                # Those are prepare_series's options, not the forecaster's: say how to pass them.
                raise ValueError(
                    f"{text} (read the data with lstmkit.forecast.prepare_series(data, ...) "
                    f"and pass the Series it returns to {type(self).__name__})"
                ) from None
            raise

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
        _check_frequency(fitted, series)
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

    def predict_frame(self, steps: int = 1, data: Any = None, level: Any = None) -> pd.DataFrame:
        """:meth:`predict` as a DataFrame indexed by the future times, one column per target.

        ``level``: percentages such as ``[80, 95]`` add prediction intervals, columns
        ``lo-80``, ``hi-80``, … (one target), calibrated per step ahead by conformal
        prediction on rolling-origin forecasts inside the training part
        (:mod:`lstmkit.forecast.intervals`; the first call fits the forecaster once more)."""
        series = self._fitted() if data is None else self._continuation(data)
        values = np.asarray(self._forecast(series.frame, _steps(steps)), dtype=np.float64)
        index = future_index(series.frame.index, series.freq, steps)
        frame = pd.DataFrame(values, index=index, columns=series.target)
        if level is not None:
            if len(series.target) != 1:
                raise ValueError("prediction intervals (level=...) need a single target")
            for name, column in interval_columns(self, values, check_levels(level)).items():
                frame[name] = column[:, 0]
        return frame

    def save(self, path: str | os.PathLike[str], overwrite: bool = True) -> None:
        """Write the fitted forecaster to one file (e.g. ``forecaster.lstmkit``), atomically:
        its parameters, the series it was fitted on, what its fit estimated (SARIMAX's
        parameters) and its intervals' calibration when it has one. Read it back with
        :func:`lstmkit.forecast.load_forecaster`."""
        save_forecaster(self, path, overwrite=overwrite)

    def season_length(self) -> int | None:
        """The season the fitted forecaster uses: its resolved ``season_``, else the one its
        dates' frequency implies (12 monthly, 4 quarterly, ...), else ``None``."""
        season = getattr(self, "season_", None)
        return season if season is not None else infer_season(self._fitted().freq)

    def _joined(self, test: Any, allow_gap: bool = False) -> tuple[pd.DataFrame, int]:
        fitted = self._fitted()
        frame = self._continuation(test).frame
        if not allow_gap:
            _check_follows(fitted, frame)
        if isinstance(fitted.frame.index, pd.DatetimeIndex):
            history = pd.concat([fitted.frame, frame])
        else:
            history = pd.concat([fitted.frame, frame], ignore_index=True)
        return history, len(fitted.frame)

    def walk_forward(self, test: Any, allow_gap: bool = False) -> np.ndarray:
        """One-step-ahead forecasts for every row of ``test`` (which continues the fitted data),
        each from all observations before it — earlier test rows included — without refitting.
        Shape ``(len(test),)`` or ``(len(test), n_targets)``.

        ``test`` must start right after the fitted data: at the next time of its frequency
        (dated data), after its last date (dates of no known frequency), or at least not with
        rows of the fitted data again (undated data). ``allow_gap=True`` scores it anyway, as
        if it followed on."""
        history, start = self._joined(test, allow_gap)
        return self._shape(np.asarray(self._walk_forward(history, start), dtype=np.float64))

    def evaluate(self, test: Any, allow_gap: bool = False, level: Any = None) -> dict[str, float]:
        """``rmse``, ``mae``, ``mape`` (percent; NaN when the test target has a zero), ``r2``
        and ``mase`` (MAE over the training part's mean absolute seasonal difference) of
        :meth:`walk_forward` on ``test``, in original units (``allow_gap``: see there).
        ``level`` (e.g. ``[80, 95]``) adds ``coverage-80`` (percent of ``test`` inside the
        one-step interval) and ``msis-80`` (mean scaled interval score) per level."""
        forecast = self.walk_forward(test, allow_gap)
        history, start = self._joined(test, allow_gap=True)
        actual = self._shape(history[self.series_.target].to_numpy()[start:])
        has_zero = np.any(actual == 0)
        scale = seasonal_scale(
            self.series_.frame[self.series_.target[0]].to_numpy(), self.season_length()
        )
        scores = {
            "rmse": rmse(actual, forecast),
            "mae": mae(actual, forecast),
            "mape": float("nan") if has_zero else mape(actual, forecast),
            "r2": r2(actual, forecast),
            "mase": mae(actual, forecast) / scale if scale > 0 else float("nan"),
        }
        if level is not None:
            if self.n_targets_ != 1:
                raise ValueError("prediction intervals (level=...) need a single target")
            columns = interval_columns(self, np.asarray(forecast)[:, None], check_levels(level))
            for value in check_levels(level):
                label = f"{value:g}"
                found = interval_scores(
                    actual, columns[f"lo-{label}"], columns[f"hi-{label}"], value, scale
                )
                scores[f"coverage-{label}"] = found["coverage"]
                scores[f"msis-{label}"] = found["msis"]
        return scores

    def backtest(
        self,
        data: Any,
        start: int,
        stride: int = 1,
        steps: int = 1,
        refit: bool = False,
        level: Any = None,
    ) -> pd.DataFrame:
        """Walk-forward evaluation: forecast ``steps`` ahead from origins ``start``,
        ``start + stride``, … (row positions of ``data``). With ``refit=True`` a fresh clone is
        fitted on everything before each origin; otherwise this forecaster is fitted once on the
        rows before ``start``. Rows: ``origin, step, time, target, actual, forecast``, and
        ``lo-L``, ``hi-L`` for each of ``level`` (percent; one target), calibrated on the rows
        before each fit only. :func:`backtest_scores` scores it per step ahead."""
        steps, stride = _steps(steps), _steps(stride)
        levels = None if level is None else check_levels(level)
        series = self._prepare(data)
        n = len(series.frame)
        if isinstance(start, bool) or not isinstance(start, int | np.integer) or not 2 <= start < n:
            raise ValueError(f"start must be a row position in [2, {n}); got start={start!r}")
        if isinstance(data, pd.DataFrame):
            frame_data = data.reset_index(drop=True)
        elif isinstance(data, Series):
            frame_data = series
        else:
            frame_data = data
        if not refit:
            fitted = clone(self).fit(_head(frame_data, start))
            return fitted._rolling(series, range(start, n, stride), steps, levels)
        parts = [
            clone(self).fit(_head(frame_data, origin))._rolling(series, [origin], steps, levels)
            for origin in range(start, n, stride)
        ]
        return pd.concat(parts, ignore_index=True)

    def rolling_forecasts(
        self, data: Any, start: int, steps: int = 1, stride: int = 1, level: Any = None
    ) -> pd.DataFrame:
        """:meth:`backtest` of this fitted forecaster as it is (nothing refitted): ``data``
        continues or contains the data it was fitted on; forecasts ``steps`` ahead from origins
        ``start``, ``start + stride``, … (row positions of ``data``)."""
        steps, stride = _steps(steps), _steps(stride)
        self._fitted()
        series = self._continuation(data)
        n = len(series.frame)
        if isinstance(start, bool) or not isinstance(start, int | np.integer) or not 2 <= start < n:
            raise ValueError(f"start must be a row position in [2, {n}); got start={start!r}")
        levels = None if level is None else check_levels(level)
        return self._rolling(series, range(start, n, stride), steps, levels)

    def _rolling(
        self, series: Series, origins: Any, steps: int, levels: list[float] | None
    ) -> pd.DataFrame:
        rows = []
        n = len(series.frame)
        for origin in origins:
            horizon = min(steps, n - origin)
            forecast = np.asarray(self._forecast(series.frame.iloc[:origin], horizon))
            bands = {} if levels is None else interval_columns(self, forecast, levels)
            for step in range(horizon):
                for j, name in enumerate(series.target):
                    row = {
                        "origin": origin,
                        "step": step + 1,
                        "time": series.frame.index[origin + step],
                        "target": name,
                        "actual": float(series.frame[name].iloc[origin + step]),
                        "forecast": float(forecast[step, j]),
                    }
                    row.update({key: float(band[step, j]) for key, band in bands.items()})
                    rows.append(row)
        return pd.DataFrame(rows)


def backtest_scores(frame: pd.DataFrame, scale: float | None = None) -> pd.DataFrame:
    """RMSE and MAE of a :meth:`BaseForecaster.backtest` frame for each step ahead; with
    ``scale`` (the training part's mean absolute seasonal difference,
    :func:`~lstmkit.forecast.intervals.seasonal_scale`) also ``mase``, and ``coverage-L`` and
    ``msis-L`` for each interval level the frame has."""
    levels = [c[3:] for c in frame.columns if c.startswith("lo-")]

    def scores(part: pd.DataFrame) -> pd.Series:
        out = {
            "rmse": rmse(part["actual"], part["forecast"]),
            "mae": mae(part["actual"], part["forecast"]),
        }
        if scale is not None:
            out["mase"] = out["mae"] / scale if scale > 0 else float("nan")
            for label in levels:
                found = interval_scores(
                    part["actual"], part[f"lo-{label}"], part[f"hi-{label}"], float(label), scale
                )
                out[f"coverage-{label}"] = found["coverage"]
                out[f"msis-{label}"] = found["msis"]
        return pd.Series(out)

    return frame.groupby("step").apply(scores, include_groups=False)


def _head(data: Any, rows: int) -> Any:
    if isinstance(data, Series):
        return data.rows(0, rows)
    if isinstance(data, pd.DataFrame):
        return data.iloc[:rows]
    return np.asarray(data)[:rows]
