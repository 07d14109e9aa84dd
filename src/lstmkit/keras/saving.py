"""``keras.saving`` (Keras 3): ``load_model``, ``save_model``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.models import load_model, save_model

__all__ = ["load_model", "save_model"]

__getattr__ = module_getattr("keras.saving")
