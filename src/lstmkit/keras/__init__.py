"""``lstmkit.keras``: the Keras namespace on lstmkit, for scripts written for Keras 1, 2 or 3.

``import lstmkit.keras as keras`` gives ``keras.models``, ``keras.layers`` (and the Keras 1/2
paths ``keras.layers.core``, ``.recurrent``, ``.embeddings``, ``.wrappers``, ``.convolutional``,
``.pooling``, ``.merge``), ``keras.optimizers``, ``keras.losses``, ``keras.metrics``,
``keras.callbacks``, ``keras.backend``, ``keras.initializers``, ``keras.activations``,
``keras.utils`` (with ``np_utils``, ``data_utils``, ``vis_utils``) and
``keras.preprocessing.sequence``; ``lstmkit run script.py`` makes ``import keras``,
``tensorflow.keras`` and ``tf_keras`` resolve here (see :mod:`lstmkit.keras.hook`).

Every name maps to an lstmkit object (the table in ``docs/keras.md`` is generated from these
modules). A name lstmkit does not have raises :class:`KerasNotSupportedError` naming the Keras
symbol and the script's line. Keras 1/2 spellings of arguments (``nb_epoch``, ``output_dim``,
``init``, ``dropout_W``...) are mapped with one warning each.

Importing this package changes nothing outside it: no ``sys.modules`` aliases, no import hook.
"""

from lstmkit._version import __version__ as _lstmkit_version
from lstmkit.keras import (
    activations,
    backend,
    callbacks,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    preprocessing,
    regularizers,
    saving,
    utils,
)
from lstmkit.keras._support import KerasNotSupportedError, module_getattr
from lstmkit.keras.layers import Input, Layer
from lstmkit.keras.models import Model, Sequential
from lstmkit.keras.utils import set_random_seed

#: A Keras 3 version string (scripts test ``keras.__version__``), marked as lstmkit's.
__version__ = f"3.0.0+lstmkit.{_lstmkit_version}"

__all__ = [
    "Input",
    "KerasNotSupportedError",
    "Layer",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "preprocessing",
    "regularizers",
    "saving",
    "set_random_seed",
    "utils",
]

__getattr__ = module_getattr("keras")
