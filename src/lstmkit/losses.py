"""Loss functions as Keras 3 defines them.

Each function takes ``y_true`` and ``y_pred`` of shape ``(batch, ..., d)`` and returns one value
per sample, reducing the last axis: shape ``(batch, ...)``. :class:`Loss` reduces those to the
scalar that training minimises with Keras's default ``sum_over_batch_size`` (their mean).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from lstmkit._registry import lookup

__all__ = [
    "Loss",
    "binary_crossentropy",
    "categorical_crossentropy",
    "cosine_similarity",
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
]

EPSILON = 1e-7
LossFunction = Callable[..., torch.Tensor]


def mean_squared_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return torch.mean(torch.square(y_pred - y_true), dim=-1)


def mean_absolute_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return torch.mean(torch.abs(y_pred - y_true), dim=-1)


def mean_absolute_percentage_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=EPSILON))
    return 100.0 * torch.mean(diff, dim=-1)


def mean_squared_logarithmic_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    first = torch.log(torch.clamp(y_pred, min=EPSILON) + 1.0)
    second = torch.log(torch.clamp(y_true, min=EPSILON) + 1.0)
    return torch.mean(torch.square(first - second), dim=-1)


def binary_crossentropy(
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` first, as Keras does."""
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        p = torch.clamp(y_pred, EPSILON, 1.0 - EPSILON)
        values = -(y_true * torch.log(p) + (1.0 - y_true) * torch.log(1.0 - p))
    return torch.mean(values, dim=-1)


def categorical_crossentropy(
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Probabilities are renormalised to sum to 1 and clipped to ``[1e-7, 1 - 1e-7]``, as Keras
    does; ``y_true`` is one-hot (or soft) over the last axis."""
    if label_smoothing:
        classes = y_true.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        return -torch.sum(y_true * torch.log_softmax(y_pred, dim=-1), dim=-1)
    p = y_pred / torch.sum(y_pred, dim=-1, keepdim=True)
    p = torch.clamp(p, EPSILON, 1.0 - EPSILON)
    return -torch.sum(y_true * torch.log(p), dim=-1)


def sparse_categorical_crossentropy(
    y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False
) -> torch.Tensor:
    """``y_true`` holds integer class indices, shaped like ``y_pred`` without its last axis (or
    with a last axis of 1)."""
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    labels = y_true.long().unsqueeze(-1)
    if from_logits:
        log_p = torch.log_softmax(y_pred, dim=-1)
    else:
        p = y_pred / torch.sum(y_pred, dim=-1, keepdim=True)
        log_p = torch.log(torch.clamp(p, EPSILON, 1.0 - EPSILON))
    return -torch.gather(log_p, -1, labels).squeeze(-1)


def huber(y_true: torch.Tensor, y_pred: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    error = torch.abs(y_pred - y_true)
    quadratic = 0.5 * torch.square(error)
    linear = delta * error - 0.5 * delta**2
    return torch.mean(torch.where(error <= delta, quadratic, linear), dim=-1)


def log_cosh(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    x = y_pred - y_true
    return torch.mean(x + F.softplus(-2.0 * x) - math.log(2.0), dim=-1)


def hinge(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Labels in {0, 1} are mapped to {-1, 1}, as Keras does."""
    y_true = torch.where(y_true == 0, -torch.ones_like(y_true), y_true)
    return torch.mean(torch.clamp(1.0 - y_true * y_pred, min=0.0), dim=-1)


def squared_hinge(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    y_true = torch.where(y_true == 0, -torch.ones_like(y_true), y_true)
    return torch.mean(torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)), dim=-1)


def kl_divergence(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    y_true = torch.clamp(y_true, EPSILON, 1.0)
    y_pred = torch.clamp(y_pred, EPSILON, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


def poisson(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return torch.mean(y_pred - y_true * torch.log(y_pred + EPSILON), dim=-1)


def cosine_similarity(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Keras's loss form: the negative cosine similarity."""
    return -torch.sum(F.normalize(y_true, dim=-1) * F.normalize(y_pred, dim=-1), dim=-1)


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
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "huber": huber,
    "huber_loss": huber,
    "log_cosh": log_cosh,
    "logcosh": log_cosh,
    "hinge": hinge,
    "squared_hinge": squared_hinge,
    "kl_divergence": kl_divergence,
    "kld": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
    "poisson": poisson,
    "cosine_similarity": cosine_similarity,
}


class Loss:
    """A loss ready for training: ``loss(y_true, y_pred)`` is the mean of the per-sample values
    (Keras's ``sum_over_batch_size``); a user function that already returns a scalar is used as
    it is. ``name`` is the registered name or the function's ``__name__``."""

    def __init__(self, fn: LossFunction, name: str | None = None) -> None:
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        values = self.fn(y_true, y_pred)
        if not isinstance(values, torch.Tensor):
            values = torch.as_tensor(values, dtype=y_pred.dtype)
        return values if values.dim() == 0 else values.mean()

    def __repr__(self) -> str:
        return f"Loss({self.name!r})"


def get(identifier: str | Loss | LossFunction) -> Loss:
    """A :class:`Loss` from a name (Keras's and its aliases), a ``Loss`` or a callable
    ``f(y_true, y_pred)``."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        return Loss(lookup("loss", identifier, _LOSSES), identifier)
    if callable(identifier):
        return Loss(identifier)
    raise TypeError(
        f"loss must be a name such as 'mse' or a function f(y_true, y_pred); "
        f"got {type(identifier).__name__}"
    )


def is_builtin(loss: Loss) -> bool:
    """Whether ``loss`` is one of the registered Keras losses (not a user's function)."""
    return _LOSSES.get(loss.name.lower()) is loss.fn


def serialize(loss: Loss) -> str:
    """The name a built-in loss was resolved from, for JSON configs."""
    if _LOSSES.get(loss.name) is not loss.fn:
        raise ValueError(f"loss {loss.name!r} is not a built-in one, so it cannot be saved by name")
    return loss.name


def function(name: str) -> LossFunction:
    """The per-sample function registered as ``name``."""
    return lookup("loss", name, _LOSSES)
