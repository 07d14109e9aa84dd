"""Activation layers with a parameter: :class:`LeakyReLU`. No weights; shapes unchanged."""

from __future__ import annotations

from typing import Any

import torch

from lstmkit.layers.base import Layer
from lstmkit.layers.registry import register_layer

__all__ = ["LeakyReLU"]


@register_layer
class LeakyReLU(Layer):
    """``x`` where ``x >= 0``, ``negative_slope * x`` elsewhere (Keras 3's default slope 0.3;
    ``alpha`` is Keras 2's name for it)."""

    supports_masking = True

    def __init__(
        self, negative_slope: float = 0.3, alpha: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        slope = negative_slope if alpha is None else alpha
        if isinstance(slope, bool) or not isinstance(slope, int | float) or slope < 0:
            raise ValueError(f"LeakyReLU expects negative_slope >= 0; got {slope!r}")
        self.negative_slope = float(slope)

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        return torch.nn.functional.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}
