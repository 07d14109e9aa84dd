"""``keras.utils.np_utils`` (Keras 1/2): ``to_categorical``."""

from lstmkit.keras._support import module_getattr
from lstmkit.utils import to_categorical

__all__ = ["to_categorical"]

__getattr__ = module_getattr("keras.utils.np_utils")
