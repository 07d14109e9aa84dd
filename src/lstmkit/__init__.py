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
from lstmkit.callbacks import Callback, History
from lstmkit.layers import LSTM, Activation, Dense, Dropout, Input, InputLayer
from lstmkit.models import Sequential
from lstmkit.optimizers import SGD, Adadelta, Adagrad, Adam, RMSprop
from lstmkit.utils import set_random_seed

__version__ = "0.1.0"

__all__ = [
    "LSTM",
    "SGD",
    "Activation",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Callback",
    "Dense",
    "Dropout",
    "History",
    "Input",
    "InputLayer",
    "RMSprop",
    "Sequential",
    "__version__",
    "activations",
    "backend",
    "callbacks",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "set_random_seed",
    "utils",
]
