"""Recurrent layers: configuration, weights and state; the gate math lives in
:mod:`lstmkit.ops.recurrent`."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lstmkit import activations, initializers
from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.core import check_positive_int
from lstmkit.ops import recurrent as ops
from lstmkit.utils import dropout_mask, make_generator

__all__ = ["LSTM"]


def _check_rate(argument: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ValueError(f"LSTM expects 0 <= {argument} < 1; got {argument}={value!r}")
    return float(value)


class LSTM(Layer):
    """Long short-term memory layer (Hochreiter & Schmidhuber, 1997), faithful to Keras.

    Shapes (``B`` batch, ``T`` timesteps, ``D`` features, ``u = units``):

    ============================  =================================================
    inputs                        ``(B, T, D)``
    output, default               ``(B, u)``: ``h`` of the last timestep
    ``return_sequences=True``     ``(B, T, u)``: ``h`` of every timestep (stack LSTMs with it)
    ``return_state=True``         ``[output, h (B, u), c (B, u)]``
    ``initial_state=[h, c]``      each ``(B, u)``
    ============================  =================================================

    Weights, exactly Keras's (so ``get_weights()``/``set_weights()`` exchange them with Keras):
    ``kernel (D, 4u)``, ``recurrent_kernel (u, 4u)``, ``bias (4u,)``, gate order i, f, c, o;
    ``4 * u * (D + u + 1)`` parameters. The equations are in :mod:`lstmkit.ops.recurrent`.

    ``unit_forget_bias=True`` sets the forget-gate quarter of the bias to 1 and the other three
    quarters from ``bias_initializer``. ``dropout`` masks the inputs and ``recurrent_dropout`` the
    recurrent state, one mask per sequence during training. ``go_backwards`` walks the sequence
    from its end and returns it in that reversed order.

    ``stateful=True`` keeps ``h`` and ``c`` from one batch to the next — across ``fit``,
    ``evaluate`` and ``predict`` calls — until :meth:`reset_states`; gradients do not flow across
    batches. It needs a fixed batch size: ``batch_input_shape=(B, T, D)``.

    Keras 2 spellings accepted: ``input_dim=D`` with ``input_length=T``, ``batch_input_shape``.
    """

    input_ndim = 3

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        seed: int | None = None,
        input_length: int | None = None,
        input_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        if input_dim is not None or input_length is not None:
            kwargs.setdefault("input_shape", (input_length, input_dim))
        super().__init__(**kwargs)
        self.units = check_positive_int("LSTM", "units", units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.dropout = _check_rate("dropout", dropout)
        self.recurrent_dropout = _check_rate("recurrent_dropout", recurrent_dropout)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.seed = seed
        self._generator = make_generator(seed)
        self.states: list[torch.Tensor] | None = None
        #: The path of :mod:`lstmkit.ops.recurrent` that computed the last call.
        self.kernel_path: str | None = None

    # -- building -------------------------------------------------------------------------------

    def check_input_shape(self, input_shape: Shape) -> None:
        if len(input_shape) != 3:
            raise ValueError(
                "LSTM expects 3-D input [samples, timesteps, features]; "
                f"got shape {format_shape(input_shape)}"
            )
        if input_shape[-1] is None:
            raise ValueError(
                f"LSTM needs a known number of features; got shape {format_shape(input_shape)}"
            )
        if self.stateful and input_shape[0] is None:
            raise ValueError(
                "A stateful LSTM needs a fixed batch size: give the first layer "
                "batch_input_shape=(batch, timesteps, features); "
                f"got input shape {format_shape(input_shape)}"
            )

    def build(self, input_shape: Shape) -> None:
        units = self.units
        self.add_weight("kernel", (input_shape[-1], 4 * units), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (units, 4 * units), self.recurrent_initializer)
        if self.use_bias:
            self.add_weight("bias", (4 * units,), self._bias_values)
        if self.stateful:
            batch = input_shape[0]
            self.states = [torch.zeros(batch, units), torch.zeros(batch, units)]

    def _bias_values(
        self, shape: tuple[int, ...], dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        if not self.unit_forget_bias:
            return self.bias_initializer(shape, dtype=dtype)
        u = self.units
        return torch.cat(
            [
                self.bias_initializer((u,), dtype=dtype),
                torch.ones(u, dtype=dtype),
                self.bias_initializer((2 * u,), dtype=dtype),
            ]
        )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        batch, timesteps = input_shape[0], input_shape[1]
        if self.return_sequences:
            return (batch, timesteps, self.units)
        return (batch, self.units)

    # -- state ----------------------------------------------------------------------------------

    def reset_states(self, states: list[Any] | None = None) -> None:
        """Set the kept ``[h, c]`` of a stateful layer to zeros, or to ``states`` (each
        ``(batch, units)``)."""
        if not self.stateful:
            return
        if self.input_shape is None and self.batch_input_shape is None:
            raise ValueError(f"{self.name} is not built yet; it has no state to reset")
        batch = (self.input_shape or self.batch_input_shape)[0]
        if states is None:
            self.states = [torch.zeros(batch, self.units), torch.zeros(batch, self.units)]
        else:
            self.states = self._as_state(states, batch)

    def _as_state(self, states: Any, batch: int) -> list[torch.Tensor]:
        if not isinstance(states, list | tuple) or len(states) != 2:
            raise ValueError(
                f"{self.name} expects initial_state=[h, c], two arrays of shape "
                f"({batch}, {self.units}); got {type(states).__name__} of length "
                f"{len(states) if isinstance(states, list | tuple) else 'n/a'}"
            )
        tensors = [
            s if isinstance(s, torch.Tensor) else torch.as_tensor(np.asarray(s, np.float32))
            for s in states
        ]
        for which, tensor in zip("hc", tensors, strict=True):
            if tuple(tensor.shape) != (batch, self.units):
                raise ValueError(
                    f"{self.name}: initial state {which} must have shape ({batch}, {self.units}); "
                    f"got {tuple(tensor.shape)}"
                )
        return tensors

    # -- computing ------------------------------------------------------------------------------

    def call(
        self,
        inputs: torch.Tensor,
        training: bool = False,
        initial_state: list[Any] | None = None,
    ) -> torch.Tensor | list[torch.Tensor]:
        batch = inputs.shape[0]
        if initial_state is not None:
            h0, c0 = self._as_state(initial_state, batch)
        elif self.stateful:
            if self.states is None:
                self.reset_states()
            h0, c0 = self.states
            if h0.shape[0] != batch:
                raise ValueError(
                    f"{self.name} is stateful with batch size {h0.shape[0]}; got a batch of {batch}"
                )
        else:
            h0 = c0 = inputs.new_zeros(batch, self.units)
        input_mask = recurrent_mask = None
        if training and self.dropout > 0.0:
            input_mask = dropout_mask((batch, inputs.shape[-1]), self.dropout, self._generator)
        if training and self.recurrent_dropout > 0.0:
            recurrent_mask = dropout_mask(
                (batch, self.units), self.recurrent_dropout, self._generator
            )
        self.kernel_path = ops.select_lstm_path(
            self.activation, self.recurrent_activation, recurrent_mask is not None
        )
        output, h, c = ops.lstm(
            inputs,
            h0,
            c0,
            self.kernel,
            self.recurrent_kernel,
            self.bias if self.use_bias else None,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
            go_backwards=self.go_backwards,
            return_sequences=self.return_sequences,
            input_mask=input_mask,
            recurrent_mask=recurrent_mask,
            path=self.kernel_path,
        )
        if self.stateful:
            self.states = [h.detach(), c.detach()]
        if self.return_state:
            return [output, h, c]
        return output

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "seed": self.seed,
        }
