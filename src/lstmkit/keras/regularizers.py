"""``keras.regularizers``: ``L1``, ``L2``, ``L1L2`` and ``l1``, ``l2``, ``l1_l2`` (lstmkit's
:mod:`lstmkit.regularizers`): penalties added to the loss as Keras adds them."""

from lstmkit.keras._support import module_getattr
from lstmkit.regularizers import L1, L1L2, L2, Regularizer, get, l1, l1_l2, l2

__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2"]

__getattr__ = module_getattr("keras.regularizers")
