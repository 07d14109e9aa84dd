"""W6: the cost of one call — predicting one sample, a walk-forward loop, fitting a handful."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads import w1_multivariate as w1
from benchmarks.workloads.keras_api import keras_api, lstmkit_api

TITLE = (
    "W6 — latency of the W1 model (trained 5 epochs; latency does not depend on the weights): "
    "median of 1000 one-sample `predict` calls (the hand-written peer calls its module under "
    "`no_grad`), a 100-step walk-forward loop that predicts one step and appends it to the "
    "window, and `fit` of one epoch on 4 samples. Quality: median one-sample predict in µs "
    "(lower is better); *train s* here is the time of the 1000 calls."
)
QUALITY_NAME = "predict µs"
EXTRAS = (("walk_forward_ms", "walk-forward 100 steps ms"), ("fit4_ms", "fit on 4 samples ms"))
CALLS, WALK, WARMUP = 1000, 100, 20


def calls(quick: bool) -> tuple[int, int]:
    return (10, 5) if quick else (CALLS, WALK)


def _median_call(function: Callable[[], Any], count: int) -> tuple[float, float]:
    """(median seconds of one call, total seconds) over ``count`` calls after a warm-up."""
    for _ in range(min(WARMUP, count)):
        function()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), sum(times)


def _walk_forward(step: Callable[[np.ndarray], float], window: np.ndarray, steps: int) -> float:
    """Seconds for ``steps`` predictions, each appended to the window as the next Consumption
    (the other features repeat their last values)."""
    started = time.perf_counter()
    for _ in range(steps):
        value = step(window[None])
        window = np.concatenate([window[1:], window[-1:]], axis=0)
        window[-1, 0] = value
    return time.perf_counter() - started


def _result(started: float, median_s: float, total_s: float, walk_s: float, fit_s: float) -> dict:
    return {
        "train_s": total_s,
        "total_s": time.perf_counter() - started,
        "quality": median_s * 1e6,
        "quality_name": QUALITY_NAME,
        "walk_forward_ms": walk_s * 1e3,
        "fit4_ms": fit_s * 1e3,
    }


def _tutorial(api_factory: Callable[[], Any], seed: int, quick: bool) -> dict:
    started = time.perf_counter()
    api = api_factory()
    data = w1.uschange_data(quick)
    model = w1.build(api, seed)
    X, y = data["train_X"], data["train_y"]
    model.fit(X, y, epochs=1 if quick else 5, batch_size=len(X), shuffle=False, verbose=0)
    one = data["test_X"][:1]
    count, walk = calls(quick)
    median_s, total_s = _median_call(lambda: model.predict(one, verbose=0), count)
    walk_s = _walk_forward(
        lambda w: float(np.asarray(model.predict(w, verbose=0))[0, 0]), data["test_X"][0], walk
    )
    fit_s, _ = _median_call(lambda: model.fit(X[:4], y[:4], epochs=1, verbose=0), count)
    return _result(started, median_s, total_s, walk_s, fit_s)


def run_lstmkit(seed: int, quick: bool = False) -> dict:
    return _tutorial(lstmkit_api, seed, quick)


def run_torch(seed: int, quick: bool = False) -> dict:
    """The bare PyTorch modules of W1's hand-written peer, called under ``no_grad``; the fit
    figure is one Adam step on 4 samples."""
    started = time.perf_counter()
    import torch
    import torch.nn.functional as F

    from benchmarks.workloads.torch_peer import ReluLSTM, keras_adam, keras_init_linear

    data = w1.uschange_data(quick)
    torch.manual_seed(seed)
    first, second = ReluLSTM(w1.FEATURES, w1.UNITS), ReluLSTM(w1.UNITS, w1.UNITS)
    hidden, out = torch.nn.Linear(w1.UNITS, 16), torch.nn.Linear(16, 1)
    keras_init_linear(hidden)
    keras_init_linear(out)
    modules = torch.nn.ModuleList([first, second, hidden, out])
    optimizer = keras_adam(modules.parameters())

    def forward(x: torch.Tensor) -> torch.Tensor:
        return out(hidden(second(first(x))[:, -1]))

    def predict(window: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return forward(torch.from_numpy(window)).numpy()

    X, y = torch.from_numpy(data["train_X"]), torch.from_numpy(data["train_y"])

    def fit_four() -> None:
        optimizer.zero_grad()
        F.l1_loss(forward(X[:4]), y[:4]).backward()
        optimizer.step()

    one = data["test_X"][:1]
    count, walk = calls(quick)
    median_s, total_s = _median_call(lambda: predict(one), count)
    walk_s = _walk_forward(lambda w: float(predict(w)[0, 0]), data["test_X"][0], walk)
    fit_s, _ = _median_call(fit_four, count)
    return _result(started, median_s, total_s, walk_s, fit_s)


def run_keras(seed: int, quick: bool = False) -> dict:
    return _tutorial(keras_api, seed, quick)
