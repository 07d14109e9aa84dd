"""W4 — echo the previous random integer with a stateful LSTM(50), batch_input_shape (5, 5, 100),
Dense(100, softmax), categorical cross-entropy, adam; 2000 x {new sequence; fit one epoch;
reset_states()}. Quality: accuracy on 100 fresh sequences (higher is better)."""

from __future__ import annotations

import time

import numpy as np
import torch

from benchmarks.workloads.torch_peer import keras_init_linear, keras_init_lstm

QUALITY = "accuracy"
LENGTH, FEATURES, LOOK_BACK, BATCH, UNITS = 25, 100, 5, 5, 50


def sequence(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """X (20, 5, 100): the five one-hot frames ending at each step t >= 5; y (20, 100): the
    one-hot integer of step t - 1."""
    values = rng.integers(0, FEATURES, LENGTH)
    one_hot = np.eye(FEATURES, dtype=np.float32)[values]
    X = np.stack([one_hot[t - LOOK_BACK + 1 : t + 1] for t in range(LOOK_BACK, LENGTH)])
    y = one_hot[LOOK_BACK - 1 : LENGTH - 1]
    return X, y


def sequences(quick: bool) -> int:
    return 100 if quick else 2000


def run_lstmkit(seed: int, quick: bool) -> dict:
    import lstmkit
    from lstmkit.layers import LSTM, Dense
    from lstmkit.models import Sequential

    lstmkit.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    model = Sequential()
    model.add(LSTM(UNITS, batch_input_shape=(BATCH, LOOK_BACK, FEATURES), stateful=True))
    model.add(Dense(FEATURES, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    started = time.perf_counter()
    for _ in range(sequences(quick)):
        X, y = sequence(rng)
        model.fit(X, y, epochs=1, batch_size=BATCH, verbose=0, shuffle=False)
        model.reset_states()
    train_s = time.perf_counter() - started
    correct = total = 0
    for _ in range(100):
        X, y = sequence(rng)
        prediction = model.predict(X, batch_size=BATCH)
        model.reset_states()
        correct += int((prediction.argmax(-1) == y.argmax(-1)).sum())
        total += len(y)
    return {"train_s": train_s, "quality": correct / total, "quality_name": QUALITY}


def run_torch(seed: int, quick: bool) -> dict:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    dense = torch.nn.Linear(UNITS, FEATURES)
    keras_init_lstm(lstm)
    keras_init_linear(dense)
    optimizer = torch.optim.Adam([*lstm.parameters(), *dense.parameters()], lr=1e-3, eps=1e-7)

    def zero_state() -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(1, BATCH, UNITS), torch.zeros(1, BATCH, UNITS)

    started = time.perf_counter()
    for _ in range(sequences(quick)):
        X, y = sequence(rng)
        X, labels = torch.from_numpy(X), torch.from_numpy(y.argmax(-1))
        state = zero_state()
        for start in range(0, len(X), BATCH):
            rows = slice(start, start + BATCH)
            optimizer.zero_grad()
            output, state = lstm(X[rows], state)
            state = (state[0].detach(), state[1].detach())
            loss = torch.nn.functional.cross_entropy(dense(output[:, -1]), labels[rows])
            loss.backward()
            optimizer.step()
    train_s = time.perf_counter() - started
    correct = total = 0
    with torch.no_grad():
        for _ in range(100):
            X, y = sequence(rng)
            state = zero_state()
            for start in range(0, len(X), BATCH):
                output, state = lstm(torch.from_numpy(X[start : start + BATCH]), state)
                guess = dense(output[:, -1]).argmax(-1).numpy()
                correct += int((guess == y[start : start + BATCH].argmax(-1)).sum())
                total += BATCH
    return {"train_s": train_s, "quality": correct / total, "quality_name": QUALITY}
