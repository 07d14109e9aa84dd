"""Metrics that accumulate over batches as tensors, read once per epoch.

``update_state`` never reads a value back to Python (no host sync per batch); ``result`` gives a
0-d tensor. The averaging is Keras 3's: a metric function's per-sample values are averaged over
samples; a function that returns one scalar per batch is averaged over batches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from lstmkit import losses
from lstmkit._registry import lookup

__all__ = [
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "Mean",
    "MeanMetricWrapper",
    "Metric",
    "SparseCategoricalAccuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "get",
    "sparse_categorical_accuracy",
]

MetricFunction = Callable[[torch.Tensor, torch.Tensor], Any]


class Metric:
    """Base class: ``update_state(y_true, y_pred)``, ``result()``, ``reset_state()``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reset_state()

    def reset_state(self) -> None: ...
    def update_state(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> None: ...

    def result(self) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} does not define result()")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """The running mean of the values given to :meth:`add`: per-sample values (the first axis
    is the sample axis, others are averaged first) count once per sample, a scalar once."""

    def reset_state(self) -> None:
        self.total = torch.zeros((), dtype=torch.float64)
        self.count = 0

    def add(self, values: Any) -> None:
        with torch.no_grad():
            if not isinstance(values, torch.Tensor):
                values = torch.as_tensor(values)
            values = values.detach().to(torch.float64)
            if values.dim() > 1:
                values = values.mean(dim=tuple(range(1, values.dim())))
            self.total += values.sum()
            self.count += values.shape[0] if values.dim() else 1

    def result(self) -> torch.Tensor:
        return (self.total / max(self.count, 1)).to(torch.float32)


class MeanMetricWrapper(Mean):
    """Wraps ``fn(y_true, y_pred)`` (per-sample or scalar values) as a metric named ``name``."""

    def __init__(self, fn: MetricFunction, name: str | None = None) -> None:
        self.fn = fn
        super().__init__(name or getattr(fn, "__name__", type(fn).__name__))

    def update_state(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
        self.add(self.fn(y_true, y_pred))


def binary_accuracy(
    y_true: torch.Tensor, y_pred: torch.Tensor, threshold: float = 0.5
) -> torch.Tensor:
    """Per sample: the fraction of outputs on the right side of ``threshold``."""
    return torch.mean((y_true == (y_pred > threshold).to(y_true.dtype)).float(), dim=-1)


def categorical_accuracy(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Per sample: 1 where the argmax of the one-hot target and of the prediction agree."""
    return (torch.argmax(y_true, dim=-1) == torch.argmax(y_pred, dim=-1)).float()


def sparse_categorical_accuracy(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Per sample: 1 where the integer target equals the argmax of the prediction."""
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return (y_true.long() == torch.argmax(y_pred, dim=-1)).float()


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name: str = "binary_accuracy", threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__(self._accuracy, name)

    def _accuracy(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return binary_accuracy(y_true, y_pred, self.threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name: str = "categorical_accuracy") -> None:
        super().__init__(categorical_accuracy, name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name: str = "sparse_categorical_accuracy") -> None:
        super().__init__(sparse_categorical_accuracy, name)


_FUNCTIONS: dict[str, MetricFunction] = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "mse": losses.mean_squared_error,
    "mean_squared_error": losses.mean_squared_error,
    "mae": losses.mean_absolute_error,
    "mean_absolute_error": losses.mean_absolute_error,
    "mape": losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error": losses.mean_absolute_percentage_error,
    "msle": losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error": losses.mean_squared_logarithmic_error,
    "binary_crossentropy": losses.binary_crossentropy,
    "categorical_crossentropy": losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy,
    "kl_divergence": losses.kl_divergence,
    "poisson": losses.poisson,
    "cosine_similarity": losses.cosine_similarity,
}
_KNOWN = {**_FUNCTIONS, "accuracy": binary_accuracy, "acc": binary_accuracy}


def _accuracy_for(
    identifier: str, loss_name: str | None, y_true_shape: tuple, y_pred_shape: tuple
) -> Metric:
    # Keras 3's compile_utils.get_metric: decided by the output's last dimension and the ranks.
    loss = (loss_name or "").lower()
    if y_pred_shape[-1] == 1 or loss == "binary_crossentropy":
        return BinaryAccuracy(identifier)
    if (
        loss == "sparse_categorical_crossentropy"
        or len(y_true_shape) < len(y_pred_shape)
        or (y_true_shape[-1] == 1 and y_pred_shape[-1] != 1)
    ):
        return SparseCategoricalAccuracy(identifier)
    return CategoricalAccuracy(identifier)


def get(
    identifier: str | Metric | MetricFunction,
    *,
    loss_name: str | None,
    y_true_shape: tuple,
    y_pred_shape: tuple,
) -> Metric:
    """The metric for ``compile(metrics=[...])``. ``'accuracy'``/``'acc'`` become binary,
    sparse-categorical or categorical accuracy from the loss and the shapes, as Keras 3 decides;
    a string's metric keeps the string as its name (so ``'acc'`` logs as ``acc``)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return _accuracy_for(identifier, loss_name, y_true_shape, y_pred_shape)
        return MeanMetricWrapper(lookup("metric", identifier, _KNOWN), identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(
        f"a metric must be a name, a Metric or a function f(y_true, y_pred); "
        f"got {type(identifier).__name__}"
    )
