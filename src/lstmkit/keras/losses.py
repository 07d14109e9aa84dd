"""``keras.losses``: lstmkit's loss functions and ``Loss``."""

from typing import Any

from lstmkit.keras._support import module_getattr, not_supported
from lstmkit.losses import (
    Loss,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    get,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)


def _loss_class(class_name: str, default_name: str, fn: Any, options: tuple[str, ...] = ()) -> type:
    """Keras's loss class ``class_name``: a :class:`Loss` of ``fn``; the keyword ``options``
    (``from_logits``, ``delta``...) go to ``fn`` when they differ from its defaults, and
    ``reduction`` may only be Keras's default."""

    def __init__(self: Loss, name: str = default_name, **kwargs: Any) -> None:  # noqa: N807
        reduction = kwargs.pop("reduction", "sum_over_batch_size")
        if reduction not in ("sum_over_batch_size", "auto", None):
            raise not_supported(f"keras.losses.{class_name}(reduction={reduction!r})")
        extra = {key: kwargs.pop(key) for key in options if key in kwargs}
        if kwargs:
            raise not_supported(f"keras.losses.{class_name}({next(iter(kwargs))}=...)")
        extra = {k: v for k, v in extra.items() if not (k == "from_logits" and v is False)}
        Loss.__init__(self, fn, name, **extra)

    return type(class_name, (Loss,), {"__init__": __init__, "__module__": "lstmkit.keras.losses"})


MeanSquaredError = _loss_class("MeanSquaredError", "mean_squared_error", mean_squared_error)
MeanAbsoluteError = _loss_class("MeanAbsoluteError", "mean_absolute_error", mean_absolute_error)
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError",
    "mean_absolute_percentage_error",
    mean_absolute_percentage_error,
)
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError",
    "mean_squared_logarithmic_error",
    mean_squared_logarithmic_error,
)
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", "binary_crossentropy", binary_crossentropy, ("from_logits",)
)
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy",
    "categorical_crossentropy",
    categorical_crossentropy,
    ("from_logits",),
)
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy",
    "sparse_categorical_crossentropy",
    sparse_categorical_crossentropy,
    ("from_logits",),
)
Huber = _loss_class("Huber", "huber_loss", huber, ("delta",))
LogCosh = _loss_class("LogCosh", "log_cosh", log_cosh)

# Keras's short aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

__all__ = [
    "KLD",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Huber",
    "LogCosh",
    "Loss",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "kullback_leibler_divergence",
    "log_cosh",
    "logcosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]

__getattr__ = module_getattr("keras.losses")
