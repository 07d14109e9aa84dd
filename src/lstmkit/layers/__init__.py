"""Layers: ``from lstmkit.layers import LSTM, Dense, Dropout, Activation, Input, Conv1D, ...``."""

from lstmkit.layers.activation import LeakyReLU
from lstmkit.layers.base import Layer
from lstmkit.layers.convolutional import Conv1D, MaxPooling1D
from lstmkit.layers.core import Activation, Dense, Dropout, Input, InputLayer, KerasTensor
from lstmkit.layers.embedding import Embedding
from lstmkit.layers.masking import Masking
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
from lstmkit.layers.normalization import BatchNormalization
from lstmkit.layers.pooling import GlobalAveragePooling1D, GlobalMaxPooling1D, Permute, Reshape
from lstmkit.layers.recurrent import GRU, LSTM, Recurrent, SimpleRNN
from lstmkit.layers.reshaping import Flatten, RepeatVector
from lstmkit.layers.wrappers import Bidirectional, TimeDistributed

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
    "Dense",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Layer",
    "LeakyReLU",
    "Masking",
    "MaxPooling1D",
    "Maximum",
    "Minimum",
    "Multiply",
    "Permute",
    "Recurrent",
    "RepeatVector",
    "Reshape",
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
