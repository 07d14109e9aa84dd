"""Sequence data: framing and windows, encoding, padding, leak-free scaling, scores, and the
shipped datasets.

``from lstmkit.data import series_to_supervised, make_windows, SeriesScaler, rmse``

The modules that need pandas or scikit-learn (framing, scaling, scores, datasets) are imported
when one of their names is first used, so that ``lstmkit.data.sequences`` (``pad_sequences``,
which Keras scripts import through ``lstmkit.keras``) does not load them.
"""

from __future__ import annotations

import importlib
from typing import Any

from lstmkit.data.encoding import one_hot_decode, one_hot_encode
from lstmkit.data.sequences import pad_sequences

__all__ = [
    "DATASETS",
    "SeriesScaler",
    "create_dataset",
    "dataset_path",
    "load_dataset",
    "mae",
    "make_windows",
    "mape",
    "one_hot_decode",
    "one_hot_encode",
    "pad_sequences",
    "r2",
    "rmse",
    "series_to_supervised",
    "smape",
    "train_test_split",
]

_LAZY = {
    "DATASETS": "datasets",
    "dataset_path": "datasets",
    "load_dataset": "datasets",
    "create_dataset": "framing",
    "make_windows": "framing",
    "series_to_supervised": "framing",
    "train_test_split": "framing",
    "SeriesScaler": "scaling",
    "mae": "scores",
    "mape": "scores",
    "r2": "scores",
    "rmse": "scores",
    "smape": "scores",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lstmkit.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"lstmkit.data.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
