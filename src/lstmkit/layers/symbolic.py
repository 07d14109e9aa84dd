"""Symbolic tensors and the layer graph behind :class:`~lstmkit.models.Model`.

:func:`~lstmkit.layers.Input` makes a :class:`KerasTensor`; calling a layer on one records a
:class:`Node` (the layer protocol calls :func:`symbolic_call`); :func:`order_nodes` turns the
nodes between a model's inputs and outputs into the order they run in, refusing disconnected
inputs and cycles. This module sits below the layer classes: it knows a layer only through the
few methods of :class:`SymbolicLayer`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from lstmkit.layers.shapes import Shape, format_shape

__all__ = [
    "KerasTensor",
    "Node",
    "SymbolicLayer",
    "is_symbolic",
    "node_inputs",
    "order_nodes",
    "symbolic_call",
]


class SymbolicLayer(Protocol):
    """What the graph needs of a layer (every :class:`~lstmkit.layers.Layer` has it)."""

    name: str

    def build_for(self, input_shape: Shape) -> Shape: ...

    def compute_output_shapes(self, input_shape: Shape) -> list[Shape]: ...


@dataclass(frozen=True, eq=False, repr=False)
class KerasTensor:
    """A symbolic tensor: made by :func:`Input`, or by calling a layer on symbolic tensors.
    ``shape`` includes the batch dimension (``None`` when not fixed); ``node`` is the layer call
    that made it (``None`` for an input). A :class:`~lstmkit.models.Sequential` starts from an
    input; a :class:`~lstmkit.models.Model` is the graph between inputs and outputs."""

    shape: Shape
    name: str
    node: Any = None
    index: int = 0
    #: The InputLayer that made this tensor (an input's only; ``None`` for a layer's output).
    input_layer: Any = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={format_shape(self.shape)}, name={self.name!r}>"


@dataclass(eq=False)
class Node:
    """One call of ``layer``: on ``inputs`` (its sequence input; a list for a merge layer) with
    ``states`` (tensors given as ``initial_state``), making ``outputs``."""

    layer: SymbolicLayer
    inputs: Any
    states: list[KerasTensor]
    outputs: list[KerasTensor] = field(default_factory=list)


def node_inputs(node: Node) -> list[KerasTensor]:
    """The tensors ``node`` reads (several for a merge layer, else one)."""
    return list(node.inputs) if isinstance(node.inputs, list) else [node.inputs]


def is_symbolic(value: Any) -> bool:
    """Whether ``value`` is a symbolic tensor, or a list holding one."""
    if isinstance(value, KerasTensor):
        return True
    return isinstance(value, list | tuple) and any(isinstance(v, KerasTensor) for v in value)


def symbolic_call(
    layer: SymbolicLayer, inputs: Any, initial_state: Any = None, **kwargs: Any
) -> KerasTensor | list[KerasTensor]:
    """Build ``layer`` for ``inputs``'s shape and return its symbolic output(s)."""
    if kwargs.get("mask") is not None:
        raise ValueError(f"{layer.name}: masks come from Masking/Embedding layers in a graph")
    if getattr(layer, "takes_list", False):
        # A merge layer: one node reading several tensors, no states.
        if not isinstance(inputs, list) or not all(isinstance(t, KerasTensor) for t in inputs):
            raise ValueError(f"{layer.name} merges a list of symbolic tensors; got {inputs!r}")
        layer.build_for([t.shape for t in inputs])
        node = Node(layer, list(inputs), [])
        _remember(layer, node)
        node.outputs = [
            KerasTensor(
                tuple(layer.compute_output_shape([t.shape for t in inputs])),
                f"{layer.name}/0",
                node,
                0,
            )
        ]
        return node.outputs[0]
    if not isinstance(inputs, KerasTensor):
        raise ValueError(
            f"{layer.name} takes one symbolic input; got {type(inputs).__name__} "
            "(to combine several, merge them first: Concatenate, Add, ...)"
        )
    layer.build_for(inputs.shape)
    states: list[KerasTensor] = []
    if initial_state is not None:
        states = list(initial_state) if isinstance(initial_state, list | tuple) else [initial_state]
        names = getattr(layer, "state_names", None)
        if names is None and not hasattr(layer, "forward_layer"):
            raise ValueError(f"{layer.name} ({type(layer).__name__}) takes no initial_state")
        expected = _state_shapes(layer, inputs)
        if len(states) != len(expected) or not all(isinstance(s, KerasTensor) for s in states):
            raise ValueError(
                f"{layer.name} expects initial_state to be {len(expected)} symbolic tensor(s) "
                f"of shape {', '.join(format_shape(e) for e in expected)}; got "
                f"{len(states)}: {[type(s).__name__ for s in states]}"
            )
        for state, shape in zip(states, expected, strict=True):
            if tuple(state.shape[1:]) != tuple(shape[1:]):
                raise ValueError(
                    f"{layer.name}: initial_state {state.name} has shape "
                    f"{format_shape(state.shape)}; expected {format_shape(shape)}"
                )
    node = Node(layer, inputs, states)
    _remember(layer, node)
    shapes = layer.compute_output_shapes(inputs.shape)
    node.outputs = [
        KerasTensor(tuple(shape), f"{layer.name}/{i}", node, i) for i, shape in enumerate(shapes)
    ]
    return node.outputs[0] if len(node.outputs) == 1 else list(node.outputs)


def _remember(layer: Any, node: Node) -> None:
    """Keep the layer's first call, for ``layer.input``/``layer.output``."""
    if getattr(layer, "_first_node", None) is None:
        layer._first_node = node


def _state_shapes(layer: Any, inputs: KerasTensor) -> list[tuple[int | None, ...]]:
    batch = inputs.shape[0]
    if hasattr(layer, "forward_layer"):  # Bidirectional: forward's states, then backward's
        inner = layer.forward_layer
        return [(batch, inner.units) for _ in inner.state_names] * 2
    return [(batch, layer.units) for _ in layer.state_names]


def order_nodes(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[Node]:
    """The nodes that compute ``outputs`` from ``inputs``, each after the nodes it reads from.

    Raises a clear error for an output that needs a symbolic input not among ``inputs``, for an
    input the outputs do not use, and for a cycle.
    """
    order: list[Node] = []
    done: set[int] = set()
    visiting: set[int] = set()
    reached: set[int] = set()
    given = {id(t) for t in inputs}

    def visit(tensor: KerasTensor) -> None:
        if id(tensor) in given:
            reached.add(id(tensor))
            return
        node = tensor.node
        if node is None:
            raise ValueError(
                f"the graph is disconnected: an output needs the input {tensor.name!r} "
                f"{format_shape(tensor.shape)}, which is not among the model's inputs "
                f"({', '.join(repr(t.name) for t in inputs)})"
            )
        if id(node) in done:
            return
        if id(node) in visiting:
            raise ValueError(f"the graph has a cycle through layer {node.layer.name!r}")
        visiting.add(id(node))
        for parent in [*node_inputs(node), *node.states]:
            visit(parent)
        visiting.discard(id(node))
        done.add(id(node))
        order.append(node)

    for output in outputs:
        visit(output)
    unused = [t.name for t in inputs if id(t) not in reached]
    if unused:
        raise ValueError(
            f"the model's input(s) {unused} do not reach any output; remove them or connect them"
        )
    return order
