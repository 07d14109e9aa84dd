"""The Keras API from lstmkit or from Keras itself, so one tutorial script serves both.

A workload's tutorial code takes ``api`` and writes ``api.Sequential``, ``api.LSTM``,
``api.Input(...)``, exactly as a Keras user does; :func:`lstmkit_api` and :func:`keras_api`
import the library (inside the timed part, as a user's script does) and return the names.
Keras runs on its PyTorch backend, which uses the torch the other implementations use.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

__all__ = ["keras_api", "lstmkit_api"]


def lstmkit_api() -> SimpleNamespace:
    import lstmkit

    return SimpleNamespace(
        name="lstmkit",
        Sequential=lstmkit.Sequential,
        Input=lstmkit.Input,
        LSTM=lstmkit.LSTM,
        Dense=lstmkit.Dense,
        Dropout=lstmkit.Dropout,
        set_random_seed=lstmkit.set_random_seed,
        r2=_r2(lstmkit.backend, lstmkit.backend.epsilon()),
    )


def keras_api() -> SimpleNamespace:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return SimpleNamespace(
        name="keras",
        Sequential=keras.Sequential,
        Input=keras.Input,
        LSTM=keras.layers.LSTM,
        Dense=keras.layers.Dense,
        Dropout=keras.layers.Dropout,
        set_random_seed=keras.utils.set_random_seed,
        r2=_r2(keras.ops, keras.config.epsilon()),
    )


def _r2(K: Any, epsilon: float) -> Callable[[Any, Any], Any]:
    """The tutorials' R² metric, written with the library's backend operations."""

    def r2(y_true: Any, y_pred: Any) -> Any:
        ss_res = K.sum(K.square(y_true - y_pred))
        ss_tot = K.sum(K.square(y_true - K.mean(y_true)))
        return 1 - ss_res / (ss_tot + epsilon)

    return r2
