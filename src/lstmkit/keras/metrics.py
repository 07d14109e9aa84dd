"""``keras.metrics``: lstmkit's metrics (the loss functions serve as metric functions too)."""

from lstmkit.keras._support import module_getattr
from lstmkit.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from lstmkit.metrics import (
    BinaryAccuracy,
    CategoricalAccuracy,
    Mean,
    MeanMetricWrapper,
    Metric,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    get,
    sparse_categorical_accuracy,
)


class MeanSquaredError(MeanMetricWrapper):
    """Keras's ``MeanSquaredError`` metric."""

    def __init__(self, name: str = "mean_squared_error", **kwargs: object) -> None:
        super().__init__(mean_squared_error, name)


class MeanAbsoluteError(MeanMetricWrapper):
    """Keras's ``MeanAbsoluteError`` metric."""

    def __init__(self, name: str = "mean_absolute_error", **kwargs: object) -> None:
        super().__init__(mean_absolute_error, name)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Keras's ``MeanAbsolutePercentageError`` metric."""

    def __init__(self, name: str = "mean_absolute_percentage_error", **kwargs: object) -> None:
        super().__init__(mean_absolute_percentage_error, name)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error

__all__ = [
    "MAE",
    "MAPE",
    "MSE",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "get",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mse",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
]

__getattr__ = module_getattr("keras.metrics")
