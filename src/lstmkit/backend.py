"""Keras-style tensor functions for user metrics and losses: ``import lstmkit.backend as K``.

They follow the Keras 2 backend (``keras.backend``, which Keras 3 reduced to a few utilities), take
and return torch tensors, and keep Keras's signatures (``axis=None, keepdims=False``). Python
numbers and NumPy arrays are accepted where Keras accepts them (NumPy float64 arrays and Python
floats become float32, Keras's ``floatx``; a Python number meeting a tensor takes the tensor's
dtype). Everything is differentiable wherever the maths is, so a loss written with these trains::

    def r2(y_true, y_pred):
        ss_res = K.sum(K.square(y_true - y_pred))
        ss_tot = K.sum(K.square(y_true - K.mean(y_true)))
        return 1 - ss_res / (ss_tot + K.epsilon())
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from lstmkit import activations, utils

__all__ = [
    "abs", "all", "any", "argmax", "argmin", "binary_crossentropy", "cast",
    "categorical_crossentropy", "clear_session", "clip", "concatenate", "constant", "cos",
    "cumsum", "dot", "epsilon", "equal", "eval", "exp", "expand_dims", "flatten", "floatx",
    "get_value", "greater", "greater_equal", "int_shape", "l2_normalize", "less", "less_equal",
    "log", "max", "maximum", "mean", "min", "minimum", "ndim", "not_equal", "ones", "ones_like",
    "pow", "prod", "relu", "reshape", "round", "set_epsilon", "set_value", "shape", "sigmoid",
    "sign", "sin", "softmax", "softplus", "sparse_categorical_crossentropy", "sqrt", "square",
    "squeeze", "stack", "std", "sum", "switch", "tanh", "transpose", "var", "zeros", "zeros_like",
]  # fmt: skip

_epsilon = 1e-7
Axis = int | tuple[int, ...] | list[int] | None
DType = str | torch.dtype

_DTYPES: dict[str, torch.dtype] = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "uint8": torch.uint8,
    "bool": torch.bool,
}


# -- configuration ------------------------------------------------------------------------------


def epsilon() -> float:
    """The fuzz factor Keras adds against division by zero and clips probabilities with: 1e-7."""
    return _epsilon


def set_epsilon(value: float) -> None:
    """Change :func:`epsilon` (the built-in losses read it too)."""
    global _epsilon
    _epsilon = float(value)


def floatx() -> str:
    """The default float type's name: ``'float32'``."""
    return "float32"


def clear_session() -> None:
    """Restart automatic layer names, as ``keras.backend.clear_session`` does."""
    utils.clear_session()


# -- conversion ---------------------------------------------------------------------------------


def _dtype(dtype: DType) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in _DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; known: {', '.join(_DTYPES)}")
    return _DTYPES[dtype]


def _t(x: Any) -> torch.Tensor:
    """A tensor for ``x``; float64 NumPy data and Python floats become float32 (floatx)."""
    if isinstance(x, torch.Tensor):
        return x
    array = np.asarray(x)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return torch.as_tensor(array)


def _pair(x: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Two tensors; a Python number takes the other operand's dtype when that is a float tensor,
    so ``K.equal(x, 0.1)`` compares in ``x``'s precision."""
    x_is_t, y_is_t = isinstance(x, torch.Tensor), isinstance(y, torch.Tensor)
    if x_is_t and not y_is_t and isinstance(y, int | float) and x.is_floating_point():
        return x, torch.as_tensor(y, dtype=x.dtype, device=x.device)
    if y_is_t and not x_is_t and isinstance(x, int | float) and y.is_floating_point():
        return torch.as_tensor(x, dtype=y.dtype, device=y.device), y
    return _t(x), _t(y)


def _dims(axis: Axis) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def cast(x: Any, dtype: DType) -> torch.Tensor:
    """``x`` as ``dtype`` (a name such as ``'float32'`` or a torch dtype)."""
    return _t(x).to(_dtype(dtype))


def constant(
    value: Any, dtype: DType | None = None, shape: Sequence[int] | None = None
) -> torch.Tensor:
    """A constant tensor of ``value``; ``floatx`` unless ``dtype`` is given; a scalar ``value``
    is repeated to ``shape``."""
    dtype = _dtype(dtype or floatx())
    if isinstance(value, torch.Tensor):
        out = value.detach().to(dtype)
    else:
        out = torch.as_tensor(np.asarray(value), dtype=dtype)
    if shape is not None:
        out = out.expand(tuple(shape)).clone() if out.dim() == 0 else out.reshape(tuple(shape))
    return out


def ones(shape: Sequence[int], dtype: DType | None = None) -> torch.Tensor:
    """Ones of ``shape`` (floatx by default)."""
    return torch.ones(tuple(shape), dtype=_dtype(dtype or floatx()))


def zeros(shape: Sequence[int], dtype: DType | None = None) -> torch.Tensor:
    """Zeros of ``shape`` (floatx by default)."""
    return torch.zeros(tuple(shape), dtype=_dtype(dtype or floatx()))


def ones_like(x: Any, dtype: DType | None = None) -> torch.Tensor:
    """Ones shaped like ``x``."""
    return torch.ones_like(_t(x), dtype=None if dtype is None else _dtype(dtype))


def zeros_like(x: Any, dtype: DType | None = None) -> torch.Tensor:
    """Zeros shaped like ``x``."""
    return torch.zeros_like(_t(x), dtype=None if dtype is None else _dtype(dtype))


def get_value(x: Any) -> np.ndarray:
    """``x`` as a NumPy array (detached)."""
    return _t(x).detach().cpu().numpy()


eval = get_value


def set_value(x: Any, value: Any) -> None:
    """Keras's ``set_value``: give the variable ``x`` the value ``value`` in place: an
    optimizer's learning rate (``K.set_value(model.optimizer.lr, 0.001)``) or a tensor of the
    same shape (a layer's weight)."""
    if hasattr(x, "assign"):
        x.assign(value)
        return
    if isinstance(x, torch.Tensor):
        new = torch.as_tensor(np.asarray(value), dtype=x.dtype)
        if tuple(new.shape) != tuple(x.shape):
            raise ValueError(
                f"set_value expects a value of shape {tuple(x.shape)}; got {tuple(new.shape)}"
            )
        with torch.no_grad():
            x.copy_(new)
        return
    raise TypeError(
        "set_value expects a variable (an optimizer's learning rate or a tensor); got "
        f"{type(x).__name__} (a plain number cannot be changed in place)"
    )


def shape(x: Any) -> tuple[int, ...]:
    """The shape as a tuple of ints (Keras returns a symbolic shape; here it is always known)."""
    return tuple(_t(x).shape)


def int_shape(x: Any) -> tuple[int, ...]:
    """The shape as a tuple of ints."""
    return tuple(_t(x).shape)


def ndim(x: Any) -> int:
    """The number of axes."""
    return _t(x).dim()


# -- reductions -------------------------------------------------------------------------------


def _float(x: torch.Tensor) -> torch.Tensor:
    # Keras casts booleans to floatx before averaging; integers are averaged as floats here too.
    return x if x.is_floating_point() or x.is_complex() else x.to(torch.float32)


def _reduce(fn: Callable[..., torch.Tensor], x: torch.Tensor, axis: Axis, keepdims: bool) -> Any:
    if axis is None:
        out = fn(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    return fn(x, dim=_dims(axis), keepdim=keepdims)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """The sum over ``axis`` (all axes by default)."""
    return _reduce(torch.sum, _t(x), axis, keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """The mean over ``axis`` (all axes by default); booleans and integers count as floats."""
    return _reduce(torch.mean, _float(_t(x)), axis, keepdims)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """The maximum over ``axis`` (all axes by default)."""
    return _reduce(torch.amax, _t(x), axis, keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """The minimum over ``axis`` (all axes by default)."""
    return _reduce(torch.amin, _t(x), axis, keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """The product over ``axis`` (all axes by default)."""
    x = _t(x)
    if axis is None:
        out = torch.prod(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    if isinstance(axis, int):
        return torch.prod(x, dim=axis, keepdim=keepdims)
    # torch.prod takes one axis at a time: the highest first, so the others keep their index.
    for dim in sorted((a % x.dim() for a in axis), reverse=True):
        x = torch.prod(x, dim=dim, keepdim=keepdims)
    return x


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """The population variance (divided by N, as Keras) over ``axis``."""
    x = _float(_t(x))
    if axis is None:
        out = torch.var(x, correction=0)
        return out.reshape([1] * x.dim()) if keepdims else out
    return torch.var(x, dim=_dims(axis), correction=0, keepdim=keepdims)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """The population standard deviation over ``axis``."""
    return torch.sqrt(var(x, axis, keepdims))


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Whether any element (over ``axis``) is non-zero."""
    x = _t(x).bool()
    if axis is None:
        out = torch.any(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    return torch.any(x, dim=_dims(axis), keepdim=keepdims)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Whether every element (over ``axis``) is non-zero."""
    x = _t(x).bool()
    if axis is None:
        out = torch.all(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    return torch.all(x, dim=_dims(axis), keepdim=keepdims)


def cumsum(x: Any, axis: int = 0) -> torch.Tensor:
    """The running sum along ``axis`` (Keras's default: the first)."""
    return torch.cumsum(_t(x), dim=axis)


def argmax(x: Any, axis: int = -1) -> torch.Tensor:
    """The index of the largest value along ``axis``."""
    return torch.argmax(_t(x), dim=axis)


def argmin(x: Any, axis: int = -1) -> torch.Tensor:
    """The index of the smallest value along ``axis``."""
    return torch.argmin(_t(x), dim=axis)


# -- element-wise -------------------------------------------------------------------------------


def square(x: Any) -> torch.Tensor:
    """``x²``."""
    return torch.square(_t(x))


def sqrt(x: Any) -> torch.Tensor:
    """``sqrt(x)``, negative inputs first clipped to 0 as Keras's ``K.sqrt`` does."""
    return torch.sqrt(torch.clamp(_t(x), min=0.0))


def abs(x: Any) -> torch.Tensor:
    """``|x|``."""
    return torch.abs(_t(x))


def exp(x: Any) -> torch.Tensor:
    """``e^x``."""
    return torch.exp(_t(x))


def log(x: Any) -> torch.Tensor:
    """The natural logarithm."""
    return torch.log(_t(x))


def pow(x: Any, a: Any) -> torch.Tensor:
    """``x ** a``."""
    x = _t(x)
    return torch.pow(x, a if isinstance(a, int | float) else _t(a))


def sign(x: Any) -> torch.Tensor:
    """-1, 0 or 1 by the sign of each element."""
    return torch.sign(_t(x))


def round(x: Any) -> torch.Tensor:
    """Round to the nearest integer, halves to even (as TensorFlow's ``round``)."""
    return torch.round(_t(x))


def sin(x: Any) -> torch.Tensor:
    """The sine."""
    return torch.sin(_t(x))


def cos(x: Any) -> torch.Tensor:
    """The cosine."""
    return torch.cos(_t(x))


def clip(x: Any, min_value: float | None, max_value: float | None) -> torch.Tensor:
    """``x`` clipped to ``[min_value, max_value]`` (``None`` leaves that side open; a
    ``max_value`` below ``min_value`` is raised to it, as Keras does)."""
    if min_value is not None and max_value is not None and max_value < min_value:
        max_value = min_value
    return torch.clamp(_t(x), min=min_value, max=max_value)


def maximum(x: Any, y: Any) -> torch.Tensor:
    """The element-wise maximum (broadcasting)."""
    return torch.maximum(*_pair(x, y))


def minimum(x: Any, y: Any) -> torch.Tensor:
    """The element-wise minimum (broadcasting)."""
    return torch.minimum(*_pair(x, y))


def equal(x: Any, y: Any) -> torch.Tensor:
    """Element-wise ``x == y`` (boolean)."""
    return torch.eq(*_pair(x, y))


def not_equal(x: Any, y: Any) -> torch.Tensor:
    """Element-wise ``x != y`` (boolean)."""
    return torch.ne(*_pair(x, y))


def greater(x: Any, y: Any) -> torch.Tensor:
    """Element-wise ``x > y`` (boolean)."""
    return torch.gt(*_pair(x, y))


def greater_equal(x: Any, y: Any) -> torch.Tensor:
    """Element-wise ``x >= y`` (boolean)."""
    return torch.ge(*_pair(x, y))


def less(x: Any, y: Any) -> torch.Tensor:
    """Element-wise ``x < y`` (boolean)."""
    return torch.lt(*_pair(x, y))


def less_equal(x: Any, y: Any) -> torch.Tensor:
    """Element-wise ``x <= y`` (boolean)."""
    return torch.le(*_pair(x, y))


def switch(condition: Any, then_expression: Any, else_expression: Any) -> torch.Tensor:
    """``then_expression`` where ``condition`` holds, else ``else_expression`` (either may be a
    function of no arguments). As Keras, a condition of lower rank is aligned with the leading
    axes of the expressions: a per-sample condition ``(batch,)`` selects whole rows."""
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    then_t, else_t = _pair(then_expression, else_expression)
    cond = _t(condition).bool()
    rank = builtins.max(then_t.dim(), else_t.dim())
    if 0 < cond.dim() < rank:
        cond = cond.reshape(*cond.shape, *([1] * (rank - cond.dim())))
    return torch.where(cond, then_t, else_t)


# -- shapes -------------------------------------------------------------------------------------


def dot(x: Any, y: Any) -> torch.Tensor:
    """NumPy's ``dot``, as Keras's ``K.dot``: contracts the last axis of ``x`` with the
    second-to-last of ``y`` (the only one of a vector); a matrix product for 2-D inputs."""
    x, y = _pair(x, y)
    if x.dim() <= 2 and y.dim() <= 2:
        return torch.matmul(x, y)
    return torch.tensordot(x, y, dims=([x.dim() - 1], [builtins.max(y.dim() - 2, 0)]))


def transpose(x: Any) -> torch.Tensor:
    """All axes reversed."""
    x = _t(x)
    return x.permute(*reversed(range(x.dim())))


def reshape(x: Any, shape: Sequence[int]) -> torch.Tensor:
    """``x`` with a new shape (one entry may be -1)."""
    return torch.reshape(_t(x), tuple(shape))


def flatten(x: Any) -> torch.Tensor:
    """``x`` as one axis."""
    return torch.flatten(_t(x))


def expand_dims(x: Any, axis: int = -1) -> torch.Tensor:
    """``x`` with a new axis of length 1 at ``axis``."""
    return torch.unsqueeze(_t(x), axis)


def squeeze(x: Any, axis: int) -> torch.Tensor:
    """``x`` without its axis ``axis`` of length 1."""
    return torch.squeeze(_t(x), axis)


def concatenate(tensors: Sequence[Any], axis: int = -1) -> torch.Tensor:
    """The tensors joined along an existing ``axis`` (the last by default)."""
    return torch.cat([_t(t) for t in tensors], dim=axis)


def stack(x: Sequence[Any], axis: int = 0) -> torch.Tensor:
    """The tensors stacked along a new ``axis``."""
    return torch.stack([_t(t) for t in x], dim=axis)


# -- neural-network functions -------------------------------------------------------------------


def sigmoid(x: Any) -> torch.Tensor:
    """``1 / (1 + exp(-x))``."""
    return torch.sigmoid(_t(x))


def tanh(x: Any) -> torch.Tensor:
    """The hyperbolic tangent."""
    return torch.tanh(_t(x))


def softplus(x: Any) -> torch.Tensor:
    """``log(1 + exp(x))``."""
    return torch.nn.functional.softplus(_t(x))


def relu(
    x: Any, alpha: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> torch.Tensor:
    """Keras 2's ``K.relu``: ``x`` above ``threshold``, ``alpha * (x - threshold)`` below it,
    at most ``max_value``."""
    return activations.relu(_t(x), negative_slope=alpha, max_value=max_value, threshold=threshold)


def softmax(x: Any, axis: int = -1) -> torch.Tensor:
    """``exp(x) / sum(exp(x))`` over ``axis``."""
    return torch.softmax(_t(x), dim=axis)


def l2_normalize(x: Any, axis: Axis = None) -> torch.Tensor:
    """``x / sqrt(max(sum(x²), 1e-12))`` over ``axis`` (all axes by default), as Keras 2's."""
    x = _t(x)
    square_sum = _reduce(torch.sum, torch.square(x), axis, True)
    return x * torch.rsqrt(torch.clamp(square_sum, min=1e-12))


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> torch.Tensor:
    """Element-wise binary cross-entropy (no mean), ``output`` clipped to
    ``[epsilon, 1 - epsilon]``."""
    target, output = _pair(target, output)
    if from_logits:
        return torch.nn.functional.binary_cross_entropy_with_logits(
            output, target.to(output.dtype), reduction="none"
        )
    output = torch.clamp(output, _epsilon, 1.0 - _epsilon)
    return -(target * torch.log(output) + (1.0 - target) * torch.log(1.0 - output))


def categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """``-sum(target * log(output), axis)``, ``output`` normalised and clipped as Keras does."""
    target, output = _pair(target, output)
    if from_logits:
        log_p = torch.log_softmax(output, dim=axis)
    else:
        output = output / torch.sum(output, dim=axis, keepdim=True)
        log_p = torch.log(torch.clamp(output, _epsilon, 1.0 - _epsilon))
    return -torch.sum(target * log_p, dim=axis)


def sparse_categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False
) -> torch.Tensor:
    """Categorical cross-entropy against integer labels ``target``: ``target`` has ``output``'s
    shape without its last axis, or with a last axis of 1; ``output`` is normalised and clipped
    as Keras does. Returns one value per label. (``lstmkit.losses`` uses this one.)"""
    y_pred = _t(output)
    labels = torch.as_tensor(target, device=y_pred.device)
    if labels.dim() == y_pred.dim() and labels.dim() > 0 and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    if y_pred.dim() < 1 or tuple(labels.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError(
            "sparse_categorical_crossentropy needs integer labels shaped like y_pred without its "
            f"last axis (or with a last axis of 1); got y_true.shape={tuple(labels.shape)} and "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )
    if from_logits:
        log_p = torch.log_softmax(y_pred, dim=-1)
    else:
        eps = epsilon()
        p = y_pred / torch.sum(y_pred, dim=-1, keepdim=True)
        log_p = torch.log(torch.clamp(p, eps, 1.0 - eps))
    return -torch.gather(log_p, -1, labels.long().unsqueeze(-1)).squeeze(-1)
