"""Classify sequences of different lengths with padding and masking.

Sequences of 3 to 10 values in (0, 1) are labelled by whether their mean is above 0.5. They are
padded to one length with ``pad_sequences``; ``Masking`` tells the LSTM to skip the padding, so
the prediction for a sequence does not depend on how much padding surrounds it.

Run it with ``python examples/masked_lengths.py``.
"""

from __future__ import annotations

import numpy as np

from lstmkit.data.sequences import pad_sequences
from lstmkit.layers import LSTM, Dense, Masking
from lstmkit.models import Sequential
from lstmkit.utils import set_random_seed


def variable_length_data(n: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    sequences = [rng.uniform(0.05, 1.0, size=rng.integers(3, 11)) for _ in range(n)]
    return sequences, np.array([float(s.mean() > 0.5) for s in sequences], np.float32)


def padded(sequences: list[np.ndarray], maxlen: int) -> np.ndarray:
    """(n, maxlen, 1) float32, zeros before each sequence."""
    return pad_sequences(sequences, maxlen=maxlen, dtype="float32")[..., None]


def main(epochs: int = 25) -> tuple[float, float]:
    """Train; return the accuracy on fresh data and the largest change of a prediction when 5
    more padding steps are added."""
    set_random_seed(0)
    sequences, labels = variable_length_data(1500, seed=0)
    model = Sequential(
        [Masking(0.0, input_shape=(None, 1)), LSTM(16), Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(padded(sequences, 10), labels, epochs=epochs, batch_size=32, verbose=0)
    fresh, fresh_labels = variable_length_data(1000, seed=1)
    _, accuracy = model.evaluate(padded(fresh, 10), fresh_labels, verbose=0)
    change = float(
        np.abs(model.predict(padded(fresh, 10)) - model.predict(padded(fresh, 15))).max()
    )
    print(f"accuracy on 1,000 fresh sequences: {accuracy:.3f}")
    print(f"largest change of a prediction with 5 more padding steps: {change:.2e}")
    return accuracy, change


if __name__ == "__main__":
    main()
