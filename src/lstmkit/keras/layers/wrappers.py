"""``keras.layers.wrappers`` (a Keras 1/2 module path): the same classes as ``keras.layers``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.layers import Bidirectional, TimeDistributed

__all__ = ["Bidirectional", "TimeDistributed"]

__getattr__ = module_getattr("keras.layers.wrappers")
