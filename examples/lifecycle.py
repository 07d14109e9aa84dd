"""The five-step LSTM lifecycle on the 0.0, 0.1, ..., 0.9 sequence: learn to predict the next value.

Run it with ``make demo`` or ``python examples/lifecycle.py``.
"""

from __future__ import annotations

import time

import numpy as np

import lstmkit
from lstmkit.layers import LSTM, Dense
from lstmkit.models import Sequential


def main(epochs: int = 1000) -> float:
    """Train, print each prediction beside its target, and return the largest error."""
    lstmkit.set_random_seed(0)
    sequence = np.arange(0.0, 1.0, 0.1)
    X = sequence[:-1].reshape(len(sequence) - 1, 1, 1)  # [samples, timesteps, features]
    y = sequence[1:]

    # 1. define
    model = Sequential()
    model.add(LSTM(10, input_shape=(1, 1)))
    model.add(Dense(1))
    model.summary()
    # 2. compile
    model.compile(optimizer="adam", loss="mean_squared_error")
    # 3. fit
    started = time.perf_counter()
    history = model.fit(X, y, epochs=epochs, batch_size=len(X), verbose=0)
    seconds = time.perf_counter() - started
    # 4. evaluate
    loss = model.evaluate(X, y, verbose=0)
    # 5. predict
    predictions = model.predict(X, verbose=0)[:, 0]

    print(
        f"\ntrained {epochs} epochs in {seconds:.2f} s; "
        f"final loss {history.history['loss'][-1]:.6f}"
    )
    print(f"evaluate: mse {loss:.6f}\n")
    print("input  target  predicted")
    for value, target, predicted in zip(X[:, 0, 0], y, predictions, strict=True):
        print(f"{value:5.1f}  {target:6.1f}  {predicted:9.3f}")
    worst = float(np.max(np.abs(predictions - y)))
    print(f"\nlargest error: {worst:.4f}")
    return worst


if __name__ == "__main__":
    main()
