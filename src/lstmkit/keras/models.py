"""``keras.models``: ``Sequential``, ``Model``, ``load_model``, ``save_model``,
``model_from_json``."""

from __future__ import annotations

import os
from typing import Any

from lstmkit.keras._models import Model, Sequential
from lstmkit.keras._support import module_getattr, not_supported
from lstmkit.saving import load_model as _load_model

__all__ = ["Model", "Sequential", "load_model", "model_from_json", "save_model"]


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    **kwargs: Any,
) -> Any:
    """Keras's ``load_model``: a ``.keras``/``.h5``/``.hdf5`` file Keras (or lstmkit) wrote, or an
    lstmkit model file. The model comes back as this namespace's ``Sequential``/``Model``, so
    the Keras 1/2 methods work on it too."""
    model = _load_model(filepath, custom_objects=custom_objects)
    if isinstance(model, Model.__mro__[2]):  # lstmkit's functional Model
        model.__class__ = Model
    else:
        model.__class__ = Sequential
    return model


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """Keras's ``model_from_json``: the Sequential a ``model.to_json()`` string describes,
    uncompiled, with fresh weights (``load_weights`` sets saved ones)."""
    from lstmkit.saving.keras_import import model_from_keras_json

    model = model_from_keras_json(json_string, custom_objects=custom_objects)
    model.__class__ = Sequential
    return model


def save_model(
    model: Any,
    filepath: str | os.PathLike[str],
    overwrite: bool = True,
    include_optimizer: bool = True,
    **kwargs: Any,
) -> None:
    """Keras's ``save_model(model, filepath)``: ``model.save(filepath)`` (a Keras file for
    ``.keras``/``.h5``/``.hdf5`` names, lstmkit's format for others)."""
    if kwargs.get("save_format") not in (None, "h5", "keras"):
        raise not_supported(f"keras.models.save_model(save_format={kwargs['save_format']!r})")
    model.save(filepath, overwrite=overwrite, include_optimizer=include_optimizer)


__getattr__ = module_getattr("keras.models")
