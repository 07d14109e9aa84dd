"""``keras.layers``: lstmkit's layers under Keras's names (Keras 1 and 2 spellings included)."""

from lstmkit.keras._legacy import KERAS_LAYERS
from lstmkit.keras._support import module_getattr
from lstmkit.layers.base import Layer
from lstmkit.layers.core import Input, KerasTensor
from lstmkit.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)

Activation = KERAS_LAYERS["Activation"]
Bidirectional = KERAS_LAYERS["Bidirectional"]
Conv1D = KERAS_LAYERS["Conv1D"]
Dense = KERAS_LAYERS["Dense"]
Dropout = KERAS_LAYERS["Dropout"]
Embedding = KERAS_LAYERS["Embedding"]
Flatten = KERAS_LAYERS["Flatten"]
GRU = KERAS_LAYERS["GRU"]
InputLayer = KERAS_LAYERS["InputLayer"]
LSTM = KERAS_LAYERS["LSTM"]
Masking = KERAS_LAYERS["Masking"]
MaxPooling1D = KERAS_LAYERS["MaxPooling1D"]
RepeatVector = KERAS_LAYERS["RepeatVector"]
SimpleRNN = KERAS_LAYERS["SimpleRNN"]
TimeDistributed = KERAS_LAYERS["TimeDistributed"]
# Keras 1 and Keras 3 aliases.
Convolution1D = Conv1D
MaxPool1D = MaxPooling1D

__all__ = [
    "GRU",
    "LSTM",
    "Activation",
    "Add",
    "Average",
    "Bidirectional",
    "Concatenate",
    "Conv1D",
    "Convolution1D",
    "Dense",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Layer",
    "Masking",
    "MaxPool1D",
    "MaxPooling1D",
    "Maximum",
    "Minimum",
    "Multiply",
    "RepeatVector",
    "SimpleRNN",
    "Subtract",
    "TimeDistributed",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]

__getattr__ = module_getattr("keras.layers")
