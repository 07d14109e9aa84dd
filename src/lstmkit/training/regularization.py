"""Weight regularizers (``kernel_regularizer=l2(...)`` and the like): which weights carry one.
The training step adds their penalties to the loss; the native whole step is not taken for
such models (:mod:`lstmkit.training.native_step`)."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["regularized_weights"]


def regularized_weights(model: Any) -> list[tuple[Any, torch.Tensor]]:
    """``(regularizer, weight)`` for every ``weight_regularizers`` entry of the model's layers
    (and of the layers a wrapper holds)."""
    found: list[tuple[Any, torch.Tensor]] = []
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop(0)
        for name, regularizer in (getattr(layer, "weight_regularizers", None) or {}).items():
            weight = layer._params.get(name)
            if weight is not None and regularizer is not None:
                found.append((regularizer, weight))
        stack.extend(
            inner
            for inner in (
                getattr(layer, "layer", None),
                getattr(layer, "forward_layer", None),
                getattr(layer, "backward_layer", None),
            )
            if inner is not None
        )
    return found
