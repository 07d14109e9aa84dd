"""Sequence data: framing and windows, encoding, padding, leak-free scaling, scores, and the
shipped datasets.

``from lstmkit.data import series_to_supervised, make_windows, SeriesScaler, rmse``
"""

from lstmkit.data.datasets import DATASETS, dataset_path, load_dataset
from lstmkit.data.encoding import one_hot_decode, one_hot_encode
from lstmkit.data.framing import (
    create_dataset,
    make_windows,
    series_to_supervised,
    train_test_split,
)
from lstmkit.data.scaling import SeriesScaler
from lstmkit.data.scores import mae, mape, r2, rmse, smape
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
