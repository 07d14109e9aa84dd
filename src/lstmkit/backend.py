"""Keras-style tensor functions for user-written metrics and losses.

Use them as ``import lstmkit.backend as K``.

They take and return torch tensors (Python numbers and NumPy arrays are converted), keep the
Keras signatures (``axis=None, keepdims=False``) and are differentiable wherever the maths is, so
a loss written with them trains.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = [
    "abs", "argmax", "argmin", "cast", "clear_session", "clip", "concatenate", "constant",
    "cumsum", "dot", "epsilon", "equal", "exp", "expand_dims", "flatten", "floatx", "greater",
    "greater_equal", "int_shape", "less", "less_equal", "log", "max", "maximum", "mean", "min",
    "minimum", "ndim", "not_equal", "ones_like", "pow", "prod", "relu", "reshape", "round",
    "set_epsilon", "shape", "sigmoid", "sign", "softmax", "sqrt", "square", "squeeze", "stack",
    "std", "sum", "switch", "tanh", "transpose", "var", "zeros_like",
]  # fmt: skip

_epsilon = 1e-7
Axis = int | tuple[int, ...] | list[int] | None

_DTYPES = {
    "float16": torch.float16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
}


def epsilon() -> float:
    """The fuzz factor Keras adds against division by zero: 1e-7."""
    return _epsilon


def set_epsilon(value: float) -> None:
    global _epsilon
    _epsilon = float(value)


def floatx() -> str:
    return "float32"


def clear_session() -> None:
    """Restart automatic layer names, as ``keras.backend.clear_session`` does."""
    from lstmkit.utils import clear_session as clear

    clear()


def _t(x: Any) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x
    array = np.asarray(x)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return torch.as_tensor(array)


def _dims(axis: Axis) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _reduce(fn: Any, x: Any, axis: Axis, keepdims: bool) -> torch.Tensor:
    x = _t(x)
    if axis is None:
        out = fn(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    return fn(x, dim=_dims(axis), keepdim=keepdims)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return _reduce(torch.sum, x, axis, keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return _reduce(
        torch.mean, _t(x).float() if not _t(x).is_floating_point() else x, axis, keepdims
    )


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    x = _t(x)
    if axis is None:
        out = torch.prod(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    if isinstance(axis, int):
        return torch.prod(x, dim=axis, keepdim=keepdims)
    for dim in sorted((a % x.dim() for a in axis), reverse=True):
        x = torch.prod(x, dim=dim, keepdim=keepdims)
    return x


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return (
        _reduce(torch.amax, x, axis, keepdims)
        if axis is not None
        else _reduce(torch.max, x, None, keepdims)
    )


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return (
        _reduce(torch.amin, x, axis, keepdims)
        if axis is not None
        else _reduce(torch.min, x, None, keepdims)
    )


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Population variance (divides by N), as Keras's."""
    x = _t(x)
    if axis is None:
        out = torch.var(x, unbiased=False)
        return out.reshape([1] * x.dim()) if keepdims else out
    return torch.var(x, dim=_dims(axis), unbiased=False, keepdim=keepdims)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return torch.sqrt(var(x, axis, keepdims))


def square(x: Any) -> torch.Tensor:
    return torch.square(_t(x))


def sqrt(x: Any) -> torch.Tensor:
    """Negative inputs give 0, as Keras's ``K.sqrt`` (it clips at 0 first)."""
    return torch.sqrt(torch.clamp(_t(x), min=0.0))


def abs(x: Any) -> torch.Tensor:
    return torch.abs(_t(x))


def exp(x: Any) -> torch.Tensor:
    return torch.exp(_t(x))


def log(x: Any) -> torch.Tensor:
    return torch.log(_t(x))


def pow(x: Any, a: Any) -> torch.Tensor:
    return torch.pow(_t(x), a)


def sign(x: Any) -> torch.Tensor:
    return torch.sign(_t(x))


def round(x: Any) -> torch.Tensor:
    return torch.round(_t(x))


def clip(x: Any, min_value: float | None, max_value: float | None) -> torch.Tensor:
    return torch.clamp(_t(x), min=min_value, max=max_value)


def maximum(x: Any, y: Any) -> torch.Tensor:
    return torch.maximum(_t(x), _t(y).to(_t(x).dtype))


def minimum(x: Any, y: Any) -> torch.Tensor:
    return torch.minimum(_t(x), _t(y).to(_t(x).dtype))


def cast(x: Any, dtype: str | torch.dtype) -> torch.Tensor:
    if isinstance(dtype, str):
        if dtype not in _DTYPES:
            raise ValueError(f"cast: unknown dtype {dtype!r}; known: {', '.join(_DTYPES)}")
        dtype = _DTYPES[dtype]
    return _t(x).to(dtype)


def constant(value: Any, dtype: str | torch.dtype | None = None) -> torch.Tensor:
    out = _t(value)
    return cast(out, dtype) if dtype is not None else out


def ones_like(x: Any) -> torch.Tensor:
    return torch.ones_like(_t(x))


def zeros_like(x: Any) -> torch.Tensor:
    return torch.zeros_like(_t(x))


def argmax(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.argmax(_t(x), dim=axis)


def argmin(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.argmin(_t(x), dim=axis)


def equal(x: Any, y: Any) -> torch.Tensor:
    return torch.eq(_t(x), _t(y))


def not_equal(x: Any, y: Any) -> torch.Tensor:
    return torch.ne(_t(x), _t(y))


def greater(x: Any, y: Any) -> torch.Tensor:
    return torch.gt(_t(x), _t(y))


def greater_equal(x: Any, y: Any) -> torch.Tensor:
    return torch.ge(_t(x), _t(y))


def less(x: Any, y: Any) -> torch.Tensor:
    return torch.lt(_t(x), _t(y))


def less_equal(x: Any, y: Any) -> torch.Tensor:
    return torch.le(_t(x), _t(y))


def switch(condition: Any, then_expression: Any, else_expression: Any) -> torch.Tensor:
    return torch.where(_t(condition).bool(), _t(then_expression), _t(else_expression))


def dot(x: Any, y: Any) -> torch.Tensor:
    return torch.matmul(_t(x), _t(y))


def transpose(x: Any) -> torch.Tensor:
    x = _t(x)
    return x.permute(*reversed(range(x.dim())))


def reshape(x: Any, shape: tuple[int, ...]) -> torch.Tensor:
    return torch.reshape(_t(x), tuple(shape))


def flatten(x: Any) -> torch.Tensor:
    return torch.flatten(_t(x))


def expand_dims(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.unsqueeze(_t(x), axis)


def squeeze(x: Any, axis: int) -> torch.Tensor:
    return torch.squeeze(_t(x), axis)


def concatenate(tensors: list[Any], axis: int = -1) -> torch.Tensor:
    return torch.cat([_t(t) for t in tensors], dim=axis)


def stack(tensors: list[Any], axis: int = 0) -> torch.Tensor:
    return torch.stack([_t(t) for t in tensors], dim=axis)


def cumsum(x: Any, axis: int = 0) -> torch.Tensor:
    return torch.cumsum(_t(x), dim=axis)


def sigmoid(x: Any) -> torch.Tensor:
    return torch.sigmoid(_t(x))


def tanh(x: Any) -> torch.Tensor:
    return torch.tanh(_t(x))


def relu(x: Any) -> torch.Tensor:
    return torch.relu(_t(x))


def softmax(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.softmax(_t(x), dim=axis)


def shape(x: Any) -> tuple[int, ...]:
    return tuple(_t(x).shape)


def int_shape(x: Any) -> tuple[int, ...]:
    return tuple(_t(x).shape)


def ndim(x: Any) -> int:
    return _t(x).dim()
