"""Loss functions as Keras 3 defines them, and :class:`Loss`, the reduction training minimises.

Each function takes ``y_true`` and ``y_pred`` of shape ``(batch, ..., d)`` and returns one value
per sample and position, reducing the last axis: shape ``(batch, ...)``. Probabilities are clipped
to ``[epsilon, 1 - epsilon]`` (``epsilon`` is :func:`lstmkit.backend.epsilon`, 1e-7) exactly where
Keras's PyTorch backend clips them. :class:`Loss` reduces the per-sample values with Keras's
default ``sum_over_batch_size``: their sum divided by their number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from lstmkit import backend
from lstmkit._registry import lookup

__all__ = [
    "Loss",
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "function",
    "get",
    "hinge",
    "huber",
    "is_builtin",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "squeeze_or_expand_to_same_rank",
]

LossFunction = Callable[..., Any]


def _as_pair(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Tensors, with ``y_true`` in ``y_pred``'s floating dtype, as Keras casts it."""
    if not isinstance(y_pred, torch.Tensor):
        y_pred = torch.as_tensor(y_pred, dtype=torch.float32)
    if not isinstance(y_true, torch.Tensor):
        y_true = torch.as_tensor(y_true, device=y_pred.device)
    if y_true.dtype != y_pred.dtype and y_pred.is_floating_point():
        y_true = y_true.to(y_pred.dtype)
    return y_true, y_pred


def squeeze_or_expand_to_same_rank(
    x1: torch.Tensor, x2: torch.Tensor, expand_rank_1: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keras's rank fix: when the ranks differ by one and the longer tensor's last axis is 1,
    squeeze that axis, or, when the shorter one is 1-D, give it a trailing axis instead. So
    ``y_true`` of shape ``(n,)`` meets ``y_pred`` of shape ``(n, 1)`` sample by sample."""
    r1, r2 = x1.dim(), x2.dim()
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _same_rank(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    return squeeze_or_expand_to_same_rank(*_as_pair(y_true, y_pred))


def _same_shape(name: str, y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
    # Keras's PyTorch backend refuses to broadcast targets against outputs for cross-entropies.
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name} needs y_true and y_pred of the same shape; got y_true.shape="
            f"{tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}"
        )


# -- regression -------------------------------------------------------------------------------


def mean_squared_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    return torch.mean(torch.square(y_true - y_pred), dim=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=backend.epsilon()))
    return 100.0 * torch.mean(diff, dim=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    eps = backend.epsilon()
    first = torch.log(torch.clamp(y_pred, min=eps) + 1.0)
    second = torch.log(torch.clamp(y_true, min=eps) + 1.0)
    return torch.mean(torch.square(first - second), dim=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> torch.Tensor:
    """Per element ``0.5 e²`` where ``|e| <= delta``, else ``delta |e| - 0.5 delta²``; the mean
    over the last axis."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta**2
    return torch.mean(torch.where(abs_error <= delta, quadratic, linear), dim=-1)


def log_cosh(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as Keras does without overflow:
    ``x + softplus(-2x) - log(2)``."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    x = y_pred - y_true
    return torch.mean(x + F.softplus(-2.0 * x) - math.log(2.0), dim=-1)


def _l2_normalize(x: torch.Tensor) -> torch.Tensor:
    # Keras 3's ops.normalize: x * rsqrt(max(sum(x²), eps²)), i.e. x / max(|x|, eps).
    eps = backend.epsilon()
    square_sum = torch.sum(torch.square(x), dim=-1, keepdim=True)
    return x * torch.rsqrt(torch.clamp(square_sum, min=eps * eps))


def cosine_similarity(y_true: Any, y_pred: Any) -> torch.Tensor:
    """The loss form: ``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=-1)``, between -1
    (same direction) and 1 (opposite)."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    return -torch.sum(_l2_normalize(y_true) * _l2_normalize(y_pred), dim=-1)


# -- hinge ------------------------------------------------------------------------------------


def _hinge_labels(y_true: torch.Tensor) -> torch.Tensor:
    # Keras converts labels to -1/1 only when every label is 0 or 1; the choice stays on the
    # device (no .item()) so a training step never waits for it.
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; labels in {0, 1} become {-1, 1}."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.mean(torch.clamp(1.0 - y_true * y_pred, min=0.0), dim=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``; labels in {0, 1} become
    {-1, 1}."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.mean(torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)), dim=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis;
    ``y_true`` is one-hot."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


# -- probabilistic ----------------------------------------------------------------------------


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """``mean(-(y log p + (1 - y) log(1 - p)), axis=-1)``; probabilities are clipped to
    ``[1e-7, 1 - 1e-7]`` first, as Keras's PyTorch backend does. ``label_smoothing`` moves the
    targets towards 0.5."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    _same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        eps = backend.epsilon()
        values = F.binary_cross_entropy(
            torch.clamp(y_pred, eps, 1.0 - eps), y_true, reduction="none"
        )
    return torch.mean(values, dim=-1)


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """``-sum(y_true * log(p), axis=-1)`` with ``y_true`` one-hot (or soft) over the last axis.
    As Keras: the probabilities are divided by their sum, then clipped to ``[1e-7, 1 - 1e-7]``;
    with ``from_logits`` a log-softmax is used instead."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    _same_shape("categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        classes = y_pred.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        log_p = torch.log_softmax(y_pred, dim=-1)
    else:
        eps = backend.epsilon()
        p = y_pred / torch.sum(y_pred, dim=-1, keepdim=True)
        log_p = torch.log(torch.clamp(p, eps, 1.0 - eps))
    return -torch.sum(y_true * log_p, dim=-1)


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False
) -> torch.Tensor:
    """Categorical cross-entropy with integer class indices: ``y_true`` has ``y_pred``'s shape
    without its last axis, or with a last axis of 1. Normalised and clipped as Keras does."""
    if not isinstance(y_pred, torch.Tensor):
        y_pred = torch.as_tensor(y_pred, dtype=torch.float32)
    return backend.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits)


def kl_divergence(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to ``[1e-7, 1]``."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    eps = backend.epsilon()
    y_true = torch.clamp(y_true, eps, 1.0)
    y_pred = torch.clamp(y_pred, eps, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


def poisson(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``."""
    y_true, y_pred = _as_pair(y_true, y_pred)
    return torch.mean(y_pred - y_true * torch.log(y_pred + backend.epsilon()), dim=-1)


# Names for ``compile(loss=...)``: Keras 3's function names and aliases (``mse``, ``mae``,
# ``mape``, ``msle``, ``kld``, ``bce``) and Keras 2's legacy ones (``logcosh``,
# ``kullback_leibler_divergence``; ``huber_loss`` is the name of Keras's ``Huber`` class).
_LOSSES: dict[str, LossFunction] = {
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mape": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "msle": mean_squared_logarithmic_error,
    "binary_crossentropy": binary_crossentropy,
    "bce": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "huber": huber,
    "huber_loss": huber,
    "log_cosh": log_cosh,
    "logcosh": log_cosh,
    "hinge": hinge,
    "squared_hinge": squared_hinge,
    "categorical_hinge": categorical_hinge,
    "kl_divergence": kl_divergence,
    "kld": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
    "poisson": poisson,
    "cosine_similarity": cosine_similarity,
}
# Keras 3's loss classes by name; each resolves to its function under the class's default name.
_CLASS_NAMES: dict[str, str] = {
    "MeanSquaredError": "mean_squared_error",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "Huber": "huber_loss",
    "LogCosh": "log_cosh",
    "Hinge": "hinge",
    "SquaredHinge": "squared_hinge",
    "CategoricalHinge": "categorical_hinge",
    "KLDivergence": "kl_divergence",
    "Poisson": "poisson",
    "CosineSimilarity": "cosine_similarity",
}
_KNOWN: dict[str, str] = {**{name: name for name in _LOSSES}, **_CLASS_NAMES}


class Loss:
    """A loss ready for training: ``loss(y_true, y_pred)`` is a 0-d tensor.

    As Keras's ``LossFunctionWrapper``: ``y_true`` and ``y_pred`` are first brought to the same
    rank (:func:`squeeze_or_expand_to_same_rank`), then ``fn`` gives per-sample values, reduced
    with ``sum_over_batch_size`` (their sum over their number, i.e. the mean; 0 for none). A
    function that already returns a scalar is used as it is.

    Args:
        fn: ``fn(y_true, y_pred) -> tensor``.
        name: the loss's name; by default the function's ``__name__``.
        **kwargs: passed to ``fn`` on every call (``from_logits=True``, ``delta=2.0``...).
    """

    def __init__(self, fn: LossFunction, name: str | None = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"Loss needs a function f(y_true, y_pred); got {type(fn).__name__}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self.fn_kwargs = kwargs

    def __call__(
        self,
        y_true: Any,
        y_pred: Any,
        mask: torch.Tensor | None = None,
        sample_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The reduced loss. ``mask`` ``(batch, timesteps)``, the timestep mask of a sequence
        output: masked positions are left out, the rest averaged (Keras's
        ``sum(values * mask) / (sum(mask) + epsilon)``). ``sample_weight`` ``(batch,)`` weighs
        each sample's values: Keras's ``sum(values * weight) / number of values``."""
        y_true, y_pred = _same_rank(y_true, y_pred)
        values = self.fn(y_true, y_pred, **self.fn_kwargs)
        if not isinstance(values, torch.Tensor):
            values = torch.as_tensor(values, dtype=y_pred.dtype, device=y_pred.device)
        if sample_weight is not None and values.dim() > 0:
            weights = sample_weight.to(values.dtype).reshape(-1, *([1] * (values.dim() - 1)))
            weights = weights.expand_as(values)
            if mask is not None and values.shape == mask.shape:
                # Keras 3 scales the mask so that the mean over kept positions stays a mean.
                kept = mask.to(values.dtype)
                weights = weights * kept * (kept.numel() / (kept.sum() + backend.epsilon()))
            return (values * weights).sum() / max(values.numel(), 1)
        if mask is not None and values.shape == mask.shape:
            weights = mask.to(values.dtype)
            return (values * weights).sum() / (weights.sum() + backend.epsilon())
        if values.dim() == 0:
            return values
        if values.numel() == 0:
            return values.sum()
        return values.mean()

    def __repr__(self) -> str:
        return f"Loss({self.name!r})"


def get(identifier: str | Loss | LossFunction) -> Loss:
    """A :class:`Loss` from a name (Keras's function and class names and aliases, any case), a
    ``Loss`` (returned as is) or a function ``f(y_true, y_pred)`` (named by its ``__name__``).

    A name's loss is named as given (``'mse'`` stays ``'mse'``), as Keras names it; a class name
    gives the class's default name (``'MeanSquaredError'`` -> ``'mean_squared_error'``).
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        canonical = lookup("loss", identifier, _KNOWN)
        name = identifier if identifier.lower() == canonical.lower() else canonical
        return Loss(_LOSSES[canonical], name)
    if callable(identifier):
        return Loss(identifier)
    raise TypeError(
        f"loss must be a name such as 'mse', a Loss or a function f(y_true, y_pred); "
        f"got {type(identifier).__name__}"
    )


def function(name: str) -> LossFunction:
    """The per-sample function registered as ``name`` (any case)."""
    return _LOSSES[lookup("loss", name, _KNOWN)]


def is_builtin(loss: Loss) -> bool:
    """Whether ``loss`` is one of the registered Keras losses under a registered name (not a
    user's function)."""
    return not loss.fn_kwargs and _LOSSES.get(loss.name.lower()) is loss.fn


def serialize(loss: Loss) -> str:
    """The name a built-in loss was resolved from, for JSON configs."""
    if not is_builtin(loss):
        raise ValueError(f"loss {loss.name!r} is not a built-in one, so it cannot be saved by name")
    return loss.name
