"""``keras.layers.embeddings`` (a Keras 1/2 module path): the same classes as ``keras.layers``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.layers import Embedding

__all__ = ["Embedding"]

__getattr__ = module_getattr("keras.layers.embeddings")
