"""What the command line prints or writes as JSON: plain data from NumPy values and paths."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["json_data"]


def json_data(value: Any) -> Any:
    """``value`` with dict keys as strings, tuples and arrays as lists, NumPy scalars as Python
    numbers, paths as strings, and NaN or infinity as ``None`` (JSON's null)."""
    if isinstance(value, dict):
        return {str(key): json_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_data(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value
