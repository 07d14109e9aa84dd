"""Forecast quality on the protocol of shared/forecast_protocol.md, for lstmkit's forecasters.

Score A: fit once on the training part, one step ahead through the held-out part
(``walk_forward``); score B: one H-step forecast from the end of training (``predict``).
RMSE in original units, median and range over seeds 0-4. Data as the peers' scripts read it:
the date column as text and the target (uschange: ``Consumption`` alone).

    python benchmarks/forecast_quality.py [airline shampoo uschange] [--params JSON]
        [--seeds 0,1,2,3,4] [--coverage]

``--params`` gives Forecaster parameters (e.g. ``'{"n_models": 1}'``); ``--coverage`` also
backtests the 80/95 % intervals from rolling origins through the held-out part.
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
from lstmkit.forecast import Forecaster  # noqa: E402

#: name: (target column, held-out rows, H of score B)
SERIES = {
    "airline": ("Passengers", 24, 12),
    "shampoo": ("Sales", 12, 12),
    "uschange": ("Consumption", 20, 8),
}


def frames(name: str) -> tuple[pd.DataFrame, pd.DataFrame, str, int]:
    target, n_test, horizon = SERIES[name]
    data = load_dataset(name)
    frame = data[[data.columns[0], target]]
    return frame.iloc[:-n_test], frame.iloc[-n_test:], target, horizon


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def run(name: str, params: dict, seeds: list[int], coverage: bool) -> dict:
    train, test, target, horizon = frames(name)
    a, b, seconds = [], [], []
    model = None
    for seed in seeds:
        model = Forecaster(target=target, **{**params, "seed": seed})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            started = time.perf_counter()
            model.fit(train)
            seconds.append(time.perf_counter() - started)
            a.append(rmse(test[target], model.walk_forward(test)))
            b.append(rmse(test[target].iloc[:horizon], model.predict(steps=horizon)))
    out = {
        "series": name,
        "A": float(np.median(a)),
        "A_range": [min(a), max(a)],
        "B": float(np.median(b)),
        "B_range": [min(b), max(b)],
        "B_ratio": max(b) / min(b) if min(b) > 0 else float("inf"),
        "fit_s": float(np.median(seconds)),
        "resolved": {
            k: model.resolved_params_[k]
            for k in ("look_back", "horizon", "log", "calendar", "season")
        },
    }
    if coverage:
        from lstmkit.forecast.intervals import interval_backtest

        data = pd.concat([train, test])
        scores = interval_backtest(
            Forecaster(target=target, **{**params, "seed": seeds[0]}),
            data,
            start=len(train),
            steps=horizon,
            levels=(80, 95),
        )
        out["coverage"] = scores
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("series", nargs="*", default=list(SERIES))
    parser.add_argument("--params", default="{}")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--coverage", action="store_true")
    args = parser.parse_args()
    params = json.loads(args.params)
    seeds = [int(s) for s in args.seeds.split(",")]
    for name in args.series:
        result = run(name, params, seeds, args.coverage)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
