"""``keras.utils``: ``to_categorical``, ``pad_sequences``, ``set_random_seed``, ``Sequence``,
``timeseries_dataset_from_array``, ``plot_model`` (a text summary) and the Keras 2 sub-modules
``np_utils``, ``data_utils``, ``vis_utils``."""

from __future__ import annotations

import sys
from typing import Any

from lstmkit.data.sequences import pad_sequences
from lstmkit.keras._sequence import Sequence, timeseries_dataset_from_array
from lstmkit.keras._support import module_getattr
from lstmkit.utils import set_random_seed, to_categorical

__all__ = [
    "Sequence",
    "pad_sequences",
    "plot_model",
    "set_random_seed",
    "timeseries_dataset_from_array",
    "to_categorical",
]


def plot_model(model: Any, to_file: str = "model.png", *args: Any, **kwargs: Any) -> None:
    """lstmkit draws no image: the model's text summary is printed instead (standard output),
    and ``to_file`` is not written."""
    print(f"plot_model: lstmkit draws no image ({to_file} is not written); the model's summary:")
    model.summary(print_fn=lambda line: print(line, file=sys.stdout))


__getattr__ = module_getattr("keras.utils")
