"""``keras.layers.pooling`` (a Keras 1/2 module path): the same classes as ``keras.layers``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.layers import MaxPool1D, MaxPooling1D

__all__ = ["MaxPool1D", "MaxPooling1D"]

__getattr__ = module_getattr("keras.layers.pooling")
