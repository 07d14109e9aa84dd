"""``keras.optimizers``: lstmkit's optimizers (``lr=`` accepted beside ``learning_rate=``)."""

from lstmkit.keras._support import module_getattr
from lstmkit.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    Nadam,
    Optimizer,
    RMSprop,
    deserialize,
    get,
    serialize,
)

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Adamax",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "serialize",
]

__getattr__ = module_getattr("keras.optimizers")
