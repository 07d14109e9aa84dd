"""Translating a Keras model's JSON configuration into lstmkit: the architecture (each Keras layer
entry ``{"class_name", "config", ...}`` into the lstmkit layer of :data:`LAYER_CLASSES`, checking
every argument, initializer, activation and dtype policy) and the compile configuration (Keras's
optimizer, loss and metrics into lstmkit's).

Part of :func:`lstmkit.saving.keras_import.load_keras_model`, whose module documents what is
imported and what is refused. Nothing here opens a file: this module only reads parsed JSON, and
is the lowest of the three (``keras_import`` -> ``keras_containers`` -> ``keras_configs``).
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any

import numpy as np

from lstmkit import activations, initializers, regularizers
from lstmkit._registry import registered_class
from lstmkit.layers.activation import LeakyReLU
from lstmkit.layers.base import Layer, deferred_weights
from lstmkit.layers.convolutional import Conv1D, MaxPooling1D
from lstmkit.layers.core import Activation, Dense, Dropout, InputLayer
from lstmkit.layers.embedding import Embedding
from lstmkit.layers.masking import Masking
from lstmkit.layers.normalization import BatchNormalization
from lstmkit.layers.pooling import GlobalAveragePooling1D, GlobalMaxPooling1D, Permute, Reshape
from lstmkit.layers.recurrent import GRU, LSTM, SimpleRNN
from lstmkit.layers.reshaping import Flatten, RepeatVector
from lstmkit.layers.wrappers import Bidirectional, TimeDistributed

__all__ = ["LAYER_CLASSES", "MAX_NESTING"]

#: The Keras layer classes this module imports, by Keras class name. Nothing else is made.
LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (
        Activation,
        BatchNormalization,
        Bidirectional,
        Conv1D,
        Dense,
        Dropout,
        Embedding,
        Flatten,
        GlobalAveragePooling1D,
        GlobalMaxPooling1D,
        GRU,
        InputLayer,
        LSTM,
        LeakyReLU,
        Masking,
        MaxPooling1D,
        Permute,
        RepeatVector,
        Reshape,
        SimpleRNN,
        TimeDistributed,
    )
}

#: Keras's regularizer arguments and the weights they penalise (L1, L2, L1L2 import).
_REGULARIZED_WEIGHTS = {
    "kernel_regularizer": "kernel",
    "recurrent_regularizer": "recurrent_kernel",
    "bias_regularizer": "bias",
    "embeddings_regularizer": "embeddings",
    "beta_regularizer": "beta",
    "gamma_regularizer": "gamma",
}

#: Deepest nesting of wrapper layers (``TimeDistributed(Bidirectional(...))``).
MAX_NESTING = 4

_WRAPPERS = (Bidirectional, TimeDistributed)

# Keras-only layer arguments and the values with which they change nothing lstmkit computes.
_NEUTRAL_LAYER_ARGUMENTS: dict[str, tuple[Any, ...]] = {
    "kernel_regularizer": (None,),
    "recurrent_regularizer": (None,),
    "bias_regularizer": (None,),
    "activity_regularizer": (None,),
    "embeddings_regularizer": (None,),
    "kernel_constraint": (None,),
    "recurrent_constraint": (None,),
    "bias_constraint": (None,),
    "embeddings_constraint": (None,),
    "beta_regularizer": (None,),
    "gamma_regularizer": (None,),
    "beta_constraint": (None,),
    "gamma_constraint": (None,),
    "synchronized": (False,),
    "time_major": (False,),
    "data_format": ("channels_last", None),
    "groups": (1,),
    "quantization_config": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "sparse": (False,),
    "ragged": (False,),
    "optional": (False,),
    "autocast": (True,),
}
# Arguments that choose how Keras computes, not what it computes.
_STRATEGY_ARGUMENTS = frozenset({"unroll", "implementation", "use_cudnn"})
_SIZE_ARGUMENTS = frozenset({"kernel_size", "strides", "pool_size", "dilation_rate"})


class _RefusedError(Exception):
    """Raised inside the ``keras_*`` modules; :func:`load_keras_model` adds the path."""


class _UncompilableError(Exception):
    """The compile configuration does not translate; the model comes back uncompiled."""


# -- small helpers --------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8")
    return value


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_keras_module(module: Any) -> bool:
    return module is None or (
        isinstance(module, str) and (module == "keras" or module.startswith(("keras.", "tf_keras")))
    )


def _check_origin(entry: dict[str, Any], what: str) -> None:
    """Refuse objects a file says come from somewhere other than Keras itself."""
    module = entry.get("module")
    if not _is_keras_module(module):
        raise _RefusedError(
            f"{what} comes from module {module!r}; only Keras's own classes are imported "
            "(nothing a file names is ever imported)"
        )
    registered = entry.get("registered_name")
    if registered is not None and registered != entry.get("class_name"):
        raise _RefusedError(
            f"{what} is the registered custom class {registered!r}, which lstmkit does not have"
        )


def _float32_policy(what: str, value: Any) -> None:
    """Accept Keras's ``"float32"`` / ``DTypePolicy(float32)`` (or no dtype); refuse others."""
    if value is None:
        return
    name = value
    if isinstance(value, dict):
        if value.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
            raise _RefusedError(f"{what} has dtype={_short(value)}; lstmkit computes in float32")
        name = (value.get("config") or {}).get("name")
    if name != "float32":
        raise _RefusedError(f"{what} has dtype={name!r}; lstmkit computes in float32")


def _accepted_arguments(cls: type) -> set[str]:
    """Keyword arguments ``cls(...)`` accepts: its ``__init__``'s and, through ``**kwargs``, its
    bases' up to :class:`Layer`."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        names.update(
            p.name
            for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
        )
        if not any(p.kind is p.VAR_KEYWORD for p in parameters) or klass is Layer:
            break
    return names


def _shape(what: str, value: Any) -> tuple[int | None, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise _RefusedError(f"{what} is not a shape: {_short(value)}")
    for d in value:
        if d is not None and (isinstance(d, bool) or not isinstance(d, int) or d <= 0):
            raise _RefusedError(f"{what} is not a shape: {_short(value)}")
    return tuple(value)


# -- translating the architecture -----------------------------------------------------------------


def _initializer(what: str, key: str, value: Any) -> Any:
    """A Keras initializer (``{"module", "class_name", "config", "registered_name"}``, Keras 2's
    ``{"class_name", "config"}`` or a name) as the ``{"class_name", "config"}`` lstmkit takes."""
    if value is None or isinstance(value, str):
        translated = value
    elif isinstance(value, dict) and isinstance(value.get("class_name"), str):
        _check_origin(value, f"{what} {key}")
        config = dict(value.get("config") or {})
        for axes in ("input_axes", "output_axes"):  # Keras 3.15's fan axes; None is the default
            if axes in config:
                if config[axes] is not None:
                    raise _RefusedError(
                        f"{what} sets {key} with {axes}={config[axes]!r}, which lstmkit's "
                        "initializers do not support"
                    )
                del config[axes]
        config.pop("dtype", None)  # Keras 2 initializers may carry the layer's dtype
        translated = {"class_name": value["class_name"], "config": config}
    else:
        raise _RefusedError(f"{what} has {key}={_short(value)}, which is not an initializer config")
    try:
        initializers.get(translated)
    except (TypeError, ValueError) as error:
        raise _RefusedError(
            f"{what} has {key}={_short(value)}, which lstmkit cannot make ({error})"
        ) from None
    return translated


def _activation(what: str, key: str, value: Any, custom_objects: dict[str, Any]) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        custom = custom_objects.get(value)
        if callable(custom) and not inspect.isclass(custom):
            return custom
        try:
            activations.get(value)
        except ValueError:
            raise _RefusedError(
                f"{what} has {key}={value!r}, an activation lstmkit does not have"
            ) from None
        return value
    raise _RefusedError(
        f"{what} has {key}={_short(value)}; only built-in activations given by name are imported"
    )


def _single(what: str, key: str, value: Any) -> Any:
    """Keras stores 1-D sizes as ``[3]``; lstmkit takes ``3``."""
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise _RefusedError(f"{what} has {key}={value!r}; a 1-D layer takes one number")
        return value[0]
    return value


def _resolve_class(entry: dict[str, Any], where: str, custom_objects: dict[str, Any]) -> type:
    class_name = entry.get("class_name")
    if not isinstance(class_name, str):
        raise _RefusedError(f"{where} has no class_name: {_short(entry)}")
    for key in (entry.get("registered_name"), class_name):
        custom = custom_objects.get(key) if isinstance(key, str) else None
        if custom is not None:
            if not (inspect.isclass(custom) and issubclass(custom, Layer)):
                raise _RefusedError(
                    f"custom_objects[{key!r}] must be an lstmkit Layer subclass; got "
                    f"{_short(custom)}"
                )
            return custom
    _check_origin(entry, f"{where} ({class_name})")
    if class_name not in LAYER_CLASSES:
        raise _RefusedError(
            f"{where} is a {class_name!r}, a layer class lstmkit does not import (it imports "
            f"{', '.join(sorted(LAYER_CLASSES))}, and Layer subclasses given in custom_objects)"
        )
    return LAYER_CLASSES[class_name]


def _make_layer(
    entry: Any, where: str, custom_objects: dict[str, Any], depth: int = 0
) -> tuple[Layer, str]:
    """The lstmkit layer for one Keras layer entry ``{"class_name", "config", ...}``, and the
    Keras class name (which names its weights group in a ``.keras`` file)."""
    if not isinstance(entry, dict):
        raise _RefusedError(f"{where} is not a layer config: {_short(entry)}")
    if depth > MAX_NESTING:
        raise _RefusedError(f"{where} nests wrappers more than {MAX_NESTING} deep")
    cls = _resolve_class(entry, where, custom_objects)
    class_name = entry["class_name"]
    config = entry.get("config")
    if not isinstance(config, dict):
        raise _RefusedError(f"{where} ({class_name}) has no config dict")
    name = config.get("name")
    what = f"layer {name!r} ({class_name})" if depth == 0 else f"{where} > {name!r} ({class_name})"
    accepted = _accepted_arguments(cls)
    kwargs: dict[str, Any] = {}
    penalties: dict[str, Any] = {}
    for key, value in config.items():
        if key == "dtype":
            _float32_policy(what, value)
        elif key in _REGULARIZED_WEIGHTS and value is not None and key not in accepted:
            try:
                penalties[_REGULARIZED_WEIGHTS[key]] = regularizers.deserialize(value)
            except ValueError as error:
                raise _RefusedError(f"{what}: {key}: {error}") from None
        elif key in _STRATEGY_ARGUMENTS or key == "shared_object_id":
            continue
        elif key in _NEUTRAL_LAYER_ARGUMENTS and key not in accepted:
            if value not in _NEUTRAL_LAYER_ARGUMENTS[key]:
                raise _RefusedError(
                    f"{what} sets {key}={_short(value)}, which lstmkit cannot honour (it has no "
                    f"{key}; only {_NEUTRAL_LAYER_ARGUMENTS[key][0]!r} imports)"
                )
        elif key not in accepted:
            raise _RefusedError(
                f"{what} has the argument {key}={_short(value)}, which lstmkit's "
                f"{cls.__name__} does not take"
            )
        elif key.endswith("_initializer"):
            kwargs[key] = _initializer(what, key, value)
        elif key in ("activation", "recurrent_activation"):
            kwargs[key] = _activation(what, key, value, custom_objects)
        elif key in _SIZE_ARGUMENTS:
            kwargs[key] = _single(what, key, value)
        elif key in ("layer", "backward_layer") and issubclass(cls, _WRAPPERS):
            if value is not None:
                kwargs[key] = _make_layer(value, what, custom_objects, depth + 1)[0]
        elif key in ("batch_input_shape", "input_shape", "noise_shape") and value is not None:
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    if cls is GRU and "reset_after" not in config:
        kwargs["reset_after"] = False  # Keras before 2.1.3 had no reset_after: Keras 2's GRU
    try:
        layer = cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise _RefusedError(f"{what}: lstmkit cannot make this layer ({error})") from None
    if penalties:
        layer.weight_regularizers = penalties  # added to the loss by the training loop
    return layer, class_name


def _input_shape(entry: dict[str, Any], next_entry: Any) -> tuple[int | None, ...]:
    """The batch input shape an ``InputLayer`` entry declares (Keras 3 ``batch_shape``, Keras 2
    ``batch_input_shape``); integer inputs only for an Embedding."""
    config = entry.get("config")
    if not isinstance(config, dict):
        raise _RefusedError("the InputLayer has no config dict")
    what = f"layer {config.get('name')!r} (InputLayer)"
    _check_origin(entry, what)
    dtype = config.get("dtype")
    feeds_embedding = isinstance(next_entry, dict) and next_entry.get("class_name") == "Embedding"
    if not (isinstance(dtype, str) and dtype.startswith(("int", "uint")) and feeds_embedding):
        _float32_policy(what, dtype)
    for key in ("sparse", "ragged", "optional"):
        if config.get(key) not in (None, False):
            raise _RefusedError(f"{what} sets {key}={config[key]!r}, which lstmkit cannot honour")
    shape = config.get("batch_shape", config.get("batch_input_shape"))
    if shape is None:
        raise _RefusedError(f"{what} declares no batch_shape")
    return _shape(f"{what} batch_shape", shape)


def _sequential_config(config: Any) -> tuple[str, list[Any], Any]:
    """``(name, layer entries, build_input_shape)`` from a Keras 3 or Keras 2 Sequential config."""
    if not isinstance(config, dict):
        raise _RefusedError(f"the architecture is not a JSON object but {type(config).__name__}")
    class_name = config.get("class_name")
    if class_name != "Sequential":
        kind = (
            "a functional Keras model (keras.Model(inputs, outputs))"
            if class_name in ("Functional", "Model")
            else f"a Keras model of class {class_name!r}"
        )
        raise _RefusedError(
            f"expected a Sequential model, found {kind}; load_keras_model imports Sequential "
            "models only (rebuild the model with lstmkit.Model and copy its weights with "
            "set_weights)"
        )
    _check_origin(
        {"module": config.get("module"), "class_name": "Sequential", "registered_name": None},
        "the model",
    )
    inner = config.get("config")
    if isinstance(inner, list):  # Keras 2.2: the config is the list of layers
        return "sequential", inner, None
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        raise _RefusedError("the Sequential config has no list of layers")
    _float32_policy("the model", inner.get("dtype"))
    name = inner.get("name") if isinstance(inner.get("name"), str) else "sequential"
    return name, inner["layers"], inner.get("build_input_shape")


def _build_model(
    config: Any, custom_objects: dict[str, Any], *, initialize: bool = False
) -> tuple[Any, list[tuple[Layer, str, str]]]:
    """The lstmkit Sequential (weights not yet allocated: placeholders of the right shapes; with
    ``initialize``, drawn by the layers' initializers, as Keras's ``model_from_json`` gives) and
    ``(layer, Keras class name, Keras layer name)`` for each layer after the input."""
    name, entries, build_input_shape = _sequential_config(config)
    model = registered_class("Sequential")(name=name)
    layers: list[tuple[Layer, str, str]] = []
    with contextlib.nullcontext() if initialize else deferred_weights():
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
                if index != 0:
                    raise _RefusedError("an InputLayer can only be the first layer of a Sequential")
                following = entries[1] if len(entries) > 1 else None
                batch_shape = _input_shape(entry, following)
                input_name = entry["config"].get("name")
                model.add(
                    InputLayer(
                        batch_shape=batch_shape,
                        name=input_name if isinstance(input_name, str) else None,
                    )
                )
                continue
            layer, class_name = _make_layer(entry, f"layer {index}", custom_objects)
            try:
                model.add(layer)
            except (TypeError, ValueError) as error:
                raise _RefusedError(f"layer {layer.name!r} ({class_name}): {error}") from None
            layers.append((layer, class_name, layer.name))
        if not layers:
            raise _RefusedError("the Sequential model has no layers")
        if model.input_shape is None:
            shape = build_input_shape
            if shape is None and isinstance(entries[0], dict):
                shape = (entries[0].get("build_config") or {}).get("input_shape")
            if shape is not None:
                try:
                    model.build(_shape("the model's build_input_shape", shape))
                except (TypeError, ValueError) as error:
                    raise _RefusedError(f"the model cannot be built: {error}") from None
    return model, layers
