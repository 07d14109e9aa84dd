"""W5: throughput of a larger stacked LSTM, against the machine's matrix-multiply rate."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads.keras_api import keras_api, lstmkit_api
from benchmarks.workloads.matmul import matmul_gflops

TITLE = (
    "W5 — throughput: random X (4096, 100, 32), LSTM(256, return_sequences), LSTM(256), "
    "Dense(1); mse, adam, batch 128, 1 epoch. Quality: training FLOP/s as a fraction of the "
    "machine's float32 matrix-multiply rate (a 2048×2048 torch.mm) measured in the same process "
    "(higher is better)."
)
QUALITY_NAME = "fraction of matmul rate"
EXTRAS = (
    ("train_samples_per_s", "train samples/s"),
    ("predict_samples_per_s", "predict samples/s"),
    ("matmul_gflops", "matmul GFLOP/s"),
)
FEATURES, UNITS, BATCH = 32, 256, 128


def sizes(quick: bool) -> tuple[int, int]:
    """(samples, timesteps): the specified 4096 × 100, or a smoke run's."""
    return (256, 10) if quick else (4096, 100)


def random_data(seed: int, quick: bool) -> tuple[np.ndarray, np.ndarray]:
    samples, timesteps = sizes(quick)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((samples, timesteps, FEATURES), dtype=np.float32)
    return X, rng.standard_normal((samples, 1), dtype=np.float32)


def forward_flops(timesteps: int) -> float:
    """One sample's forward matrix products: ``T × 2 × 4u × [(d + u) + (u + u)]``."""
    return timesteps * 2 * 4 * UNITS * ((FEATURES + UNITS) + (UNITS + UNITS))


def _result(started: float, train_s: float, predict_s: float, quick: bool) -> dict:
    samples, timesteps = sizes(quick)
    rate = matmul_gflops()
    achieved = 3.0 * forward_flops(timesteps) * samples / train_s / 1e9
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": achieved / rate,
        "quality_name": QUALITY_NAME,
        "train_samples_per_s": samples / train_s,
        "predict_samples_per_s": samples / predict_s,
        "matmul_gflops": rate,
    }


def _tutorial(api_factory: Callable[[], Any], seed: int, quick: bool) -> dict:
    started = time.perf_counter()
    api = api_factory()
    X, y = random_data(seed, quick)
    api.set_random_seed(seed)
    model = api.Sequential()
    model.add(api.Input((X.shape[1], FEATURES)))
    model.add(api.LSTM(UNITS, return_sequences=True))
    model.add(api.LSTM(UNITS))
    model.add(api.Dense(1))
    model.compile(loss="mse", optimizer="adam")
    fit_started = time.perf_counter()
    model.fit(X, y, batch_size=BATCH, epochs=1, verbose=0)
    train_s = time.perf_counter() - fit_started
    predict_started = time.perf_counter()
    model.predict(X, batch_size=BATCH, verbose=0)
    return _result(started, train_s, time.perf_counter() - predict_started, quick)


def run_lstmkit(seed: int, quick: bool = False) -> dict:
    return _tutorial(lstmkit_api, seed, quick)


def run_torch(seed: int, quick: bool = False) -> dict:
    """W5 as a competent PyTorch user writes it: a two-layer ``nn.LSTM`` (oneDNN's fused
    kernel), Keras's initialisation and Adam, samples shuffled as ``fit`` does."""
    started = time.perf_counter()
    import torch
    import torch.nn.functional as F

    from benchmarks.workloads.torch_peer import keras_adam, keras_init_linear, keras_init_lstm

    X, y = (torch.from_numpy(a) for a in random_data(seed, quick))
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(FEATURES, UNITS, num_layers=2, batch_first=True)
    dense = torch.nn.Linear(UNITS, 1)
    keras_init_lstm(lstm)
    keras_init_linear(dense)
    optimizer = keras_adam([*lstm.parameters(), *dense.parameters()])
    fit_started = time.perf_counter()
    order = torch.randperm(len(X))
    for start in range(0, len(X), BATCH):
        rows = order[start : start + BATCH]
        optimizer.zero_grad()
        output, _ = lstm(X[rows])
        loss = F.mse_loss(dense(output[:, -1]), y[rows])
        loss.backward()
        optimizer.step()
    train_s = time.perf_counter() - fit_started
    predict_started = time.perf_counter()
    with torch.no_grad():
        for start in range(0, len(X), BATCH):
            output, _ = lstm(X[start : start + BATCH])
            dense(output[:, -1])
    return _result(started, train_s, time.perf_counter() - predict_started, quick)


def run_keras(seed: int, quick: bool = False) -> dict:
    return _tutorial(keras_api, seed, quick)
