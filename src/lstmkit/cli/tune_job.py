"""``lstmkit tune``: an Optuna search of the LSTM forecaster's parameters on a CSV, kept in
SQLite in the output folder so it resumes (or in a database several machines share), with
best.json, trials.csv and Optuna's optimisation-history and parameter-importance plots; and
``lstmkit tune --show``, the best result of a study so far.

The output folder follows :mod:`lstmkit.cli.outdir` (lstmkit's own, replaced whole), with the
study's database as a live file: the first run makes the folder (marked, empty) before the
study starts in it, every run writes its results once at the end, by this process (not by its
workers), and the swap keeps the database."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import matplotlib

from lstmkit.cli.inputs import option_names, parse_test_size, read_csv
from lstmkit.cli.jsondata import json_data
from lstmkit.cli.outdir import MARKER, check_destination, staged_folder
from lstmkit.forecast import prepare_series
from lstmkit.forecast.shared_study import (
    count_trials,
    load_study,
    open_storage,
    release,
    shown_url,
    sqlite_path,
)
from lstmkit.forecast.tuning import study_result, tune
from lstmkit.saving.files import atomic_write

__all__ = ["STUDY_FILE", "run_tune", "show_study"]

#: The study's SQLite database in the output folder, when no --storage is given.
STUDY_FILE = "study.db"
#: The database and the files SQLite and the workers keep beside it: live files of the folder.
LIVE_FILES = tuple(STUDY_FILE + suffix for suffix in ("", "-wal", "-shm", "-journal", ".lock"))


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


def _default_storage(out: Path) -> str:
    return f"sqlite:///{(out / STUDY_FILE).resolve()}"


def show_study(args: Any) -> dict[str, Any]:
    """``lstmkit tune --show``: the study's trial counts and best result so far; opens the
    storage to read (a default study.db that is not there is an error, not a new file)."""
    storage = args.storage or _default_storage(Path(args.out))
    path = sqlite_path(storage)
    if path is not None and not Path(path).is_file():
        where = "--storage" if args.storage else f"--out {args.out!r}"
        raise ValueError(f"{where}: there is no study database at {path}")
    opened = open_storage(storage)
    if args.study:
        name = args.study
    else:
        import optuna

        names = [summary.study_name for summary in optuna.get_all_study_summaries(opened)]
        if len(names) != 1:
            listed = ", ".join(map(repr, names)) or "none"
            raise ValueError(
                f"the storage holds {len(names)} studies ({listed}); name one with --study"
            )
        name = names[0]
    study = load_study(opened, name)
    counts = count_trials(study)
    shown: dict[str, Any] = {
        "study": name,
        "storage": shown_url(storage),
        "counts": counts.as_dict(),
        "best_value": None,
        "best_trial": None,
        "best_params": None,
    }
    if counts.by_state["complete"]:
        result = study_result(study)
        settings = study.user_attrs.get("lstmkit_settings", {})
        shown["best_value"] = result.best_value
        shown["best_trial"] = study.best_trial.number
        shown["best_params"] = {
            **result.best_params,
            "target": settings.get("target"),
            "features": settings.get("features"),
        }
    release(study)
    return shown


def run_tune(args: Any, reporter: Any) -> dict[str, Any]:
    """Run the search ``args`` describes (the parsed ``lstmkit tune`` options); returns what
    ``summary.json`` holds."""
    if args.trials < 1:
        raise ValueError(f"--trials must be a positive integer; got {args.trials}")
    if args.workers < 1:
        raise ValueError(f"--workers must be a positive integer; got {args.workers}")
    if args.timeout is not None and args.timeout <= 0:
        raise ValueError(f"--timeout must be a positive number of seconds; got {args.timeout}")
    if args.horizon is not None and args.horizon < 1:
        raise ValueError(f"--horizon must be a positive integer; got {args.horizon}")
    out = Path(args.out)
    # Before any work: the folder is new, empty, or lstmkit's (its study.db is kept).
    check_destination(args.out, "--out", LIVE_FILES)
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
    target = series.target[0]
    if args.storage:
        storage = args.storage
    else:
        if not (out / MARKER).is_file():
            # The database needs its folder now: a marked, empty output, so that a run killed
            # before its end leaves a folder the next run accepts as lstmkit's.
            with staged_folder(args.out, "--out", LIVE_FILES):
                pass
        storage = _default_storage(out)
    study = args.study or f"lstmkit-{target}"
    workers = f", {args.workers} worker processes" if args.workers > 1 else ""
    reporter.say(
        f"{args.data}: tuning on {len(train)} rows of {target!r} (holding out {n_test}); "
        f"study {study!r} in {shown_url(storage)}{workers}, until it holds {args.trials} trials"
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
        n_workers=args.workers,
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
    counts = count_trials(result.study)
    summary = {
        "study": study,
        "storage": shown_url(storage),
        "best_value": result.best_value,
        "best_params": params,
        "trials": counts.total,
        "completed": counts.by_state["complete"],
        "pruned": counts.by_state["pruned"],
        "failed": counts.by_state["fail"],
        "retried": counts.retries,
        "workers": args.workers,
        "seconds": seconds,
        "validation": (
            "RMSE of forecasts from the last rows of the training part, made by a network "
            "fitted without them (original units)"
        ),
    }
    # The results, once, by this process; the study's database stays where it is.
    with staged_folder(args.out, "--out", LIVE_FILES) as staging:
        _write_text(staging / "best.json", json.dumps(json_data(params), indent=2) + "\n")
        _write_text(staging / "trials.csv", result.trials.to_csv(index=False))
        files = ["best.json", "trials.csv", *_plots(result.study, staging)]
        if not args.storage:
            files.append(STUDY_FILE)
        summary["files"] = [*files, "summary.json"]
        _write_text(staging / "summary.json", json.dumps(json_data(summary), indent=2) + "\n")
        release(result.study)  # SQLite folds its log into study.db before the swap links it
    return summary
