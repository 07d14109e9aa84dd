"""lstmkit: Keras-faithful LSTM sequence models on a fast PyTorch engine.

The five steps::

    from lstmkit import Sequential, LSTM, Dense
    model = Sequential([LSTM(10, input_shape=(1, 1)), Dense(1)])   # define
    model.compile(optimizer="adam", loss="mse")                    # compile
    model.fit(X, y, epochs=1000, batch_size=9, verbose=0)          # fit
    model.evaluate(X, y)                                           # evaluate
    model.predict(X)                                               # predict
"""

from lstmkit import (
    activations,
    backend,
    callbacks,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    utils,
)
from lstmkit._version import __version__
from lstmkit.callbacks import Callback, History
from lstmkit.devices import get_device, set_device
from lstmkit.layers import (
    GRU,
    LSTM,
    Activation,
    Bidirectional,
    Conv1D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Input,
    InputLayer,
    Masking,
    MaxPooling1D,
    RepeatVector,
    SimpleRNN,
    TimeDistributed,
)
from lstmkit.models import Model, Sequential
from lstmkit.optimizers import SGD, Adadelta, Adagrad, Adam, RMSprop
from lstmkit.utils import set_random_seed, to_categorical

__all__ = [
    "GRU",
    "LSTM",
    "SGD",
    "Activation",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Bidirectional",
    "Callback",
    "Conv1D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "History",
    "Input",
    "InputLayer",
    "Masking",
    "MaxPooling1D",
    "Model",
    "RMSprop",
    "RepeatVector",
    "Sequential",
    "SimpleRNN",
    "TimeDistributed",
    "__version__",
    "activations",
    "backend",
    "callbacks",
    "get_device",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "set_device",
    "set_random_seed",
    "to_categorical",
    "utils",
]
