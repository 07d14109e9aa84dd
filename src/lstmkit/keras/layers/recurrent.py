"""``keras.layers.recurrent`` (a Keras 1/2 module path): the same classes as ``keras.layers``."""

from lstmkit.keras._support import module_getattr
from lstmkit.keras.layers import GRU, LSTM, CuDNNGRU, CuDNNLSTM, SimpleRNN

__all__ = ["GRU", "LSTM", "CuDNNGRU", "CuDNNLSTM", "SimpleRNN"]

__getattr__ = module_getattr("keras.layers.recurrent")
