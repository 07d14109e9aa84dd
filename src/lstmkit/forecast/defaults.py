"""What the default :class:`~lstmkit.forecast.Forecaster` chooses from the data it is fitted on.

Every parameter left at ``None`` is resolved here, from the training part alone, and the choice
is recorded with its reason (``forecaster.resolved_params_``, ``forecaster.resolved_reasons_``):

* ``season``: from the date index's frequency (12 monthly, 4 quarterly, 7 daily, ...), else none.
* ``horizon`` (outputs of the network, direct multi-step): the season, and at least 8 steps
  (two seasons of a quarterly series) — a direct forecast of a whole season does not compound
  its own errors the way one-step recursion does (airline, 12 months ahead: RMSE 79 recursive
  against 20-30 direct). Shortened when the training part is too short to give enough windows.
* ``look_back``: two seasons (the network sees the last season and the one before it), at
  least the horizon; shortened to keep enough training windows.
* ``log``: on when the target is positive and its seasonal swings grow with its level
  (the spread within each season-long block rises with the block's mean): a multiplicative
  series is additive after the log, which differencing and scaling then handle.
* ``difference``: from one season earlier when the training target (after the log) has a
  strong season (seen in the changes, and a seasonal strength of at least 0.64, the rule of
  forecast::nsdiffs) and rows to spare; else from one row to the next. The look-back is then
  one season of seasonal differences.
* ``calendar``: the position in the season (month of the year, quarter, day of the week, hour
  of the day) one-hot, as extra input columns, when the index has dates of a known frequency;
  sine/cosine for seasons longer than 24.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmkit.forecast.seasons import describe_frequency, infer_season

__all__ = [
    "STRONG_SEASON",
    "Resolved",
    "calendar_columns",
    "grows_with_level",
    "is_seasonal",
    "resolve",
    "seasonal_strength",
    "wants_seasonal_difference",
]

#: Fewest training windows the resolved look-back and horizon must leave; below it the horizon,
#: then the look-back, are shortened (shampoo: 23 differenced rows).
MIN_WINDOWS = 10
#: Direct outputs at least this many steps (quarterly data: two seasons).
MIN_HORIZON = 8


@dataclass(frozen=True)
class Resolved:
    """The values the fit uses and why each was chosen."""

    values: dict[str, Any]
    reasons: dict[str, str]


def grows_with_level(values: np.ndarray, season: int | None) -> tuple[bool, str]:
    """Whether a log suits ``values`` (1-D, the training target): positive, and the spread of
    its changes within season-long blocks rises with the blocks' level (rank correlation above
    0.6 and the level changing by at least half between the lowest and highest block)."""
    if np.any(values <= 0):
        return False, "the target has values <= 0"
    block = season if season and season >= 4 else 12
    blocks = len(values) // block
    if blocks < 3:
        return False, f"fewer than 3 blocks of {block} rows to judge the seasonal swings"
    parts = values[len(values) - blocks * block :].reshape(blocks, block)
    means = parts.mean(axis=1)
    spreads = np.abs(np.diff(parts, axis=1)).mean(axis=1)
    rho = float(pd.Series(means).corr(pd.Series(spreads), method="spearman"))
    ratio = float(means.max() / means.min())
    if np.isfinite(rho) and rho > 0.6 and ratio >= 1.5:
        return True, (
            f"positive, and the swings grow with the level (rank correlation {rho:.2f} of "
            f"the mean and the spread of {blocks} blocks of {block}; level x{ratio:.1f})"
        )
    return False, (
        f"the swings do not grow with the level (rank correlation {rho:.2f}, level x{ratio:.1f})"
    )


def is_seasonal(values: np.ndarray, season: int | None) -> tuple[bool, str]:
    """Whether ``values`` (1-D) repeat with the season: at least three seasons of data and an
    autocorrelation of the changes at lag ``season`` above the 5 % one-sided bound
    ``1.645 / sqrt(n)``. Calendar columns on a series without a season only add inputs to
    overfit (shampoo, 24 rows)."""
    if not season or season < 2:
        return False, "no season"
    if len(values) < 3 * season + 1:
        return False, f"fewer than three seasons ({3 * season + 1} rows) to see a season"
    changes = np.diff(values)
    changes = changes - changes.mean()
    denominator = float(np.sum(changes**2))
    if denominator == 0:
        return False, "a constant series"
    acf = float(np.sum(changes[season:] * changes[:-season]) / denominator)
    bound = 1.645 / np.sqrt(len(changes))
    if acf > bound:
        return True, f"autocorrelation {acf:.2f} at lag {season} (bound {bound:.2f})"
    return False, f"no season in the changes (autocorrelation {acf:.2f} at lag {season})"


def seasonal_strength(values: np.ndarray, season: int) -> float:
    """Hyndman and Athanasopoulos's strength of the season, ``max(0, 1 - var(R) / var(S + R))``,
    of a classical additive decomposition of ``values`` (1-D): the trend a centred moving
    average over one season, the seasonal part ``S`` the mean detrended value at each position
    in the season, ``R`` what is left. Near 1: the season dominates the noise."""
    n = len(values)
    if season % 2 == 0:
        weights = np.r_[0.5, np.ones(season - 1), 0.5] / season
    else:
        weights = np.ones(season) / season
    half = len(weights) // 2
    trend = np.full(n, np.nan)
    trend[half : n - half] = np.convolve(values, weights, mode="valid")
    detrended = values - trend
    position = np.arange(n) % season
    means = np.array([np.nanmean(detrended[position == k]) for k in range(season)])
    seasonal = means[position] - means.mean()
    remainder = detrended - seasonal
    used = np.isfinite(remainder)
    total = float(np.var(seasonal[used] + remainder[used]))
    if total == 0:
        return 0.0
    return max(0.0, 1.0 - float(np.var(remainder[used])) / total)


#: Seasonal strength above which a seasonal difference is taken (Hyndman and Athanasopoulos,
#: Forecasting: Principles and Practice, the rule of forecast::nsdiffs).
STRONG_SEASON = 0.64


def wants_seasonal_difference(
    values: np.ndarray, season: int | None, n_targets: int, rows: int
) -> tuple[bool, str]:
    """Whether the target ``values`` (1-D, after the log when there is one) are differenced from
    one season earlier rather than from one row earlier: a season that shows in the changes
    (:func:`is_seasonal`) and a strong one (strength at least ``STRONG_SEASON``), one target,
    and enough rows to lose a season and still train (``4·season + MIN_WINDOWS``).

    The network then forecasts what the seasonal naive forecast misses (the year-on-year
    change), which is level and season free; differencing once a row leaves it the season to
    learn from a handful of repeats and adds each step's error to the next (airline, 12 months
    ahead: RMSE 31 differenced by row, 15-20 by season)."""
    first = "first differences (the change from one row to the next)"
    if n_targets != 1:
        return False, f"{first}: several targets"
    seasonal, why = is_seasonal(values, season)
    if not seasonal or not season:
        return False, f"{first}: {why}"
    if rows < 4 * season + MIN_WINDOWS:
        return False, f"{first}: {rows} rows are too few to lose a season to differencing"
    strength = seasonal_strength(values, season)
    if strength < STRONG_SEASON:
        return False, (
            f"{first}: a weak season (strength {strength:.2f} < {STRONG_SEASON} of a classical "
            "decomposition)"
        )
    return True, (
        f"seasonal differences (the change from one season earlier): a strong season "
        f"(strength {strength:.2f} >= {STRONG_SEASON}; {why})"
    )


def calendar_columns(index: pd.Index, kind: str, season: int) -> pd.DataFrame:
    """The calendar inputs for ``index``: the position in the season, one-hot
    (``kind='onehot'``, ``season`` columns) or as a sine and cosine (``'cyclic'``, 2 columns).

    A DatetimeIndex gives the position from the date (month, quarter, weekday, hour); any other
    index counts rows (position ``row % season``)."""
    position = _position(index, season)
    if kind == "onehot":
        data = np.eye(season, dtype=np.float64)[position]
        names = [f"_season_{k}" for k in range(season)]
    elif kind == "cyclic":
        angle = 2 * np.pi * position / season
        data = np.stack([np.sin(angle), np.cos(angle)], axis=1)
        names = ["_season_sin", "_season_cos"]
    else:
        raise ValueError(f"calendar must be 'onehot', 'cyclic' or None; got calendar={kind!r}")
    return pd.DataFrame(data, index=index, columns=names)


def _position(index: pd.Index, season: int) -> np.ndarray:
    if isinstance(index, pd.DatetimeIndex):
        if season == 12:
            return np.asarray(index.month - 1)
        if season == 4:
            return np.asarray(index.quarter - 1)
        if season == 7:
            return np.asarray(index.dayofweek)
        if season == 24:
            return np.asarray(index.hour)
        if season == 52:
            return np.asarray(index.isocalendar().week.to_numpy() - 1) % 52
        if season == 5:
            return np.asarray(index.dayofweek) % 5
    return np.arange(len(index)) % season


def resolve(
    params: dict[str, Any], frame: pd.DataFrame, target: list[str], freq: str | None
) -> Resolved:
    """Resolve ``look_back``, ``horizon``, ``log``, ``calendar`` and ``season`` in ``params``
    (those set to ``None``; anything else is kept as given) from the training ``frame``.

    ``params``: the Forecaster's parameters; ``frame``: its training frame, ``(n, columns)``.
    """
    values: dict[str, Any] = {}
    reasons: dict[str, str] = {}

    def given(name: str) -> bool:
        if params.get(name) is not None:
            values[name] = params[name]
            reasons[name] = "given"
            return True
        return False

    if not given("season"):
        season = infer_season(freq)
        values["season"] = season
        reasons["season"] = (
            f"from the dates, {describe_frequency(freq)}"
            if season
            else "no dates of a known frequency"
        )
    season = values["season"]

    if not given("log"):
        if len(target) == 1:
            log, why = grows_with_level(frame[target[0]].to_numpy(dtype=np.float64), season)
        else:
            log, why = False, "several targets"
        values["log"], reasons["log"] = log, why

    if not given("difference"):
        first = frame[target[0]].to_numpy(dtype=np.float64)
        if values["log"] and np.all(first > 0):
            first = np.log(first)
        seasonal_difference, why = wants_seasonal_difference(first, season, len(target), len(frame))
        values["difference"] = "seasonal" if seasonal_difference else True
        reasons["difference"] = why
    lags = {True: 1, False: 0, "seasonal": season or 0, "both": 1 + (season or 0)}
    # Differencing drops these rows; the checks later say so if it's off.
    rows = len(frame) - lags.get(values["difference"], 1)
    seasonal_lag = values["difference"] == "seasonal"

    if not given("horizon"):
        horizon = max(season or 1, MIN_HORIZON) if season else 1
        why = (
            f"the season ({season}), at least {MIN_HORIZON}: one direct forecast"
            if season
            else "no season: one step at a time, fed back"
        )
        look_back = params.get("look_back") or (
            (season if seasonal_lag else 2 * season) if season else 12
        )
        while horizon > 1 and rows - max(look_back, horizon) - horizon + 1 < MIN_WINDOWS:
            horizon = max(1, horizon // 2)
            why = f"shortened to leave {MIN_WINDOWS} training windows in {rows} rows"
        values["horizon"], reasons["horizon"] = horizon, why
    horizon = values["horizon"]

    if not given("look_back"):
        if season and seasonal_lag:
            # The seasonal difference already holds the season before each row.
            look_back = max(season, horizon)
            why = "one season of seasonal differences" + (
                " (at least the horizon)" if horizon > season else ""
            )
        elif season:
            look_back = max(2 * season, horizon)
            why = "two seasons" + (" (at least the horizon)" if horizon > 2 * season else "")
        else:
            look_back, why = max(12, horizon), "12 rows (no season)"
        too_few = rows - look_back - horizon + 1 < MIN_WINDOWS
        if season and too_few and rows - max(season, horizon) - horizon + 1 >= MIN_WINDOWS:
            look_back, why = max(season, horizon), "one season (too few rows for two)"
        while look_back > 2 and rows - look_back - horizon + 1 < MIN_WINDOWS:
            look_back -= 1
            why = f"shortened to leave {MIN_WINDOWS} training windows in {rows} rows"
        values["look_back"], reasons["look_back"] = look_back, why

    calendar = params.get("calendar", "auto")
    if calendar == "auto":
        seasonal, why = is_seasonal(frame[target[0]].to_numpy(dtype=np.float64), season)
        if season is None:
            values["calendar"], reasons["calendar"] = None, "no season"
        elif not seasonal:
            values["calendar"], reasons["calendar"] = None, why
        elif season <= 24:
            values["calendar"] = "onehot"
            reasons["calendar"] = f"one-hot position in the season of {season}"
        else:
            values["calendar"] = "cyclic"
            reasons["calendar"] = f"sine and cosine of the position in the season of {season}"
    else:
        if calendar is not None and season is None:
            raise ValueError(
                f"Forecaster: calendar={calendar!r} needs a season: give season=..., or use "
                "dates of a known frequency"
            )
        values["calendar"], reasons["calendar"] = calendar, "given"
    return Resolved(values, reasons)
