"""Convolution and pooling over time, for CNN-LSTM models: :class:`Conv1D`, :class:`MaxPooling1D`.

Both read ``(batch, steps, channels)`` (Keras's ``channels_last``). Padding follows Keras (which
follows TensorFlow): ``'valid'`` uses whole windows only; ``'same'`` pads so that
``out = ceil(steps / strides)``, putting the odd padding element on the right; ``'causal'``
(Conv1D) pads ``dilation_rate * (kernel_size - 1)`` zeros on the left, so output ``t`` sees
inputs up to ``t`` only.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from lstmkit import activations, initializers
from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.core import check_positive_int
from lstmkit.layers.registry import register_layer

__all__ = ["Conv1D", "MaxPooling1D", "conv_output_length"]


def _same_padding(steps: int, window: int, strides: int) -> tuple[int, int]:
    """(left, right) padding of ``'same'``: ``window`` is the dilated kernel or pool size."""
    out = -(-steps // strides)
    total = max((out - 1) * strides + window - steps, 0)
    return total // 2, total - total // 2


def conv_output_length(steps: int | None, window: int, padding: str, strides: int) -> int | None:
    """Output steps of a convolution or pooling over ``steps`` inputs (``None`` stays ``None``);
    ``window`` is the dilated kernel size or the pool size."""
    if steps is None:
        return None
    if padding == "same":
        return -(-steps // strides)
    if padding == "causal":
        steps += window - 1
    return max((steps - window) // strides + 1, 0)


def _check_padding(layer: str, padding: Any, allowed: tuple[str, ...]) -> str:
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{layer} expects padding to be one of {choices}; got {padding!r}")
    return value


def _check_input(layer: str, input_shape: Shape) -> None:
    if len(input_shape) != 3 or input_shape[-1] is None:
        raise ValueError(
            f"{layer} expects 3-D input [samples, timesteps, channels] with a known channel "
            f"count; got shape {format_shape(input_shape)}"
        )


@register_layer
class Conv1D(Layer):
    """1-D convolution over time: ``out[b, t, f] = activation(bias[f] + Σ_k Σ_c
    x[b, t·strides + k·dilation_rate, c] · kernel[k, c, f])`` (after padding).

    Shapes: inputs ``(batch, steps, channels)`` → outputs ``(batch, new_steps, filters)``;
    ``kernel (kernel_size, channels, filters)`` (Keras's layout), ``bias (filters,)``.
    Parameters: ``kernel_size * channels * filters + filters``.
    """

    input_ndim = 3

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int],
        strides: int | tuple[int] = 1,
        padding: str = "valid",
        dilation_rate: int | tuple[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = check_positive_int("Conv1D", "filters", filters)
        self.kernel_size = check_positive_int("Conv1D", "kernel_size", _single(kernel_size))
        self.strides = check_positive_int("Conv1D", "strides", _single(strides))
        self.dilation_rate = check_positive_int("Conv1D", "dilation_rate", _single(dilation_rate))
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError(
                f"Conv1D cannot combine strides={self.strides} with "
                f"dilation_rate={self.dilation_rate}; one of them must be 1 (as in Keras)"
            )
        self.padding = _check_padding("Conv1D", padding, ("valid", "same", "causal"))
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    @property
    def _window(self) -> int:
        return self.dilation_rate * (self.kernel_size - 1) + 1

    def check_input_shape(self, input_shape: Shape) -> None:
        _check_input("Conv1D", input_shape)
        steps = input_shape[1]
        if steps is not None and conv_output_length(
            steps, self._window, self.padding, self.strides
        ) in (0, None):
            raise ValueError(
                f"Conv1D with kernel_size={self.kernel_size}, dilation_rate={self.dilation_rate} "
                f"and padding={self.padding!r} needs at least {self._window} timesteps; got "
                f"shape {format_shape(input_shape)}"
            )

    def build(self, input_shape: Shape) -> None:
        shape = (self.kernel_size, input_shape[-1], self.filters)
        self.add_weight("kernel", shape, self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        steps = conv_output_length(input_shape[1], self._window, self.padding, self.strides)
        return (input_shape[0], steps, self.filters)

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        x = inputs.transpose(1, 2)  # (batch, channels, steps), torch's layout
        if self.padding == "causal":
            x = F.pad(x, (self._window - 1, 0))
        elif self.padding == "same":
            x = F.pad(x, _same_padding(x.shape[-1], self._window, self.strides))
        weight = self.kernel.permute(2, 1, 0)  # (filters, channels, kernel_size)
        bias = self.bias if self.use_bias else None
        out = F.conv1d(x, weight, bias, stride=self.strides, dilation=self.dilation_rate)
        return self.activation(out.transpose(1, 2))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


@register_layer
class MaxPooling1D(Layer):
    """The maximum over windows of ``pool_size`` timesteps, every ``strides`` steps (default
    ``pool_size``), per channel. ``'same'`` padding never lets a padded position win.

    Shapes: inputs ``(batch, steps, channels)`` → outputs ``(batch, new_steps, channels)``.
    No weights.
    """

    input_ndim = 3

    def __init__(
        self,
        pool_size: int | tuple[int] = 2,
        strides: int | tuple[int] | None = None,
        padding: str = "valid",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pool_size = check_positive_int("MaxPooling1D", "pool_size", _single(pool_size))
        self.strides = (
            self.pool_size
            if strides is None
            else check_positive_int("MaxPooling1D", "strides", _single(strides))
        )
        self.padding = _check_padding("MaxPooling1D", padding, ("valid", "same"))

    def check_input_shape(self, input_shape: Shape) -> None:
        _check_input("MaxPooling1D", input_shape)
        steps = input_shape[1]
        if self.padding == "valid" and steps is not None and steps < self.pool_size:
            raise ValueError(
                f"MaxPooling1D with pool_size={self.pool_size} and padding='valid' needs at "
                f"least {self.pool_size} timesteps; got shape {format_shape(input_shape)}"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        steps = conv_output_length(input_shape[1], self.pool_size, self.padding, self.strides)
        return (input_shape[0], steps, input_shape[2])

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        x = inputs.transpose(1, 2)
        if self.padding == "same":
            x = F.pad(x, _same_padding(x.shape[-1], self.pool_size, self.strides), value=-torch.inf)
        out = F.max_pool1d(x, self.pool_size, self.strides)
        return out.transpose(1, 2)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
        }


def _single(value: Any) -> Any:
    """Keras accepts ``3`` or ``(3,)`` for 1-D sizes."""
    if isinstance(value, tuple | list) and len(value) == 1:
        return value[0]
    return value
