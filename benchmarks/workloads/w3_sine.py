"""W3: a noisy sine wave, learned one sample per batch."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads.keras_api import keras_api, lstmkit_api

TITLE = (
    "W3 — noisy sine, one sample per batch: LSTM(50) with input_shape (1, 1), Dense(1), mse, "
    "adam, batch 1, 5 epochs on 7,998 look_back=1 windows. Quality: test RMSE in original units "
    "(lower is better; the noise alone is 0.5)."
)
QUALITY_NAME = "test RMSE"
UNITS, LOOK_BACK, TRAIN_FRACTION = 50, 1, 0.8


def sine_data(seed: int, quick: bool) -> dict[str, np.ndarray | float]:
    """The tutorial's data: ``sin(t) + N(0, 0.5)`` for t = 0, 0.1, ..., 999.9 (10,000 points, a
    smoke run takes the first 150), min-max scaled to [0, 1]; the first 80 % train.

    Returns ``train_X (n, 1, 1)``, ``train_y (n, 1)``, ``test_X``, ``test_y`` (float32) and the
    scale ``low``, ``span`` back to original units. Windows follow the tutorial's
    ``create_dataset``: ``X = s[i], y = s[i + 1]`` for ``i < len - look_back - 1``.
    """
    noise = np.random.RandomState(seed)
    t = np.arange(0, 1000, 0.1)[: 150 if quick else None]
    series = np.sin(t) + noise.normal(0, 0.5, len(t))
    low, span = series.min(), series.max() - series.min()
    scaled = ((series - low) / span).astype(np.float32)
    split = int(len(scaled) * TRAIN_FRACTION)

    def windows(part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(part) - LOOK_BACK - 1
        X = np.stack([part[i : i + LOOK_BACK] for i in range(n)])[:, :, None]
        return X, part[LOOK_BACK : LOOK_BACK + n, None]

    train_X, train_y = windows(scaled[:split])
    test_X, test_y = windows(scaled[split:])
    return {
        "train_X": train_X,
        "train_y": train_y,
        "test_X": test_X,
        "test_y": test_y,
        "low": float(low),
        "span": float(span),
    }


def epochs(quick: bool) -> int:
    """5 epochs as specified; one for a smoke run."""
    return 1 if quick else 5


def _rmse(prediction: np.ndarray, target: np.ndarray, span: float) -> float:
    """Root mean squared error in original units (the offset cancels; the scale does not)."""
    return float(np.sqrt(np.mean((prediction.reshape(-1) - target.reshape(-1)) ** 2)) * span)


def _tutorial(api_factory: Callable[[], Any], seed: int, quick: bool) -> dict:
    """W3 written as the tutorial writes it, on lstmkit's or Keras's API."""
    started = time.perf_counter()
    api = api_factory()
    data = sine_data(seed, quick)
    api.set_random_seed(seed)
    model = api.Sequential()
    model.add(api.Input((LOOK_BACK, 1)))
    model.add(api.LSTM(UNITS))
    model.add(api.Dense(1))
    model.compile(loss="mean_squared_error", optimizer="adam")
    fit_started = time.perf_counter()
    model.fit(data["train_X"], data["train_y"], epochs=epochs(quick), batch_size=1, verbose=0)
    train_s = time.perf_counter() - fit_started
    train_rmse = _rmse(model.predict(data["train_X"], verbose=0), data["train_y"], data["span"])
    test_rmse = _rmse(model.predict(data["test_X"], verbose=0), data["test_y"], data["span"])
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": test_rmse,
        "quality_name": QUALITY_NAME,
        "train_rmse": train_rmse,
    }


def run_lstmkit(seed: int, quick: bool = False) -> dict:
    return _tutorial(lstmkit_api, seed, quick)


def run_keras(seed: int, quick: bool = False) -> dict:
    return _tutorial(keras_api, seed, quick)


def run_torch(seed: int, quick: bool = False) -> dict:
    """W3 as a competent PyTorch user writes it: ``nn.LSTM``, one sample per step, the samples
    shuffled every epoch as ``fit`` does by default."""
    started = time.perf_counter()
    import torch
    import torch.nn.functional as F

    from benchmarks.workloads.torch_peer import keras_adam, keras_init_linear, keras_init_lstm

    data = sine_data(seed, quick)
    X, y = torch.from_numpy(data["train_X"]), torch.from_numpy(data["train_y"])
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(input_size=1, hidden_size=UNITS, batch_first=True)
    dense = torch.nn.Linear(UNITS, 1)
    keras_init_lstm(lstm)
    keras_init_linear(dense)
    optimizer = keras_adam([*lstm.parameters(), *dense.parameters()])
    fit_started = time.perf_counter()
    for _ in range(epochs(quick)):
        for index in torch.randperm(len(X)).tolist():
            optimizer.zero_grad()
            output, _ = lstm(X[index : index + 1])
            loss = F.mse_loss(dense(output[:, -1]), y[index : index + 1])
            loss.backward()
            optimizer.step()
    train_s = time.perf_counter() - fit_started
    with torch.no_grad():
        train_pred = dense(lstm(X)[0][:, -1]).numpy()
        test_pred = dense(lstm(torch.from_numpy(data["test_X"]))[0][:, -1]).numpy()
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": _rmse(test_pred, data["test_y"], data["span"]),
        "quality_name": QUALITY_NAME,
        "train_rmse": _rmse(train_pred, data["train_y"], data["span"]),
    }
