"""The tutorial tasks learn, with fixed seeds, to the thresholds the tutorials report."""

from __future__ import annotations

import numpy as np

import lstmkit
from lstmkit.layers import LSTM, Dense, Dropout
from lstmkit.models import Sequential


def test_next_value_of_0_to_0_9_is_learnt_within_0_05() -> None:
    # W0 of shared/workloads.md: LSTM(10), adam, mse, 1000 epochs, the whole set as one batch.
    lstmkit.set_random_seed(0)
    sequence = np.arange(0.0, 1.0, 0.1)
    X = sequence[:-1].reshape(9, 1, 1)
    y = sequence[1:]
    model = Sequential()
    model.add(LSTM(10, input_shape=(1, 1)))
    model.add(Dense(1))
    model.compile(optimizer="adam", loss="mean_squared_error")
    model.fit(X, y, epochs=1000, batch_size=len(X), verbose=0)
    prediction = model.predict(X, verbose=0)[:, 0]
    assert np.max(np.abs(prediction - y)) < 0.05


def binary_task(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """W2: is the direction of change the same as the previous one?"""
    X, y = [], []
    prev, prev_state = rng.random(), False
    cur = rng.random()
    for _ in range(n):
        prev, cur = cur, rng.random()
        cur_state = cur > prev
        y.append(cur_state == prev_state)
        X.append([cur, prev, prev_state])
        prev_state = cur_state
    return np.asarray(X, np.float32).reshape(n, 3, 1), np.asarray(y, np.float32)


def test_binary_sequence_classification_reaches_95_percent_on_fresh_data() -> None:
    # W2 of shared/workloads.md, with its 200 epochs.
    lstmkit.set_random_seed(1)
    rng = np.random.default_rng(1)
    X, y = binary_task(1000, rng)
    model = Sequential()
    model.add(LSTM(50, activation="relu", return_sequences=True, input_shape=(3, 1)))
    model.add(Dropout(0.2))
    model.add(LSTM(50, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(
        X, y, batch_size=64, validation_split=0.2, epochs=200, shuffle=False, verbose=0
    )
    assert history.history["val_accuracy"][-1] >= 0.9
    X_new, y_new = binary_task(10_000, rng)
    _, accuracy = model.evaluate(X_new, y_new, verbose=0)
    predicted = model.predict_classes(X_new)[:, 0]
    assert accuracy >= 0.95
    assert (
        np.mean(predicted == y_new) == accuracy
        or abs(np.mean(predicted == y_new) - accuracy) < 1e-6
    )
