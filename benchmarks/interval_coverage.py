"""Coverage of the 80 and 95 % prediction intervals over rolling-origin backtests, the target of
issue 17 ("at least 10 origins per series: within 5 points of 80 % and 95 %").

For each series (the splits of shared/forecast_protocol.md) and seed: fit the forecaster once on
the training part; the intervals are calibrated on the training part only (nothing of the
held-out part); then forecast up to H steps ahead, with the bands, from every held-out row as
origin (airline 24 origins, shampoo 12, uschange 20; fewer steps near the end), as
``interval_backtest`` does. Coverage is the percent of all (origin, step) pairs whose actual
value lies inside the band; MSIS the mean scaled interval score. Figures: the mean over seeds
(coverage is a frequency, so the mean is the pooled coverage) and the range.

``--earlier`` adds a second split per series, ending one held-out length earlier (fitted on
the rows before it, origins through both held-out lengths): twice the origins, from a model
that has seen less, a second honest check that is not the protocol's test.

``--rolling`` measures the textbook rolling-origin backtest instead: at least 10 origins
spread over the last two held-out lengths of each series (airline every 4th month from 1957,
uschange every 4th quarter, shampoo every month of its third year: too short for earlier fits),
a fresh forecaster fitted on everything before each origin and its intervals calibrated on those
rows only, forecasts up to H ahead. The origins span several regimes instead of one held-out
stretch whose errors move together.

    python benchmarks/interval_coverage.py [airline shampoo uschange] [--params JSON]
        [--seeds 0,1,2,3,4] [--model lstm|naive|seasonal_naive] [--earlier] [--rolling]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import torch

torch.set_num_threads(1)

from lstmkit.data import load_dataset  # noqa: E402
from lstmkit.forecast import (  # noqa: E402
    Forecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    interval_backtest,
)

#: name: (target column, held-out rows, H of score B), as in forecast_quality.py
SERIES = {
    "airline": ("Passengers", 24, 12),
    "shampoo": ("Sales", 12, 12),
    "uschange": ("Consumption", 20, 8),
}
LEVELS = ("80", "95")


def make(model: str, target: str, params: dict, seed: int) -> object:
    if model == "lstm":
        return Forecaster(target=target, **{**params, "seed": seed})
    if model == "naive":
        return NaiveForecaster(target=target)
    if model == "seasonal_naive":
        return SeasonalNaiveForecaster(target=target)
    raise ValueError(f"--model must be lstm, naive or seasonal_naive; got {model!r}")


def run(name: str, model: str, params: dict, seeds: list[int], earlier: bool) -> dict:
    target, n_test, horizon = SERIES[name]
    data = load_dataset(name)
    frame = data[[data.columns[0], target]]
    starts = [len(frame) - n_test] + ([len(frame) - 2 * n_test] if earlier else [])
    if model != "lstm":
        seeds = seeds[:1]  # nothing random
    out: dict = {"series": name, "model": model, "H": horizon}
    for split, start in enumerate(starts):
        per_seed: dict[str, list[float]] = {f"coverage-{lv}": [] for lv in LEVELS}
        per_seed.update({f"msis-{lv}": [] for lv in LEVELS})
        origins, seconds = 0, []
        for seed in seeds:
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = interval_backtest(
                    make(model, target, params, seed), frame, start=start, steps=horizon
                )
            seconds.append(time.perf_counter() - started)
            origins = found["origins"]
            for level in LEVELS:
                per_seed[f"coverage-{level}"].append(found["levels"][level]["coverage"])
                per_seed[f"msis-{level}"].append(found["levels"][level]["msis"])
        key = "protocol" if split == 0 else "earlier"
        out[key] = {
            "start": start,
            "origins": origins,
            **{k: round(float(np.mean(v)), 1) for k, v in per_seed.items()},
            **{
                f"{k}-range": [round(min(v), 1), round(max(v), 1)]
                for k, v in per_seed.items()
                if k.startswith("coverage")
            },
            "seconds": round(float(np.median(seconds)), 2),
        }
    return out


def rolling_origins(n: int, n_test: int, minimum: int = 24) -> list[int]:
    """At least 10 origins over the last ``2·n_test`` rows (none before row ``minimum``)."""
    first = max(minimum, n - 2 * n_test)
    stride = max(1, (n - first) // 10)
    return list(range(first, n, stride))


def run_rolling(name: str, model: str, params: dict, seeds: list[int]) -> dict:
    from lstmkit.forecast.intervals import interval_scores, seasonal_scale

    target, n_test, horizon = SERIES[name]
    data = load_dataset(name)
    frame = data[[data.columns[0], target]]
    origins = rolling_origins(len(frame), n_test)
    if model != "lstm":
        seeds = seeds[:1]
    found: dict[str, list[float]] = {f"coverage-{lv}": [] for lv in LEVELS}
    found.update({f"msis-{lv}": [] for lv in LEVELS})
    started = time.perf_counter()
    for seed in seeds:
        parts = []
        for origin in origins:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                forecaster = make(model, target, params, seed).fit(frame.iloc[:origin])
                parts.append(
                    forecaster.rolling_forecasts(
                        frame, start=origin, steps=horizon, stride=horizon * 100, level=[80, 95]
                    )
                )
        table = pd.concat(parts, ignore_index=True)
        season = forecaster.season_length()
        scale = seasonal_scale(frame[target].to_numpy()[: origins[0]], season)
        for level in LEVELS:
            scores = interval_scores(
                table["actual"], table[f"lo-{level}"], table[f"hi-{level}"], float(level), scale
            )
            found[f"coverage-{level}"].append(scores["coverage"])
            found[f"msis-{level}"].append(scores["msis"])
    return {
        "series": name,
        "model": model,
        "H": horizon,
        "rolling": {
            "origins": len(origins),
            "first": origins[0],
            "stride": origins[1] - origins[0],
            "pairs": len(table),
            **{k: round(float(np.mean(v)), 1) for k, v in found.items()},
            **{
                f"{k}-range": [round(min(v), 1), round(max(v), 1)]
                for k, v in found.items()
                if k.startswith("coverage")
            },
            "seconds": round(time.perf_counter() - started, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("series", nargs="*", default=list(SERIES))
    parser.add_argument("--params", default="{}")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--model", default="lstm")
    parser.add_argument("--earlier", action="store_true")
    parser.add_argument("--rolling", action="store_true")
    args = parser.parse_args()
    params = json.loads(args.params)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.rolling:
        for name in args.series:
            print(json.dumps(run_rolling(name, args.model, params, seeds)), flush=True)
        return
    rows = []
    for name in args.series:
        result = run(name, args.model, params, seeds, args.earlier)
        print(json.dumps(result), flush=True)
        rows.append(result)
    table = pd.DataFrame(
        [
            {
                "series": r["series"],
                "split": split,
                "origins": r[split]["origins"],
                **{f"cov-{lv}": r[split][f"coverage-{lv}"] for lv in LEVELS},
            }
            for r in rows
            for split in ("protocol", "earlier")
            if split in r
        ]
    )
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
