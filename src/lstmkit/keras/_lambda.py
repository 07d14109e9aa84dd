"""Keras's ``Lambda`` layer: a Python function of the layer's input (torch tensors, so the
``keras.backend`` functions work in it), e.g. ``Lambda(lambda x: K.sum(x, axis=1))``.

It runs in a model like any layer (graphs included, several inputs given as a list); it cannot
be saved, because it is Python code: ``model.save`` names the layer and refuses."""

from __future__ import annotations

from typing import Any

import torch

from lstmkit.keras._support import not_supported
from lstmkit.layers.base import Layer
from lstmkit.layers.symbolic import is_symbolic, symbolic_call

__all__ = ["Lambda"]


def _probe(shape: tuple[int | None, ...]) -> torch.Tensor:
    # Unknown sizes become 2 (not 1, which a function could squeeze away).
    return torch.zeros(tuple(2 if d is None else d for d in shape))


class Lambda(Layer):
    """``Lambda(function, output_shape=None, arguments=None)``: ``function(inputs,
    **arguments)``. The output shape is ``output_shape`` (batch excluded; a tuple or a function of
    the input shape) or found by running ``function`` on zeros of the input's shape."""

    supports_masking = True

    def __init__(
        self,
        function: Any,
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda needs a function; got {type(function).__name__}")
        if mask is not None:
            raise not_supported("keras.layers.Lambda(mask=...)")
        self.function = function
        self.output_shape_arg = output_shape
        self.arguments = dict(arguments or {})
        self.takes_list = False

    def build_for(self, input_shape: Any) -> Any:
        several = isinstance(input_shape, list)
        shapes = [tuple(s) for s in input_shape] if several else tuple(input_shape)
        self.built = True
        self.input_shape = shapes
        self.output_shape = self.compute_output_shape(shapes)
        return self.output_shape

    def compute_output_shape(self, input_shape: Any) -> Any:
        given = self.output_shape_arg
        batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        if callable(given):
            return tuple(given(input_shape))
        if given is not None:
            return (batch, *tuple(given))
        probe = (
            [_probe(s) for s in input_shape]
            if isinstance(input_shape, list)
            else _probe(input_shape)
        )
        with torch.no_grad():
            out = self.function(probe, **self.arguments)
        return (batch, *tuple(out.shape[1:]))

    def check_input_shape(self, input_shape: Any) -> None:
        """Any input the function takes."""

    def check_built_for(self, input_shape: Any) -> None:
        """No weights: any sizes fit."""

    def call(self, inputs: Any, training: bool = False) -> torch.Tensor:
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        return None

    def __call__(self, inputs: Any, training: bool = False, **kwargs: Any) -> Any:
        if isinstance(inputs, list | tuple) and is_symbolic(inputs):
            self.takes_list = True
            return symbolic_call(self, list(inputs), **kwargs)
        return super().__call__(inputs, training=training, **kwargs)

    def get_config(self) -> dict[str, Any]:
        raise ValueError(
            f"layer {self.name!r} is a Lambda (Python code), which cannot be saved; save the "
            "weights with save_weights, or replace the Lambda with layers"
        )
