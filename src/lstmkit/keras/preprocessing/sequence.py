"""``keras.preprocessing.sequence``: ``pad_sequences``, ``TimeseriesGenerator``."""

from lstmkit.data.sequences import pad_sequences
from lstmkit.keras._sequence import TimeseriesGenerator
from lstmkit.keras._support import module_getattr

__all__ = ["TimeseriesGenerator", "pad_sequences"]

__getattr__ = module_getattr("keras.preprocessing.sequence")
