"""Reproducibility helpers."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import numpy as np
import torch

__all__ = ["clear_session", "set_random_seed", "to_categorical", "unique_name"]

# Keras's automatic layer and model names count per prefix for the whole session.
_name_counts: defaultdict[str, int] = defaultdict(int)


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch's, as Keras's
    ``keras.utils.set_random_seed`` does; weight initialisation, dropout and shuffling then repeat.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative integer; got seed={seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def unique_name(prefix: str) -> str:
    """Keras's automatic names: ``lstm``, ``lstm_1``, ``lstm_2``, ... per prefix."""
    count = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def clear_session() -> None:
    """Restart automatic layer and model names (``lstm``, ``lstm_1``, ...) from the beginning."""
    _name_counts.clear()


def make_generator(seed: int | None) -> torch.Generator | None:
    """A private generator for a layer given ``seed=``; ``None`` means torch's global one."""
    return None if seed is None else torch.Generator().manual_seed(int(seed))


def dropout_mask(
    shape: tuple[int, ...],
    rate: float,
    generator: torch.Generator | None,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Inverted-dropout multiplier: 0 with probability ``rate``, else ``1 / (1 - rate)``.

    Drawn on the host from ``generator`` (or torch's global CPU generator) whatever ``device``
    the mask is for, then copied there: a model on a GPU sees the masks the same model on the
    CPU would, and ``fit``'s saved random stream (a CPU generator state) covers them."""
    keep = 1.0 - rate
    mask = torch.empty(shape).bernoulli_(keep, generator=generator).div_(keep)
    return mask if device is None or device.type == "cpu" else mask.to(device)


def to_categorical(y: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels, Keras's ``to_categorical``.

    Shapes: labels ``(n,)`` or ``(n, 1)`` → ``(n, num_classes)``; any ``(*shape)`` →
    ``(*shape, num_classes)`` (a trailing axis of 1 is dropped first, as Keras). ``num_classes``
    defaults to ``max(y) + 1``. Returns float32 (Keras returns float64 from NumPy input; every
    model here computes in float32). Labels must be integers in ``[0, num_classes)``: Keras
    would wrap a negative label around to the last class.
    """
    array = np.asarray(y)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        as_int = array.astype(np.int64)
        if not np.issubdtype(array.dtype, np.number) or not np.array_equal(as_int, array):
            raise ValueError(f"to_categorical expects integer class labels; got {array.dtype}")
        array = as_int
    array = array.astype(np.int64)
    shape = array.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = array.reshape(-1)
    if num_classes is None:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    elif isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(
            f"to_categorical: num_classes must be a positive integer; got {num_classes!r}"
        )
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        bad = flat[(flat < 0) | (flat >= num_classes)][0]
        raise ValueError(
            f"to_categorical expects labels in [0, {num_classes}) (num_classes); got {bad}"
        )
    out = np.zeros((flat.size, num_classes), dtype=np.float32)
    out[np.arange(flat.size), flat] = 1.0
    return out.reshape(*shape, num_classes)
