"""``lstmkit tune``: an Optuna search of the LSTM forecaster's parameters on a CSV, kept in
SQLite in the output folder so it resumes, with best.json, trials.csv and Optuna's
optimisation-history and parameter-importance plots."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import matplotlib

from lstmkit.cli.inputs import option_names, parse_test_size, read_csv
from lstmkit.cli.jsondata import json_data
from lstmkit.forecast import prepare_series
from lstmkit.forecast.tuning import tune
from lstmkit.saving.files import atomic_write

__all__ = ["run_tune"]


def _write_text(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    atomic_write(path, lambda file: file.write(data))


def _plots(study: Any, out: Path) -> list[str]:
    """Optuna's history and importance plots (its matplotlib backend, Agg) as PNGs; the
    importance plot needs two complete trials with different parameters."""
    matplotlib.use("Agg")
    import optuna
    from matplotlib import pyplot

    written = []
    plots = {
        "history.png": optuna.visualization.matplotlib.plot_optimization_history,
        "importance.png": optuna.visualization.matplotlib.plot_param_importances,
    }
    for name, plot in plots.items():
        try:
            with warnings.catch_warnings():
                # "experimental": the plot's interface, which nothing here depends on.
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                axes = plot(study)
        except (ValueError, RuntimeError, ZeroDivisionError):
            continue
        figure = axes.figure if hasattr(axes, "figure") else axes[0].figure
        figure.set_size_inches(8, 4.5)
        figure.tight_layout()
        atomic_write(out / name, lambda file, figure=figure: figure.savefig(file, format="png"))
        pyplot.close(figure)
        written.append(name)
    return written


def run_tune(args: Any, reporter: Any) -> dict[str, Any]:
    """Run the search ``args`` describes (the parsed ``lstmkit tune`` options); returns what
    ``summary.json`` holds."""
    if args.trials < 1:
        raise ValueError(f"--trials must be a positive integer; got {args.trials}")
    if args.timeout is not None and args.timeout <= 0:
        raise ValueError(f"--timeout must be a positive number of seconds; got {args.timeout}")
    if args.horizon is not None and args.horizon < 1:
        raise ValueError(f"--horizon must be a positive integer; got {args.horizon}")
    raw = read_csv(args.data)
    features = [name.strip() for name in args.features.split(",") if name.strip()]
    try:
        series = prepare_series(
            raw, target=args.target, features=features or None, date_column=args.date_column
        )
    except ValueError as error:
        raise ValueError(option_names(str(error))) from None
    n_test = parse_test_size(args.test, len(series.frame))
    if n_test >= len(series.frame):
        raise ValueError(f"--test holds out {n_test} of {len(series.frame)} rows: none left")
    train = raw.reset_index(drop=True).iloc[: len(series.frame) - n_test]
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out: {args.out!r} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    target = series.target[0]
    storage = args.storage or f"sqlite:///{(out / 'study.db').resolve()}"
    study = args.study or f"lstmkit-{target}"
    reporter.say(
        f"{args.data}: tuning on {len(train)} rows of {target!r} (holding out {n_test}); "
        f"study {study!r} in {storage}"
    )
    started = time.perf_counter()
    result = tune(
        train,
        target=target,
        n_trials=args.trials,
        features=series.features or None,
        date_column=series.date_column,
        horizon=args.horizon,
        storage=storage,
        study_name=study,
        timeout=args.timeout,
        seed=args.seed,
        progress=not args.quiet,
    )
    seconds = time.perf_counter() - started
    params = {
        **result.best_params,
        "target": target,
        "features": list(series.features) or None,
    }
    _write_text(out / "best.json", json.dumps(json_data(params), indent=2) + "\n")
    _write_text(out / "trials.csv", result.trials.to_csv(index=False))
    files = ["best.json", "trials.csv", *_plots(result.study, out), "study.db"]
    states = result.trials["state"].value_counts().to_dict()
    summary = {
        "study": study,
        "storage": storage,
        "best_value": result.best_value,
        "best_params": params,
        "trials": len(result.trials),
        "completed": int(states.get("COMPLETE", 0)),
        "pruned": int(states.get("PRUNED", 0)),
        "seconds": seconds,
        "validation": (
            "RMSE of forecasts from the last rows of the training part, made by a network "
            "fitted without them (original units)"
        ),
        "files": [*files, "summary.json"],
    }
    _write_text(out / "summary.json", json.dumps(json_data(summary), indent=2) + "\n")
    return summary
