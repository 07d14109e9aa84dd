"""``keras.layers.core`` (a Keras 1/2 module path): the same classes as ``keras.layers``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.layers import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
    SpatialDropout1D,
)

__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Flatten",
    "Lambda",
    "Masking",
    "Permute",
    "RepeatVector",
    "Reshape",
    "SpatialDropout1D",
]

__getattr__ = module_getattr("keras.layers.core")
