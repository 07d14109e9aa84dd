"""``keras.utils.data_utils`` (Keras 2): ``Sequence``, ``pad_sequences``."""

from lstmkit.data.sequences import pad_sequences
from lstmkit.keras._sequence import Sequence
from lstmkit.keras._support import module_getattr

__all__ = ["Sequence", "pad_sequences"]

__getattr__ = module_getattr("keras.utils.data_utils")
