"""Metrics that accumulate over batches as tensors and are read once per epoch.

``update_state`` never reads a value back to Python (no ``.item()``, no host sync per batch): the
running total is a 0-d tensor updated in place, without autograd; the sample count comes from the
values' shape, which the host knows without asking the device, so it is kept as a Python int
(a tensor would cost one more operation per batch and gain nothing). ``result()`` gives a 0-d
float32 tensor.

The averaging is Keras 3's ``Mean``: a metric function's values are first averaged over every
axis but the first, then each sample counts once, so per-sample values are averaged over samples
while a function that returns one scalar per batch is averaged over batches, unweighted.
"""

from __future__ import annotations

import inspect
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
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "cosine_similarity",
    "get",
    "sparse_categorical_accuracy",
]

MetricFunction = Callable[..., Any]


class Metric:
    """Base class: ``update_state(y_true, y_pred)``, ``result()`` (a 0-d tensor),
    ``reset_state()``; ``name`` is the key it is logged under."""

    #: Whether a better model makes the metric go ``"up"`` (accuracy) or ``"down"`` (an
    #: error); ``None`` when unknown (a user's function). Callbacks with ``mode='auto'`` use it.
    direction: str | None = None

    #: Whether the result over several batches equals the result over their concatenation
    #: (a mean of per-sample values): the training loop may then update it once per epoch.
    batch_invariant: bool = False

    def __init__(self, name: str | None = None) -> None:
        self.name = name or _snake(type(self).__name__)
        self.reset_state()

    def reset_state(self) -> None:
        """Forget everything accumulated."""
        raise NotImplementedError(f"{type(self).__name__} must define reset_state()")

    def update_state(
        self, y_true: torch.Tensor, y_pred: torch.Tensor, mask: torch.Tensor | None = None
    ) -> None:
        """Accumulate one batch; ``mask`` ``(batch, timesteps)`` leaves masked positions of a
        sequence output out."""
        raise NotImplementedError(f"{type(self).__name__} must define update_state()")

    def result(self) -> torch.Tensor:
        """The metric's value over everything accumulated, as a 0-d tensor."""
        raise NotImplementedError(f"{type(self).__name__} must define result()")

    def reset_states(self) -> None:
        """Keras 2's spelling of :meth:`reset_state`."""
        self.reset_state()

    def __call__(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        """Accumulate one batch and return the running result, as Keras's ``Metric.__call__``."""
        self.update_state(y_true, y_pred)
        return self.result()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


class Mean(Metric):
    """The running mean of the values given to :meth:`add` (Keras's ``Mean.update_state``):
    values of rank > 1 are averaged over all axes but the first; then ``total += sum(values)`` and
    ``count += values.shape[0]`` (1 for a scalar). ``result()`` is ``total / count``, 0 while
    ``count`` is 0."""

    def reset_state(self) -> None:
        # A float64 total: sums over many batches keep float32's precision.
        self.total = torch.zeros((), dtype=torch.float64)
        self.count = 0
        # Masked positions counted as a tensor, so a masked update needs no host sync either.
        self.weight = torch.zeros((), dtype=torch.float64)

    def add(self, values: Any, mask: torch.Tensor | None = None) -> None:
        """Accumulate ``values`` (a tensor, an array or a number) without reading them back.
        With ``mask`` of ``values``'s shape, only the unmasked values count."""
        if not isinstance(values, torch.Tensor):
            values = torch.as_tensor(values)
        # Detached, so the in-place sum records no graph even when autograd is on.
        values = values.detach()
        if not values.is_floating_point():
            values = values.to(torch.float32)
        if self.total.device != values.device:
            # The accumulators follow the values to their device (once per reset, not per
            # batch); MPS has no float64, so there they sum in float32.
            dtype = torch.float32 if values.device.type == "mps" else torch.float64
            self.total = self.total.to(values.device, dtype)
            self.weight = self.weight.to(values.device, dtype)
        if mask is not None and values.shape == mask.shape:
            weights = mask.to(self.total.dtype)
            self.total.add_((values * weights).sum())
            self.weight = self.weight + weights.sum()
            return
        if values.dim() == 0:
            self.total.add_(values)
            self.count += 1
            return
        n = values.shape[0]
        if values.dim() > 1:
            if values.numel() == n:  # (n, 1, ...): the per-sample mean is the value itself
                values = values.reshape(n)
            else:
                values = values.mean(dim=tuple(range(1, values.dim())))
        self.total.add_(values.sum())
        self.count += n

    def update_state(self, values: Any) -> None:  # type: ignore[override]
        """Keras's ``Mean.update_state(values)``: the same as :meth:`add`."""
        self.add(values)

    def result(self) -> torch.Tensor:
        # Keras's divide_no_nan: 0 before any update (the total is then 0 too).
        count = self.weight + self.count
        return (self.total / torch.clamp(count, min=1.0)).to(torch.float32)


class MeanMetricWrapper(Mean):
    """Wraps ``fn(y_true, y_pred, **kwargs)`` (per-sample or scalar values) as a :class:`Mean`
    named ``name`` (by default the function's ``__name__``)."""

    def __init__(self, fn: MetricFunction, name: str | None = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(
                f"MeanMetricWrapper needs a function f(y_true, y_pred); got {type(fn).__name__}"
            )
        self.fn = fn
        self.fn_kwargs = kwargs
        if fn in _UP:
            self.direction = "up"
        elif fn in _DOWN:
            self.direction = "down"
        # The built-in functions give one value per sample (a user's may give one per batch,
        # which Keras averages per batch).
        self.batch_invariant = fn in _UP or fn in _DOWN
        super().__init__(name or getattr(fn, "__name__", type(fn).__name__))

    def update_state(self, y_true: Any, y_pred: Any, mask: torch.Tensor | None = None) -> None:
        if torch.is_grad_enabled():  # the training loop already runs metrics without autograd
            with torch.no_grad():
                self.add(self.fn(y_true, y_pred, **self.fn_kwargs), mask)
        else:
            self.add(self.fn(y_true, y_pred, **self.fn_kwargs), mask)


class RootMeanSquaredError(Mean):
    """``sqrt(mean(square(y_pred - y_true)))`` over every element seen (Keras's
    ``RootMeanSquaredError``: the root is taken of the running mean, not averaged per batch)."""

    direction = "down"

    def __init__(self, name: str = "root_mean_squared_error") -> None:
        super().__init__(name)

    def update_state(self, y_true: Any, y_pred: Any, mask: torch.Tensor | None = None) -> None:
        y_true, y_pred = losses.squeeze_or_expand_to_same_rank(*losses._as_pair(y_true, y_pred))
        squares = torch.square(y_pred.detach() - y_true)
        if mask is not None and squares.shape[:-1] == mask.shape:
            self.add(squares.mean(dim=-1), mask)
        else:
            self.add(squares)

    def result(self) -> torch.Tensor:
        return torch.sqrt(super().result())


# -- metric functions -------------------------------------------------------------------------


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> torch.Tensor:
    """Element-wise 1.0 where ``y_pred > threshold`` agrees with ``y_true`` (0 or 1), else 0.0;
    the shape of the inputs after the rank fix (Keras 3 averages later, in :class:`Mean`)."""
    y_true, y_pred = losses.squeeze_or_expand_to_same_rank(*losses._as_pair(y_true, y_pred))
    return (y_true == (y_pred > threshold).to(y_true.dtype)).to(torch.float32)


def categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Per sample: 1.0 where the argmax of the one-hot ``y_true`` equals the argmax of
    ``y_pred``, else 0.0."""
    y_true, y_pred = losses._as_pair(y_true, y_pred)
    return (torch.argmax(y_true, dim=-1) == torch.argmax(y_pred, dim=-1)).to(torch.float32)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Per sample: 1.0 where the integer label ``y_true`` (shape ``y_pred.shape[:-1]`` or with a
    last axis of 1) equals the argmax of ``y_pred``, else 0.0."""
    y_true, y_pred = losses._as_pair(y_true, y_pred)
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    # Compared in y_true's dtype, as Keras does (labels arrive as floats).
    matches = y_true == torch.argmax(y_pred, dim=-1).to(y_true.dtype)
    return matches.to(torch.float32)


def cosine_similarity(y_true: Any, y_pred: Any) -> torch.Tensor:
    """The metric form (positive): ``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=-1)``,
    1 for the same direction. The loss of the same name is its negative."""
    return -losses.cosine_similarity(y_true, y_pred)


# -- metric classes ---------------------------------------------------------------------------


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 targets."""

    def __init__(self, name: str = "binary_accuracy", threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__(binary_accuracy, name, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (argmax) matches the one-hot target's."""

    def __init__(self, name: str = "categorical_accuracy") -> None:
        super().__init__(categorical_accuracy, name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (argmax) matches the integer target."""

    def __init__(self, name: str = "sparse_categorical_accuracy") -> None:
        super().__init__(sparse_categorical_accuracy, name)


# Directions of the built-in metric functions (Keras's ``_direction``): accuracies and cosine
# similarity go up; errors and losses go down.
_UP = {binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, cosine_similarity}
_DOWN = {
    losses.mean_squared_error,
    losses.mean_absolute_error,
    losses.mean_absolute_percentage_error,
    losses.mean_squared_logarithmic_error,
    losses.log_cosh,
    losses.binary_crossentropy,
    losses.categorical_crossentropy,
    losses.sparse_categorical_crossentropy,
    losses.kl_divergence,
    losses.poisson,
    losses.hinge,
    losses.squared_hinge,
    losses.categorical_hinge,
}


def _wrap(fn: MetricFunction) -> Callable[[str], Metric]:
    return lambda name: MeanMetricWrapper(fn, name)


# Names for ``compile(metrics=[...])``: Keras 3's metric functions, classes (by class name and by
# its snake-case form) and aliases; the metric takes the name exactly as given.
_METRICS: dict[str, Callable[[str], Metric]] = {
    "binary_accuracy": BinaryAccuracy,
    "BinaryAccuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "CategoricalAccuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "SparseCategoricalAccuracy": SparseCategoricalAccuracy,
    "mean_squared_error": _wrap(losses.mean_squared_error),
    "MeanSquaredError": _wrap(losses.mean_squared_error),
    "mse": _wrap(losses.mean_squared_error),
    "mean_absolute_error": _wrap(losses.mean_absolute_error),
    "MeanAbsoluteError": _wrap(losses.mean_absolute_error),
    "mae": _wrap(losses.mean_absolute_error),
    "mean_absolute_percentage_error": _wrap(losses.mean_absolute_percentage_error),
    "MeanAbsolutePercentageError": _wrap(losses.mean_absolute_percentage_error),
    "mape": _wrap(losses.mean_absolute_percentage_error),
    "mean_squared_logarithmic_error": _wrap(losses.mean_squared_logarithmic_error),
    "MeanSquaredLogarithmicError": _wrap(losses.mean_squared_logarithmic_error),
    "msle": _wrap(losses.mean_squared_logarithmic_error),
    "root_mean_squared_error": RootMeanSquaredError,
    "RootMeanSquaredError": RootMeanSquaredError,
    "cosine_similarity": _wrap(cosine_similarity),
    "CosineSimilarity": _wrap(cosine_similarity),
    "log_cosh_error": _wrap(losses.log_cosh),
    "LogCoshError": _wrap(losses.log_cosh),
    "log_cosh": _wrap(losses.log_cosh),
    "logcosh": _wrap(losses.log_cosh),
    "binary_crossentropy": _wrap(losses.binary_crossentropy),
    "BinaryCrossentropy": _wrap(losses.binary_crossentropy),
    "bce": _wrap(losses.binary_crossentropy),
    "categorical_crossentropy": _wrap(losses.categorical_crossentropy),
    "CategoricalCrossentropy": _wrap(losses.categorical_crossentropy),
    "sparse_categorical_crossentropy": _wrap(losses.sparse_categorical_crossentropy),
    "SparseCategoricalCrossentropy": _wrap(losses.sparse_categorical_crossentropy),
    "kl_divergence": _wrap(losses.kl_divergence),
    "KLDivergence": _wrap(losses.kl_divergence),
    "kld": _wrap(losses.kl_divergence),
    "kullback_leibler_divergence": _wrap(losses.kl_divergence),
    "poisson": _wrap(losses.poisson),
    "Poisson": _wrap(losses.poisson),
    "hinge": _wrap(losses.hinge),
    "Hinge": _wrap(losses.hinge),
    "squared_hinge": _wrap(losses.squared_hinge),
    "SquaredHinge": _wrap(losses.squared_hinge),
    "categorical_hinge": _wrap(losses.categorical_hinge),
    "CategoricalHinge": _wrap(losses.categorical_hinge),
}
_ACCURACY = ("accuracy", "acc")


def _accuracy_for(
    identifier: str, loss_name: str | None, y_true_shape: tuple, y_pred_shape: tuple
) -> Metric:
    """Keras 3's ``compile_utils.get_metric`` for ``'accuracy'``: binary when the output's last
    dimension is 1; sparse categorical when ``y_true`` has a lower rank than ``y_pred``, or a last
    dimension of 1 against more than one output; categorical otherwise. The loss decides first
    when it is binary or sparse cross-entropy (Keras 2's rule), so a multi-label sigmoid output
    trained with binary cross-entropy reports binary accuracy."""
    loss_fn = None
    if loss_name is not None:
        try:
            loss_fn = losses.function(loss_name)
        except ValueError:  # a user's loss: only the shapes decide
            loss_fn = None
    y_t_rank, y_p_rank = len(y_true_shape), len(y_pred_shape)
    y_t_last = y_true_shape[-1] if y_t_rank else None
    y_p_last = y_pred_shape[-1] if y_p_rank else None
    is_binary = y_p_last == 1 or loss_fn is losses.binary_crossentropy
    is_sparse = (
        loss_fn is losses.sparse_categorical_crossentropy
        or y_t_rank < y_p_rank
        or (y_t_last == 1 and y_p_last is not None and y_p_last > 1)
    )
    if is_binary:
        return BinaryAccuracy(identifier)
    if is_sparse:
        return SparseCategoricalAccuracy(identifier)
    return CategoricalAccuracy(identifier)


def get(
    identifier: str | Metric | type[Metric] | MetricFunction,
    *,
    loss_name: str | None,
    y_true_shape: tuple,
    y_pred_shape: tuple,
) -> Metric:
    """The metric for ``compile(metrics=[...])``, as Keras 3's ``compile_utils.get_metric``.

    ``'accuracy'``/``'acc'`` become binary, sparse categorical or categorical accuracy from the
    shapes and the loss (see :func:`_accuracy_for`). A string's metric is named exactly as the
    string (``'acc'`` logs as ``acc``, ``'mae'`` as ``mae``); a :class:`Metric` keeps its name; a
    Metric class is instantiated; a function is wrapped in :class:`MeanMetricWrapper` named by its
    ``__name__``. An unknown name raises ``ValueError`` listing the known ones.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in _ACCURACY:
            return _accuracy_for(identifier, loss_name, tuple(y_true_shape), tuple(y_pred_shape))
        known = {**_METRICS, "accuracy": BinaryAccuracy, "acc": BinaryAccuracy}
        return lookup("metric", identifier, known)(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(
        f"a metric must be a name, a Metric or a function f(y_true, y_pred); "
        f"got {type(identifier).__name__}"
    )
