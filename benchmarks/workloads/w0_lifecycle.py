"""W0 — the five-step lifecycle on 0.0, 0.1, ..., 0.9 — LSTM(10), Dense(1), adam, mse, 1000 epochs
with the whole set as one batch. Quality: max |prediction - y| (lower is better)."""

from __future__ import annotations

import time

import numpy as np
import torch

from benchmarks.workloads.torch_peer import keras_init_linear, keras_init_lstm

QUALITY = "max abs error"


def data() -> tuple[np.ndarray, np.ndarray]:
    sequence = np.arange(0.0, 1.0, 0.1, dtype=np.float32)
    return sequence[:-1].reshape(9, 1, 1), sequence[1:].reshape(9, 1)


def epochs(quick: bool) -> int:
    return 50 if quick else 1000


def run_lstmkit(seed: int, quick: bool) -> dict:
    import lstmkit
    from lstmkit.layers import LSTM, Dense
    from lstmkit.models import Sequential

    X, y = data()
    lstmkit.set_random_seed(seed)
    model = Sequential()
    model.add(LSTM(10, input_shape=(1, 1)))
    model.add(Dense(1))
    model.compile(optimizer="adam", loss="mean_squared_error")
    started = time.perf_counter()
    model.fit(X, y, epochs=epochs(quick), batch_size=len(X), verbose=0)
    train_s = time.perf_counter() - started
    prediction = model.predict(X, verbose=0)
    return {
        "train_s": train_s,
        "quality": float(np.abs(prediction - y).max()),
        "quality_name": QUALITY,
    }


def run_torch(seed: int, quick: bool) -> dict:
    X, y = (torch.from_numpy(a) for a in data())
    torch.manual_seed(seed)
    lstm, dense = torch.nn.LSTM(1, 10, batch_first=True), torch.nn.Linear(10, 1)
    keras_init_lstm(lstm)
    keras_init_linear(dense)
    params = [*lstm.parameters(), *dense.parameters()]
    optimizer = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
    started = time.perf_counter()
    for _ in range(epochs(quick)):
        optimizer.zero_grad()
        output, _ = lstm(X)
        loss = torch.nn.functional.mse_loss(dense(output[:, -1]), y)
        loss.backward()
        optimizer.step()
    train_s = time.perf_counter() - started
    with torch.no_grad():
        prediction = dense(lstm(X)[0][:, -1])
    return {
        "train_s": train_s,
        "quality": float((prediction - y).abs().max()),
        "quality_name": QUALITY,
    }
