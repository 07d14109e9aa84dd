"""Weight penalties, as Keras's regularizers: ``L1(l1)``, ``L2(l2)``, ``L1L2(l1, l2)`` and the
functions ``l1``, ``l2``, ``l1_l2``. A regularizer maps a weight tensor to a 0-d penalty,
``l1 * sum(|w|) + l2 * sum(w ** 2)``, which training adds to the loss (and evaluation to the
reported loss), as Keras does. A layer carries them in ``layer.weight_regularizers``, a dict
from weight name (``kernel``, ``recurrent_kernel``, ``bias``, ``embeddings``) to regularizer.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["L1", "L1L2", "L2", "Regularizer", "deserialize", "get", "l1", "l1_l2", "l2"]


class Regularizer:
    """``l1 * sum(|w|) + l2 * sum(w ** 2)``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        for name, value in (("l1", l1), ("l2", l2)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{type(self).__name__} expects {name} >= 0; got {value!r}")
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, weight: torch.Tensor) -> torch.Tensor:
        penalty = weight.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * weight.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * weight.square().sum()
        return penalty

    def get_config(self) -> dict[str, float]:
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(l1={self.l1:g}, l2={self.l2:g})"


class L1L2(Regularizer):
    """Both penalties (Keras's default 0 for each)."""


class L1(Regularizer):
    """``l1 * sum(|w|)`` (Keras's default ``l1=0.01``)."""

    def __init__(self, l1: float = 0.01, **kwargs: Any) -> None:
        super().__init__(l1=kwargs.pop("l", l1))

    def get_config(self) -> dict[str, float]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(w ** 2)`` (Keras's default ``l2=0.01``)."""

    def __init__(self, l2: float = 0.01, **kwargs: Any) -> None:
        super().__init__(l2=kwargs.pop("l", l2))

    def get_config(self) -> dict[str, float]:
        return {"l2": self.l2}


def l1(l: float = 0.01) -> L1:  # noqa: E741 - Keras 2's argument name
    return L1(l)


def l2(l: float = 0.01) -> L2:  # noqa: E741 - Keras 2's argument name
    return L2(l)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    return L1L2(l1, l2)


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2}


def get(identifier: Any) -> Regularizer | None:
    """A regularizer from one, a name (``'l1'``, ``'l2'``, ``'l1_l2'``, with Keras's defaults) or
    ``None``."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier in _CLASSES:
        return _CLASSES[identifier]() if identifier != "l1_l2" else l1_l2()
    raise ValueError(
        f"a regularizer must be L1/L2/L1L2 (or 'l1', 'l2', 'l1_l2'); got {identifier!r}"
    )


def deserialize(config: Any) -> Regularizer:
    """The regularizer of a Keras config ``{"class_name": "L2", "config": {"l2": 0.01}}``."""
    if not isinstance(config, dict) or config.get("class_name") not in ("L1", "L2", "L1L2"):
        raise ValueError(f"unknown regularizer {config!r}; lstmkit has L1, L2 and L1L2")
    arguments = config.get("config") or {}
    if not isinstance(arguments, dict) or not set(arguments) <= {"l1", "l2"}:
        raise ValueError(f"a regularizer config holds l1 and l2 only; got {arguments!r}")
    return _CLASSES[config["class_name"]](**arguments)
