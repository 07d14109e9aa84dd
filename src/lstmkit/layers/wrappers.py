"""Layers that wrap another layer: :class:`Bidirectional` and :class:`TimeDistributed`.

A wrapper owns no weights of its own: it registers its inner layers' weights under prefixed
names (``forward/kernel``, ``backward/kernel``), so ``get_weights()`` lists them in Keras's order
(forward layer's, then backward layer's) and saving sees them like any layer's.
"""

from __future__ import annotations

from typing import Any

import torch

from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.registry import deserialize, register_layer

__all__ = ["Bidirectional", "TimeDistributed"]

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _layer_from_config(layer: Any) -> Layer:
    """A layer given as an object, or as ``{"class_name": ..., "config": ...}`` from a config."""
    if isinstance(layer, Layer):
        return layer
    if isinstance(layer, dict) and {"class_name", "config"} <= set(layer):
        return deserialize({"class_name": layer["class_name"], "config": layer["config"]})
    raise TypeError(f"expected a layer (e.g. LSTM(10)); got {type(layer).__name__}")


def _serialize(layer: Layer) -> dict[str, Any]:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


@register_layer
class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the same sequence and
    merges the two outputs.

    Shapes: inputs ``(B, T, D)``. With the wrapped layer's output ``(B, [T,] u)``, the output is
    ``(B, [T,] 2u)`` for ``merge_mode='concat'`` (forward first) and ``(B, [T,] u)`` for
    ``'sum'``, ``'mul'``, ``'ave'``; ``merge_mode=None`` returns ``[forward, backward]``. The
    backward sequence output is flipped back into the input's time order before merging, so
    position ``t`` of both halves describes input step ``t``. With ``return_state=True`` the
    states follow: forward ``h[, c]`` then backward ``h[, c]``.

    The backward copy is the wrapped layer's config with ``go_backwards=True`` (Keras's rule),
    named ``backward_<name>``; the forward one is named ``forward_<name>``. Weights: forward
    layer's then backward layer's, ``2 ×`` the wrapped layer's parameters.
    """

    input_ndim = 3
    consumes_mask = True

    def __init__(
        self,
        layer: Any,
        merge_mode: str | None = "concat",
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ) -> None:
        layer = _layer_from_config(layer)
        if not hasattr(layer, "go_backwards") or not hasattr(layer, "return_sequences"):
            raise ValueError(
                "Bidirectional wraps a recurrent layer (LSTM, GRU, SimpleRNN); got "
                f"{type(layer).__name__}"
            )
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                "Bidirectional expects merge_mode to be 'concat', 'sum', 'mul', 'ave' or None; "
                f"got merge_mode={merge_mode!r}"
            )
        if layer.batch_input_shape is not None and not any(
            key in kwargs for key in ("input_shape", "batch_input_shape", "input_dim")
        ):
            kwargs["batch_input_shape"] = layer.batch_input_shape
        super().__init__(**kwargs)
        config = layer.get_config()
        config.pop("batch_input_shape", None)
        base = layer.name.removeprefix("forward_")
        self.forward_layer = type(layer).from_config({**config, "name": f"forward_{base}"})
        if backward_layer is None:
            backward = {**config, "go_backwards": True, "name": f"backward_{base}"}
            self.backward_layer = type(layer).from_config(backward)
        else:
            self.backward_layer = _layer_from_config(backward_layer)
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError(
                "Bidirectional needs its forward and backward layers to differ in go_backwards; "
                f"both have go_backwards={self.forward_layer.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attribute) != getattr(self.backward_layer, attribute):
                raise ValueError(
                    f"Bidirectional needs the same {attribute} in its forward and backward layers"
                )
        # Keras's rule: masked steps of the two sequence outputs are zeros, so a padded step
        # never mixes one direction's output with the other's stale one.
        for inner in (self.forward_layer, self.backward_layer):
            inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self.stateful = self.forward_layer.stateful
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state

    @property
    def kernel_path(self) -> tuple[str | None, str | None]:
        """The ops paths that computed the last call: (forward, backward)."""
        return (
            getattr(self.forward_layer, "kernel_path", None),
            getattr(self.backward_layer, "kernel_path", None),
        )

    def check_input_shape(self, input_shape: Shape) -> None:
        self.forward_layer.check_input_shape(input_shape)

    def build(self, input_shape: Shape) -> None:
        for prefix, layer in (("forward", self.forward_layer), ("backward", self.backward_layer)):
            layer.build_for(input_shape)
            for name, param in layer._params.items():
                self._params[f"{prefix}/{name}"] = param

    def check_built_for(self, input_shape: Shape) -> None:
        self.forward_layer.check_built_for(input_shape)

    def compute_mask(self, inputs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            return (*shape[:-1], 2 * shape[-1])
        return shape

    def compute_output_shapes(self, input_shape: Shape) -> list[Shape]:
        shape = self.compute_output_shape(input_shape)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            states = self.forward_layer.compute_output_shapes(input_shape)[1:]
            outputs += states + states
        return outputs

    def reset_states(self, states: list[Any] | None = None) -> None:
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = len(states) // 2
        self.forward_layer.reset_states(list(states[:half]))
        self.backward_layer.reset_states(list(states[half:]))

    def call(
        self,
        inputs: torch.Tensor,
        training: bool = False,
        initial_state: list[Any] | None = None,
        mask: Any = None,
    ) -> torch.Tensor | list[torch.Tensor]:
        forward_state = backward_state = None
        if initial_state is not None:
            if not isinstance(initial_state, list | tuple) or len(initial_state) % 2:
                raise ValueError(
                    f"{self.name} expects initial_state to list the forward layer's states then "
                    "the backward layer's (an even count); got "
                    f"{len(initial_state) if isinstance(initial_state, list | tuple) else 1}"
                )
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        forward = self.forward_layer.call(
            inputs, training=training, initial_state=forward_state, mask=mask
        )
        backward = self.backward_layer.call(
            inputs, training=training, initial_state=backward_state, mask=mask
        )
        forward_states: list[torch.Tensor] = []
        backward_states: list[torch.Tensor] = []
        if self.return_state:
            forward, *forward_states = forward
            backward, *backward_states = backward
        if self.return_sequences:
            backward = backward.flip(1)
        if self.merge_mode == "concat":
            output: Any = torch.cat([forward, backward], dim=-1)
        elif self.merge_mode == "sum":
            output = forward + backward
        elif self.merge_mode == "mul":
            output = forward * backward
        elif self.merge_mode == "ave":
            output = (forward + backward) / 2.0
        else:
            output = [forward, backward]
        if self.return_state:
            outputs = output if isinstance(output, list) else [output]
            return [*outputs, *forward_states, *backward_states]
        return output

    def get_config(self) -> dict[str, Any]:
        layer_config = _serialize(self.forward_layer)
        layer_config["config"]["name"] = self.forward_layer.name.removeprefix("forward_")
        return {
            **super().get_config(),
            "layer": layer_config,
            "merge_mode": self.merge_mode,
            "backward_layer": _serialize(self.backward_layer),
        }


@register_layer
class TimeDistributed(Layer):
    """Applies a layer to every timestep independently (the same weights at every step):
    ``TimeDistributed(Dense(1))`` turns ``(B, T, u)`` into ``(B, T, 1)``.

    Shapes: inputs ``(B, T, *rest)`` → outputs ``(B, T, *inner_output[1:])``, where the inner
    layer sees ``(B * T, *rest)``. Weights: the inner layer's. A timestep mask passes through.
    """

    supports_masking = True

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layer = _layer_from_config(layer)
        if self.layer.stateful:
            raise ValueError("TimeDistributed cannot wrap a stateful layer")

    def check_input_shape(self, input_shape: Shape) -> None:
        if len(input_shape) < 3:
            raise ValueError(
                "TimeDistributed expects input of at least 3-D [samples, timesteps, ...]; got "
                f"shape {format_shape(input_shape)}; to apply {type(self.layer).__name__} to "
                "2-D input, use it without the wrapper"
            )
        self.layer.check_input_shape(self._inner_shape(input_shape))

    @staticmethod
    def _inner_shape(input_shape: Shape) -> Shape:
        batch, steps = input_shape[0], input_shape[1]
        merged = None if batch is None or steps is None else batch * steps
        return (merged, *input_shape[2:])

    def build(self, input_shape: Shape) -> None:
        self.layer.build_for(self._inner_shape(input_shape))
        self._params.update(self.layer._params)

    def check_built_for(self, input_shape: Shape) -> None:
        self.layer.check_built_for(self._inner_shape(input_shape))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return (input_shape[0], input_shape[1], *inner[1:])

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        batch, steps = inputs.shape[0], inputs.shape[1]
        out = self.layer.call(inputs.reshape(batch * steps, *inputs.shape[2:]), training=training)
        return out.reshape(batch, steps, *out.shape[1:])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "layer": _serialize(self.layer)}
