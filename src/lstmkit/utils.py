"""Reproducibility helpers."""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["clear_session", "set_random_seed"]


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch's, as Keras's
    ``keras.utils.set_random_seed`` does; weight initialisation, dropout and shuffling then repeat.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative integer; got seed={seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def clear_session() -> None:
    """Restart automatic layer and model names (``lstm``, ``lstm_1``, ...) from the beginning."""
    from lstmkit.layers.base import clear_names

    clear_names()


def make_generator(seed: int | None) -> torch.Generator | None:
    """A private generator for a layer given ``seed=``; ``None`` means torch's global one."""
    return None if seed is None else torch.Generator().manual_seed(int(seed))


def dropout_mask(
    shape: tuple[int, ...], rate: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Inverted-dropout multiplier: 0 with probability ``rate``, else ``1 / (1 - rate)``."""
    keep = 1.0 - rate
    return torch.empty(shape).bernoulli_(keep, generator=generator).div_(keep)
