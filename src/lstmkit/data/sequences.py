"""Variable-length sequences to one padded array: :func:`pad_sequences`, as Keras defines it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["pad_sequences"]


def pad_sequences(
    sequences: Sequence[Iterable[Any]],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (or cut) every sequence to the same length, Keras's ``pad_sequences``.

    Args:
        sequences: ``n`` sequences; each a list or array of steps, a step being a scalar or an
            array of the same shape in every sequence (``sample_shape``, taken from the first
            non-empty sequence).
        maxlen: the length of the result; ``None`` means the longest sequence's length.
        dtype: the result's dtype (``'int32'``, as Keras; use ``'float32'`` for real values).
        padding: ``'pre'`` puts ``value`` before a short sequence, ``'post'`` after it.
        truncating: ``'pre'`` drops the first steps of a long sequence, ``'post'`` the last.
        value: what padding positions hold (0 is what ``Masking``/``mask_zero`` skip).

    Returns:
        ``(n, maxlen, *sample_shape)``. An empty sequence becomes a row of ``value``.
    """
    if isinstance(sequences, str | bytes) or not isinstance(sequences, Iterable):
        raise ValueError(
            f"pad_sequences expects a list of sequences; got {type(sequences).__name__}"
        )
    sequences = list(sequences)
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post'; got {given!r}")
    if maxlen is not None and (
        isinstance(maxlen, bool) or not isinstance(maxlen, int | np.integer) or maxlen < 1
    ):
        raise ValueError(
            f"pad_sequences: maxlen must be a positive integer or None; got maxlen={maxlen!r}"
        )
    lengths: list[int] = []
    sample_shape: tuple[int, ...] | None = None
    for index, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(
                f"pad_sequences expects every sequence to be a list or array; sequence {index} "
                f"is {sequence!r}"
            ) from None
        if sample_shape is None and len(sequence):
            sample_shape = np.asarray(sequence).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    out_dtype = np.dtype(dtype)
    if isinstance(value, str) and out_dtype.kind not in "OUS":
        raise ValueError(
            f"pad_sequences: value={value!r} is text but dtype={dtype!r} is numeric; use "
            "dtype=object for text"
        )
    result = np.full((len(sequences), maxlen, *sample_shape), value, dtype=out_dtype)
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = np.asarray(sequence, dtype=out_dtype)
        kept = kept[-maxlen:] if truncating == "pre" else kept[:maxlen]
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"pad_sequences: the steps of sequence {index} have shape {kept.shape[1:]}; "
                f"the first non-empty sequence's have {sample_shape}"
            )
        if padding == "post":
            result[index, : len(kept)] = kept
        else:
            result[index, maxlen - len(kept) :] = kept
    return result
