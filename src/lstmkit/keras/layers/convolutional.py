"""``keras.layers.convolutional`` (a Keras 1/2 module path): the classes of ``keras.layers``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.layers import Conv1D, Convolution1D, MaxPool1D, MaxPooling1D

__all__ = ["Conv1D", "Convolution1D", "MaxPool1D", "MaxPooling1D"]

__getattr__ = module_getattr("keras.layers.convolutional")
