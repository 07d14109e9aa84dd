"""W2: binary sequence classification with a stacked relu LSTM."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads.keras_api import keras_api, lstmkit_api

TITLE = (
    "W2 — binary sequence classification: LSTM(50, relu, return_sequences), Dropout(0.2), "
    "LSTM(50, relu), Dropout(0.2), Dense(1, sigmoid); binary cross-entropy, adam, batch 64, "
    "validation_split 0.2, 200 epochs, no shuffling. Quality: accuracy on 10,000 fresh samples "
    "(higher is better)."
)
QUALITY_NAME = "accuracy"
SAMPLES, FRESH, TIMESTEPS, UNITS, BATCH, DROPOUT, VALIDATION = 1000, 10_000, 3, 50, 64, 0.2, 0.2


def binary_sequences(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's generator: X (n, 3, 1) holds [cur, prev, prev_state], y (n,) is 1.0 when
    the current rise-or-fall state equals the previous one; float32."""
    cur, prev_state = rng.random(), False
    X, y = [], []
    for _ in range(n):
        prev, cur = cur, rng.random()
        cur_state = cur > prev
        y.append(float(cur_state == prev_state))
        X.append([cur, prev, float(prev_state)])
        prev_state = cur_state
    return np.asarray(X, np.float32).reshape(n, TIMESTEPS, 1), np.asarray(y, np.float32)


def settings(quick: bool) -> tuple[int, int, int]:
    """(training samples, epochs, fresh evaluation samples): as specified, or a smoke run's."""
    return (200, 3, 500) if quick else (SAMPLES, 200, FRESH)


def _tutorial(api_factory: Callable[[], Any], seed: int, quick: bool) -> dict:
    """W2 written as the tutorial writes it, on lstmkit's or Keras's API."""
    started = time.perf_counter()
    api = api_factory()
    samples, epochs, fresh = settings(quick)
    rng = np.random.default_rng(seed)
    X, y = binary_sequences(rng, samples)
    api.set_random_seed(seed)
    model = api.Sequential()
    model.add(api.Input((TIMESTEPS, 1)))
    model.add(api.LSTM(UNITS, activation="relu", return_sequences=True))
    model.add(api.Dropout(DROPOUT))
    model.add(api.LSTM(UNITS, activation="relu"))
    model.add(api.Dropout(DROPOUT))
    model.add(api.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    fit_started = time.perf_counter()
    model.fit(
        X, y, batch_size=BATCH, validation_split=VALIDATION, epochs=epochs, shuffle=False, verbose=0
    )
    train_s = time.perf_counter() - fit_started
    X_fresh, y_fresh = binary_sequences(rng, fresh)
    prediction = np.asarray(model.predict(X_fresh, verbose=0))[:, 0]
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": float(((prediction > 0.5) == (y_fresh > 0.5)).mean()),
        "quality_name": QUALITY_NAME,
    }


def run_lstmkit(seed: int, quick: bool = False) -> dict:
    return _tutorial(lstmkit_api, seed, quick)


def run_keras(seed: int, quick: bool = False) -> dict:
    return _tutorial(keras_api, seed, quick)


def run_torch(seed: int, quick: bool = False) -> dict:
    """W2 as a competent PyTorch user writes it: ``nn.LSTM`` has no relu LSTM, so each layer is an
    explicit cell loop over the three timesteps (one input product for all of them); the
    validation loss is computed every epoch, as ``fit`` with ``validation_split`` does."""
    started = time.perf_counter()
    import torch
    import torch.nn.functional as F

    from benchmarks.workloads.torch_peer import ReluLSTM, keras_adam, keras_init_linear

    samples, epochs, fresh = settings(quick)
    rng = np.random.default_rng(seed)
    X, y = (torch.from_numpy(a) for a in binary_sequences(rng, samples))
    y = y[:, None]
    split = int(samples * (1 - VALIDATION))
    X_train, y_train, X_val, y_val = X[:split], y[:split], X[split:], y[split:]
    torch.manual_seed(seed)
    first, second = ReluLSTM(1, UNITS), ReluLSTM(UNITS, UNITS)
    dense = torch.nn.Linear(UNITS, 1)
    keras_init_linear(dense)
    modules = torch.nn.ModuleList([first, second, dense])
    optimizer = keras_adam(modules.parameters())

    def logits(x: torch.Tensor, training: bool) -> torch.Tensor:
        hidden = F.dropout(first(x), DROPOUT, training)
        hidden = F.dropout(second(hidden)[:, -1], DROPOUT, training)
        return dense(hidden)

    fit_started = time.perf_counter()
    for _ in range(epochs):
        for start in range(0, split, BATCH):
            rows = slice(start, start + BATCH)
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(logits(X_train[rows], True), y_train[rows])
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            F.binary_cross_entropy_with_logits(logits(X_val, False), y_val)
    train_s = time.perf_counter() - fit_started
    X_fresh, y_fresh = binary_sequences(rng, fresh)
    with torch.no_grad():
        guess = logits(torch.from_numpy(X_fresh), False)[:, 0].numpy() > 0
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": float((guess == (y_fresh > 0.5)).mean()),
        "quality_name": QUALITY_NAME,
    }
