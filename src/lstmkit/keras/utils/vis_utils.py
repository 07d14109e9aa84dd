"""``keras.utils.vis_utils`` (Keras 2): ``plot_model`` (a text summary)."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.utils import plot_model

__all__ = ["plot_model"]

__getattr__ = module_getattr("keras.utils.vis_utils")
