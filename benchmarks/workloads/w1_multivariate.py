"""W1: multivariate forecasting of US consumption with a stacked relu LSTM."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.workloads.keras_api import keras_api, lstmkit_api

TITLE = (
    "W1 — multivariate forecasting (uschange: Consumption from Consumption, Income, Production, "
    "5 lags): LSTM(256, relu, return_sequences), Dropout(0.2), LSTM(256, relu), Dropout(0.2), "
    "Dense(16), Dropout(0.2), Dense(1); mae, adam, r2 metric, the whole training set as one "
    "batch, validation_data, 200 epochs. Quality: test RMSE in original units (lower is better)."
)
QUALITY_NAME = "test RMSE"
EXTRAS = (("test_r2", "test R²"), ("train_gflops", "train GFLOP/s"))
DATA = Path(__file__).resolve().parents[2] / "src" / "lstmkit" / "datasets" / "uschange.csv"
LAGS, FEATURES, UNITS, TEST_ROWS, DROPOUT = 5, 3, 256, 31, 0.2


def uschange_data(quick: bool) -> dict[str, Any]:
    """The tutorial's framing: ``series_to_supervised(n_in=5, n_out=1)`` of Consumption, Income
    and Production, keeping the 15 lag columns and Consumption(t); every column min-max scaled
    over all rows (as the tutorial does); the last 31 rows are the test set.

    Returns ``train_X (n, 5, 3)``, ``train_y (n, 1)``, ``test_X``, ``test_y`` (float32) and the
    target's ``low``/``span`` back to original units.
    """
    import pandas as pd

    values = pd.read_csv(DATA)[["Consumption", "Income", "Production"]].to_numpy(np.float64)
    rows = len(values) - LAGS
    lagged = np.stack([values[i : i + LAGS].reshape(-1) for i in range(rows)])
    framed = np.concatenate([lagged, values[LAGS:, :1]], axis=1)  # (rows, 16)
    low, high = framed.min(axis=0), framed.max(axis=0)
    scaled = ((framed - low) / (high - low)).astype(np.float32)
    X, y = scaled[:, :-1].reshape(rows, LAGS, FEATURES), scaled[:, -1:]
    split = rows - TEST_ROWS
    return {
        "train_X": X[:split],
        "train_y": y[:split],
        "test_X": X[split:],
        "test_y": y[split:],
        "low": float(low[-1]),
        "span": float(high[-1] - low[-1]),
    }


def epochs(quick: bool) -> int:
    return 3 if quick else 200


def train_flops(samples: int, epochs: int) -> float:
    """Matrix-product FLOPs of training: forward ``2·T·4u·(d + u)`` per LSTM layer and sample,
    backward twice that."""
    forward = 2 * LAGS * 4 * UNITS * ((FEATURES + UNITS) + (UNITS + UNITS))
    return 3.0 * forward * samples * epochs


def _scores(prediction: np.ndarray, data: dict[str, Any]) -> tuple[float, float]:
    predicted = prediction.reshape(-1) * data["span"] + data["low"]
    actual = data["test_y"].reshape(-1) * data["span"] + data["low"]
    rmse = float(np.sqrt(np.mean((predicted - actual) ** 2)))
    r2 = float(1 - np.sum((actual - predicted) ** 2) / np.sum((actual - actual.mean()) ** 2))
    return rmse, r2


def build(api: Any, seed: int) -> Any:
    """The W1 model on lstmkit's or Keras's API, compiled as the tutorial compiles it."""
    api.set_random_seed(seed)
    model = api.Sequential()
    model.add(api.Input((LAGS, FEATURES)))
    model.add(api.LSTM(UNITS, activation="relu", return_sequences=True))
    model.add(api.Dropout(DROPOUT))
    model.add(api.LSTM(UNITS, activation="relu"))
    model.add(api.Dropout(DROPOUT))
    model.add(api.Dense(16))
    model.add(api.Dropout(DROPOUT))
    model.add(api.Dense(1))
    model.compile(loss="mae", optimizer="adam", metrics=[api.r2])
    return model


def _tutorial(api_factory: Callable[[], Any], seed: int, quick: bool) -> dict:
    started = time.perf_counter()
    api = api_factory()
    data = uschange_data(quick)
    model = build(api, seed)
    n = len(data["train_X"])
    fit_started = time.perf_counter()
    model.fit(
        data["train_X"],
        data["train_y"],
        epochs=epochs(quick),
        batch_size=n,
        validation_data=(data["test_X"], data["test_y"]),
        shuffle=False,
        verbose=0,
    )
    train_s = time.perf_counter() - fit_started
    rmse, r2 = _scores(np.asarray(model.predict(data["test_X"], verbose=0)), data)
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": rmse,
        "quality_name": QUALITY_NAME,
        "test_r2": r2,
        "train_gflops": train_flops(n, epochs(quick)) / train_s / 1e9,
    }


def run_lstmkit(seed: int, quick: bool = False) -> dict:
    return _tutorial(lstmkit_api, seed, quick)


def run_torch(seed: int, quick: bool = False) -> dict:
    """W1 as a competent PyTorch user writes it: explicit relu cell loops (``nn.LSTM`` has no
    relu), Keras's initialisation and Adam, the validation loss every epoch as ``fit`` with
    ``validation_data`` computes it."""
    started = time.perf_counter()
    import torch
    import torch.nn.functional as F

    from benchmarks.workloads.torch_peer import ReluLSTM, keras_adam, keras_init_linear

    data = uschange_data(quick)
    X, y = torch.from_numpy(data["train_X"]), torch.from_numpy(data["train_y"])
    X_val, y_val = torch.from_numpy(data["test_X"]), torch.from_numpy(data["test_y"])
    torch.manual_seed(seed)
    first, second = ReluLSTM(FEATURES, UNITS), ReluLSTM(UNITS, UNITS)
    hidden, out = torch.nn.Linear(UNITS, 16), torch.nn.Linear(16, 1)
    keras_init_linear(hidden)
    keras_init_linear(out)
    modules = torch.nn.ModuleList([first, second, hidden, out])
    optimizer = keras_adam(modules.parameters())

    def forward(x: torch.Tensor, training: bool) -> torch.Tensor:
        h = F.dropout(first(x), DROPOUT, training)
        h = F.dropout(second(h)[:, -1], DROPOUT, training)
        return out(F.dropout(hidden(h), DROPOUT, training))

    fit_started = time.perf_counter()
    for _ in range(epochs(quick)):
        optimizer.zero_grad()
        loss = F.l1_loss(forward(X, True), y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            F.l1_loss(forward(X_val, False), y_val)
    train_s = time.perf_counter() - fit_started
    with torch.no_grad():
        prediction = forward(X_val, False).numpy()
    rmse, r2 = _scores(prediction, data)
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": rmse,
        "quality_name": QUALITY_NAME,
        "test_r2": r2,
        "train_gflops": train_flops(len(X), epochs(quick)) / train_s / 1e9,
    }


def run_keras(seed: int, quick: bool = False) -> dict:
    return _tutorial(keras_api, seed, quick)
