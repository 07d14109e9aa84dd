"""Forecast scores on NumPy arrays in original units: RMSE, MAE, MAPE, sMAPE, R²."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as sk

__all__ = ["mae", "mape", "r2", "rmse", "smape"]


def _pair(name: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    true = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    if true.shape != pred.shape:
        raise ValueError(
            f"{name} needs y_true and y_pred of the same shape; got {true.shape} and {pred.shape}"
        )
    if true.size == 0:
        raise ValueError(f"{name} needs at least one value")
    for label, array in (("y_true", true), ("y_pred", pred)):
        if not np.isfinite(array).all():
            raise ValueError(f"{name}: {label} contains NaN or inf")
    return true.ravel(), pred.ravel()


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error, in the data's units."""
    return float(sk.root_mean_squared_error(*_pair("rmse", y_true, y_pred)))


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error, in the data's units."""
    return float(sk.mean_absolute_error(*_pair("mae", y_true, y_pred)))


def mape(y_true: Any, y_pred: Any) -> float:
    """Mean absolute percentage error, in percent. A zero in ``y_true`` is an error (the
    percentage is undefined; scikit-learn returns an astronomically large number instead)."""
    true, pred = _pair("mape", y_true, y_pred)
    if np.any(true == 0):
        raise ValueError("mape is undefined where y_true is 0; use mae or smape")
    return float(100.0 * sk.mean_absolute_percentage_error(true, pred))


def smape(y_true: Any, y_pred: Any) -> float:
    """Symmetric MAPE in percent, ``100/n Σ 2|F − A| / (|A| + |F|)`` (0 to 200); a term where
    both are 0 counts 0."""
    true, pred = _pair("smape", y_true, y_pred)
    denominator = np.abs(true) + np.abs(pred)
    terms = np.divide(
        2.0 * np.abs(pred - true), denominator, out=np.zeros_like(true), where=denominator > 0
    )
    return float(100.0 * terms.mean())


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination (1 is perfect, 0 is the mean's skill)."""
    return float(sk.r2_score(*_pair("r2", y_true, y_pred)))
