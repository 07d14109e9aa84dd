"""``keras.preprocessing``: the ``sequence`` module (``pad_sequences``, ``TimeseriesGenerator``),
the ``text`` module (``Tokenizer``) and ``timeseries_dataset_from_array``."""

from lstmkit.keras._sequence import timeseries_dataset_from_array
from lstmkit.keras._support import module_getattr
from lstmkit.keras.preprocessing import sequence, text

__all__ = ["sequence", "text", "timeseries_dataset_from_array"]

__getattr__ = module_getattr("keras.preprocessing")
