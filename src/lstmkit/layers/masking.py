"""The :class:`Masking` layer: mark padded timesteps for the layers that follow."""

from __future__ import annotations

from typing import Any

import torch

from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.registry import register_layer

__all__ = ["Masking"]


@register_layer
class Masking(Layer):
    """Masks every timestep whose features all equal ``mask_value``, as Keras.

    Shapes: inputs ``(batch, timesteps, features)`` → the same, with masked timesteps set to 0;
    the mask ``(batch, timesteps)`` (True where some feature differs from ``mask_value``) goes to
    the next layers: recurrent layers skip those steps, and a sequence output's loss and metrics
    leave them out. Pad with a value that real data never takes (``pad_sequences(...,
    value=mask_value, dtype='float32')``).
    """

    supports_masking = True
    creates_mask = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, int | float):
            raise ValueError(f"Masking expects a number for mask_value; got {mask_value!r}")
        self.mask_value = float(mask_value)

    def check_input_shape(self, input_shape: Shape) -> None:
        if len(input_shape) != 3:
            raise ValueError(
                "Masking expects 3-D input [samples, timesteps, features]; got shape "
                f"{format_shape(input_shape)}"
            )

    def compute_mask(self, inputs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return torch.any(inputs != self.mask_value, dim=-1)

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        keep = torch.any(inputs != self.mask_value, dim=-1, keepdim=True)
        return inputs * keep.to(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}
