"""Recurrent layers: configuration, weights and state; the gate math lives in
:mod:`lstmkit.ops.recurrent`.

:class:`Recurrent` is the one driver every recurrent layer shares: input checks, initial and
kept (stateful) states, dropout masks, ``return_sequences``/``return_state``, the common config.
:class:`LSTM`, :class:`GRU` and :class:`SimpleRNN` add their weights and call their equations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lstmkit import activations, initializers
from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.core import check_positive_int
from lstmkit.layers.registry import register_layer
from lstmkit.ops import recurrent as ops
from lstmkit.utils import dropout_mask, make_generator

__all__ = ["GRU", "LSTM", "Recurrent", "SimpleRNN"]


def _check_rate(layer: str, argument: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ValueError(f"{layer} expects 0 <= {argument} < 1; got {argument}={value!r}")
    return float(value)


class Recurrent(Layer):
    """What every recurrent layer shares. Subclasses set :attr:`state_names`, create their
    weights in ``build`` and compute in :meth:`step_over` (their equations over the whole
    sequence, from :mod:`lstmkit.ops.recurrent`).

    Shapes (``B`` batch, ``T`` timesteps, ``D`` features, ``u = units``): inputs ``(B, T, D)``;
    output ``(B, u)`` (the last step), or ``(B, T, u)`` with ``return_sequences=True``; with
    ``return_state=True`` a list ``[output, *states]``, each state ``(B, u)``.

    Masking, as Keras: given ``mask`` ``(B, T)`` (from ``Masking`` or ``Embedding(mask_zero=
    True)``), a masked timestep leaves the states unchanged and repeats the previous output
    (zeros with ``zero_output_for_mask=True``); the sequence output keeps the mask, the last
    output ends it. A mask runs the loop path of :mod:`lstmkit.ops.recurrent`.
    """

    input_ndim = 3
    consumes_mask = True
    #: The names of the states, in Keras's order: ``("h", "c")`` for an LSTM.
    state_names: tuple[str, ...] = ("h",)

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        *,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        zero_output_for_mask: bool = False,
        seed: int | None = None,
        input_length: int | None = None,
        input_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        if input_dim is not None or input_length is not None:
            kwargs.setdefault("input_shape", (input_length, input_dim))
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.units = check_positive_int(kind, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.dropout = _check_rate(kind, "dropout", dropout)
        self.recurrent_dropout = _check_rate(kind, "recurrent_dropout", recurrent_dropout)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.zero_output_for_mask = zero_output_for_mask
        self.seed = seed
        self._generator = make_generator(seed)
        self.states: list[torch.Tensor] | None = None
        #: The path of :mod:`lstmkit.ops.recurrent` that computed the last call.
        self.kernel_path: str | None = None

    # -- building -------------------------------------------------------------------------------

    def check_input_shape(self, input_shape: Shape) -> None:
        kind = type(self).__name__
        if len(input_shape) != 3:
            raise ValueError(
                f"{kind} expects 3-D input [samples, timesteps, features]; "
                f"got shape {format_shape(input_shape)}"
            )
        if input_shape[-1] is None:
            raise ValueError(
                f"{kind} needs a known number of features; got shape {format_shape(input_shape)}"
            )
        if self.stateful and input_shape[0] is None:
            raise ValueError(
                f"A stateful {kind} needs a fixed batch size: give the first layer "
                "batch_input_shape=(batch, timesteps, features); "
                f"got input shape {format_shape(input_shape)}"
            )

    def build(self, input_shape: Shape) -> None:
        if self.stateful:
            self.states = self._zero_states(input_shape[0])

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        batch, timesteps = input_shape[0], input_shape[1]
        if self.return_sequences:
            return (batch, timesteps, self.units)
        return (batch, self.units)

    def compute_output_shapes(self, input_shape: Shape) -> list[Shape]:
        output = self.compute_output_shape(input_shape)
        if not self.return_state:
            return [output]
        return [output, *[(input_shape[0], self.units) for _ in self.state_names]]

    # -- state ----------------------------------------------------------------------------------

    def _zero_states(self, batch: int) -> list[torch.Tensor]:
        return [torch.zeros(batch, self.units, device=self.device) for _ in self.state_names]

    def reset_states(self, states: list[Any] | None = None) -> None:
        """Set the kept states of a stateful layer to zeros, or to ``states`` (each
        ``(batch, units)``)."""
        if not self.stateful:
            return
        if self.input_shape is None and self.batch_input_shape is None:
            raise ValueError(f"{self.name} is not built yet; it has no state to reset")
        batch = (self.input_shape or self.batch_input_shape)[0]
        self.states = self._zero_states(batch) if states is None else self._as_state(states, batch)

    def _as_state(self, states: Any, batch: int) -> list[torch.Tensor]:
        names = self.state_names
        if not isinstance(states, list | tuple):
            states = [states] if len(names) == 1 else states
        if not isinstance(states, list | tuple) or len(states) != len(names):
            count = len(states) if isinstance(states, list | tuple) else "n/a"
            raise ValueError(
                f"{self.name} expects initial_state=[{', '.join(names)}], {len(names)} "
                f"array{'s' if len(names) > 1 else ''} of shape ({batch}, {self.units}); got "
                f"{type(states).__name__} of length {count}"
            )
        tensors = [
            s
            if isinstance(s, torch.Tensor)
            else torch.as_tensor(np.asarray(s, np.float32), device=self.device)
            for s in states
        ]
        for which, tensor in zip(names, tensors, strict=True):
            if tuple(tensor.shape) != (batch, self.units):
                raise ValueError(
                    f"{self.name}: initial state {which} must have shape ({batch}, {self.units}); "
                    f"got {tuple(tensor.shape)}"
                )
        return tensors

    # -- computing ------------------------------------------------------------------------------

    def step_over(
        self,
        inputs: torch.Tensor,
        states: list[torch.Tensor],
        input_mask: torch.Tensor | None,
        recurrent_mask: torch.Tensor | None,
        mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The layer's equations over the sequence: ``(output, final states)``; sets
        :attr:`kernel_path`."""
        raise NotImplementedError(f"{type(self).__name__} must define step_over")

    def compute_mask(self, inputs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        return mask if self.return_sequences else None

    def _check_mask(self, inputs: torch.Tensor, mask: Any) -> torch.Tensor:
        if not isinstance(mask, torch.Tensor):
            mask = torch.as_tensor(np.asarray(mask), device=inputs.device)
        if tuple(mask.shape) != tuple(inputs.shape[:2]):
            raise ValueError(
                f"{self.name} expects a mask of shape (samples, timesteps) = "
                f"{tuple(inputs.shape[:2])} for input of shape {tuple(inputs.shape)}; got mask "
                f"shape {tuple(mask.shape)}"
            )
        return mask.to(torch.bool)

    def call(
        self,
        inputs: torch.Tensor,
        training: bool = False,
        initial_state: list[Any] | None = None,
        mask: Any = None,
    ) -> torch.Tensor | list[torch.Tensor]:
        batch = inputs.shape[0]
        if mask is not None:
            mask = self._check_mask(inputs, mask)
        if initial_state is not None:
            states = self._as_state(initial_state, batch)
        elif self.stateful:
            if self.states is None:
                self.reset_states()
            states = self.states
            if states[0].shape[0] != batch:
                raise ValueError(
                    f"{self.name} is stateful with batch size {states[0].shape[0]}; got a batch "
                    f"of {batch}"
                )
        else:
            states = [inputs.new_zeros(batch, self.units) for _ in self.state_names]
        input_mask = recurrent_mask = None
        if training and self.dropout > 0.0:
            input_mask = dropout_mask(
                (batch, inputs.shape[-1]), self.dropout, self._generator, inputs.device
            )
        if training and self.recurrent_dropout > 0.0:
            recurrent_mask = dropout_mask(
                (batch, self.units), self.recurrent_dropout, self._generator, inputs.device
            )
        output, new_states = self.step_over(inputs, states, input_mask, recurrent_mask, mask)
        if self.stateful:
            self.states = [s.detach() for s in new_states]
        if self.return_state:
            return [output, *new_states]
        return output

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "zero_output_for_mask": self.zero_output_for_mask,
            "seed": self.seed,
        }


@register_layer
class LSTM(Recurrent):
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

    state_names = ("h", "c")

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
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self._native_groups = 1

    @property
    def native_groups(self) -> int:
        """``G > 1`` declares this layer ``G`` LSTMs of ``units / G`` units side by side, its
        recurrent kernel block-diagonal with zeros between them (the layout of
        :mod:`lstmkit.forecast.ensemble`); :func:`lstmkit.ops.recurrent.lstm` then lets the
        native kernel compute only the diagonal blocks, whose gradient between the LSTMs is
        zero. Not part of the config (a property of how it runs, like
        ``Sequential.native_groups``); 1 by default. The zeros are the caller's promise: the
        native path does not read the blocks between the LSTMs, the other paths do."""
        return self._native_groups

    @native_groups.setter
    def native_groups(self, groups: int) -> None:
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(
                f"{self.name}: native_groups must be a positive integer; got {groups!r}"
            )
        if self.units % groups:
            raise ValueError(
                f"{self.name}: native_groups={groups} needs units that are a multiple of it; got "
                f"{self.units} units"
            )
        self._native_groups = groups

    def build(self, input_shape: Shape) -> None:
        units = self.units
        self.add_weight("kernel", (input_shape[-1], 4 * units), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (units, 4 * units), self.recurrent_initializer)
        if self.use_bias:
            self.add_weight("bias", (4 * units,), self._bias_values)
        super().build(input_shape)

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

    def step_over(
        self,
        inputs: torch.Tensor,
        states: list[torch.Tensor],
        input_mask: torch.Tensor | None,
        recurrent_mask: torch.Tensor | None,
        mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        self.kernel_path = ops.select_lstm_path(
            self.activation,
            self.recurrent_activation,
            recurrent_mask is not None,
            mask is not None,
            inputs=inputs,
            units=self.units,
            groups=self._native_groups,
        )
        output, h, c = ops.lstm(
            inputs,
            states[0],
            states[1],
            self.kernel,
            self.recurrent_kernel,
            self.bias if self.use_bias else None,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
            go_backwards=self.go_backwards,
            return_sequences=self.return_sequences,
            input_mask=input_mask,
            recurrent_mask=recurrent_mask,
            mask=mask,
            zero_output_for_mask=self.zero_output_for_mask,
            path=self.kernel_path,
            groups=self._native_groups,
        )
        return output, [h, c]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


@register_layer
class GRU(Recurrent):
    """Gated recurrent unit (Cho et al., 2014), faithful to Keras 3.

    Shapes as :class:`LSTM`, with one state: ``return_state=True`` gives ``[output, h]`` and
    ``initial_state=[h]``. Weights, Keras's layout, gate order z (update), r (reset), h:
    ``kernel (D, 3u)``, ``recurrent_kernel (u, 3u)``, and ``bias (2, 3u)`` (input and recurrent
    biases) with ``reset_after=True`` (the default, what cuDNN and PyTorch compute), or
    ``bias (3u,)`` with ``reset_after=False`` (Keras 2's default). Parameters:
    ``3u(D + u + 2)``, or ``3u(D + u + 1)`` with ``reset_after=False``.
    The equations are in :mod:`lstmkit.ops.recurrent`; tanh/sigmoid with ``reset_after=True``
    and no recurrent dropout run PyTorch's fused kernel.
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        reset_after: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def build(self, input_shape: Shape) -> None:
        units = self.units
        self.add_weight("kernel", (input_shape[-1], 3 * units), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (units, 3 * units), self.recurrent_initializer)
        if self.use_bias:
            shape = (2, 3 * units) if self.reset_after else (3 * units,)
            self.add_weight("bias", shape, self.bias_initializer)
        super().build(input_shape)

    def step_over(
        self,
        inputs: torch.Tensor,
        states: list[torch.Tensor],
        input_mask: torch.Tensor | None,
        recurrent_mask: torch.Tensor | None,
        mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        self.kernel_path = ops.select_gru_path(
            self.activation,
            self.recurrent_activation,
            self.reset_after,
            recurrent_mask is not None,
            mask is not None,
        )
        output, h = ops.gru(
            inputs,
            states[0],
            self.kernel,
            self.recurrent_kernel,
            self.bias if self.use_bias else None,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
            reset_after=self.reset_after,
            go_backwards=self.go_backwards,
            return_sequences=self.return_sequences,
            input_mask=input_mask,
            recurrent_mask=recurrent_mask,
            mask=mask,
            zero_output_for_mask=self.zero_output_for_mask,
            path=self.kernel_path,
        )
        return output, [h]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }


@register_layer
class SimpleRNN(Recurrent):
    """Fully connected recurrent layer: ``h_t = activation(x_t @ kernel + h_{t-1} @
    recurrent_kernel + bias)``.

    Shapes as :class:`GRU` (one state ``h``). Weights: ``kernel (D, u)``,
    ``recurrent_kernel (u, u)``, ``bias (u,)``; ``u(D + u + 1)`` parameters. tanh and relu
    without recurrent dropout run PyTorch's fused kernels.
    """

    def build(self, input_shape: Shape) -> None:
        units = self.units
        self.add_weight("kernel", (input_shape[-1], units), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (units, units), self.recurrent_initializer)
        if self.use_bias:
            self.add_weight("bias", (units,), self.bias_initializer)
        super().build(input_shape)

    def step_over(
        self,
        inputs: torch.Tensor,
        states: list[torch.Tensor],
        input_mask: torch.Tensor | None,
        recurrent_mask: torch.Tensor | None,
        mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        self.kernel_path = ops.select_simple_rnn_path(
            self.activation, recurrent_mask is not None, mask is not None
        )
        output, h = ops.simple_rnn(
            inputs,
            states[0],
            self.kernel,
            self.recurrent_kernel,
            self.bias if self.use_bias else None,
            activation=self.activation,
            go_backwards=self.go_backwards,
            return_sequences=self.return_sequences,
            input_mask=input_mask,
            recurrent_mask=recurrent_mask,
            mask=mask,
            zero_output_for_mask=self.zero_output_for_mask,
            path=self.kernel_path,
        )
        return output, [h]
