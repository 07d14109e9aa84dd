"""Layers: ``from lstmkit.layers import LSTM, Dense, Dropout, Activation, Input, InputLayer``."""

from lstmkit.layers.base import Layer
from lstmkit.layers.core import Activation, Dense, Dropout, Input, InputLayer, KerasTensor
from lstmkit.layers.recurrent import LSTM

__all__ = ["LSTM", "Activation", "Dense", "Dropout", "Input", "InputLayer", "KerasTensor", "Layer"]
