"""Hyperparameter search for the LSTM :class:`~lstmkit.forecast.Forecaster` with Optuna.

:func:`tune` searches look-back, units, layers, dropout, learning rate, epochs, log,
differencing, scaler and calendar columns with Optuna's TPE sampler. Each trial fits one
network (``n_models=1``: the search compares settings, and the ensemble's median only narrows
the spread of each) on the training data minus its last ``V`` rows and is scored by the RMSE
of ``horizon``-step forecasts from each of those ``V`` origins (rolling origin, original
units) — never on data the caller holds out. While a trial trains, its validation loss (mean
squared error of the direct forecasts of those origins, in the network's scaled space) is
reported every few epochs, so Optuna's median pruner stops trials that are behind the others
at the same epoch.

The study lives in ``storage`` (an Optuna URL, e.g. ``sqlite:///out/study.db``), so a search
interrupted and started again with the same ``study_name`` resumes where it stopped, and
several worker processes or machines can work one study together
(:mod:`lstmkit.forecast.shared_study`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmkit.data import make_windows
from lstmkit.forecast.base import prepare_series
from lstmkit.forecast.intervals import calibration_rows
from lstmkit.forecast.lstm import Forecaster
from lstmkit.forecast.seasons import infer_season
from lstmkit.forecast.shared_study import run_study
from lstmkit.training.callbacks import Callback

__all__ = ["TuneResult", "study_result", "tune"]

#: Report the validation loss to the pruner every this many epochs.
REPORT_EVERY = 10


@dataclass
class TuneResult:
    """What :func:`tune` found: ``best_params`` (Forecaster parameters, JSON data, what
    ``Forecaster(**best_params)`` and ``lstmkit forecast --params`` take), ``best_value`` (the
    best validation RMSE, original units), ``trials`` (one row per trial: number, state,
    value, seconds, the parameters), ``study`` (the Optuna study)."""

    best_params: dict[str, Any]
    best_value: float
    trials: pd.DataFrame
    study: Any


class _Pruning(Callback):
    """Reports the validation loss every ``REPORT_EVERY`` epochs to the trial; raises Optuna's
    ``TrialPruned`` when the pruner says stop."""

    def __init__(self, trial: Any, forecaster: Forecaster, frame: pd.DataFrame, rows: int) -> None:
        super().__init__()
        self.trial, self.forecaster, self.frame, self.rows = trial, forecaster, frame, rows
        self.windows: tuple[np.ndarray, np.ndarray] | None = None

    def on_train_begin(self, logs: Any = None) -> None:
        # The forecaster's transforms are fitted by now (on the part it trains on): the
        # validation windows end in the last `rows` rows of the full frame.
        f = self.forecaster
        space = f._model_space(f._levels(self.frame))
        X, y = make_windows(
            space.to_numpy(dtype=np.float32),
            f.look_back_,
            horizon=f.horizon_,
            target=f._target_positions(space),
        )
        keep = min(self.rows, len(X))
        self.windows = (X[-keep:], y[-keep:].reshape(keep, -1))

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        import optuna

        if (epoch + 1) % REPORT_EVERY or self.windows is None:
            return
        X, y = self.windows
        predicted = self.forecaster.model_.predict(X)[:, : y.shape[1]]
        loss = float(np.mean((predicted - y) ** 2))
        if not math.isfinite(loss):
            raise optuna.TrialPruned()
        self.trial.report(loss, epoch + 1)
        if self.trial.should_prune():
            raise optuna.TrialPruned()


def _space(trial: Any, season: int | None, positive: bool, rows: int) -> dict[str, Any]:
    """One trial's parameters. Look-backs are whole seasons when there is a season."""
    if season:
        choices = [k * season for k in (1, 2, 3) if k * season <= rows // 3] or [max(2, rows // 4)]
        look_back = trial.suggest_categorical("look_back", choices)
    else:
        look_back = trial.suggest_int("look_back", 4, max(5, min(36, rows // 3)))
    params = {
        "look_back": look_back,
        "units": trial.suggest_categorical("units", [8, 16, 32, 64]),
        "layers": trial.suggest_int("layers", 1, 2),
        "dropout": trial.suggest_categorical("dropout", [0.0, 0.1, 0.2]),
        "learning_rate": trial.suggest_float("learning_rate", 3e-4, 3e-2, log=True),
        "epochs": trial.suggest_int("epochs", 50, 400, step=50),
        # Seasonal differences only with seasons to spare (what the defaults ask for too).
        "difference": trial.suggest_categorical(
            "difference",
            [True, False, "seasonal"] if season and rows >= 4 * season + 10 else [True, False],
        ),
        "scaler": trial.suggest_categorical("scaler", ["minmax", "standard"]),
        "calendar": trial.suggest_categorical("calendar", ["auto", None]),
    }
    if positive:
        params["log"] = trial.suggest_categorical("log", [True, False])
    else:
        params["log"] = False
    return params


class _Objective:
    """One trial: fit a Forecaster with the trial's parameters on all but the last ``rows``
    rows of ``frame``, score its ``horizon``-step forecasts from each of those rows. A class,
    not a closure, so that worker processes receive it (see :mod:`shared_study`)."""

    def __init__(self, series: Any, fixed: dict[str, Any], season: int | None, rows: int) -> None:
        self.series, self.fixed, self.season, self.rows = series, fixed, season, rows

    def __call__(self, trial: Any) -> float:
        import optuna

        series, rows, horizon = self.series, self.rows, self.fixed["horizon"]
        frame = series.frame
        n = len(frame)
        name = self.fixed["target"]
        positive = bool((frame[name] > 0).all())
        params = _space(trial, self.season, positive, n - rows)
        # The score is of multi-step forecasts, the direct network's: no one-step network.
        forecaster = Forecaster(**{**self.fixed, **params, "one_step": False})
        pruning = _Pruning(trial, forecaster, frame, rows)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                forecaster.fit(series.rows(0, n - rows), callbacks=[pruning])
            except ValueError as error:  # too few rows for this look-back
                raise optuna.TrialPruned(str(error)) from None
        actual = frame[name].to_numpy(dtype=np.float64)
        errors = []
        for origin in range(n - rows, n):
            ahead = min(horizon, n - origin)
            forecast = forecaster._forecast(frame.iloc[:origin], ahead)[:, 0]
            errors.append(actual[origin : origin + ahead] - forecast)
        value = float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))
        return value if math.isfinite(value) else float("inf")


def tune(
    data: Any,
    target: Any = None,
    n_trials: int = 30,
    *,
    features: Any = None,
    date_column: str | None = None,
    horizon: int | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    n_workers: int = 1,
    timeout: float | None = None,
    seed: int = 0,
    progress: bool = False,
) -> TuneResult:
    """Search the Forecaster's parameters on ``data`` (the training data: nothing the caller
    holds out) until the study holds ``n_trials`` trials (fewer when ``timeout`` seconds pass
    first).

    ``n_trials`` counts every trial of the study, whoever ran it: an existing study of
    ``study_name`` in ``storage`` is resumed (or joined, while other processes work it) and
    run up to ``n_trials`` in all; give a larger number for more. ``storage``: an Optuna
    database URL (``sqlite:///study.db`` on one machine, ``postgresql://...`` or
    ``mysql+pymysql://...`` shared by several), or ``None`` (in memory, this process only).
    ``n_workers``: worker processes of this call that run trials side by side (each trial in
    one process; ``n_workers > 1`` needs a database ``storage``; see :mod:`shared_study` for
    how a killed worker's trial is retried). ``horizon``: the steps each validation forecast
    reaches (default: the season, at least 8, as the Forecaster's). ``seed`` seeds the sampler
    (with the trial's number) and every trial's network. ``progress``: a tqdm bar of trials.
    """
    import optuna

    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer; got n_trials={n_trials!r}")
    if timeout is not None and not (isinstance(timeout, int | float) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds; got timeout={timeout!r}")
    series = prepare_series(data, target=target, features=features, date_column=date_column)
    if len(series.target) != 1:
        raise ValueError("tune searches a forecaster of one target")
    name = series.target[0]
    season = infer_season(series.freq)
    if horizon is None:
        horizon = max(season, 8) if season else 1
    frame = series.frame
    n = len(frame)
    rows = calibration_rows(n, horizon, 3 * (season or 4) + horizon + 2)
    if rows < 2:
        raise ValueError(
            f"tune: {n} rows are too few to validate {horizon}-step forecasts inside them"
        )
    fixed = {
        "target": name,
        "features": list(series.features) or None,
        "horizon": horizon,
        "n_models": 1,
        "seed": seed,
    }
    study = run_study(
        _Objective(series, fixed, season, rows),
        storage=storage,
        study_name=study_name,
        n_trials=n_trials,
        n_workers=n_workers,
        timeout=timeout,
        seed=seed,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2 * REPORT_EVERY),
        # What the trials' scores depend on besides their parameters: a process that joins
        # the study with other settings is refused instead of mixing incomparable scores.
        user_attrs={"lstmkit_settings": {**fixed, "rows": n, "validation_rows": rows}},
        progress=progress,
    )
    return study_result(study)


def study_result(study: Any) -> TuneResult:
    """The :class:`TuneResult` of a study :func:`tune` made (read from its storage: any
    process may ask, while workers still run it)."""
    import optuna

    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise ValueError("tune: no trial completed; give more trials or a longer timeout")
    best = study.best_trial
    settings = study.user_attrs.get("lstmkit_settings", {})
    best_params = {"horizon": settings.get("horizon"), **best.params}
    if best_params["horizon"] is None:
        del best_params["horizon"]
    if "log" not in best_params:
        best_params["log"] = False
    trials = study.trials_dataframe(
        attrs=("number", "state", "value", "duration", "params", "system_attrs")
    )
    if "duration" in trials:
        trials["seconds"] = trials.pop("duration").dt.total_seconds()
    # A retry of a trial whose worker died names that trial; Optuna's other attributes stay.
    retried = (
        trials.pop("system_attrs_failed_trial") if "system_attrs_failed_trial" in trials else None
    )
    trials = trials.drop(columns=[c for c in trials.columns if c.startswith("system_attrs")])
    if retried is not None:
        trials["retry_of"] = retried.astype("Int64")
    trials.columns = [c.removeprefix("params_") for c in trials.columns]
    return TuneResult(best_params, float(best.value), trials, study)
