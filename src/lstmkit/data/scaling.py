"""Leak-free scaling with a real inverse for the target: :class:`SeriesScaler`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.validation import check_is_fitted

__all__ = ["SeriesScaler"]


class SeriesScaler(TransformerMixin, BaseEstimator):
    """Scales the target and the feature columns of a series with two clones of a scikit-learn
    scaler, so the target scales back on its own.

    Fit it on the training part only (``scaler.fit(train)``): the statistics of the test part
    then never reach the model. ``inverse_transform_target(predictions)`` returns the target in
    original units from predictions of any shape — no concatenating a prediction column with
    dummy feature columns to call ``inverse_transform`` on the whole frame.

    Args:
        target: the target column (name for DataFrames, index for arrays) or a list of them.
        features: the other columns to scale; ``None`` means every other numeric column.
            Columns that are neither (dates, text) pass through unchanged.
        scaler: a scikit-learn transformer (cloned, never fitted in place); ``None`` means
            ``MinMaxScaler()``, to [0, 1].

    Shapes: ``transform`` keeps the input's shape and type (a DataFrame stays a DataFrame with
    its columns, order and index). Fitted attributes: ``target_scaler_``, ``feature_scaler_``
    (``None`` without features), ``target_columns_``, ``feature_columns_``, ``n_features_in_``,
    ``feature_names_in_`` (DataFrames).
    """

    def __init__(self, target: Any, features: Any = None, scaler: Any = None) -> None:
        self.target = target
        self.features = features
        self.scaler = scaler

    def _frame(self, X: Any) -> tuple[pd.DataFrame, bool]:
        if isinstance(X, pd.DataFrame):
            return X, True
        array = np.asarray(X)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise ValueError(f"SeriesScaler expects 2-D data (rows, columns); got {array.shape}")
        return pd.DataFrame(array), False

    def _columns(self, frame: pd.DataFrame, wanted: Any, argument: str) -> list[Any]:
        items = list(wanted) if isinstance(wanted, list | tuple) else [wanted]
        for item in items:
            if item not in frame.columns:
                raise ValueError(
                    f"SeriesScaler: {argument} {item!r} is not a column; the columns are "
                    f"{list(frame.columns)}"
                )
            if not pd.api.types.is_numeric_dtype(frame[item]):
                raise ValueError(
                    f"SeriesScaler: {argument} column {item!r} is not numeric "
                    f"({frame[item].dtype}, e.g. {frame[item].iloc[0]!r})"
                )
        return items

    def fit(self, X: Any, y: Any = None) -> SeriesScaler:
        """Learn the scale of the target and feature columns of ``X`` (the training part)."""
        frame, is_frame = self._frame(X)
        if frame.isna().to_numpy().any():
            column = frame.columns[frame.isna().any().to_numpy()][0]
            raise ValueError(f"SeriesScaler: column {column!r} has NaN; fill it before scaling")
        self.target_columns_ = self._columns(frame, self.target, "target")
        if self.features is None:
            self.feature_columns_ = [
                c
                for c in frame.columns
                if c not in self.target_columns_ and pd.api.types.is_numeric_dtype(frame[c])
            ]
        else:
            features = self._columns(frame, self.features, "feature")
            self.feature_columns_ = [c for c in features if c not in self.target_columns_]
        base = MinMaxScaler() if self.scaler is None else self.scaler
        values = lambda columns: frame[columns].to_numpy(dtype=np.float64)  # noqa: E731
        self.target_scaler_ = clone(base).fit(values(self.target_columns_))
        self.feature_scaler_ = (
            clone(base).fit(values(self.feature_columns_)) if self.feature_columns_ else None
        )
        self.n_features_in_ = frame.shape[1]
        if is_frame:
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def _apply(self, X: Any, method: str) -> Any:
        check_is_fitted(self, "target_scaler_")
        frame, is_frame = self._frame(X)
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"SeriesScaler was fitted on {self.n_features_in_} columns; got {frame.shape[1]}"
            )
        out = frame.copy()
        for columns, scaler in (
            (self.target_columns_, self.target_scaler_),
            (self.feature_columns_, self.feature_scaler_),
        ):
            if scaler is not None and columns:
                scaled = getattr(scaler, method)(frame[columns].to_numpy(dtype=np.float64))
                out[columns] = scaled
        return out if is_frame else out.to_numpy(dtype=np.float64).reshape(np.shape(X))

    def transform(self, X: Any) -> Any:
        """Scale the target and feature columns; other columns pass through."""
        return self._apply(X, "transform")

    def inverse_transform(self, X: Any) -> Any:
        """Undo :meth:`transform` on a whole frame or array."""
        return self._apply(X, "inverse_transform")

    def inverse_transform_target(self, y_scaled: Any) -> np.ndarray:
        """Scaled target values → original units, in the same shape.

        ``y_scaled``: any shape whose last axis is the targets (``(n, horizon, targets)``,
        ``(n, targets)``); with one target, any shape at all (``(n,)``, ``(n, horizon)``,
        ``(n, horizon, 1)``).
        """
        check_is_fitted(self, "target_scaler_")
        values = np.asarray(y_scaled, dtype=np.float64)
        count = len(self.target_columns_)
        if count > 1 and (values.ndim == 0 or values.shape[-1] != count):
            raise ValueError(
                f"SeriesScaler has {count} targets, so the last axis of y_scaled must be {count}; "
                f"got shape {values.shape}"
            )
        flat = values.reshape(-1, count)
        return self.target_scaler_.inverse_transform(flat).reshape(values.shape)
