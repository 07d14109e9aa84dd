"""Echo a whole lagged sequence: the tutorial's suggested extension of the echo task.

Each input is 5 random integers in [0, 9], one-hot; the output at step t is the input at step
t - 1 (step 0 echoes itself). An LSTM with ``return_sequences=True`` feeds one softmax per
timestep through ``TimeDistributed(Dense(...))``.

Run it with ``python examples/echo_sequence.py``.
"""

from __future__ import annotations

import numpy as np

from lstmkit.layers import LSTM, Dense, TimeDistributed
from lstmkit.models import Sequential
from lstmkit.utils import set_random_seed, to_categorical

TIMESTEPS, VALUES = 5, 10


def lagged_sequences(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (n, 5, 10) one-hot inputs, y (n, 5, 10) one-hot lagged targets, and the target ints."""
    values = np.random.default_rng(seed).integers(0, VALUES, size=(n, TIMESTEPS))
    lagged = np.concatenate([values[:, :1], values[:, :-1]], axis=1)
    return to_categorical(values, VALUES), to_categorical(lagged, VALUES), lagged


def main(epochs: int = 20) -> float:
    """Train, show three fresh sequences, and return the token accuracy on fresh data."""
    set_random_seed(0)
    X, y, _ = lagged_sequences(2000, seed=0)
    model = Sequential(
        [
            LSTM(20, return_sequences=True, input_shape=(TIMESTEPS, VALUES)),
            TimeDistributed(Dense(VALUES, activation="softmax")),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
    X_new, _, expected = lagged_sequences(500, seed=1)
    predicted = model.predict(X_new).argmax(axis=-1)
    for row in range(3):
        print(
            f"input {X_new[row].argmax(-1)}  expected {expected[row]}  predicted {predicted[row]}"
        )
    accuracy = float((predicted == expected).mean())
    print(f"token accuracy on 500 fresh sequences: {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
