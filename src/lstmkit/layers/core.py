"""Core layers: InputLayer and Input, Dense, Dropout, Activation."""

from __future__ import annotations

from typing import Any

import torch

from lstmkit import activations, initializers
from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.registry import register_layer
from lstmkit.layers.symbolic import KerasTensor
from lstmkit.utils import dropout_mask, make_generator, unique_name

__all__ = ["Activation", "Dense", "Dropout", "Input", "InputLayer", "KerasTensor"]


def check_positive_int(layer: str, argument: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{layer} expects {argument} to be a positive integer; got {argument}={value!r}"
        )
    return value


_INPUT_DTYPES = ("float32", "int8", "int16", "int32", "int64", "uint8", "int", "bool")


@register_layer
class InputLayer(Layer):
    """Declares the input shape of a model: ``InputLayer(shape=(timesteps, features))``.

    ``shape`` excludes the batch dimension; ``batch_size`` fixes it, or pass the whole
    ``batch_shape``. Keras 2's ``input_shape=`` spelling is accepted for ``shape``.
    """

    def __init__(
        self,
        shape: tuple[int | None, ...] | None = None,
        batch_size: int | None = None,
        *,
        batch_shape: tuple[int | None, ...] | None = None,
        input_shape: tuple[int | None, ...] | None = None,
        name: str | None = None,
        dtype: str | None = None,
        **kwargs: Any,
    ) -> None:
        if shape is not None and input_shape is not None:
            raise ValueError("InputLayer takes shape= or input_shape=, not both")
        dtype = None if dtype is None else str(getattr(dtype, "__name__", dtype))
        if dtype is not None and dtype not in _INPUT_DTYPES:
            raise ValueError(
                "InputLayer takes dtype float32 or an integer type (token ids); got "
                f"dtype={dtype!r}"
            )
        #: The declared dtype: integer inputs (token ids for an Embedding) are fed as float32,
        #: which holds every integer below 2**24 exactly.
        self.dtype = dtype or "float32"
        shape = shape if shape is not None else input_shape
        if shape is None and batch_shape is None:
            raise ValueError("InputLayer needs shape=(timesteps, features) or batch_shape=")
        super().__init__(
            name=name or unique_name("input_layer"),
            input_shape=shape,
            batch_size=batch_size,
            batch_input_shape=batch_shape,
            **kwargs,
        )
        self._output_tensor = KerasTensor(self.batch_input_shape, self.name, input_layer=self)

    @property
    def output(self) -> KerasTensor:
        """The symbolic tensor this input layer makes."""
        return self._output_tensor

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        return inputs

    def get_config(self) -> dict[str, Any]:
        config = {"batch_shape": list(self.batch_input_shape), "name": self.name}
        if self.dtype != "float32":
            config["dtype"] = self.dtype
        return config


def Input(  # noqa: N802 - Keras's spelling
    shape: tuple[int | None, ...] | None = None,
    batch_size: int | None = None,
    name: str | None = None,
    *,
    batch_shape: tuple[int | None, ...] | None = None,
    dtype: str | None = None,
) -> KerasTensor:
    """A symbolic input of ``shape`` (batch dimension excluded) to start a model from."""
    return InputLayer(shape, batch_size, batch_shape=batch_shape, name=name, dtype=dtype).output


@register_layer
class Dense(Layer):
    """Fully connected layer: ``activation(inputs @ kernel + bias)`` on the last axis.

    Shapes: inputs ``(batch, ..., input_dim)`` → outputs ``(batch, ..., units)``;
    ``kernel (input_dim, units)``, ``bias (units,)``. Parameters: ``input_dim * units + units``.
    """

    supports_masking = True

    input_ndim = None

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = check_positive_int("Dense", "units", units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def check_input_shape(self, input_shape: Shape) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"Dense expects input of at least 2-D [samples, features] with a known last "
                f"dimension; got shape {format_shape(input_shape)}"
            )

    def build(self, input_shape: Shape) -> None:
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if not self.use_bias:
            out = inputs @ self.kernel
        elif inputs.dim() == 2:
            out = torch.addmm(self.bias, inputs, self.kernel)
        else:
            out = inputs @ self.kernel + self.bias
        return self.activation(out)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


@register_layer
class Dropout(Layer):
    """Sets a fraction ``rate`` of inputs to 0 during training and scales the rest by
    ``1 / (1 - rate)``; the identity at inference. ``noise_shape`` broadcasts one mask over the
    dimensions given as 1 (``None`` entries take the input's size). Shapes are unchanged."""

    supports_masking = True

    def __init__(
        self,
        rate: float,
        noise_shape: tuple[int | None, ...] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout expects 0 <= rate < 1; got rate={rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = make_generator(seed)

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if not training or self.rate == 0.0:
            return inputs
        if self.noise_shape is None and self._generator is None and inputs.is_cpu:
            return torch.nn.functional.dropout(inputs, self.rate, training=True)
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            shape = tuple(
                s if n is None else n for s, n in zip(shape, self.noise_shape, strict=True)
            )
        # Off the CPU too the mask is drawn on the host (see dropout_mask): the numbers the CPU
        # would use, from the stream fit keeps.
        return inputs * dropout_mask(shape, self.rate, self._generator, inputs.device)

    def get_config(self) -> dict[str, Any]:
        noise = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise, "seed": self.seed}


@register_layer
class Activation(Layer):
    """Applies an activation function element-wise: ``Activation('softmax')``. Shapes unchanged."""

    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        return self.activation(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
