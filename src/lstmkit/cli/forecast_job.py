"""``lstmkit forecast`` and ``lstmkit predict``: a CSV in, forecasts in original units out.

The forecast job, in order: read and check the CSV; split off the last ``--test`` rows; fit the
LSTM :class:`~lstmkit.forecast.Forecaster` on the rest; score it and the baselines (naive,
seasonal naive, SARIMAX when asked) on the held-out rows in two ways — one step ahead through
the test span (each forecast from every observation before it) and ``--horizon`` steps ahead
from the end of the training part, as a real forecast would be made; forecast ``--horizon``
steps past the end of the data; write everything into the output folder at once.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmkit.cli.inputs import (
    check_positive,
    option_names,
    parse_test_size,
    read_csv,
    read_params,
)
from lstmkit.cli.jsondata import json_data
from lstmkit.cli.outdir import reach
from lstmkit.cli.report import MODEL_LABELS, render_report
from lstmkit.data.scores import mae, mape, r2, rmse
from lstmkit.forecast import (
    BaseForecaster,
    Forecaster,
    NaiveForecaster,
    SARIMAXForecaster,
    SeasonalNaiveForecaster,
    Series,
    infer_season,
    prepare_series,
)
from lstmkit.forecast.base import backtest_scores
from lstmkit.forecast.defaults import grows_with_level
from lstmkit.forecast.intervals import calibration_for, interval_scores, seasonal_scale
from lstmkit.forecast.seasons import describe_frequency, format_time
from lstmkit.plotting import (
    plot_errors_by_step,
    plot_forecast_band,
    plot_heldout,
    plot_history,
    save_png,
)

__all__ = [
    "ForecastSettings",
    "parse_test_size",
    "read_csv",
    "run_forecast",
    "run_predict",
]

MODEL_FILE = "forecaster.lstmkit"


@dataclass
class ForecastSettings:
    """Everything ``lstmkit forecast`` needs (the demo fills in its own)."""

    data: str
    target: str | None
    features: list[str] = field(default_factory=list)
    date_column: str | None = None
    look_back: int | None = None
    horizon: int = 12
    test: str = "0.2"
    epochs: int | None = None
    units: int | None = None
    layers: int = 1
    seed: int = 0
    season: int | None = None
    sarimax: bool = True
    log: bool | None = None
    out: str = "lstmkit-forecast"
    title: str | None = None
    #: ``auto`` (chosen by validation on the training part) or one of MODEL_LABELS' names.
    model: str = "auto"
    #: Forecaster parameters from a JSON file (``lstmkit tune``'s best.json).
    params: str | None = None
    n_models: int | None = None
    levels: tuple[float, ...] = (80.0, 95.0)
    date_format: str | None = None
    dayfirst: bool | None = None
    fill: str | None = None
    decimal: str | None = None
    #: Threads to compute on (lstmkit.cli.threads).
    threads: int = 1

    def command_line(self) -> str:
        """The ``lstmkit forecast`` command that reproduces this run, every option spelled
        out (call it once the target is known)."""
        words = ["lstmkit", "forecast", self.data, "--target", str(self.target)]
        if self.features:
            words += ["--features", ",".join(self.features)]
        if self.date_column:
            words += ["--date-column", self.date_column]
        if self.date_format:
            words += ["--date-format", self.date_format]
        if self.dayfirst is not None:
            words.append("--dayfirst" if self.dayfirst else "--monthfirst")
        if self.fill:
            words += ["--fill", self.fill]
        if self.decimal:
            words += ["--decimal", self.decimal]
        if self.look_back is not None:
            words += ["--look-back", str(self.look_back)]
        words += ["--horizon", str(self.horizon), "--test", self.test]
        for option, value in (
            ("--epochs", self.epochs),
            ("--units", self.units),
            ("--models", self.n_models),
            ("--season", self.season),
            ("--params", self.params),
        ):
            if value is not None:
                words += [option, str(value)]
        if self.layers != 1:
            words += ["--layers", str(self.layers)]
        if self.log is not None:
            words.append("--log" if self.log else "--no-log")
        if self.model != "auto":
            words += ["--model", self.model]
        if self.threads != 1:
            # Another thread count may round sums in another order.
            words += ["--threads", str(self.threads)]
        words += ["--seed", str(self.seed), "--out", self.out]
        # Under torchrun (`--nproc N` starts it) each process runs without --nproc: say it.
        world = os.environ.get("WORLD_SIZE", "1")
        if world.isdigit() and int(world) > 1:
            words += ["--nproc", world]
        return shlex.join(words)


def _scores(actual: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """RMSE, MAE, MAPE (percent) and R² in original units; ``None`` where undefined (MAPE with
    a zero actual value, R² of a single value). A score that is not finite (a forecast that
    overflowed) is ``None`` too, and ``"not_finite"`` lists those scores."""
    finite = bool(np.isfinite(predicted).all())
    # Undefined scores are never computed (mape raises on a zero); scikit-learn refuses
    # non-finite forecasts, whose scores are infinite.
    defined = {
        "rmse": rmse,
        "mae": mae,
        "mape": None if np.any(actual == 0) else mape,
        "r2": r2 if len(actual) > 1 else None,
    }
    scores: dict[str, Any] = {}
    with np.errstate(all="ignore"):
        for key, function in defined.items():
            if function is None:
                scores[key] = None
            else:
                scores[key] = float(function(actual, predicted)) if finite else math.inf
    bad = [k for k, v in scores.items() if v is not None and not math.isfinite(v)]
    out = {k: None if k in bad else v for k, v in scores.items()}
    if bad:
        out["not_finite"] = bad
    return out


def _best(results: dict[str, dict[str, Any]], kind: str) -> str | None:
    """The model with the lowest finite RMSE, or None when no model has one."""
    scored = [name for name in results if results[name][kind]["rmse"] is not None]
    return min(scored, key=lambda name: results[name][kind]["rmse"]) if scored else None


def _check_rows(series: Series, settings: ForecastSettings, n_test: int) -> None:
    rows = len(series.frame)
    # The LSTM resolves its look-back from the data; a given one must fit with the horizon.
    look_back = settings.look_back or 2
    needed_train = look_back + settings.horizon + 1  # one row is lost to differencing
    if n_test >= rows or rows - n_test < needed_train:
        raise ValueError(
            f"too few rows: {settings.data!r} has {rows}; --look-back {look_back} and "
            f"--horizon {settings.horizon} need {needed_train} training rows, and --test holds "
            f"out {n_test} (needed: {needed_train + n_test})"
        )


def _baselines(
    series: Series, settings: ForecastSettings, n_train: int
) -> tuple[dict[str, BaseForecaster], dict[str, str]]:
    """The baseline forecasters to fit, and why any were left out."""
    common = {"target": series.target[0], "date_column": series.date_column}
    models: dict[str, BaseForecaster] = {"naive": NaiveForecaster(**common)}
    skipped: dict[str, str] = {}
    season = settings.season if settings.season is not None else infer_season(series.freq)
    if season is None:
        skipped["seasonal_naive"] = (
            "no season: the data has no dated index of a known frequency (give --season N)"
        )
    elif season > n_train:
        skipped["seasonal_naive"] = f"the season ({season}) is longer than the training part"
    else:
        models["seasonal_naive"] = SeasonalNaiveForecaster(season=season, **common)
    if settings.sarimax:
        seasonal = (0, 1, 1, season) if season and 2 * season < n_train else (0, 0, 0, 0)
        values = series.frame[series.target[0]].to_numpy()[:n_train]
        log = settings.log if settings.log is not None else grows_with_level(values, season)[0]
        models["sarimax"] = SARIMAXForecaster(
            order=(1, 1, 1), seasonal_order=seasonal, log=log, **common
        )
    return models, skipped


def _summary(series: Series, n_train: int, path: str) -> dict[str, Any]:
    frame, target = series.frame, series.target[0]
    index = frame.index

    def when(position: int) -> str:
        return format_time(index[position], series.freq)

    def stats(values: pd.Series) -> dict[str, float]:
        return {
            "min": float(values.min()),
            "mean": float(values.mean()),
            "max": float(values.max()),
            "std": float(values.std()) if len(values) > 1 else 0.0,
        }

    return {
        "file": path,
        "rows": len(frame),
        "target": target,
        "features": list(series.features),
        "date_column": series.date_column,
        "frequency": series.freq,
        "frequency_words": describe_frequency(series.freq),
        "first": when(0),
        "last": when(len(frame) - 1),
        "train": {"rows": n_train, "first": when(0), "last": when(n_train - 1)},
        "test": {"rows": len(frame) - n_train, "first": when(n_train), "last": when(-1)},
        "target_train": stats(frame[target].iloc[:n_train]),
        "target_test": stats(frame[target].iloc[n_train:]),
    }


def _frame_for_csv(
    frame: pd.DataFrame, date_column: str | None, freq: str | None = None
) -> pd.DataFrame:
    """``frame`` ready for ``to_csv``: dates written as their frequency writes them
    (``1961-01`` monthly) under the date column's name; an index of positions (no dates, or
    dates of no known frequency to continue) as ``step``."""
    out = frame.copy()
    if isinstance(out.index, pd.DatetimeIndex):
        out.index = [format_time(value, freq) for value in out.index]
        out.index.name = date_column or "time"
    else:
        out.index.name = "step"
    return out


def _lstm(settings: ForecastSettings, series: Series, params: dict[str, Any]) -> Forecaster:
    """The LSTM forecaster of the run: the defaults, then ``--params``, then the options."""
    options: dict[str, Any] = {
        "target": series.target[0],
        "features": list(series.features) or None,
        "date_column": series.date_column,
        "seed": settings.seed,
        **params,
    }
    for name in ("look_back", "epochs", "units", "log", "season", "n_models"):
        value = getattr(settings, name)
        if value is not None:
            options[name] = value
    if settings.layers != 1:
        options["layers"] = settings.layers
    if series.features and "horizon" not in params:
        # Future feature values are unknown: the network must reach the whole horizon at once.
        options["horizon"] = settings.horizon
    return Forecaster(**options)


def _tuning_summary(path: str | None) -> dict[str, Any] | None:
    """What ``lstmkit tune`` said about the parameters in ``path`` (its ``summary.json`` beside
    ``best.json``), or ``None``."""
    if path is None:
        return None
    summary = Path(path).parent / "summary.json"
    try:
        document = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    keys = ("study", "best_value", "trials", "completed", "pruned", "seconds")
    if not isinstance(document, dict) or not all(key in document for key in keys):
        return None
    return {key: document[key] for key in keys}


def _validate(
    models: dict[str, BaseForecaster], steps: int, reporter: Any
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Each model's RMSE on rolling-origin forecasts inside the training part (the last rows in
    three folds, each forecast ``steps`` ahead by a copy refitted on the rows before its fold);
    the same forecasts calibrate the prediction intervals. Models that cannot be validated get
    ``None`` and a reason."""
    scores: dict[str, float | None] = {}
    failed: dict[str, str] = {}
    for name, model in models.items():
        reporter.say(f"validating {MODEL_LABELS[name]} on the end of the training part")
        try:
            calibration = calibration_for(model, steps)
        except ValueError as error:
            scores[name], failed[name] = None, str(error)
            continue
        scores[name] = calibration.validation_rmse()
    return scores, failed


def _choose(
    settings: ForecastSettings, validation: dict[str, float | None], rows: int, steps: int
) -> tuple[str, str]:
    """The model to publish, and why."""
    usable = {name: value for name, value in validation.items() if value is not None}
    if settings.model != "auto":
        if settings.model not in validation:
            raise ValueError(
                f"--model {settings.model}: that model could not be fitted on this data; "
                f"available: {sorted(validation)}"
            )
        return settings.model, f"asked for with --model {settings.model}"
    if not usable:
        return "lstm", "no model could be validated on the training part; the LSTM by default"
    best = min(usable, key=lambda name: usable[name])
    ranking = ", ".join(
        f"{MODEL_LABELS[name]} {value:.4g}"
        for name, value in sorted(usable.items(), key=lambda item: item[1])
    )
    return best, (
        f"lowest RMSE of {steps}-step forecasts from the last {rows} rows of the training part "
        f"(three copies, each refitted on the rows before its third of them; the held-out part "
        f"is not used to choose): {ranking}"
    )


def run_forecast(settings: ForecastSettings, reporter: Any, out: Path) -> dict[str, Any]:
    """Run the forecast job and write its files into ``out`` (an empty staging folder);
    ``reporter`` is a :class:`~lstmkit.cli.progress.Reporter`. Returns what ``metrics.json``
    holds."""
    for name in ("look_back", "horizon", "epochs", "units", "layers", "n_models"):
        if getattr(settings, name) is not None:
            check_positive(f"--{name.replace('_', '-')}", getattr(settings, name))
    if settings.season is not None:
        check_positive("--season", settings.season)
    if settings.model != "auto" and settings.model not in MODEL_LABELS:
        raise ValueError(
            f"--model must be auto or one of {sorted(MODEL_LABELS)}; got {settings.model!r}"
        )
    params = read_params(settings.params)
    raw = read_csv(settings.data)
    try:
        series = prepare_series(
            raw,
            target=settings.target,
            features=settings.features or None,
            date_column=settings.date_column,
            date_format=settings.date_format,
            dayfirst=settings.dayfirst,
            fill=settings.fill,
            decimal=settings.decimal or raw.attrs.get("decimal"),
        )
    except ValueError as error:
        raise ValueError(option_names(str(error))) from None
    index = series.frame.index
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        # Checked before training: the saved forecaster keeps time-zone-naive dates only.
        raise ValueError(
            f"the dates in {series.date_column!r} carry a time zone ({index.tz}); lstmkit "
            "forecast saves the forecaster, which keeps dates without one: write the dates "
            "without their zone (e.g. in UTC)"
        )
    settings = replace(settings, target=series.target[0], date_column=series.date_column)
    rows = len(series.frame)
    n_test = parse_test_size(settings.test, rows)
    _check_rows(series, settings, n_test)
    reach("data:read")
    n_train = rows - n_test
    # The forecasters read the prepared series (dates read once, gaps filled once), split.
    data = series
    train, test = series.rows(0, n_train), series.rows(n_train)
    target = series.target[0]
    actual = series.frame[target].to_numpy()[n_train:]
    steps = min(settings.horizon, n_test)
    levels = list(settings.levels)
    reporter.say(
        f"{settings.data}: {rows} rows of {target!r} ({describe_frequency(series.freq)})"
        + (f" with features {series.features}" if series.features else "")
        + f"; training on {n_train}, holding out {n_test}"
    )

    lstm = _lstm(settings, series, params)
    started = time.perf_counter()
    lstm.fit(train, callbacks=reporter.callbacks(f"LSTM {lstm.epochs} epochs"))
    seconds = time.perf_counter() - started
    reporter.say(
        f"trained the LSTM ({lstm.n_models} network{'s' if lstm.n_models > 1 else ''}) in "
        f"{seconds:.1f} s"
    )
    reach("model:trained")

    models: dict[str, BaseForecaster] = {"lstm": lstm}
    baselines, skipped = _baselines(series, settings, n_train)
    for name, model in baselines.items():
        reporter.say(f"fitting the {MODEL_LABELS[name]} baseline")
        try:
            model.fit(train)
        except (ValueError, np.linalg.LinAlgError) as error:
            skipped[name] = f"could not be fitted: {error}"
            continue
        models[name] = model

    validation, failed = _validate(models, settings.horizon, reporter)
    chosen, why = _choose(
        settings, validation, _calibration_rows(models, validation), settings.horizon
    )
    reporter.say(f"publishing {MODEL_LABELS[chosen]}: {why}")

    results: dict[str, dict[str, Any]] = {}
    one_step: dict[str, np.ndarray] = {}
    heldout: dict[str, np.ndarray] = {}
    by_step: dict[str, list[float]] = {}
    coverage: dict[str, dict[str, Any]] = {}
    scale = seasonal_scale(
        series.frame[target].to_numpy()[:n_train], models["lstm"].season_length()
    )
    for name, model in models.items():
        one_step[name] = np.asarray(model.walk_forward(test), dtype=np.float64)
        heldout[name] = np.asarray(model.predict(steps=steps), dtype=np.float64)
        results[name] = {
            "one_step": _scores(actual, one_step[name]),
            "multi_step": _scores(actual[:steps], heldout[name]),
            "validation_rmse": validation.get(name),
        }
        if name in failed:
            results[name]["validation_error"] = failed[name]
            continue
        rolling = model.rolling_forecasts(data, start=n_train, steps=steps, level=levels)
        table = backtest_scores(rolling, scale=scale)
        by_step[name] = [float(v) for v in table["rmse"]]
        coverage[name] = {
            f"{level:g}": interval_scores(
                rolling["actual"],
                rolling[f"lo-{level:g}"],
                rolling[f"hi-{level:g}"],
                level,
                scale,
            )
            for level in levels
        }
        results[name]["backtest"] = {
            "origins": int(rolling["origin"].nunique()),
            "rmse_by_step": by_step[name],
            "mase": float(np.mean(np.abs(rolling["actual"] - rolling["forecast"])) / scale)
            if scale > 0
            else None,
            "intervals": coverage[name],
        }
    best = _best(results, "one_step")
    published = models[chosen]
    future = published.predict_frame(steps=settings.horizon, data=data, level=levels)
    members = lstm.predict_members(steps=settings.horizon, data=data)
    reach("models:scored")

    _frame_for_csv(future, series.date_column, series.freq).to_csv(out / "forecast.csv")
    predictions = pd.DataFrame(
        {"actual": actual, **{name: values for name, values in one_step.items()}},
        index=series.frame.index[n_train:],
    )
    _frame_for_csv(predictions, series.date_column, series.freq).to_csv(
        out / "test_predictions.csv"
    )
    heldout_frame = pd.DataFrame(
        {"actual": actual[:steps], **heldout}, index=series.frame.index[n_train : n_train + steps]
    )
    _frame_for_csv(heldout_frame, series.date_column, series.freq).to_csv(
        out / "heldout_forecasts.csv"
    )
    step_frame = pd.DataFrame(by_step, index=pd.RangeIndex(1, steps + 1, name="step"))
    step_frame.to_csv(out / "errors_by_step.csv")
    label = MODEL_LABELS[chosen]
    title = settings.title or f"{target}: forecast ({label})"
    plot_history(lstm.history_, path=out / "loss.png", title="LSTM training loss (scaled units)")
    save_png(
        plot_forecast_band(series, n_train, future, members, label, title, levels),
        out / "forecast.png",
    )
    save_png(plot_heldout(series, n_train, heldout, MODEL_LABELS), out / "heldout.png")
    save_png(plot_errors_by_step(step_frame, MODEL_LABELS, target), out / "errors_by_step.png")
    # The model published is the model saved: `lstmkit predict` forecasts with it, bands
    # included (its calibration is in the file).
    published.save(out / MODEL_FILE)
    reach("files:model")

    history = lstm.history_.history
    metrics = json_data(
        {
            "command": settings.command_line(),
            "data": _summary(series, n_train, settings.data),
            "settings": {
                "look_back": lstm.look_back_,
                "horizon": lstm.horizon_,
                "steps": settings.horizon,
                "test_rows": n_test,
                "epochs": lstm.epochs,
                "units": lstm.units,
                "layers": lstm.layers,
                "n_models": lstm.n_models,
                "seed": settings.seed,
                "log": lstm.log_,
                "calendar": lstm.calendar_,
                "season": lstm.season_,
                "difference": lstm.difference_,
                "one_step": (
                    None
                    if lstm.one_step_ is None
                    else {"units": lstm.one_step_.units, "length": lstm.one_step_.length}
                ),
                "scaler": lstm.scaler,
                "params_file": settings.params,
                "tuning": _tuning_summary(settings.params),
                "resolved": lstm.resolved_reasons_,
            },
            "evaluation": {
                "one_step": (
                    f"one step ahead through the {n_test} held-out rows, each forecast from "
                    "every observation before it (no refitting)"
                ),
                "multi_step": (
                    f"{steps} steps ahead from the end of the training part, as one forecast"
                ),
                "backtest": (
                    f"up to {steps} steps ahead from every origin in the held-out part (no "
                    "refitting); intervals calibrated on the training part only"
                ),
                "units": f"original units of {target!r}; mape in percent",
            },
            "models": results,
            "skipped": skipped,
            "best_one_step": best,
            "chosen": {"model": chosen, "why": why},
            "training": {
                "seconds": seconds,
                "epochs": len(history.get("loss", [])),
                "final_loss": history["loss"][-1] if history.get("loss") else None,
            },
            "forecast": {
                "model": chosen,
                # The class saved in forecaster.lstmkit: the published model.
                "model_class": type(published).__name__,
                "steps": settings.horizon,
                "levels": levels,
                "first": format_time(future.index[0], series.freq),
                "last": format_time(future.index[-1], series.freq),
                "ensemble_spread": {
                    "min": [float(v) for v in members.min(axis=0)],
                    "max": [float(v) for v in members.max(axis=0)],
                },
            },
            "files": {
                "forecast": "forecast.csv",
                "test_predictions": "test_predictions.csv",
                "heldout_forecasts": "heldout_forecasts.csv",
                "errors_by_step": "errors_by_step.csv",
                "metrics": "metrics.json",
                "loss_plot": "loss.png",
                "forecast_plot": "forecast.png",
                "heldout_plot": "heldout.png",
                "errors_plot": "errors_by_step.png",
                "model": MODEL_FILE,
                "report": "report.html",
            },
        }
    )
    images = {
        name: out / metrics["files"][key]
        for name, key in (
            ("forecast", "forecast_plot"),
            ("heldout", "heldout_plot"),
            ("errors", "errors_plot"),
            ("loss", "loss_plot"),
        )
    }
    (out / "report.html").write_text(
        render_report(metrics, future, images, series.freq), encoding="utf-8"
    )
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    reach("files:all")
    return metrics


def _calibration_rows(models: dict[str, BaseForecaster], validation: dict[str, Any]) -> int:
    for name in models:
        calibration = getattr(models[name], "calibration_", None)
        if validation.get(name) is not None and calibration is not None:
            return calibration.rows
    return 0


def run_predict(
    model_path: str,
    data_path: str,
    steps: int | None,
    reading: dict[str, Any] | None = None,
    level: list[float] | None = None,
) -> pd.DataFrame:
    """Forecasts of a saved forecaster from the end of ``data_path``: a frame indexed by the
    future times (the date column's name, or ``step``), one column per target, and ``lo-L``/
    ``hi-L`` columns for each percentage in ``level``. ``reading``: ``date_format``,
    ``dayfirst``, ``fill``, ``decimal`` for :func:`prepare_series`. Data whose dates run at
    another frequency than the forecaster's is refused."""
    from lstmkit.forecast import load_forecaster

    if not Path(model_path).exists():
        raise ValueError(f"MODEL: no such file: {model_path!r}")
    forecaster = load_forecaster(model_path)
    if steps is None:
        # The LSTM's horizon; a baseline has none: one season (12 monthly, 4 quarterly), else 1.
        steps = getattr(forecaster, "horizon_", None) or forecaster.season_length() or 1
    check_positive("--steps", steps)
    frame = read_csv(data_path)
    fitted = forecaster.series_
    options = {key: value for key, value in (reading or {}).items() if value is not None}
    options.setdefault("decimal", frame.attrs.get("decimal"))
    try:
        series = prepare_series(
            frame,
            target=fitted.target,
            features=list(fitted.features) or None,
            date_column=fitted.date_column,
            **options,
        )
        future = forecaster.predict_frame(steps=steps, data=series, level=level or None)
    except ValueError as error:
        raise ValueError(option_names(str(error))) from None
    return _frame_for_csv(future, fitted.date_column, fitted.freq)
