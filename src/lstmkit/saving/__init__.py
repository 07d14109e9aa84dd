"""Saving and loading: ``model.save(path)``, :func:`load_model`, weights alone, Keras files,
and fitted forecasters (``forecaster.save(path)``, :func:`load_forecaster`).

lstmkit's files are zip archives of JSON and safetensors written atomically; loading parses them
and never executes code from them (no pickle, no imports of names found in a file). See
:mod:`lstmkit.saving.model_file` for the layout and the checks.
"""

from __future__ import annotations

from typing import Any

from lstmkit.saving.files import atomic_write
from lstmkit.saving.model_file import (
    FORMAT_VERSION,
    ModelFileError,
    load_model,
    load_weights,
    save_model,
    save_weights,
)

__all__ = [
    "FORMAT_VERSION",
    "ModelFileError",
    "atomic_write",
    "load_forecaster",
    "load_keras_model",
    "load_model",
    "load_weights",
    "save_forecaster",
    "save_model",
    "save_weights",
]


def load_keras_model(path: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The lstmkit model equivalent to a Keras ``.keras`` or legacy ``.h5`` Sequential model
    (see :mod:`lstmkit.saving.keras_import`); h5py is imported only when this is called."""
    from lstmkit.saving.keras_import import load_keras_model as load

    return load(path, custom_objects=custom_objects)


def load_forecaster(path: Any, **kwargs: Any) -> Any:
    """A fitted :class:`~lstmkit.forecast.Forecaster` saved with ``forecaster.save(path)``
    (see :mod:`lstmkit.saving.forecaster_file`); pandas and scikit-learn are imported only when
    this is called, so ``import lstmkit`` stays light."""
    from lstmkit.saving.forecaster_file import load_forecaster as load

    return load(path, **kwargs)


def save_forecaster(forecaster: Any, path: Any, **kwargs: Any) -> None:
    """Write a fitted Forecaster to ``path`` (see :mod:`lstmkit.saving.forecaster_file`)."""
    from lstmkit.saving.forecaster_file import save_forecaster as save

    save(forecaster, path, **kwargs)
