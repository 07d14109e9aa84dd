"""W0: the five-step lifecycle, learning the next value of 0.0, 0.1, ..., 0.9."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads.keras_api import keras_api, lstmkit_api

TITLE = (
    "W0 — the five-step lifecycle on 0.0, 0.1, ..., 0.9: LSTM(10), Dense(1), adam, mse, "
    "1000 epochs with the 9 patterns as one batch. Quality: max |prediction − y| (lower is better)."
)
QUALITY_NAME = "max abs error"


def lifecycle_data() -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's patterns: X (9, 1, 1) holds s[t], y (9,) holds s[t + 1], as float64."""
    sequence = np.arange(0.0, 1.0, 0.1)
    return sequence[:-1].reshape(9, 1, 1), sequence[1:]


def epochs(quick: bool) -> int:
    """1000 epochs as specified; a handful for a smoke run."""
    return 50 if quick else 1000


def _tutorial(api_factory: Callable[[], Any], seed: int, quick: bool) -> dict:
    """W0 written as a Keras tutorial user writes it, on lstmkit's or Keras's API."""
    started = time.perf_counter()
    api = api_factory()
    X, y = lifecycle_data()
    api.set_random_seed(seed)
    model = api.Sequential()
    model.add(api.Input((1, 1)))
    model.add(api.LSTM(10))
    model.add(api.Dense(1))
    model.compile(optimizer="adam", loss="mean_squared_error")
    fit_started = time.perf_counter()
    model.fit(X, y, epochs=epochs(quick), batch_size=len(X), verbose=0)
    train_s = time.perf_counter() - fit_started
    prediction = model.predict(X, verbose=0)
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": float(np.abs(prediction[:, 0] - y).max()),
        "quality_name": QUALITY_NAME,
    }


def run_lstmkit(seed: int, quick: bool = False) -> dict:
    return _tutorial(lstmkit_api, seed, quick)


def run_keras(seed: int, quick: bool = False) -> dict:
    return _tutorial(keras_api, seed, quick)


def run_torch(seed: int, quick: bool = False) -> dict:
    """W0 as a competent PyTorch user writes it, with Keras's initialisation and Adam settings."""
    started = time.perf_counter()
    import torch

    from benchmarks.workloads.torch_peer import keras_adam, keras_init_linear, keras_init_lstm

    X, y = (torch.from_numpy(a).float() for a in lifecycle_data())
    y = y[:, None]
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(input_size=1, hidden_size=10, batch_first=True)
    dense = torch.nn.Linear(10, 1)
    keras_init_lstm(lstm)
    keras_init_linear(dense)
    optimizer = keras_adam([*lstm.parameters(), *dense.parameters()])
    fit_started = time.perf_counter()
    for _ in range(epochs(quick)):
        optimizer.zero_grad()
        output, _ = lstm(X)
        loss = torch.nn.functional.mse_loss(dense(output[:, -1]), y)
        loss.backward()
        optimizer.step()
    train_s = time.perf_counter() - fit_started
    with torch.no_grad():
        output, _ = lstm(X)
        prediction = dense(output[:, -1])
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": float((prediction - y).abs().max()),
        "quality_name": QUALITY_NAME,
    }
