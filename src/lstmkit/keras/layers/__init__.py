"""``keras.layers``: lstmkit's layers under Keras's names (Keras 1 and 2 spellings included)."""

from lstmkit import layers as _lk
from lstmkit.keras._lambda import Lambda
from lstmkit.keras._legacy import KERAS_LAYERS, cudnn_layer, spatial_dropout_1d
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
GlobalAveragePooling1D = KERAS_LAYERS["GlobalAveragePooling1D"]
GlobalMaxPooling1D = KERAS_LAYERS["GlobalMaxPooling1D"]
Reshape = KERAS_LAYERS["Reshape"]
LeakyReLU = KERAS_LAYERS["LeakyReLU"]
BatchNormalization = KERAS_LAYERS["BatchNormalization"]
Permute = KERAS_LAYERS["Permute"]
CuDNNLSTM = cudnn_layer("CuDNNLSTM", _lk.LSTM, activation="tanh", recurrent_activation="sigmoid")
CuDNNGRU = cudnn_layer(
    "CuDNNGRU", _lk.GRU, activation="tanh", recurrent_activation="sigmoid", reset_after=True
)
SpatialDropout1D = spatial_dropout_1d
# Keras 1 and Keras 3 aliases.
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
Convolution1D = Conv1D
MaxPool1D = MaxPooling1D

__all__ = [
    "GRU",
    "LSTM",
    "Activation",
    "Add",
    "Average",
    "BatchNormalization",
    "Bidirectional",
    "Concatenate",
    "Conv1D",
    "Convolution1D",
    "CuDNNGRU",
    "Dense",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "LeakyReLU",
    "Masking",
    "MaxPool1D",
    "MaxPooling1D",
    "Maximum",
    "Minimum",
    "Multiply",
    "Permute",
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
