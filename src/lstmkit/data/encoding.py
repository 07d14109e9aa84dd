"""One-hot encoding of integer sequences, as the echo tutorials write it."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["one_hot_decode", "one_hot_encode"]


def one_hot_encode(sequence: Any, n_unique: int) -> np.ndarray:
    """Integers in ``[0, n_unique)`` → ``(len, n_unique)`` rows of zeros with a 1 at the value."""
    values = np.asarray(sequence)
    if values.ndim != 1 or (values.size and not np.issubdtype(values.dtype, np.integer)):
        raise ValueError(
            f"one_hot_encode expects a 1-D sequence of integers; got shape {values.shape} of "
            f"{values.dtype}"
        )
    if isinstance(n_unique, bool) or not isinstance(n_unique, int | np.integer) or n_unique < 1:
        raise ValueError(f"one_hot_encode: n_unique must be a positive integer; got {n_unique!r}")
    if values.size and (values.min() < 0 or values.max() >= n_unique):
        bad = values[(values < 0) | (values >= n_unique)][0]
        raise ValueError(f"one_hot_encode: values must be in [0, {n_unique}); got {bad}")
    encoded = np.zeros((len(values), n_unique), dtype=np.int64)
    encoded[np.arange(len(values)), values] = 1
    return encoded


def one_hot_decode(encoded: Any) -> list[int] | list[list[int]]:
    """The argmax of the last axis: ``(n, k)`` → a list of n ints; ``(batch, n, k)`` → lists."""
    array = np.asarray(encoded)
    if array.ndim not in (2, 3):
        raise ValueError(f"one_hot_decode expects (n, k) or (batch, n, k); got shape {array.shape}")
    return array.argmax(axis=-1).tolist()
