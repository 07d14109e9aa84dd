"""``keras.layers.normalization`` (a Keras 2 module path): ``BatchNormalization``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.layers import BatchNormalization

__all__ = ["BatchNormalization"]

__getattr__ = module_getattr("keras.layers.normalization")
