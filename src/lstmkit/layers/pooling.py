"""Global pooling over time and reshaping, as Keras's: :class:`GlobalMaxPooling1D`,
:class:`GlobalAveragePooling1D` (one vector per sequence, e.g. after a ``return_sequences``
LSTM or a Conv1D), :class:`Reshape` and :class:`Permute`. No weights."""

from __future__ import annotations

import math
from typing import Any

import torch

from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.registry import register_layer

__all__ = ["GlobalAveragePooling1D", "GlobalMaxPooling1D", "Permute", "Reshape"]


class _GlobalPooling1D(Layer):
    """Shapes: inputs ``(batch, steps, features)`` → ``(batch, features)`` (``keepdims=True``:
    ``(batch, 1, features)``). A timestep mask is not used and ends here."""

    input_ndim = 3

    def __init__(
        self, data_format: str = "channels_last", keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if data_format not in ("channels_last", None):
            raise ValueError(
                f"{type(self).__name__} supports data_format='channels_last'; got {data_format!r}"
            )
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if self.keepdims:
            return (input_shape[0], 1, input_shape[2])
        return (input_shape[0], input_shape[2])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": "channels_last", "keepdims": self.keepdims}


@register_layer
class GlobalMaxPooling1D(_GlobalPooling1D):
    """The maximum over the time axis of each feature."""

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        return inputs.amax(dim=1, keepdim=self.keepdims)


@register_layer
class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean over the time axis of each feature."""

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        return inputs.mean(dim=1, keepdim=self.keepdims)


@register_layer
class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (batch excluded; one entry may be ``-1``).
    Shapes: ``(batch, *dims)`` → ``(batch, *target_shape)`` with the same number of values."""

    def __init__(self, target_shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in target) > 1 or any(d == 0 or d < -1 for d in target):
            raise ValueError(
                f"Reshape expects positive sizes and at most one -1; got target_shape={target}"
            )
        self.target_shape = target

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if any(d is None for d in input_shape[1:]):
            raise ValueError(
                "Reshape needs every dimension but the batch known; got "
                f"{format_shape(input_shape)}"
            )
        total = math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if total % known:
                raise ValueError(
                    f"Reshape cannot make {self.target_shape} from {format_shape(input_shape)}"
                )
            shape = tuple(total // known if d == -1 else d for d in self.target_shape)
        else:
            shape = self.target_shape
        if math.prod(shape) != total:
            raise ValueError(
                f"Reshape cannot make {self.target_shape} from {format_shape(input_shape)}: "
                f"{math.prod(shape)} values instead of {total}"
            )
        return (input_shape[0], *shape)

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        return inputs.reshape(inputs.shape[0], *self.output_shape[1:])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


@register_layer
class Permute(Layer):
    """Reorders the non-batch axes: ``dims`` numbers them from 1 (``Permute((2, 1))`` swaps
    time and features). Shapes: ``(batch, *dims_in)`` → the same sizes, reordered."""

    def __init__(self, dims: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        order = tuple(int(d) for d in dims)
        if sorted(order) != list(range(1, len(order) + 1)):
            raise ValueError(
                f"Permute expects a permutation of 1..{len(order)}; got dims={tuple(dims)}"
            )
        self.dims = order

    def check_input_shape(self, input_shape: Shape) -> None:
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(
                f"Permute(dims={self.dims}) expects {len(self.dims) + 1}-D input; got shape "
                f"{format_shape(input_shape)}"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def check_built_for(self, input_shape: Shape) -> None:
        """No weights: any sizes fit."""

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        return inputs.permute(0, *self.dims)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": list(self.dims)}
