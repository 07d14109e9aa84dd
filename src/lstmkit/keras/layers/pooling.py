"""``keras.layers.pooling`` (a Keras 1/2 module path): the pooling layers of ``keras.layers``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.layers import (
    GlobalAveragePooling1D,
    GlobalAvgPool1D,
    GlobalMaxPool1D,
    GlobalMaxPooling1D,
    MaxPool1D,
    MaxPooling1D,
)

__all__ = [
    "GlobalAveragePooling1D",
    "GlobalAvgPool1D",
    "GlobalMaxPool1D",
    "GlobalMaxPooling1D",
    "MaxPool1D",
    "MaxPooling1D",
]

__getattr__ = module_getattr("keras.layers.pooling")
