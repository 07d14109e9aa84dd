"""The layer classes a saved config may name, and the conversion between layers and configs.

Only the classes registered here by lstmkit's own layer modules (and classes the caller passes in
``custom_objects``) can be made from a config: a name in a file never reaches ``getattr`` on a
module or an import. The layer modules register themselves (this module imports none of them),
so a wrapper can deserialize its inner layer without an import cycle.
"""

from __future__ import annotations

from typing import Any, TypeVar

from lstmkit.layers.base import Layer

__all__ = ["LAYER_CLASSES", "deserialize", "register_layer", "serialize"]

# Filled by @register_layer in each layer module; lstmkit.layers imports them all, so the table
# is complete before any config is read.
LAYER_CLASSES: dict[str, type[Layer]] = {}

L = TypeVar("L", bound=type[Layer])


def register_layer(cls: L) -> L:
    """Class decorator: let configs name ``cls`` by its class name."""
    LAYER_CLASSES[cls.__name__] = cls
    return cls


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
