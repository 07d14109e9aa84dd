"""Layers that merge several tensors into one, as Keras's: ``Add``, ``Subtract``, ``Multiply``,
``Average``, ``Maximum``, ``Minimum``, ``Concatenate``, ``Dot``, and the functions ``add``,
``subtract``, ``multiply``, ``average``, ``maximum``, ``minimum``, ``concatenate``, ``dot``
that make the layer and call it.

Called on a list of symbolic tensors they record one graph node with several inputs; called on
a list of arrays they compute eagerly. Shapes: the element-wise ones take tensors of one shape
``(batch, *dims)`` and return that shape; ``Concatenate(axis)`` joins along ``axis`` (the other
dimensions equal); ``Dot(axes)`` takes two tensors ``(batch, n)`` (or ``(batch, a, n)`` and
``(batch, b, n)`` with ``axes=2``) and returns their batched products. Merging ends a timestep
mask. No weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lstmkit.layers.base import Layer
from lstmkit.layers.registry import register_layer
from lstmkit.layers.shapes import Shape, format_shape
from lstmkit.layers.symbolic import is_symbolic, symbolic_call

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Merge",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]


class Merge(Layer):
    """Base class: ``call`` takes a list of tensors. Subclasses define :meth:`merge` and, when
    the output's shape is not the inputs', :meth:`merged_shape`."""

    #: Tells the graph this layer reads a list of tensors (one node, several inputs).
    takes_list = True
    #: Exactly this many inputs (``Subtract``, ``Dot``); ``None``: two or more.
    arity: int | None = None

    def _check_shapes(self, shapes: list[Shape]) -> None:
        kind = type(self).__name__
        if not isinstance(shapes, list) or len(shapes) < 2:
            raise ValueError(f"{kind} merges a list of at least 2 tensors; got {shapes!r}")
        if self.arity is not None and len(shapes) != self.arity:
            raise ValueError(f"{kind} merges exactly {self.arity} tensors; got {len(shapes)}")

    def merged_shape(self, shapes: list[Shape]) -> Shape:
        """Element-wise: every input has the same shape (batch aside), which the output keeps."""
        first = shapes[0]
        for shape in shapes[1:]:
            if len(shape) != len(first) or any(
                a is not None and b is not None and a != b
                for a, b in zip(first[1:], shape[1:], strict=True)
            ):
                raise ValueError(
                    f"{type(self).__name__} needs inputs of the same shape; got "
                    + ", ".join(format_shape(s) for s in shapes)
                )
        return first

    def build_for(self, input_shape: Any) -> Shape:
        shapes = [tuple(shape) for shape in input_shape]
        self._check_shapes(shapes)
        self.built = True
        self.input_shape = shapes
        self.output_shape = self.merged_shape(shapes)
        return self.output_shape

    def compute_output_shape(self, input_shape: Any) -> Shape:
        return self.merged_shape([tuple(shape) for shape in input_shape])

    def compute_mask(self, inputs: Any, mask: Any) -> None:
        return None

    def merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        """Combine the input tensors; each merge layer (Add, Concatenate, ...) defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define merge(tensors)")

    def call(self, inputs: Any, training: bool = False) -> torch.Tensor:
        return self.merge(list(inputs))

    def __call__(self, inputs: Any, training: bool = False, **kwargs: Any) -> Any:
        """On a list of symbolic tensors: one graph node. On arrays: NumPy in, NumPy out."""
        if is_symbolic(inputs):
            return symbolic_call(self, list(inputs), **kwargs)
        if not isinstance(inputs, list | tuple):
            raise ValueError(
                f"{type(self).__name__} merges a list of tensors; got {type(inputs).__name__}"
            )
        as_numpy = not all(isinstance(x, torch.Tensor) for x in inputs)
        tensors = [
            torch.as_tensor(np.asarray(x, dtype=np.float32)) if as_numpy else x for x in inputs
        ]
        self.build_for([tuple(t.shape) for t in tensors])
        out = self.merge(tensors)
        return out.detach().cpu().numpy() if as_numpy else out


@register_layer
class Add(Merge):
    """The sum of the inputs."""

    def merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        out = tensors[0]
        for t in tensors[1:]:
            out = out + t
        return out


@register_layer
class Subtract(Merge):
    """The first input minus the second."""

    arity = 2

    def merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        return tensors[0] - tensors[1]


@register_layer
class Multiply(Merge):
    """The element-wise product of the inputs."""

    def merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        out = tensors[0]
        for t in tensors[1:]:
            out = out * t
        return out


@register_layer
class Average(Merge):
    """The element-wise mean of the inputs."""

    def merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(tensors).mean(dim=0)


@register_layer
class Maximum(Merge):
    """The element-wise maximum of the inputs."""

    def merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(tensors).amax(dim=0)


@register_layer
class Minimum(Merge):
    """The element-wise minimum of the inputs."""

    def merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(tensors).amin(dim=0)


@register_layer
class Concatenate(Merge):
    """The inputs joined along ``axis`` (default the last); the other dimensions must agree."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int) or axis == 0:
            raise ValueError(f"Concatenate expects a non-batch integer axis; got axis={axis!r}")
        self.axis = axis

    def merged_shape(self, shapes: list[Shape]) -> Shape:
        rank = len(shapes[0])
        axis = self.axis % rank
        if axis == 0 or any(len(s) != rank for s in shapes):
            raise ValueError(
                f"Concatenate(axis={self.axis}) needs inputs of one rank, joined past the batch "
                "axis; got " + ", ".join(format_shape(s) for s in shapes)
            )
        for d in range(1, rank):
            if d == axis:
                continue
            sizes = {s[d] for s in shapes if s[d] is not None}
            if len(sizes) > 1:
                raise ValueError(
                    f"Concatenate(axis={self.axis}) needs the inputs' other dimensions equal; "
                    "got " + ", ".join(format_shape(s) for s in shapes)
                )
        joined = [s[axis] for s in shapes]
        size = None if any(j is None for j in joined) else sum(joined)
        return (*shapes[0][:axis], size, *shapes[0][axis + 1 :])

    def merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(tensors, dim=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


@register_layer
class Dot(Merge):
    """Batched dot products of two tensors along ``axes`` (an int, or one per input);
    ``normalize=True`` takes the cosine (inputs L2-normalised along the axes first)."""

    arity = 2

    def __init__(
        self, axes: int | list[int] | tuple[int, int], normalize: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.axes = list(axes) if isinstance(axes, list | tuple) else axes
        self.normalize = bool(normalize)

    def _axes(self, shapes: list[Shape]) -> tuple[int, int]:
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        return pair[0] % len(shapes[0]), pair[1] % len(shapes[1])

    def merged_shape(self, shapes: list[Shape]) -> Shape:
        a, b = self._axes(shapes)
        if (
            a == 0
            or b == 0
            or (
                shapes[0][a] is not None
                and shapes[1][b] is not None
                and shapes[0][a] != shapes[1][b]
            )
        ):
            raise ValueError(
                f"Dot(axes={self.axes}) needs the dotted dimensions equal (and not the batch); "
                f"got {format_shape(shapes[0])} and {format_shape(shapes[1])}"
            )
        rest = [d for i, d in enumerate(shapes[0]) if i not in (0, a)] + [
            d for i, d in enumerate(shapes[1]) if i not in (0, b)
        ]
        return (shapes[0][0], *rest) if rest else (shapes[0][0], 1)

    def merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        x, y = tensors
        a, b = self._axes([tuple(x.shape), tuple(y.shape)])
        if self.normalize:
            x = torch.nn.functional.normalize(x, dim=a, eps=1e-12)
            y = torch.nn.functional.normalize(y, dim=b, eps=1e-12)
        out = torch.vmap(lambda p, q: torch.tensordot(p, q, dims=([a - 1], [b - 1])))(x, y)
        return out.unsqueeze(-1) if out.dim() == 1 else out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _functional(cls: type[Merge]) -> Any:
    def make(inputs: list[Any], **kwargs: Any) -> Any:
        return cls(**kwargs)(inputs)

    make.__name__ = cls.__name__.lower()
    make.__doc__ = f"``{cls.__name__}(**kwargs)(inputs)``: Keras's functional form."
    return make


add = _functional(Add)
subtract = _functional(Subtract)
multiply = _functional(Multiply)
average = _functional(Average)
maximum = _functional(Maximum)
minimum = _functional(Minimum)
concatenate = _functional(Concatenate)
dot = _functional(Dot)
