"""The checks of JSON values that lstmkit's files hold (integers that are not booleans, finite
numbers, column names, optional values) and the conversion of NumPy scalars to plain JSON data,
shared by the forecaster file's parts."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__: list[str] = []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) or _is_int(value)


def _is_names(value: Any) -> bool:
    """A column (name or index) or a list of them."""
    return _is_name(value) or (isinstance(value, list) and all(_is_name(v) for v in value))


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def _plain(value: Any) -> Any:
    """``value`` as JSON data when it is plain (numpy scalars become Python's, tuples lists);
    anything else is returned unchanged, for the check to refuse."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
