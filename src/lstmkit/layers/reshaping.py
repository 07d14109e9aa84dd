"""Layers that only move values around: :class:`RepeatVector` and :class:`Flatten`."""

from __future__ import annotations

import math
from typing import Any

import torch

from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.core import check_positive_int
from lstmkit.layers.registry import register_layer

__all__ = ["Flatten", "RepeatVector"]


@register_layer
class RepeatVector(Layer):
    """Repeats a vector ``n`` times along a new time axis, the bridge from an encoder's last
    state to a decoder that reads one copy per output step.

    Shapes: inputs ``(batch, features)`` → outputs ``(batch, n, features)``. No weights.
    """

    input_ndim = 2

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n = check_positive_int("RepeatVector", "n", n)

    def check_input_shape(self, input_shape: Shape) -> None:
        if len(input_shape) != 2:
            raise ValueError(
                "RepeatVector expects 2-D input [samples, features] (e.g. the last output of an "
                f"LSTM without return_sequences); got shape {format_shape(input_shape)}"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


@register_layer
class Flatten(Layer):
    """Flattens every dimension but the batch: ``(batch, d1, d2, ...)`` → ``(batch, d1*d2*...)``.
    A 2-D input gains nothing; a 1-D input becomes ``(batch, 1)`` as in Keras. No weights."""

    def check_input_shape(self, input_shape: Shape) -> None:
        if any(d is None for d in input_shape[1:]):
            raise ValueError(
                "Flatten needs every dimension but the batch to be known (a Dense layer after "
                f"it needs a fixed width); got shape {format_shape(input_shape)}"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], math.prod(input_shape[1:]))

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        return inputs.reshape(inputs.shape[0], -1)

    def check_built_for(self, input_shape: Shape) -> None:
        built = self.input_shape
        if built is not None and tuple(built[1:]) != tuple(input_shape[1:]):
            raise ValueError(
                f"{self.name} was built for inputs of shape {format_shape(built)}; "
                f"got shape {format_shape(input_shape)}"
            )
