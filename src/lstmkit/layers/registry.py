"""The layer classes a saved config may name, and the conversion between layers and configs.

Only the classes listed here (and classes the caller passes in ``custom_objects``) can be made
from a config: a name in a file never reaches ``getattr`` on a module or an import.
"""

from __future__ import annotations

from typing import Any

from lstmkit.layers.base import Layer
from lstmkit.layers.convolutional import Conv1D, MaxPooling1D
from lstmkit.layers.core import Activation, Dense, Dropout, InputLayer
from lstmkit.layers.embedding import Embedding
from lstmkit.layers.masking import Masking
from lstmkit.layers.recurrent import GRU, LSTM, SimpleRNN
from lstmkit.layers.reshaping import Flatten, RepeatVector
from lstmkit.layers.wrappers import Bidirectional, TimeDistributed

__all__ = ["LAYER_CLASSES", "deserialize", "serialize"]

LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (
        Activation,
        Bidirectional,
        Conv1D,
        Dense,
        Dropout,
        Embedding,
        Flatten,
        GRU,
        InputLayer,
        LSTM,
        Masking,
        MaxPooling1D,
        RepeatVector,
        SimpleRNN,
        TimeDistributed,
    )
}


def serialize(layer: Layer) -> dict[str, Any]:
    """``{"class_name": ..., "config": {...}}``."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Layer:
    """The layer a :func:`serialize` dict describes. ``class_name`` must be one of
    :data:`LAYER_CLASSES` or a :class:`Layer` subclass given in ``custom_objects``."""
    if not isinstance(config, dict) or set(config) != {"class_name", "config"}:
        raise ValueError(
            "a layer config must be {'class_name': ..., 'config': {...}}; got "
            f"{type(config).__name__}"
            + (f" with keys {sorted(config)}" if isinstance(config, dict) else "")
        )
    name, arguments = config["class_name"], config["config"]
    if not isinstance(name, str) or not isinstance(arguments, dict):
        raise ValueError(
            f"a layer config needs a string class_name and a dict config; got {config}"
        )
    custom = (custom_objects or {}).get(name)
    if isinstance(custom, type) and issubclass(custom, Layer):
        cls = custom
    elif name in LAYER_CLASSES:
        cls = LAYER_CLASSES[name]
    else:
        raise ValueError(
            f"unknown layer class {name!r}; lstmkit makes {', '.join(sorted(LAYER_CLASSES))}, "
            "and a Layer subclass of your own passed in custom_objects"
        )
    arguments = dict(arguments)
    for key in ("layer", "backward_layer"):  # a wrapper's inner layers, custom ones included
        if isinstance(arguments.get(key), dict):
            arguments[key] = deserialize(arguments[key], custom_objects)
    try:
        return cls.from_config(arguments)
    except (TypeError, ValueError) as error:
        raise ValueError(f"cannot make a {name} from its config: {error}") from None
