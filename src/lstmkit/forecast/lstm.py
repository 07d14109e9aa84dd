"""The LSTM :class:`Forecaster`: a DataFrame or array in, forecasts in original units out.

The path of the data, in order, and back again for every forecast::

    original units ──log (optional)──► ──difference the target (optional)──►
        ──SeriesScaler fitted on the training part only──► make_windows ──► Sequential
    forecast ◄──exp◄──cumulative sum from the last level◄──inverse_transform_target◄──┘

Every transform is fitted on what ``fit`` saw and applied unchanged afterwards, so nothing of a
test span leaks into training.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import TransformerMixin, clone
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from lstmkit._registry import register_class
from lstmkit.data import SeriesScaler, make_windows
from lstmkit.forecast.base import BaseForecaster, Series, future_index
from lstmkit.forecast.defaults import calendar_columns, resolve
from lstmkit.forecast.ensemble import member_adam, member_outputs, side_by_side
from lstmkit.forecast.one_step import TREND_SLOPE, OneStepNetwork
from lstmkit.layers import LSTM, Dense, Dropout
from lstmkit.models import Sequential
from lstmkit.optimizers import get as get_optimizer
from lstmkit.saving.forecaster_file import save_forecaster
from lstmkit.training.callbacks import History

__all__ = ["Forecaster", "differencing_lags", "undifference"]

_SCALERS = {"minmax": MinMaxScaler, "standard": StandardScaler}

#: The defaults: an ensemble of N_MODELS networks of UNITS units, EPOCHS epochs (measured in
#: benchmarks/forecast_quality.py).
UNITS = 16
EPOCHS = 200
N_MODELS = 5
#: How much lower (a fraction) the validation RMSE of seasonal differences must be to be chosen
#: over first differences, the long-standing default (see Forecaster._resolve).
DIFFERENCE_MARGIN = 0.1
#: Fewest training rows for the one-step network. Shampoo's 24 give it 12 stretches of 11 rows:
#: one step ahead 74 (seeds 0-4) but from 62 to 125 with the seed, and 110-340 with other batch
#: sizes and step counts, against the direct network's 92.6 [89.6-94.4].
MIN_ONE_STEP_ROWS = 40
#: The one-step network's optimizer steps per epoch of the direct network.
ONE_STEP_STEPS_PER_EPOCH = 6


def differencing_lags(difference: Any, season: int | None) -> tuple[int, ...]:
    """The lags the target is differenced at for a resolved ``difference``: ``True`` or
    ``'first'`` → ``(1,)``, ``'seasonal'`` → ``(season,)``, ``'both'`` → ``(1, season)``,
    ``False`` → ``()``."""
    if difference is False or difference == "none":
        return ()
    if difference is True or difference == "first":
        return (1,)
    if not season:
        raise ValueError(
            f"Forecaster: difference={difference!r} needs a season: give season=..., or use "
            "dates of a known frequency"
        )
    return (int(season),) if difference == "seasonal" else (1, int(season))


def undifference(changes: np.ndarray, before: np.ndarray, lags: tuple[int, ...]) -> np.ndarray:
    """Differenced values back to levels.

    ``changes`` ``(m, steps, k)``: the target after differencing at ``lags`` (in order);
    ``before`` ``(m, sum(lags), k)``: the levels just before the first step. The differencing
    is the polynomial ``prod(1 - B^lag)`` of the backshift ``B``; each level is its step's
    change plus the level the polynomial's other terms take from earlier rows (one lag of 1:
    the running sum from the last level; one seasonal lag: last season's level plus the
    change). Returns levels ``(m, steps, k)``."""
    if not lags:
        return changes
    poly = np.array([1.0])
    for lag in lags:
        factor = np.zeros(lag + 1)
        factor[0], factor[lag] = 1.0, -1.0
        poly = np.convolve(poly, factor)
    p = len(poly) - 1
    m, steps, k = changes.shape
    out = np.concatenate([before.astype(np.float64), np.zeros((m, steps, k))], axis=1)
    terms = [(j, poly[j]) for j in range(1, p + 1) if poly[j] != 0]
    for t in range(p, p + steps):
        out[:, t] = changes[:, t - p] - sum(c * out[:, t - j] for j, c in terms)
    return out[:, p:]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"Forecaster: {name} must be a positive integer; got {name}={value!r}")
    return int(value)


@register_class
class Forecaster(BaseForecaster):
    """An LSTM forecaster with the scikit-learn estimator contract.

    ``Forecaster().fit(train).predict(steps=12)`` learns from windows of ``look_back``
    consecutive rows (calendar columns, the features, then the target) to the next ``horizon``
    values of the target, and forecasts in the units of the data. Parameters left at ``None``
    are chosen from the training data (see :mod:`lstmkit.forecast.defaults`); the values used
    and why are in ``resolved_params_`` and ``resolved_reasons_`` after ``fit``.

    Args:
        look_back: rows in each input window (the LSTM's timesteps); ``None``: two seasons.
        horizon: values of the target each window predicts (direct multi-step); ``None``: the
            season, at least 8. ``predict(steps=h)`` is direct for ``h <= horizon`` and
            recursive beyond (feeding its own forecasts back), which needs a model without
            feature columns: future feature values are unknown (calendar columns are known).
        target: the target column (name, or index for arrays), or a list of them; ``None``
            means the only numeric column.
        features: other input columns (names), or ``None`` for a univariate model.
        date_column: the column that holds the dates; ``None`` detects it.
        units: LSTM units per layer (of each member of the ensemble). layers: stacked LSTM
            layers. dropout: rate of a Dropout after each LSTM layer (0 for none).
        epochs, optimizer, loss: passed to ``compile``/``fit`` of the model.
        batch_size: windows per training step; ``None``: 16, smaller when the training data
            make fewer than 4 batches of 16 (at least 4 windows a batch), so a short series
            gets enough steps to learn (shampoo, 11 windows: one step an epoch at 16).
        learning_rate: the optimizer's step size when ``optimizer`` is a name (``None``: its
            Keras default, 0.001 for Adam).
        scaler: ``'minmax'`` (to [0, 1]), ``'standard'``, ``None`` (no scaling) or any
            scikit-learn transformer (cloned, never fitted in place).
        difference: model changes of the target and add the forecast changes back to the
            observed levels: ``True`` the change from one row to the next, ``'seasonal'`` from
            one season earlier (the network forecasts what the seasonal naive forecast misses),
            ``'both'`` one then the other, ``False`` none (levels). ``None``: seasonal when the
            training data have a strong season (see :mod:`lstmkit.forecast.defaults`), else
            ``True``: an LSTM on scaled levels cannot follow a trend past the training range
            (airline, last 24 months: RMSE 63-69 on levels against 32-34 differenced).
        log: model ``log(target)`` (the target must be positive); forecasts are ``exp``'d back.
            ``None``: when the target is positive and its seasonal swings grow with its level.
        season: the season length; ``None`` infers it from the dates (12 monthly, 4 quarterly,
            7 daily, 24 hourly).
        calendar: ``'auto'`` (one-hot position in the season when there is one), ``'onehot'``,
            ``'cyclic'`` (sine and cosine) or ``None``: calendar input columns.
        n_models: networks in the ensemble, trained together as one (see
            :mod:`lstmkit.forecast.ensemble`) from different initial weights; the forecast is
            their median, and their spread is in :meth:`predict_members`.
        one_step: also train the one-step network (:mod:`lstmkit.forecast.one_step`): one
            step ahead on (log) levels, trained on whole stretches of the training part.
            :meth:`walk_forward` and :meth:`evaluate` (one step ahead, row after row) then
            forecast the mean of its forecast and the direct network's first step; ``predict``
            stays with the direct network. ``None``: when the training part has at least
            ``MIN_ONE_STEP_ROWS`` (40) rows. Why the mean: one step ahead on nine series
            (medians over seeds), the one-step network alone beats the direct network on six
            but loses badly on US real GDP (127 against 88, the naive forecast 103), and a
            validation on the end of the training part could not tell those apart (its ratio
            one-step/direct: 1.18-1.33 on uschange, where the one-step network wins, and
            1.29-2.48 on real GDP); the mean is the better of the two on airline (13.7
            against 15.2 and 17.2), co2 and the Nile, between them elsewhere, and 103 on real
            GDP (benchmarks/experiments/one_step_network.md).
        seed: seeds weight initialisation, shuffling and dropout for this fit only (torch's
            global generator is restored afterwards); ``None`` uses the global generator.
        verbose: passed to ``fit``.

    Fitted attributes: ``series_`` (the data seen), ``model_`` (the trained
    :class:`~lstmkit.models.Sequential`, all members side by side), ``one_step_`` (the
    :class:`~lstmkit.forecast.one_step.OneStepNetwork`, or ``None``), ``history_`` (its
    :class:`History`), ``scaler_`` (the fitted :class:`~lstmkit.data.SeriesScaler`, or
    ``None``), ``n_targets_``, ``resolved_params_``, ``resolved_reasons_``.

    ``save(path)`` writes a fitted forecaster to one file; ``load_forecaster(path)`` reads it.
    """

    def __init__(
        self,
        look_back: int | None = None,
        horizon: int | None = None,
        target: Any = None,
        features: list[str] | None = None,
        date_column: str | None = None,
        units: int = UNITS,
        layers: int = 1,
        dropout: float = 0.0,
        epochs: int = EPOCHS,
        batch_size: int | None = None,
        optimizer: Any = "adam",
        learning_rate: float | None = None,
        loss: str = "mse",
        scaler: Any = "minmax",
        difference: bool | str | None = None,
        log: bool | None = None,
        season: int | None = None,
        calendar: str | None = "auto",
        n_models: int = N_MODELS,
        one_step: bool | None = None,
        seed: int | None = 0,
        verbose: int = 0,
    ) -> None:
        self.look_back = look_back
        self.horizon = horizon
        self.target = target
        self.features = features
        self.date_column = date_column
        self.units = units
        self.layers = layers
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.scaler = scaler
        self.difference = difference
        self.log = log
        self.season = season
        self.calendar = calendar
        self.n_models = n_models
        self.one_step = one_step
        self.seed = seed
        self.verbose = verbose

    def save(self, path: str | os.PathLike[str], overwrite: bool = True) -> None:
        """Write the fitted forecaster to one file (e.g. ``forecaster.lstmkit``), atomically:
        its parameters, the series it was fitted on, the fitted scaler and the trained network.
        Read it back with :func:`lstmkit.forecast.load_forecaster`. Only ``scaler='minmax'``,
        ``'standard'`` or ``None`` and optimizers and losses given by name can be saved
        (ValueError otherwise); an unfitted forecaster raises RuntimeError."""
        save_forecaster(self, path, overwrite=overwrite)

    # -- the transforms between original units and the model's space ---------------------------

    def _check_params(self) -> None:
        for name in ("look_back", "horizon", "season"):
            if getattr(self, name) is not None:
                _positive_int(name, getattr(self, name))
        _positive_int("units", self.units)
        _positive_int("layers", self.layers)
        _positive_int("epochs", self.epochs)
        if self.batch_size is not None:
            _positive_int("batch_size", self.batch_size)
        _positive_int("n_models", self.n_models)
        if self.learning_rate is not None and (
            isinstance(self.learning_rate, bool)
            or not isinstance(self.learning_rate, int | float)
            or not self.learning_rate > 0
        ):
            raise ValueError(
                "Forecaster: learning_rate must be a positive number or None; got "
                f"learning_rate={self.learning_rate!r}"
            )
        if not isinstance(self.dropout, int | float) or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"Forecaster: dropout must be in [0, 1); got dropout={self.dropout!r}")
        if not (
            self.difference is None
            or isinstance(self.difference, bool | np.bool_)
            or self.difference in ("seasonal", "both")
        ):
            raise ValueError(
                "Forecaster: difference must be True, False, 'seasonal', 'both' or None; got "
                f"difference={self.difference!r}"
            )
        if self.one_step is not None and not isinstance(self.one_step, bool | np.bool_):
            raise ValueError(
                f"Forecaster: one_step must be True, False or None; got one_step={self.one_step!r}"
            )
        if self.log is not None and not isinstance(self.log, bool | np.bool_):
            raise ValueError(f"Forecaster: log must be True, False or None; got log={self.log!r}")
        if self.calendar not in ("auto", "onehot", "cyclic", None):
            raise ValueError(
                "Forecaster: calendar must be 'auto', 'onehot', 'cyclic' or None; got "
                f"calendar={self.calendar!r}"
            )
        if not (
            self.scaler is None
            or self.scaler in _SCALERS
            or isinstance(self.scaler, TransformerMixin)
        ):
            raise ValueError(
                "Forecaster: scaler must be 'minmax', 'standard', None or a scikit-learn "
                f"transformer; got scaler={self.scaler!r}"
            )

    def _resolve(self, series: Series) -> None:
        """Choose what was left at ``None`` from the training data (sets ``look_back_``,
        ``horizon_``, ``log_``, ``season_``, ``calendar_``, ``resolved_params_``,
        ``resolved_reasons_``)."""
        params = self.get_params()
        resolved = resolve(params, series.frame, list(series.target), series.freq)
        reasons = dict(resolved.reasons)
        if params["difference"] is None and resolved.values["difference"] == "seasonal":
            # A strong season makes seasonal differences a candidate, not the choice: on a
            # stationary seasonal series (El Nino's sea temperatures) or a smooth trend (CO2)
            # first differences forecast better; rolling origins on the training part decide.
            seasonal, first, why = self._validate_differences(
                series, int(resolved.values["season"])
            )
            if seasonal >= (1.0 - DIFFERENCE_MARGIN) * first:
                resolved = resolve(
                    {**params, "difference": True}, series.frame, list(series.target), series.freq
                )
                reasons = {**dict(resolved.reasons), "difference": f"first differences: {why}"}
            else:
                reasons["difference"] = f"{reasons['difference']}; {why}"
        self.set_resolved(resolved.values)
        self.resolved_reasons_ = reasons

    def _validate_differences(self, series: Series, season: int) -> tuple[float, float, str]:
        """Validation RMSE (original units) of seasonal and of first differences: a copy of
        each fitted on all but the last third of ``series`` (at most ``10·season`` rows), then
        forecasts of up to a season ahead from at most 12 origins spread over that third.
        Returns both and a sentence saying so."""
        frame = series.frame
        n = len(frame)
        rows = min(n // 3, 10 * season)
        stride = max(1, rows // 12)
        origins = list(range(n - rows, n, stride))
        actual = frame[list(series.target)].to_numpy(dtype=np.float64)
        scores = {}
        for difference in ("seasonal", True):
            copy = clone(self).set_params(difference=difference, one_step=False, verbose=0)
            try:
                copy.fit(series.rows(0, n - rows))
            except ValueError as error:
                # Too few rows for the given look-back/horizon: first differences, unvalidated.
                return math.inf, 0.0, f"no validation ({error})"
            errors = []
            for origin in origins:
                ahead = min(season, n - origin)
                forecast = np.asarray(copy._forecast(frame.iloc[:origin], ahead))
                errors.append((actual[origin : origin + ahead] - forecast).ravel())
            scores[difference] = float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))
        seasonal, first = scores["seasonal"], scores[True]
        why = (
            f"validation RMSE {seasonal:.4g} seasonal against {first:.4g} first differences "
            f"({len(origins)} origins in the last {rows} training rows, up to {season} ahead; "
            f"seasonal needs to be {DIFFERENCE_MARGIN:.0%} better)"
        )
        return seasonal, first, why

    def set_resolved(self, values: dict[str, Any]) -> None:
        """Set the resolved values (``look_back``, ``horizon``, ``log``, ``season``,
        ``calendar``) the fit and the forecasts use; :func:`load_forecaster` calls it."""
        self.look_back_ = int(values["look_back"])
        self.horizon_ = int(values["horizon"])
        self.log_ = bool(values["log"])
        self.season_ = None if values["season"] is None else int(values["season"])
        self.calendar_ = values["calendar"]
        self.difference_ = values.get("difference", self.difference)
        self.lags_ = differencing_lags(self.difference_, self.season_)
        self.resolved_params_ = {**self.get_params(), **values}

    def _make_scaler(self) -> Any:
        if self.scaler is None:
            return None
        if isinstance(self.scaler, str):
            return _SCALERS[self.scaler]()
        return clone(self.scaler)

    def _levels(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Original units → after the optional log of the target. Shape unchanged."""
        if not self.log_:
            return frame
        values = frame[self.target_names_]
        if (values <= 0).to_numpy().any():
            column = next(c for c in self.target_names_ if (frame[c] <= 0).any())
            row = frame.index[(frame[column] <= 0).to_numpy()][0]
            raise ValueError(
                f"Forecaster(log=True) needs a positive target; column {column!r} is "
                f"{float(frame.loc[row, column])!r} at row {row!r}"
            )
        out = frame.copy()
        out[self.target_names_] = np.log(values)
        return out

    def _differenced(self, levels: pd.DataFrame) -> pd.DataFrame:
        """The target replaced by its change from the row before, when ``difference`` is on;
        the first row, which has no change, is dropped: ``(n, k)`` → ``(n - 1, k)``."""
        lags = self.lags_
        if not lags:
            return levels
        frame = levels.copy()
        for lag in lags:
            frame[self.target_names_] = frame[self.target_names_].diff(lag)
        return frame.iloc[sum(lags) :]

    def _calendar(self, index: pd.Index) -> pd.DataFrame | None:
        """The calendar input columns for the times ``index`` (``None`` without them)."""
        if self.calendar_ is None or self.season_ is None:
            return None
        return calendar_columns(index, self.calendar_, self.season_)

    def _model_space(self, levels: pd.DataFrame) -> pd.DataFrame:
        """After log → after differencing and scaling, with the calendar columns first: what
        the network reads and predicts. ``(n, k)`` → ``(n - 1, c + k)`` differenced."""
        frame = self._differenced(levels)
        if self.scaler_ is not None:
            frame = self.scaler_.transform(frame)
        calendar = self._calendar(frame.index)
        if calendar is not None:
            frame = pd.concat([calendar, frame], axis=1)
        return frame

    def _target_positions(self, frame: pd.DataFrame) -> list[int]:
        return [frame.columns.get_loc(name) for name in self.target_names_]

    def _to_levels(self, predicted: np.ndarray, last_levels: np.ndarray) -> np.ndarray:
        """Model outputs ``(m, steps, n_targets)`` in the model's space → original units.

        ``last_levels`` ``(m, sum(lags_), n_targets)``: the (log) levels of the target just
        before each of the ``m`` forecasts, which differencing adds the forecast changes to
        (the last one for first differences, the last season for seasonal ones).
        """
        values = self._to_log_levels(predicted, last_levels)
        return np.exp(values) if self.log_ else values

    def _to_log_levels(self, predicted: np.ndarray, last_levels: np.ndarray) -> np.ndarray:
        """:meth:`_to_levels` without the final ``exp``: the space the intervals are made in."""
        values = predicted
        if self.scaler_ is not None:
            values = self.scaler_.inverse_transform_target(values)
        return undifference(values, last_levels, self.lags_)

    # -- the estimator --------------------------------------------------------------------------

    def _build_model(self, n_inputs: int, width: int = 1) -> Sequential:
        """``LSTM(width·units) … → Dense(width·horizon·n_targets)``: one member (``width=1``)
        or the ensemble's side-by-side network."""
        model = Sequential()
        for index in range(self.layers):
            kwargs: dict[str, Any] = {"return_sequences": index < self.layers - 1}
            if index == 0:
                kwargs["input_shape"] = (self.look_back_, n_inputs)
            model.add(LSTM(width * self.units, **kwargs))
            if self.dropout:
                model.add(Dropout(self.dropout))
        model.add(Dense(width * self.horizon_ * self.n_targets_))
        # The native step then computes only the members (lstmkit.forecast.ensemble).
        model.native_groups = width
        optimizer = self.optimizer
        if optimizer == "adam" and (width > 1 or self.learning_rate is not None):
            optimizer = member_adam(width, self.learning_rate)
        elif isinstance(optimizer, str) and self.learning_rate is not None:
            optimizer = get_optimizer(optimizer)
            optimizer.learning_rate = float(self.learning_rate)
        model.compile(optimizer=optimizer, loss=self.loss)
        return model

    def _fit(self, series: Series, callbacks: list[Any] | None = None) -> None:
        """``callbacks``: Keras-style callbacks passed to the network's ``fit`` (a progress
        bar, early stopping on the training loss)."""
        self._check_params()
        self.target_names_ = list(series.target)
        self.n_targets_ = len(self.target_names_)
        self._resolve(series)
        levels = self._levels(series.frame)
        self.scaler_ = None
        scaler = self._make_scaler()
        if scaler is not None:
            self.scaler_ = SeriesScaler(
                target=self.target_names_, features=list(series.features) or None, scaler=scaler
            )
            # Fitted on the training part alone: whatever is forecast later never leaks in.
            self.scaler_.fit(self._differenced(levels))
        frame = self._model_space(levels)
        needed = self.look_back_ + self.horizon_
        if len(frame) < needed:
            lost = f" ({sum(self.lags_)} lost to differencing)" if self.lags_ else ""
            raise ValueError(
                f"Forecaster: look_back={self.look_back_} and horizon={self.horizon_} need at "
                f"least {needed} rows to make one training window; the training data has "
                f"{len(series.frame)}{lost}"
            )
        X, y = make_windows(
            frame.to_numpy(dtype=np.float32),
            self.look_back_,
            horizon=self.horizon_,
            target=self._target_positions(frame),
        )
        y = y.reshape(len(y), -1)
        n = self.n_models
        callbacks = list(callbacks or [])
        with torch.random.fork_rng():
            if self.seed is not None:
                torch.manual_seed(self.seed)
            outputs = self.horizon_ * self.n_targets_
            self.model_, guard = side_by_side(
                lambda width: self._build_model(X.shape[2], width=width),
                n,
                self.units,
                self.layers,
                outputs,
            )
            if guard is not None:
                callbacks.append(guard)
                y = np.tile(y, (1, n))
            self.history_: History = self.model_.fit(
                X,
                y,
                epochs=self.epochs,
                batch_size=self._batch_size(len(X)),
                verbose=self.verbose,
                shuffle=True,
                callbacks=callbacks,
            )
            # After the direct network, from the same stream: the direct network's weights are
            # those it has without a one-step network.
            self.one_step_ = None
            if self._wants_one_step(series):
                self._set_one_step_scale(series)
                inputs, targets = self._one_step_inputs(levels)
                # Its optimizer steps follow the direct network's epochs: 1200 at the default
                # 200 (a quick fit with few epochs is quick throughout).
                steps = max(1, round(ONE_STEP_STEPS_PER_EPOCH * self.epochs))
                network = OneStepNetwork(n_models=n, steps=steps)
                self.one_step_ = network.fit(inputs, targets, verbose=self.verbose)

    # -- the one-step network (lstmkit.forecast.one_step) ---------------------------------------

    def _wants_one_step(self, series: Series) -> bool:
        """Whether this fit trains the one-step network (recorded in ``resolved_params_``)."""
        rows = len(series.frame)
        if self.one_step is False:
            use, why = False, "given"
        elif rows < MIN_ONE_STEP_ROWS:
            use, why = (
                False,
                f"{rows} training rows; the one-step network needs {MIN_ONE_STEP_ROWS}",
            )
        else:
            use, why = True, "given" if self.one_step else "default"
        self.resolved_params_["one_step"] = use
        self.resolved_reasons_["one_step"] = why
        return use

    def _set_one_step_scale(self, series: Series) -> None:
        """The one-step network's scaling, from the training part alone: each column's range
        after the log (``one_step_low_``, ``one_step_span_``) and the clock its trend input
        reads (``one_step_clock_``: the first and last time, the rows, the frequency)."""
        levels = self._levels(series.frame)
        columns = [*series.features, *self.target_names_]
        values = levels[columns].to_numpy(dtype=np.float64)
        low, high = values.min(axis=0), values.max(axis=0)
        self.one_step_columns_ = columns
        self.one_step_low_ = low
        self.one_step_span_ = np.where(high > low, high - low, 1.0)
        index = series.frame.index
        self.one_step_clock_ = (index[0], index[-1], len(index), series.freq)

    def _one_step_inputs(self, levels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(Log) levels ``(n, columns)`` → the one-step network's inputs ``(n, d)`` (scaled
        features and targets of each row, then the trend and calendar of the row after it) and
        its targets ``(n, k)`` (the scaled targets of each row)."""
        values = levels[self.one_step_columns_].to_numpy(dtype=np.float64)
        scaled = (values - self.one_step_low_) / self.one_step_span_
        index = levels.index
        n = len(index)
        first, last, rows, freq = self.one_step_clock_
        if isinstance(index, pd.DatetimeIndex) and freq is None:
            # Dates of no known frequency: time counts rows (from the first row of `levels`,
            # which is the first training row wherever the forecaster reads it), and the row
            # after the last has no known date: its calendar stays zero (walk_forward never
            # reads the last row's inputs; it forecasts rows that are there).
            elapsed = np.arange(1, n + 1) / max(1, rows - 1)
            calendar = self._calendar(index)
            following = None
            if calendar is not None:
                following = np.zeros(calendar.shape)
                following[:-1] = calendar.to_numpy(dtype=np.float64)[1:]
        else:
            times = index.append(future_index(index, freq, 1))
            elapsed = np.asarray((times[1:] - first) / (last - first), dtype=np.float64)
            calendar = self._calendar(times)
            following = None if calendar is None else calendar.to_numpy(dtype=np.float64)[1:]
        parts = [scaled, TREND_SLOPE * elapsed[:, None]]
        if following is not None:
            parts.append(following)
        return np.concatenate(parts, axis=1), scaled[:, -self.n_targets_ :]

    def _one_step_values(self, levels: pd.DataFrame, ends: np.ndarray) -> np.ndarray:
        """Each member's forecast of rows ``ends`` of ``levels`` from the rows before each,
        ``(len(ends), n_models, k)``, in the (log) levels space."""
        inputs, _ = self._one_step_inputs(levels)
        length = min(self.one_step_.length, int(ends.min()))
        windows = np.stack([inputs[end - length : end] for end in ends])
        predicted = self.one_step_.predict(windows)
        k = self.n_targets_
        return predicted * self.one_step_span_[-k:] + self.one_step_low_[-k:]

    def _batch_size(self, windows: int) -> int:
        """The batch size for ``windows`` training windows (see ``batch_size``); recorded in
        ``resolved_params_``."""
        if self.batch_size is not None:
            size = min(self.batch_size, windows)
            why = "given"
        else:
            size = max(1, min(16, windows, max(4, windows // 4)))
            why = "16" if size == 16 else f"{size}: at least 4 batches of the {windows} windows"
        self.resolved_params_["batch_size"] = size
        self.resolved_reasons_["batch_size"] = why
        return size

    def _predict_windows(self, windows: np.ndarray) -> np.ndarray:
        """Windows ``(m, look_back, inputs)`` → every member's outputs ``(m, n_models,
        horizon, n_targets)``."""
        out = self.model_.predict(windows.astype(np.float32, copy=False))
        return member_outputs(out.astype(np.float64), self.n_models, self.horizon_, self.n_targets_)

    def _member_paths(
        self, history: pd.DataFrame, steps: int, log_space: bool = False
    ) -> np.ndarray:
        """Every member's forecast of the ``steps`` rows after ``history``: ``(n_models,
        steps, n_targets)``, original units (or before the ``exp`` with ``log_space``)."""
        levels = self._levels(history)
        frame = self._model_space(levels)
        if len(frame) < self.look_back_:
            raise ValueError(
                f"Forecaster: forecasting needs the last {self.look_back_} rows (look_back) "
                f"{'after differencing ' if self.lags_ else ''}; got {len(history)} rows"
            )
        if steps > self.horizon_ and self.series_.features:
            raise ValueError(
                f"Forecaster: predict(steps={steps}) goes beyond horizon={self.horizon_}, which "
                "needs future values of the features "
                f"{list(self.series_.features)}; refit with horizon>={steps}, or use a "
                "univariate model"
            )
        n = self.n_models
        targets = self._target_positions(frame)
        window = frame.to_numpy(dtype=np.float64)[-self.look_back_ :]
        # One window per member: beyond the horizon each member feeds back its own forecasts.
        windows = np.repeat(window[None], n, axis=0)
        future = future_index(frame.index, self.series_.freq, steps)
        outputs: list[np.ndarray] = []
        produced = 0
        while produced < steps:
            block = self._predict_windows(windows)[np.arange(n), np.arange(n)]  # (n, h, k)
            outputs.append(block)
            if produced + self.horizon_ < steps:
                times = future[produced : produced + self.horizon_]
                rows = np.zeros((n, self.horizon_, windows.shape[2]))
                calendar = self._calendar(times)
                if calendar is not None:
                    rows[:, : len(times), : calendar.shape[1]] = calendar.to_numpy()
                rows[:, :, targets] = block
                windows = np.concatenate([windows, rows], axis=1)[:, -self.look_back_ :]
            produced += self.horizon_
        predicted = np.concatenate(outputs, axis=1)[:, :steps]
        p = sum(self.lags_)
        before = levels[self.target_names_].to_numpy()[len(levels) - p :]
        last = np.repeat(before[None], n, axis=0)
        values = self._to_log_levels(predicted, last)
        return values if log_space or not self.log_ else np.exp(values)

    def _forecast(self, history: pd.DataFrame, steps: int) -> np.ndarray:
        return np.median(self._member_paths(history, steps), axis=0)

    def predict_members(self, steps: int = 1, data: Any = None) -> np.ndarray:
        """Each member's forecast, ``(n_models, steps)`` or ``(n_models, steps, n_targets)``,
        original units: the ensemble's spread. :meth:`predict` is their median."""
        series = self._fitted() if data is None else self._continuation(data)
        paths = self._member_paths(series.frame, int(steps))
        return paths[:, :, 0] if self.n_targets_ == 1 else paths

    def _walk_forward(self, history: pd.DataFrame, start: int) -> np.ndarray:
        levels = self._levels(history)
        if getattr(self, "one_step_", None) is not None:
            # The mean of the two networks' forecasts (see the ``one_step`` parameter).
            values = self._one_step_values(levels, np.arange(start, len(history)))
            one_step = np.median(np.exp(values) if self.log_ else values, axis=1)
            return 0.5 * (one_step + self._direct_walk_forward(history, levels, start))
        return self._direct_walk_forward(history, levels, start)

    def _direct_walk_forward(
        self, history: pd.DataFrame, levels: pd.DataFrame, start: int
    ) -> np.ndarray:
        """The direct network's first step from each row ``start, …`` of ``history``
        (``levels``: its log levels): ``(len(history) - start, k)``."""
        frame = self._model_space(levels).to_numpy(dtype=np.float64)
        # Row t of `history` is row t - offset of `frame` (differencing drops the first row).
        offset = len(history) - len(frame)
        first = start - offset
        if first < self.look_back_:
            raise ValueError(
                f"Forecaster: walk-forward from row {start} needs {self.look_back_} rows "
                f"(look_back) before it{' after differencing' if self.lags_ else ''}"
            )
        ends = np.arange(first, len(frame))
        windows = np.stack([frame[end - self.look_back_ : end] for end in ends])
        predicted = self._predict_windows(windows)[:, :, :1]  # (m, n, 1, k)
        p = sum(self.lags_)
        target = levels[self.target_names_].to_numpy()
        last = np.stack([target[end - p : end] for end in range(start, len(history))])
        m, n = predicted.shape[:2]
        values = self._to_levels(
            predicted.reshape(m * n, 1, -1), np.repeat(last, n, axis=0)
        ).reshape(m, n, -1)
        return np.median(values, axis=1)
