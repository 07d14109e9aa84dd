"""Prediction intervals for every forecaster: split conformal, calibrated per step ahead on
rolling-origin forecasts inside the training part.

Why conformal, and why this way: the LSTM gives no distribution of its own, the naive forecasts
none either, and SARIMAX's Gaussian intervals assume its model is right. What every forecaster
can do is forecast from origins it has not been fitted past. So :func:`calibrate` takes the last
``V`` rows of the training part (half of them, at most ten times the steps ahead) as origins,
split into ``FOLDS`` (3) consecutive folds; for each fold it refits a copy of the forecaster
(with the same resolved settings) on every row before the fold and forecasts up to ``steps``
ahead from each origin of the fold (never past the training part). Three refits instead of one:
the later copies are fitted on nearly as much data as the forecaster (the last on all but a
sixth of the rows), so their errors are not inflated by a much shorter fit, and the origins span
half the series, not the quarter right before its end (airline: 86 % inside the 80 % band over
the held-out origins, against 91 % from one copy). Half rather than a third: errors come in runs
as long as a regime (a year of faster or slower growth), and a third of the series saw one or
two of them (80 % bands over the held-out origins and over those of a split one held-out length
earlier, mean of seeds 0-4: airline 96.5 and 60.7 % from a third, 95.6 and 79.1 % from half;
uschange 98.5 and 73.8 %, 97.0 and 78.3 %). The errors are kept in the space the model works in
(logs for a model on logs, so the band widens with the level). Errors grow with the step ahead
and there are few of them per step (``V - h + 1`` at step ``h``), so the scale of step ``h`` is
a curve ``a · h^b`` fitted to the RMS error of every step, its growth ``b`` shrunk towards a
random walk's ``0.5`` by ``PRIOR_ERRORS`` errors' worth (a short series gives a handful of
errors over the first few steps only: shampoo's 6 origins said ``b = 0``, and its bands covered
72 % at 80 %), and one quantile is taken over all the errors divided by their step's scale: the
conformal quantile (the ``ceil((n + 1)·level)``-th smallest of ``n``), so the band at step ``h``
is ``forecast ± q_level · scale_h``. Nothing of the held-out part is used, so the coverage
measured on it is an honest test (benchmarks/interval_coverage.py).

Costs ``FOLDS`` more fits of the forecaster, done the first time intervals are asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmkit._registry import register_class
from lstmkit.forecast.seasons import infer_season

__all__ = [
    "Calibration",
    "calibrate",
    "check_levels",
    "interval_backtest",
    "interval_columns",
    "interval_scores",
]


@register_class
@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` learned: ``scales`` ``(steps, n_targets)`` per step ahead,
    ``standardized`` the absolute errors divided by their step's scale ``(count,)``,
    ``errors`` ``(origins, steps, n_targets)`` (NaN where an origin's step fell past the
    training part), ``rows`` the calibration rows ``V``, and whether errors are in logs."""

    scales: np.ndarray
    standardized: np.ndarray
    errors: np.ndarray
    rows: int
    log: bool
    #: The same errors in original units (what the forecasts are judged by).
    unit_errors: np.ndarray

    def validation_rmse(self) -> float:
        """RMSE of every calibration forecast, all steps, original units: how well the
        forecaster did on the end of its training part (model choice reads it)."""
        return float(np.sqrt(np.nanmean(self.unit_errors**2)))

    @property
    def steps(self) -> int:
        return self.scales.shape[0]

    def quantile(self, level: float) -> float:
        """The conformal quantile of the standardized errors for ``level`` percent."""
        values = np.sort(self.standardized)
        n = len(values)
        rank = math.ceil((n + 1) * level / 100.0)
        if rank > n:
            # Too few errors for this level: the largest, widened by the normal tail ratio.
            return float(values[-1] * 1.1)
        return float(values[rank - 1])


def check_levels(level: Any) -> list[float]:
    """``level``: a number or a list of numbers in (0, 100) → a sorted list of floats."""
    items = list(level) if isinstance(level, list | tuple | np.ndarray) else [level]
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | float | np.number):
            raise ValueError(f"level must be percentages such as [80, 95]; got level={level!r}")
        if not 0 < float(item) < 100:
            raise ValueError(f"each level must lie between 0 and 100 (percent); got {item!r}")
        out.append(float(item))
    return sorted(set(out))


def _label(level: float) -> str:
    return f"{level:g}"


def _log_space(forecaster: Any) -> bool:
    return bool(getattr(forecaster, "log_", getattr(forecaster, "log", False)))


def _settled(forecaster: Any) -> Any:
    """An unfitted copy of ``forecaster`` with the settings its fit resolved (so the copy fitted
    on less data is the same model)."""
    from sklearn.base import clone

    copy = clone(forecaster)
    resolved = getattr(forecaster, "resolved_params_", None)
    if resolved:
        names = set(copy.get_params())
        copy.set_params(**{k: v for k, v in resolved.items() if k in names})
    if "one_step" in copy.get_params():
        # The copies forecast with the direct network alone (a one-step network would cost each
        # of them a second fit): step 1's errors are the direct network's, a little wider.
        copy.set_params(one_step=False)
    return copy


#: Refitted copies whose forecasts calibrate the intervals (rolling-origin folds).
FOLDS = 3
#: The calibration rows are at most this fraction (1/ROWS_DIVISOR) of the training rows.
ROWS_DIVISOR = 2
#: Errors' worth of belief in a random walk's growth of the scale, sqrt(h).
PRIOR_ERRORS = 50


def calibration_rows(n: int, steps: int, needed: int) -> int:
    """``V``: rows at the end of ``n`` training rows to forecast from — half the rows,
    at most ten times the steps ahead, at least the steps — leaving ``needed`` rows to fit the
    first copy on."""
    rows = max(steps, min(10 * steps, n // ROWS_DIVISOR))
    return max(0, min(rows, n - needed))


def _minimum_rows(forecaster: Any) -> int:
    look_back = getattr(forecaster, "look_back_", None)
    horizon = getattr(forecaster, "horizon_", None)
    if look_back is not None and horizon is not None:
        return look_back + horizon + 1 + 4
    season = getattr(forecaster, "season_", None)
    if season is not None:
        return season + 2
    return 12


def fold_starts(n: int, rows: int, folds: int = FOLDS) -> list[int]:
    """First origin of each fold: the last ``rows`` of ``n`` split into ``folds`` blocks as
    even as they go (fewer folds when there are fewer rows)."""
    folds = max(1, min(folds, rows))
    return [n - rows + (rows * k) // folds for k in range(folds)]


def calibrate(forecaster: Any, steps: int, folds: int | None = None) -> Calibration:
    """Calibrate intervals up to ``steps`` ahead for a fitted ``forecaster`` from its own
    training data (``forecaster.series_``); see the module's docstring."""
    series = forecaster.series_
    frame = series.frame
    n = len(frame)
    rows = calibration_rows(n, steps, _minimum_rows(forecaster))
    if rows < 2:
        raise ValueError(
            f"too few rows to calibrate prediction intervals: {n} training rows leave "
            f"{rows} to forecast from after the {_minimum_rows(forecaster)} a fit needs"
        )
    import warnings

    log = _log_space(forecaster)
    targets = frame[series.target].to_numpy(dtype=np.float64)
    actual = np.log(targets) if log else targets
    errors = np.full((rows, steps, len(series.target)), np.nan)
    unit_errors = errors.copy()
    starts = fold_starts(n, rows, FOLDS if folds is None else folds)
    for first, end in zip(starts, [*starts[1:], n], strict=True):
        model = _settled(forecaster)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The Series as the forecaster read it: no second reading of dates or numbers.
            model.fit(series.rows(0, first))
        for origin in range(first, end):
            position = origin - (n - rows)
            ahead = min(steps, n - origin)
            forecast = np.asarray(model._forecast(frame.iloc[:origin], ahead), dtype=np.float64)
            unit_errors[position, :ahead] = targets[origin : origin + ahead] - forecast
            if log:
                forecast = np.log(np.maximum(forecast, 1e-300))
            errors[position, :ahead] = actual[origin : origin + ahead] - forecast
    return _fitted_calibration(errors, rows, log, unit_errors)


def _fitted_calibration(
    errors: np.ndarray, rows: int, log: bool, unit_errors: np.ndarray
) -> Calibration:
    """Scales per step from ``errors`` ``(origins, steps, k)``: a power law ``a · h^b`` fitted
    to the RMS error of each step ahead (weighted by how many errors each has), ``b`` in
    [0, 1.5] — a random walk's errors grow like ``sqrt(h)``; a fitted curve uses every error
    for every step, where one RMS per step rests on a dozen (rolling origins on 30 rows)."""
    finite = np.isfinite(errors)
    counts = finite.sum(axis=0)  # (steps, k)
    squares = np.where(finite, errors**2, 0.0).sum(axis=0)
    rms = np.sqrt(squares / np.maximum(counts, 1))
    steps = errors.shape[1]
    h = np.arange(1, steps + 1, dtype=np.float64)
    scales = np.empty_like(rms)
    for j in range(rms.shape[1]):
        used = (counts[:, j] > 0) & (rms[:, j] > 0)
        if not used.any():
            scales[:, j] = 1.0
            continue
        x, y, w = np.log(h[used]), np.log(rms[used, j]), counts[used, j].astype(np.float64)
        if used.sum() >= 2 and np.ptp(x) > 0:
            mx, my = np.average(x, weights=w), np.average(y, weights=w)
            slope = np.sum(w * (x - mx) * (y - my)) / np.sum(w * (x - mx) ** 2)
            slope = float(np.clip(slope, 0.0, 1.5))
            # Few errors say little about the growth: shrink towards a random walk's 0.5.
            total = float(w.sum())
            slope = (total * slope + PRIOR_ERRORS * 0.5) / (total + PRIOR_ERRORS)
        else:
            mx, my, slope = float(x.mean()), float(y.mean()), 0.5
        scales[:, j] = np.exp(my + slope * (np.log(h) - mx))
    scales = np.maximum(scales, 1e-12)
    standardized = np.abs(errors) / scales[None]
    return Calibration(
        scales, standardized[np.isfinite(standardized)], errors, rows, log, unit_errors
    )


def calibration_for(forecaster: Any, steps: int) -> Calibration:
    """The forecaster's calibration for at least ``steps`` ahead, computed once and kept in
    ``forecaster.calibration_`` (recomputed for more steps, or after a new fit)."""
    current = getattr(forecaster, "calibration_", None)
    if (
        current is None
        or current.steps < steps
        or getattr(forecaster, "_calibrated_for", None) is not forecaster.series_
    ):
        current = calibrate(forecaster, steps)
        forecaster.calibration_ = current
        forecaster._calibrated_for = forecaster.series_
    return current


def interval_columns(
    forecaster: Any, forecast: np.ndarray, levels: list[float], first_step: int = 1
) -> dict[str, np.ndarray]:
    """``lo-L``/``hi-L`` arrays around ``forecast`` ``(steps, n_targets)`` (original units),
    whose first row is ``first_step`` ahead."""
    steps = forecast.shape[0] + first_step - 1
    calibration = calibration_for(forecaster, steps)
    scales = calibration.scales[first_step - 1 : steps]
    center = np.log(np.maximum(forecast, 1e-300)) if calibration.log else forecast
    out: dict[str, np.ndarray] = {}
    for level in levels:
        width = calibration.quantile(level) * scales
        lo, hi = center - width, center + width
        if calibration.log:
            lo, hi = np.exp(lo), np.exp(hi)
        out[f"lo-{_label(level)}"] = lo
        out[f"hi-{_label(level)}"] = hi
    return out


def interval_scores(
    actual: np.ndarray, lo: np.ndarray, hi: np.ndarray, level: float, scale: float
) -> dict[str, float]:
    """``coverage`` (percent of ``actual`` inside ``[lo, hi]``) and ``msis``, the mean scaled
    interval score (Gneiting and Raftery; M4): the width plus ``2/alpha`` times each miss,
    divided by ``scale`` (the mean absolute seasonal difference of the training part)."""
    actual, lo, hi = (np.asarray(v, dtype=np.float64).ravel() for v in (actual, lo, hi))
    alpha = 1.0 - level / 100.0
    score = (
        (hi - lo)
        + (2.0 / alpha) * np.maximum(lo - actual, 0.0)
        + (2.0 / alpha) * np.maximum(actual - hi, 0.0)
    )
    inside = (actual >= lo) & (actual <= hi)
    return {
        "coverage": float(100.0 * inside.mean()),
        "msis": float(score.mean() / scale) if scale > 0 else float("nan"),
    }


def seasonal_scale(values: np.ndarray, season: int | None) -> float:
    """Mean absolute difference of ``values`` from one season earlier (one row earlier
    without a season): the denominator of MASE and MSIS."""
    values = np.asarray(values, dtype=np.float64)
    lag = season if season and season < len(values) else 1
    if len(values) <= lag:
        return float("nan")
    return float(np.mean(np.abs(values[lag:] - values[:-lag])))


def interval_backtest(
    forecaster: Any,
    data: Any,
    start: int,
    steps: int,
    levels: tuple[float, ...] | list[float] = (80, 95),
) -> dict[str, Any]:
    """Coverage and MSIS of the intervals from every origin ``start, start + 1, …`` of
    ``data`` (fitted once on the rows before ``start``; intervals calibrated on those rows
    only), ``steps`` ahead (fewer near the end). Returns ``{"origins": count, "levels": {L:
    {"coverage", "msis"}}, "by_step": {L: [coverage of step 1, …]}}``."""
    frame = forecaster.backtest(data, start=start, steps=steps, level=list(levels))
    series = forecaster._prepare(data)
    season = getattr(forecaster, "season", None) or infer_season(series.freq)
    scale = seasonal_scale(series.frame[series.target[0]].to_numpy()[:start], season)
    result: dict[str, Any] = {
        "origins": int(frame["origin"].nunique()),
        "levels": {},
        "by_step": {},
    }
    for level in check_levels(list(levels)):
        label = _label(level)
        result["levels"][label] = interval_scores(
            frame["actual"], frame[f"lo-{label}"], frame[f"hi-{label}"], level, scale
        )
        result["by_step"][label] = [
            interval_scores(p["actual"], p[f"lo-{label}"], p[f"hi-{label}"], level, scale)[
                "coverage"
            ]
            for _, p in frame.groupby("step")
        ]
    return result
