"""Models as graphs of layers: ``Model(inputs, outputs)``, Keras's functional API.

Enough for encoder–decoder LSTMs: several inputs (``Input(shape=..., batch_size=...)``),
layers called on symbolic tensors, ``return_state=True`` outputs fed to a decoder's
``initial_state=``, several outputs; the same ``compile/fit/evaluate/predict/summary`` as
:class:`~lstmkit.models.Sequential` (one training loop serves both).
"""

from __future__ import annotations

from typing import Any

import torch

from lstmkit._registry import register_class
from lstmkit.layers.base import Layer, Shape
from lstmkit.layers.core import Input
from lstmkit.layers.registry import deserialize
from lstmkit.layers.symbolic import KerasTensor, Node, order_nodes
from lstmkit.models.sequential import Sequential
from lstmkit.utils import unique_name

__all__ = ["Model"]


def _tensor_list(value: Any, argument: str) -> list[KerasTensor]:
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items or not all(isinstance(item, KerasTensor) for item in items):
        raise ValueError(
            f"Model expects {argument} to be symbolic tensors (from Input or from calling layers "
            f"on them); got {[type(item).__name__ for item in items]}"
        )
    return items


@register_class
class Model(Sequential):
    """A model from its input and output tensors:

    .. code-block:: python

        encoder_inputs = Input(shape=(None, 12))
        _, h, c = LSTM(64, return_state=True)(encoder_inputs)
        decoder_inputs = Input(shape=(None, 12))
        sequence = LSTM(64, return_sequences=True)(decoder_inputs, initial_state=[h, c])
        outputs = TimeDistributed(Dense(12, activation="softmax"))(sequence)
        model = Model([encoder_inputs, decoder_inputs], outputs)

    ``inputs``/``outputs``: one symbolic tensor or a list. With several inputs, ``fit``,
    ``evaluate`` and ``predict`` take ``x`` as a list of arrays in the same order; with several
    outputs, ``y`` is a list, the loss is the sum of the loss on each output, the metrics are
    computed per output (named ``<output layer>_<metric>``), and ``predict`` returns a list.
    Layers can be shared between models (an inference encoder built from the training model's
    layers uses the same weights).

    It shares :class:`Sequential`'s training, weights and summary; ``add`` and ``pop`` do not
    apply to a graph.
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None) -> None:
        self._input_tensors = _tensor_list(inputs, "inputs")
        self._output_tensors = _tensor_list(outputs, "outputs")
        for tensor in self._input_tensors:
            if tensor.node is not None:
                raise ValueError(
                    f"Model inputs must come from Input(...); {tensor.name!r} is the output of "
                    f"layer {tensor.node.layer.name!r}"
                )
        self._nodes: list[Node] = order_nodes(self._input_tensors, self._output_tensors)
        super().__init__(name=name or unique_name("functional"))
        layers: list[Layer] = []
        for node in self._nodes:
            if not any(node.layer is known for known in layers):
                layers.append(node.layer)
        self._layers = layers
        self._input_layers = [t.input_layer for t in self._input_tensors if t.input_layer]
        # Keras: a one-element list of inputs is one input (x need not be wrapped in a list).
        self._several_inputs = isinstance(inputs, list | tuple) and len(inputs) > 1
        self._several_outputs = isinstance(outputs, list | tuple)
        shapes_in = [tuple(t.shape) for t in self._input_tensors]
        shapes_out = [tuple(t.shape) for t in self._output_tensors]
        self.input_shape = shapes_in if self._several_inputs else shapes_in[0]
        self.output_shape = shapes_out if self._several_outputs else shapes_out[0]
        self.input_names = [t.name for t in self._input_tensors]
        self.output_names = [
            t.node.layer.name if t.node is not None else t.name for t in self._output_tensors
        ]
        self._creates_mask = any(getattr(layer, "creates_mask", False) for layer in layers)

    # -- defining: fixed at construction --------------------------------------------------------

    @property
    def layers(self) -> list[Layer]:
        """Keras's list: the InputLayer of each input, then the layers in the order they run
        (``get_layer(index=0)`` is the first input's InputLayer, as in Keras)."""
        return [*self._input_layers, *self._layers]

    def add(self, layer: Any) -> None:
        raise TypeError(
            "a functional Model is defined by its inputs and outputs; add() is for Sequential"
        )

    def pop(self) -> Layer:
        raise TypeError(
            "a functional Model is defined by its inputs and outputs; pop() is for Sequential"
        )

    def build(self, input_shape: Shape | None = None) -> None:
        """A functional model is built when it is made; nothing to do."""

    def ensure_built(self, input_shape: Shape) -> None:
        return

    @property
    def inputs(self) -> list[KerasTensor]:
        return list(self._input_tensors)

    @property
    def outputs(self) -> list[KerasTensor]:
        return list(self._output_tensors)

    @property
    def fixed_batch_size(self) -> int | None:
        if any(layer.stateful for layer in self._layers):
            return self._input_tensors[0].shape[0]
        return None

    @property
    def first_layer_type(self) -> str:
        return f"input {self._input_tensors[0].name!r}"

    # -- computing ------------------------------------------------------------------------------

    def forward_masked(self, inputs: Any, training: bool = False) -> tuple[Any, Any]:
        """Run the graph. ``inputs``: one tensor, or a sequence of tensors in the order of the
        model's inputs. Returns the output (a tuple for several) and its mask(s)."""
        given = list(inputs) if self._several_inputs else [inputs]
        values: dict[int, torch.Tensor] = {
            id(t): v for t, v in zip(self._input_tensors, given, strict=True)
        }
        masks: dict[int, torch.Tensor | None] = {}
        for node in self._nodes:
            layer = node.layer
            if isinstance(node.inputs, list):  # a merge layer
                x = [values[id(t)] for t in node.inputs]
                mask = None
            else:
                x = values[id(node.inputs)]
                mask = masks.get(id(node.inputs))
            kwargs: dict[str, Any] = {"training": training}
            if node.states:
                kwargs["initial_state"] = [values[id(s)] for s in node.states]
            if mask is not None and layer.consumes_mask:
                kwargs["mask"] = mask
            out = layer.call(x, **kwargs)
            outs = list(out) if isinstance(out, list | tuple) else [out]
            for tensor, value in zip(node.outputs, outs, strict=True):
                values[id(tensor)] = value
            if self._creates_mask:
                masks[id(node.outputs[0])] = layer.compute_mask(x, mask)
        results = tuple(values[id(t)] for t in self._output_tensors)
        out_masks = tuple(masks.get(id(t)) for t in self._output_tensors)
        if not self._several_outputs:
            return results[0], out_masks[0]
        return results, (out_masks if any(m is not None for m in out_masks) else None)

    def forward(self, inputs: Any, training: bool = False) -> Any:
        return self.forward_masked(inputs, training)[0]

    def __call__(self, inputs: Any, training: bool = False) -> Any:
        """Run eagerly: NumPy in (a list for several inputs), NumPy out."""
        import numpy as np

        if isinstance(inputs, torch.Tensor) or (
            isinstance(inputs, list | tuple) and inputs and isinstance(inputs[0], torch.Tensor)
        ):
            return self.forward(inputs, training=training)
        parts = inputs if self._several_inputs else [inputs]
        device = self.device
        tensors = [torch.from_numpy(np.asarray(p, dtype=np.float32)).to(device) for p in parts]
        with torch.no_grad():
            out = self.forward(tensors if self._several_inputs else tensors[0], training=training)
        return [o.cpu().numpy() for o in out] if isinstance(out, tuple) else out.cpu().numpy()

    # -- description ----------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The graph as JSON-safe data: each layer's class name and config, each call's input
        and state tensors by name, and the model's input and output tensors. A layer called
        more than once names its later outputs ``<layer>@<call>/<index>``."""
        names: dict[int, str] = {id(t): t.name for t in self._input_tensors}
        calls_of: dict[int, int] = {}
        outputs_of: list[list[str]] = []
        for node in self._nodes:
            call = calls_of.get(id(node.layer), 0)
            calls_of[id(node.layer)] = call + 1
            outs = []
            for tensor in node.outputs:
                name = tensor.name if call == 0 else f"{node.layer.name}@{call}/{tensor.index}"
                names[id(tensor)] = name
                outs.append(name)
            outputs_of.append(outs)
        return {
            "name": self.name,
            "inputs": [{"name": t.name, "batch_shape": list(t.shape)} for t in self._input_tensors],
            "layers": [
                {"class_name": type(layer).__name__, "config": layer.get_config()}
                for layer in self._layers
            ],
            "calls": [
                {
                    "layer": node.layer.name,
                    "input": (
                        [names[id(t)] for t in node.inputs]
                        if isinstance(node.inputs, list)
                        else names[id(node.inputs)]
                    ),
                    "initial_state": [names[id(s)] for s in node.states],
                    "outputs": outs,
                }
                for node, outs in zip(self._nodes, outputs_of, strict=True)
            ],
            "outputs": [names[id(t)] for t in self._output_tensors],
            "several_inputs": self._several_inputs,
            "several_outputs": self._several_outputs,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Model:
        """The model :meth:`get_config` describes: its inputs made again, its layers made from
        their configs (lstmkit's table or ``custom_objects``) and called in the recorded order."""
        keys = {"name", "inputs", "layers", "calls", "outputs", "several_inputs", "several_outputs"}
        if not isinstance(config, dict) or set(config) != keys:
            raise ValueError(f"a Model config needs exactly the keys {sorted(keys)}")
        tensors: dict[str, Any] = {}
        for spec in config["inputs"]:
            if not isinstance(spec, dict) or set(spec) != {"name", "batch_shape"}:
                raise ValueError("each input of a Model config needs 'name' and 'batch_shape'")
            shape = spec["batch_shape"]
            if not isinstance(shape, list) or not all(
                d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0)
                for d in shape
            ):
                raise ValueError(f"input {spec['name']!r} has an invalid batch_shape {shape!r}")
            tensors[spec["name"]] = Input(batch_shape=tuple(shape), name=spec["name"])
        layers: dict[str, Layer] = {}
        for layer_config in config["layers"]:
            layer = deserialize(layer_config, custom_objects)
            if layer.name in layers:
                raise ValueError(f"two layers of a Model config are named {layer.name!r}")
            layers[layer.name] = layer

        def tensor(name: Any) -> Any:
            if not isinstance(name, str) or name not in tensors:
                raise ValueError(f"a call in the Model config reads an unknown tensor {name!r}")
            return tensors[name]

        for call in config["calls"]:
            if not isinstance(call, dict) or set(call) != {
                "layer",
                "input",
                "initial_state",
                "outputs",
            }:
                raise ValueError(
                    "each call of a Model config needs layer, input, initial_state, outputs"
                )
            if call["layer"] not in layers:
                raise ValueError(f"a call names an unknown layer {call['layer']!r}")
            layer = layers[call["layer"]]
            states = [tensor(name) for name in call["initial_state"]]
            given = call["input"]
            source = [tensor(name) for name in given] if isinstance(given, list) else tensor(given)
            out = layer(source, initial_state=states) if states else layer(source)
            outs = out if isinstance(out, list) else [out]
            if not isinstance(call["outputs"], list) or len(call["outputs"]) != len(outs):
                raise ValueError(f"the call of {call['layer']!r} makes {len(outs)} outputs")
            for name, value in zip(call["outputs"], outs, strict=True):
                tensors[name] = value
        inputs = [tensors[spec["name"]] for spec in config["inputs"]]
        outputs = [tensor(name) for name in config["outputs"]]
        return cls(
            inputs if config["several_inputs"] else inputs[0],
            outputs if config["several_outputs"] else outputs[0],
            name=config["name"],
        )

    def __repr__(self) -> str:
        return f"<Model name={self.name!r} inputs={self.input_names} outputs={self.output_names}>"
