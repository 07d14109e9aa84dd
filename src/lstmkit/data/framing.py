"""From a series to supervised samples: lag frames, 3-D windows, chronological splits.

Shapes: a series is ``(n,)`` or ``(n, k)`` (rows in time order, ``k`` variables); windows are
``X (samples, look_back, features)`` — the ``[samples, timesteps, features]`` an LSTM reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["create_dataset", "make_windows", "series_to_supervised", "train_test_split"]


def _numeric_frame(data: Any, function: str) -> pd.DataFrame:
    """A DataFrame of ``data`` (list, 1-D/2-D array, Series, DataFrame), checked numeric and
    free of NaN; arrays get the columns ``var1..varK``."""
    return _check_numeric(_as_frame(data, function), function)


def _as_frame(data: Any, function: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, pd.Series):
        frame = data.to_frame()
    else:
        array = np.asarray(data)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise ValueError(
                f"{function} expects a series of shape (n,) or (n, variables); got shape "
                f"{array.shape}"
            )
        frame = pd.DataFrame(array, columns=[f"var{j + 1}" for j in range(array.shape[1])])
    return frame


def _check_numeric(frame: pd.DataFrame, function: str) -> pd.DataFrame:
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            value = frame[column].iloc[0] if len(frame) else None
            raise ValueError(
                f"{function} needs numeric columns; column {column!r} holds {value!r} "
                f"({frame[column].dtype})"
            )
    if frame.isna().to_numpy().any():
        column = frame.columns[frame.isna().any().to_numpy()][0]
        row = frame.index[frame[column].isna().to_numpy()][0]
        raise ValueError(f"{function}: column {column!r} has NaN at row {row!r}; fill it first")
    return frame


def _positive_int(function: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{function}: {name} must be a positive integer; got {name}={value!r}")
    return int(value)


def series_to_supervised(
    data: Any, n_in: int = 1, n_out: int = 1, dropnan: bool = True
) -> pd.DataFrame:
    """Frame a series as a supervised-learning table, the classic way.

    Columns: every variable at ``t-n_in``, …, ``t-1`` (the inputs), then at ``t``, ``t+1``, …,
    ``t+n_out-1`` (the outputs), named ``var1(t-1)``, ``var1(t)``, ``var1(t+1)`` — or, for a
    DataFrame, with its own column names (``Consumption(t-1)``), keeping its index. Rows whose
    shifted values fall outside the series hold NaN and are dropped with ``dropnan=True``:
    ``(n, k)`` → ``(n - n_in - n_out + 1, k * (n_in + n_out))``.
    """
    if isinstance(n_in, bool) or not isinstance(n_in, int | np.integer) or n_in < 0:
        raise ValueError(f"series_to_supervised: n_in must be >= 0; got n_in={n_in!r}")
    n_out = _positive_int("series_to_supervised", "n_out", n_out)
    frame = _numeric_frame(data, "series_to_supervised")
    names = [str(c) for c in frame.columns]
    columns, labels = [], []
    for shift in range(n_in, 0, -1):
        columns.append(frame.shift(shift))
        labels += [f"{name}(t-{shift})" for name in names]
    for shift in range(n_out):
        columns.append(frame.shift(-shift))
        labels += [f"{name}(t)" if shift == 0 else f"{name}(t+{shift})" for name in names]
    framed = pd.concat(columns, axis=1)
    framed.columns = labels
    return framed.dropna() if dropnan else framed


def _column_positions(frame: pd.DataFrame, wanted: Any, argument: str, function: str) -> list[int]:
    items = list(wanted) if isinstance(wanted, list | tuple) else [wanted]
    positions = []
    for item in items:
        if isinstance(item, int | np.integer) and not isinstance(item, bool):
            if not 0 <= item < frame.shape[1]:
                raise ValueError(
                    f"{function}: {argument} column index {item} is outside the data's "
                    f"{frame.shape[1]} columns"
                )
            positions.append(int(item))
        elif item in frame.columns:
            positions.append(frame.columns.get_loc(item))
        else:
            raise ValueError(
                f"{function}: {argument} {item!r} is not a column; the columns are "
                f"{[str(c) for c in frame.columns]}"
            )
    return positions


def make_windows(
    data: Any,
    look_back: int,
    horizon: int = 1,
    target: Any = None,
    stride: int = 1,
    features: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows over a series, ready for an LSTM.

    ``X[i]`` holds rows ``[s, s + look_back)`` of the ``features`` columns (default: every
    column), ``y[i]`` rows ``[s + look_back, s + look_back + horizon)`` of the ``target``
    column(s), for ``s = 0, stride, 2*stride, …`` while a whole ``y`` fits.

    Args:
        data: ``(n,)`` or ``(n, k)`` array, Series or DataFrame, rows in time order.
        look_back: timesteps per window. horizon: future values per window (>= 1).
        target: a column name or index, or a list of them; ``None`` for one-column data.
        stride: rows between consecutive windows.
        features: the columns of ``X`` (names or indices); ``None`` means every column.

    Returns:
        ``X (samples, look_back, features)`` and ``y (samples, horizon)`` for one target or
        ``(samples, horizon, targets)`` for a list of targets, float arrays.
    """
    frame = _as_frame(data, "make_windows")
    n = len(frame)
    look_back = _positive_int("make_windows", "look_back", look_back)
    horizon = _positive_int("make_windows", "horizon", horizon)
    stride = _positive_int("make_windows", "stride", stride)
    if look_back + horizon > n:
        raise ValueError(
            f"make_windows: look_back={look_back} plus horizon={horizon} needs at least "
            f"{look_back + horizon} rows; the series has {n}"
        )
    if target is None:
        if frame.shape[1] != 1:
            raise ValueError(
                f"make_windows: the data has {frame.shape[1]} columns; say which is the target "
                "with target=..."
            )
        target = 0
    several = isinstance(target, list | tuple)
    targets = _column_positions(frame, target, "target", "make_windows")
    inputs = (
        list(range(frame.shape[1]))
        if features is None
        else _column_positions(frame, features, "features", "make_windows")
    )
    used = sorted(set(targets) | set(inputs))
    _check_numeric(frame.iloc[:, used], "make_windows")
    values = np.zeros((n, frame.shape[1]))
    values[:, used] = frame.iloc[:, used].to_numpy(dtype=np.float64)
    starts = np.arange(0, n - look_back - horizon + 1, stride)
    X = np.stack([values[s : s + look_back][:, inputs] for s in starts])
    y = np.stack([values[s + look_back : s + look_back + horizon][:, targets] for s in starts])
    return X, (y if several else y[..., 0])


def create_dataset(series: Any, look_back: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The classic tutorial function: ``X[i] = series[i : i + look_back]``,
    ``y[i] = series[i + look_back]`` for ``i in range(len(series) - look_back - 1)``.

    The ``- 1`` drops the last usable window, as the tutorials' function does; their published
    numbers depend on it (``make_windows`` keeps every window). Accepts ``(n,)`` or ``(n, 1)``;
    returns ``X (n - look_back - 1, look_back)`` and ``y (n - look_back - 1,)``.
    """
    array = np.asarray(series, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"create_dataset expects one feature, shape (n,) or (n, 1); got shape {array.shape}"
        )
    look_back = _positive_int("create_dataset", "look_back", look_back)
    count = len(array) - look_back - 1
    if count < 1:
        raise ValueError(
            f"create_dataset: look_back={look_back} needs at least {look_back + 2} values; got "
            f"{len(array)}"
        )
    X = np.stack([array[i : i + look_back] for i in range(count)])
    return X, array[look_back : look_back + count]


def train_test_split(*arrays: Any, test_size: int | float) -> list[Any]:
    """Split every array at the same row, keeping time order (never shuffles):
    ``train_test_split(X, y, test_size=24)`` → ``[X_train, X_test, y_train, y_test]``.

    ``test_size``: rows in the test part (int) or its fraction in (0, 1), rounded up as
    scikit-learn does. Works on arrays, lists, Series and DataFrames (by position, index kept).
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        raise ValueError(f"train_test_split needs arrays of the same length; got {lengths}")
    n = lengths[0]
    if isinstance(test_size, bool) or not isinstance(test_size, int | float | np.number):
        raise ValueError(f"train_test_split: test_size must be a number; got {test_size!r}")
    if isinstance(test_size, float | np.floating):
        if not 0.0 < test_size < 1.0:
            raise ValueError(
                f"train_test_split: a fractional test_size must be in (0, 1); got {test_size}"
            )
        n_test = math.ceil(test_size * n)
    else:
        n_test = int(test_size)
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: test_size={test_size} of {n} rows leaves an empty training or "
            "test part"
        )
    split = n - n_test
    parts: list[Any] = []
    for array in arrays:
        if isinstance(array, pd.DataFrame | pd.Series):
            parts += [array.iloc[:split], array.iloc[split:]]
        elif isinstance(array, Sequence) and not isinstance(array, np.ndarray):
            parts += [list(array[:split]), list(array[split:])]
        else:
            array = np.asarray(array)
            parts += [array[:split], array[split:]]
    return parts
