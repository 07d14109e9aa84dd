"""The ``lstmkit`` command: argument parsing, the sub-commands, and errors as one line.

Results go to standard output (a table, or JSON with ``--json``); stage messages and progress
bars go to standard error (``--quiet`` silences them). Bad input exits with status 1 and one
line ``lstmkit <command>: error: <what was wrong>``; a usage error exits with status 2
(argparse's message); Ctrl-C exits with 130. Output folders appear whole or not at all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmkit.cli.examples import list_examples, run_example
from lstmkit.cli.jsondata import json_data
from lstmkit.cli.outdir import staged_folder
from lstmkit.cli.progress import Reporter

if TYPE_CHECKING:
    from lstmkit.cli.forecast_job import ForecastSettings

# The forecasting modules (pandas, scikit-learn, matplotlib, statsmodels) are imported by the
# sub-commands that use them, so that `lstmkit --help` and `lstmkit examples` start quickly.

__all__ = ["build_parser", "main", "run"]


def _common(parser: argparse.ArgumentParser, seed: bool = True) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "--quiet", action="store_true", help="no progress bars or stage messages (stderr)"
    )
    group.add_argument(
        "--json", action="store_true", help="print the result as JSON on standard output"
    )
    if seed:
        group.add_argument(
            "--seed", type=int, default=0, help="seed of every random choice (default 0)"
        )


def _threads_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="threads to compute on (default 1: the default networks are too small to gain "
        "from more, and lose much where other processes share the cores)",
    )


def _model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model (what is not given is chosen from the data)")
    group.add_argument(
        "--model",
        default="auto",
        choices=["auto", "lstm", "sarimax", "naive", "seasonal_naive"],
        help="the model whose forecast is published (default auto: the best by rolling-origin "
        "validation on the training part)",
    )
    group.add_argument(
        "--params",
        metavar="JSON",
        help="Forecaster parameters from a JSON file (the best.json of `lstmkit tune`)",
    )
    group.add_argument(
        "--look-back",
        type=int,
        default=None,
        help="rows in each input window (default: two seasons)",
    )
    group.add_argument(
        "--horizon", type=int, default=12, help="steps to forecast past the end (default 12)"
    )
    group.add_argument(
        "--test",
        default=None,
        metavar="N|FRACTION",
        help="hold out the last N rows, or that fraction of them, for scoring (default 0.2)",
    )
    group.add_argument("--epochs", type=int, default=None, help="training epochs (default 200)")
    group.add_argument(
        "--units", type=int, default=None, help="LSTM units per layer of each network (default 16)"
    )
    group.add_argument(
        "--models",
        type=int,
        default=None,
        dest="n_models",
        help="networks in the LSTM ensemble (default 5)",
    )
    group.add_argument("--layers", type=int, default=1, help="stacked LSTM layers (default 1)")
    logs = group.add_mutually_exclusive_group()
    logs.add_argument(
        "--log",
        action="store_const",
        const=True,
        default=None,
        help="model the log of the target (default: when it is positive and its seasonal "
        "swings grow with its level)",
    )
    logs.add_argument(
        "--no-log", action="store_const", const=False, dest="log", help="never take the log"
    )
    group.add_argument(
        "--season",
        type=int,
        default=None,
        help="season length (default: from the dates)",
    )


def _reading_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reading the CSV")
    group.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="how the dates are written, e.g. '%%d/%%m/%%Y' (default: read from the column)",
    )
    order = group.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        dest="dayfirst",
        action="store_const",
        const=True,
        default=None,
        help="numeric dates such as 01/02/1949 are day first (1 February)",
    )
    order.add_argument(
        "--monthfirst",
        dest="dayfirst",
        action="store_const",
        const=False,
        help="numeric dates such as 01/02/1949 are month first (2 January)",
    )
    group.add_argument(
        "--fill",
        choices=["interpolate", "ffill", "zero"],
        help="add the times a regular series skips (and fill empty values) this way; "
        "without it, a series that skips times is refused",
    )
    group.add_argument(
        "--decimal",
        choices=[",", "."],
        help="the decimal mark of numbers such as 1,500 (default: from the field separator)",
    )


def _reading(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "date_format": args.date_format,
        "dayfirst": args.dayfirst,
        "fill": args.fill,
        "decimal": args.decimal,
    }


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``lstmkit`` and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="lstmkit",
        description="LSTM sequence models: forecasts from a CSV, the tutorial examples, a demo.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    forecast = commands.add_parser(
        "forecast",
        help="train an LSTM on a CSV series, score it against baselines, forecast, report",
        description=(
            "Train an LSTM ensemble and the naive, seasonal naive and SARIMAX baselines on all "
            "but the last --test rows of DATA.csv; choose the model to publish by rolling-origin "
            "validation on the training part; score every model on the held-out rows (one "
            "step ahead, --horizon steps ahead, by step ahead, interval coverage); forecast "
            "--horizon steps past the end with 80 and 95 %% prediction intervals; write "
            "forecast.csv, the scores, the plots, the saved LSTM and report.html into --out."
        ),
    )
    forecast.add_argument("data", metavar="DATA.csv", help="a CSV file, one row per time")
    forecast.add_argument(
        "--target", help="the column to forecast (default: the only numeric column)"
    )
    forecast.add_argument(
        "--features", default="", metavar="A,B", help="other columns to read as inputs"
    )
    forecast.add_argument(
        "--date-column", metavar="D", help="the column of dates (default: detected)"
    )
    _reading_options(forecast)
    _model_options(forecast)
    forecast.add_argument(
        "--sarimax", action="store_true", help=argparse.SUPPRESS
    )  # SARIMAX is always fitted now (model choice); the option stays for old command lines
    forecast.add_argument(
        "--out",
        default="lstmkit-forecast",
        metavar="DIR",
        help=(
            "output folder (default lstmkit-forecast); an earlier lstmkit output there is "
            "replaced at once, anything else is refused"
        ),
    )
    _threads_option(forecast)
    forecast.add_argument(
        "--nproc",
        type=int,
        default=1,
        metavar="N",
        help=(
            "train the LSTM data-parallel on N local processes (launches torchrun; the batch "
            "size is per process, so each update sees N times as many windows; default 1)"
        ),
    )
    _common(forecast)
    forecast.set_defaults(handler=_forecast)

    predict = commands.add_parser(
        "predict",
        help="forecast from a saved forecaster and new data",
        description=(
            "Forecast --steps steps past the end of DATA.csv (same columns as the training data) "
            "with a forecaster saved by `lstmkit forecast` (its forecaster.lstmkit: the model it "
            "published). Prints CSV, or JSON with --json; --output writes the CSV to a file; "
            "--level 80 95 adds prediction intervals."
        ),
    )
    predict.add_argument("model", metavar="MODEL", help="a saved forecaster (forecaster.lstmkit)")
    predict.add_argument("data", metavar="DATA.csv", help="the series to forecast from")
    predict.add_argument(
        "--steps",
        type=int,
        default=None,
        help="steps to forecast (default: the LSTM's horizon; for a baseline one season, else 1)",
    )
    predict.add_argument("--output", metavar="FILE", help="write the forecast CSV to FILE")
    predict.add_argument(
        "--level",
        type=float,
        nargs="+",
        default=None,
        metavar="L",
        help=(
            "add prediction intervals at these percentages, e.g. --level 80 95 (columns lo-80, "
            "hi-80, ...; calibrated as in `lstmkit forecast`, kept in the saved file)"
        ),
    )
    _reading_options(predict)
    _common(predict, seed=False)
    predict.set_defaults(handler=_predict)

    examples = commands.add_parser(
        "examples",
        help="list the tutorial examples, or run one",
        description=(
            "Without NAME, list the examples. With NAME, run it; arguments after NAME go to "
            "the example (e.g. `lstmkit examples echo --quick --out DIR`; see "
            "`lstmkit examples NAME --help`)."
        ),
    )
    examples.add_argument("name", nargs="?", metavar="NAME", help="the example to run")
    examples.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    _common(examples, seed=False)
    examples.set_defaults(handler=_examples)

    tune = commands.add_parser(
        "tune",
        help="search the LSTM's parameters with Optuna, write best.json for --params",
        description=(
            "Search the LSTM forecaster's parameters (look-back, units, layers, dropout, "
            "learning rate, epochs, log, differencing, scaler, calendar columns) with Optuna's "
            "TPE sampler on all but the last --test rows of DATA.csv, each trial scored by "
            "rolling-origin validation inside them (the held-out rows are never used), "
            "trials pruned on their validation loss by epoch, until the study holds --trials "
            "trials. The study is kept in SQLite in --out (study.db), so running again with "
            "the same --study resumes it; --workers K runs K processes on it, and several "
            "`lstmkit tune` commands on several machines given one PostgreSQL or MySQL "
            "--storage URL and --study share one study (a killed worker's trial is retried by "
            "another). Writes best.json (for `lstmkit forecast --params` and "
            "Forecaster(**params)), trials.csv, history.png and importance.png. --show prints "
            "the best result of a study so far, from any machine, and runs nothing."
        ),
    )
    tune.add_argument(
        "data", nargs="?", metavar="DATA.csv", help="a CSV file, one row per time (not with --show)"
    )
    tune.add_argument("--target", help="the column to forecast (default: the only numeric one)")
    tune.add_argument(
        "--features", default="", metavar="A,B", help="other columns to read as inputs"
    )
    tune.add_argument("--date-column", metavar="D", help="the column of dates (default: detected)")
    tune.add_argument(
        "--trials",
        type=int,
        default=30,
        help="trials the study holds when the search ends, whoever ran them (default 30); a "
        "resumed study runs the rest",
    )
    tune.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="K",
        help="processes of this command that run trials side by side (default 1)",
    )
    _threads_option(tune)
    tune.add_argument(
        "--show",
        action="store_true",
        help="print the study's best parameters and value and its trial counts; run nothing",
    )
    tune.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="stop starting trials after S s"
    )
    tune.add_argument(
        "--storage",
        metavar="URL",
        help="Optuna storage URL (default: sqlite:///OUT/study.db, so a search resumes); "
        "postgresql://USER:PASSWORD@HOST/DB or mysql+pymysql://... for a study shared by "
        "several machines",
    )
    tune.add_argument(
        "--study", metavar="NAME", help="study name (default: lstmkit-TARGET); reuse to resume"
    )
    tune.add_argument(
        "--test",
        default="0.2",
        metavar="N|FRACTION",
        help="rows held out as `lstmkit forecast --test` would, never seen by the search "
        "(default 0.2)",
    )
    tune.add_argument(
        "--horizon",
        type=int,
        default=None,
        help="steps of each validation forecast (default: the season, at least 8)",
    )
    tune.add_argument(
        "--out",
        default="lstmkit-tune",
        metavar="DIR",
        help="output folder (default lstmkit-tune); study.db in it is kept and resumed",
    )
    _common(tune)
    tune.set_defaults(handler=_tune)

    demo = commands.add_parser(
        "demo",
        help="the forecast job on the shipped airline-passengers data",
        description=(
            "`lstmkit forecast` on the monthly airline passengers 1949-1960 (shipped with "
            "lstmkit): the defaults (log, look-back, calendar chosen from the data), the last "
            "24 months held out, 12 months forecast."
        ),
    )
    demo.add_argument(
        "--epochs", type=int, default=None, help="training epochs (default: the Forecaster's)"
    )
    demo.add_argument(
        "--out", default="lstmkit-demo", metavar="DIR", help="output folder (default lstmkit-demo)"
    )
    _common(demo)
    demo.set_defaults(handler=_demo)

    run_parser = commands.add_parser(
        "run",
        help="run a Keras script on lstmkit: lstmkit run SCRIPT.py [ARGS...]",
        description=(
            "Run a Keras (1, 2 or 3) LSTM script as `python SCRIPT.py ARGS...` would, with its "
            "imports of keras, tensorflow.keras and tf_keras answered by lstmkit's Keras "
            "namespace (lstmkit.keras)."
        ),
    )
    run_parser.add_argument("script", metavar="SCRIPT.py", help="the script to run")
    run_parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    return parser


# -- sub-commands ---------------------------------------------------------------------------------


def _run_forecast_job(settings: ForecastSettings, args: argparse.Namespace) -> int:
    from lstmkit.cli.forecast_job import run_forecast
    from lstmkit.cli.threads import limited_threads
    from lstmkit.training import distributed

    if not distributed.is_main_process():
        # Under torchrun every process runs the job, to take part in every fit; rank 0 alone
        # writes the folder and prints.
        with tempfile.TemporaryDirectory() as scratch, limited_threads(settings.threads):
            run_forecast(settings, Reporter(quiet=True), Path(scratch))
        return 0
    reporter = Reporter(args.quiet)
    out = Path(settings.out)
    # The text as given: Path('') is '.'
    with staged_folder(settings.out) as staging, limited_threads(settings.threads):
        metrics = run_forecast(settings, reporter, staging)
    if args.json:
        print(json.dumps({"out": str(out), **metrics}, indent=2))
        return 0
    print(_scores_text(metrics))
    print(f"\nwrote {out}/: " + ", ".join(metrics["files"].values()))
    print(f"open {out / 'report.html'} to see the report")
    return 0


def _scores_text(metrics: dict[str, Any]) -> str:
    from lstmkit.cli.report import MODEL_LABELS

    data = metrics["data"]
    lines = [
        f"{data['target']}: one-step-ahead scores on the last {data['test']['rows']} rows "
        "(original units)",
        f"  {'model':<38} {'RMSE':>10} {'MAE':>10} {'MAPE %':>8} {'R²':>7}",
    ]
    for name, result in metrics["models"].items():
        scores = result["one_step"]

        def cell(key: str, width: int, digits: str, scores: dict[str, Any] = scores) -> str:
            value = scores[key]
            if key in scores.get("not_finite", ()):
                return f"{'not finite':>{width}}"
            return f"{'—':>{width}}" if value is None else f"{value:>{width}{digits}}"

        marker = " *" if name == metrics["chosen"]["model"] else ""
        lines.append(
            f"  {MODEL_LABELS.get(name, name) + marker:<38} {cell('rmse', 10, '.4g')} "
            f"{cell('mae', 10, '.4g')} {cell('mape', 8, '.2f')} {cell('r2', 7, '.3f')}"
        )
    if metrics["best_one_step"] is None:
        lines.append("  (no model has a finite score: the forecasts overflowed)")
    for name, reason in metrics["skipped"].items():
        lines.append(f"  ({MODEL_LABELS.get(name, name)} left out: {reason})")
    forecast = metrics["forecast"]
    chosen = metrics["chosen"]
    lines.append(
        f"* published: {MODEL_LABELS.get(chosen['model'], chosen['model'])}: {chosen['why']}"
    )
    lines.append(
        f"forecast: {forecast['steps']} steps, {forecast['first']} … {forecast['last']}, with "
        + " and ".join(f"{level:g} %" for level in forecast["levels"])
        + " intervals, in forecast.csv"
    )
    return "\n".join(lines)


def _launch(args: argparse.Namespace) -> int:
    """``lstmkit forecast --nproc N``: the same command line on N processes, started by
    torchrun on this machine; its exit status."""
    from lstmkit.training import distributed

    words, skip = [], False
    for word in args.argv:
        if skip:
            skip = False
        elif word == "--nproc":
            skip = True
        elif not word.startswith("--nproc="):
            words.append(word)
    if distributed.launched():
        raise ValueError("--nproc: this command already runs under torchrun; leave --nproc out")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += [f"--nproc_per_node={args.nproc}", "-m", "lstmkit", *words]
    # One thread per process unless told (torchrun would set it too, with a banner).
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    return subprocess.run(command, env=env, check=False).returncode


def _forecast(args: argparse.Namespace) -> int:
    from lstmkit.cli.forecast_job import ForecastSettings
    from lstmkit.cli.threads import check_threads

    if isinstance(args.nproc, bool) or args.nproc < 1:
        raise ValueError(f"--nproc must be a positive number of processes; got {args.nproc}")
    threads = check_threads(args.threads)
    if args.nproc > 1:
        return _launch(args)
    settings = ForecastSettings(
        data=args.data,
        target=args.target,
        features=[name.strip() for name in args.features.split(",") if name.strip()],
        date_column=args.date_column,
        look_back=args.look_back,
        horizon=args.horizon,
        test=args.test if args.test is not None else "0.2",
        epochs=args.epochs,
        units=args.units,
        layers=args.layers,
        seed=args.seed,
        season=args.season,
        log=args.log,
        out=args.out,
        model=args.model,
        params=args.params,
        n_models=args.n_models,
        threads=threads,
        **_reading(args),
    )
    return _run_forecast_job(settings, args)


def _demo(args: argparse.Namespace) -> int:
    from lstmkit.cli.forecast_job import ForecastSettings
    from lstmkit.data.datasets import dataset_path

    settings = ForecastSettings(
        data=str(dataset_path("airline")),
        target="Passengers",
        date_column="Date",
        horizon=12,
        test="24",
        epochs=args.epochs,
        seed=args.seed,
        out=args.out,
        title="Airline passengers (thousands): forecast",
    )
    return _run_forecast_job(settings, args)


def _tune(args: argparse.Namespace) -> int:
    from lstmkit.cli.tune_job import run_tune, show_study

    if args.show:
        shown = show_study(args)
        if args.json:
            print(json.dumps(json_data(shown), indent=2))
            return 0
        counts = shown["counts"]
        states = ", ".join(
            f"{counts[state]} {state}"
            for state in ("complete", "pruned", "fail", "running", "waiting")
            if counts[state] or state == "complete"
        )
        print(
            f"study {shown['study']!r} in {shown['storage']}: {counts['total']} trials ({states})"
        )
        if shown["best_value"] is None:
            print("no trial has completed yet")
        else:
            print(f"best validation RMSE {shown['best_value']:.4g} (trial {shown['best_trial']})")
            print("best parameters: " + json.dumps(shown["best_params"]))
        return 0
    if args.data is None:
        raise ValueError("give DATA.csv to tune on (or --show to print a study's best result)")
    from lstmkit.cli.threads import check_threads, limited_threads

    with limited_threads(check_threads(args.threads)):
        result = run_tune(args, Reporter(args.quiet))
    if args.json:
        print(json.dumps(json_data(result), indent=2))
        return 0
    print(
        f"best validation RMSE {result['best_value']:.4g} after {result['trials']} trials "
        f"({result['completed']} complete, {result['pruned']} pruned) in {result['seconds']:.1f} s"
    )
    print("best parameters: " + json.dumps(result["best_params"]))
    print(f"wrote {args.out}/: " + ", ".join(result["files"]))
    print(f"use them: lstmkit forecast {args.data} --params {Path(args.out) / 'best.json'}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from lstmkit.cli.forecast_job import run_predict

    if args.output is not None:
        output = Path(args.output)
        for argument, given in (("MODEL", args.model), ("DATA.csv", args.data)):
            if output.exists() and Path(given).exists() and output.samefile(given):
                raise ValueError(
                    f"--output {args.output!r} is the {argument} file; writing the forecast "
                    "there would replace it: choose another file"
                )
    future = run_predict(args.model, args.data, args.steps, _reading(args), args.level)
    if args.output:
        from lstmkit.saving.files import atomic_write

        text = future.to_csv().encode("utf-8")
        atomic_write(args.output, lambda file: file.write(text))
    if args.json:
        index = [str(value) for value in future.index]
        columns = {name: future[name].tolist() for name in future.columns}
        document = json_data({"index_name": future.index.name, "time": index, **columns})
        print(json.dumps(document, indent=2, allow_nan=False))  # a non-finite forecast is null
    elif not args.output:
        print(future.to_csv(), end="")
    else:
        Reporter(args.quiet).say(f"wrote {len(future)} forecasts to {args.output}")
    return 0


def _examples(args: argparse.Namespace) -> int:
    if args.name is None:
        entries = list_examples()
        if args.json:
            print(json.dumps(entries, indent=2))
        else:
            width = max(len(entry["name"]) for entry in entries)
            for entry in entries:
                print(f"{entry['name']:<{width}}  {entry['description']}")
            print("\nrun one with: lstmkit examples NAME [--quick] [--out DIR]")
        return 0
    # --json and --quiet belong to lstmkit wherever they stand; the rest goes to the example.
    rest = [word for word in args.args if word not in ("--json", "--quiet")]
    args.json = args.json or "--json" in args.args
    args.quiet = args.quiet or "--quiet" in args.args
    args.args = rest
    if args.json:
        # The example's own printing goes to stderr, so that stdout is only the JSON.
        with contextlib.redirect_stdout(sys.stderr):
            result = run_example(args.name, list(args.args))
        print(json.dumps(json_data(result), indent=2))
    elif args.quiet:
        # Only the outcome: the example's returned figures, one per line.
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            result = run_example(args.name, list(args.args))
        for key, value in json_data(result).items():
            shown = f"{value:.4g}" if isinstance(value, float) else value
            print(f"{key}: {shown}")
    else:
        run_example(args.name, list(args.args))
    return 0


# -- entry points ---------------------------------------------------------------------------------


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if isinstance(error, KeyError):
        text = f"missing {text}"
    return text or type(error).__name__


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    print(f"lstmkit: warning: {' '.join(str(message).split())}", file=sys.stderr)


class _Terminated(BaseException):
    """SIGTERM, raised wherever the command is, so that its clean-ups run (the staging folder
    beside ``--out`` among them) as they do for Ctrl-C; the default handler ends the process
    without them."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated


@contextlib.contextmanager
def _sigterm_raises() -> Any:
    """SIGTERM raises :class:`_Terminated` inside the block, where nothing else handles it (in
    the main thread, with the default handler in place); the handler before is restored."""
    import signal
    import threading

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def main(argv: list[str] | None = None) -> int:
    """Run ``lstmkit`` with ``argv`` (default ``sys.argv[1:]``); the exit status (143 after
    SIGTERM, 130 after Ctrl-C, with nothing written either way)."""
    words = sys.argv[1:] if argv is None else list(argv)
    if words and words[0] == "run":
        # Everything after the script's name is the script's; argparse would read its options.
        from lstmkit.cli.run import run_command

        return run_command(words[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    args.argv = words  # the command line as given (--nproc runs it again under torchrun)
    with warnings.catch_warnings(), _sigterm_raises():
        warnings.showwarning = _show_warning
        try:
            return args.handler(args)
        except KeyboardInterrupt:
            print(f"lstmkit {args.command}: interrupted; nothing was written", file=sys.stderr)
            return 130
        except _Terminated:
            print(
                f"lstmkit {args.command}: stopped (SIGTERM); nothing was written", file=sys.stderr
            )
            return 143
        except (ValueError, OSError) as error:
            print(f"lstmkit {args.command}: error: {_one_line(error)}", file=sys.stderr)
            return 1
        except SystemExit as exit_:  # an example's own argparse (--help or a usage error)
            return int(exit_.code or 0)


def run() -> None:
    """The console script: ``sys.exit(main())``."""
    sys.exit(main())
