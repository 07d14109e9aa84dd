"""``keras.layers.advanced_activations`` (a Keras 2 module path): ``LeakyReLU``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.layers import LeakyReLU

__all__ = ["LeakyReLU"]

__getattr__ = module_getattr("keras.layers.advanced_activations")
