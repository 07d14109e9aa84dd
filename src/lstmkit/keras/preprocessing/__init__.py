"""``keras.preprocessing``: the ``sequence`` module (``pad_sequences``, ``TimeseriesGenerator``)
and ``timeseries_dataset_from_array``."""

from lstmkit.keras._sequence import timeseries_dataset_from_array
from lstmkit.keras._support import module_getattr
from lstmkit.keras.preprocessing import sequence

__all__ = ["sequence", "timeseries_dataset_from_array"]

__getattr__ = module_getattr("keras.preprocessing")
