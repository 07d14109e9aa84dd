"""Import a Keras Sequential model saved by Keras: a Keras 3 ``.keras`` archive or a legacy
``.h5`` file (Keras 3's ``model.save("x.h5")`` and Keras 2's).

:func:`load_keras_model` parses the architecture (JSON), makes the lstmkit layer for every Keras
layer, checks the weights the file holds against those layers, copies them, and compiles the model
as Keras had it when that translates. Nothing in the file is executed: class names resolve only
through the explicit table :data:`LAYER_CLASSES` (and the caller's ``custom_objects``); no module
a file names is imported, nothing is unpickled, and h5py reads plain float32 arrays.

File layouts read (``u`` units, ``D`` input features; Keras and lstmkit share every weight's
layout, so arrays are copied as they are):

=====================  =======================================================================
``.keras`` (zip)       ``config.json`` (``{"class_name": "Sequential", "config": {"layers":
                       [...]}, "compile_config": {...}}``), ``model.weights.h5`` with
                       ``layers/<key>/vars/<i>`` (Dense, Conv1D, Embedding),
                       ``layers/<key>/cell/vars/<i>`` (LSTM, GRU, SimpleRNN),
                       ``layers/<key>/{forward_layer,backward_layer}/cell/vars/<i>``
                       (Bidirectional), ``layers/<key>/layer/...`` (TimeDistributed); ``<key>``
                       is the snake-case class name, ``_1``, ``_2``... for later layers of the
                       same class (``lstm``, ``lstm_1``), whatever the layers are called.
legacy ``.h5``         attribute ``model_config`` (the same JSON; Keras 2 puts
                       ``batch_input_shape`` on the first layer), ``training_config``, group
                       ``model_weights`` with ``layer_names`` and, per layer,
                       ``weight_names`` naming its datasets (``lstm/lstm_cell/kernel:0`` in
                       Keras 2, ``sequential/lstm/lstm_cell/kernel`` in Keras 3).
=====================  =======================================================================

Weights, in order: LSTM ``kernel (D, 4u)``, ``recurrent_kernel (u, 4u)``, ``bias (4u,)`` (gates
i, f, c, o); GRU ``kernel (D, 3u)``, ``recurrent_kernel (u, 3u)``, ``bias (2, 3u)`` with
``reset_after=True`` or ``(3u,)`` without (gates z, r, h); SimpleRNN ``(D, u)``, ``(u, u)``,
``(u,)``; Dense ``(D, u)``, ``(u,)``; Conv1D ``(kernel_size, D, filters)``, ``(filters,)``;
Embedding ``(input_dim, output_dim)``; Bidirectional the forward layer's then the backward
layer's. Every array's shape and dtype (float32) is checked against the lstmkit layer before
anything is read, and the count too.

What is refused with a ``ValueError`` that names the file, the layer, the argument and its value:
layers lstmkit does not have (``Lambda``, ``Attention``, a dotted module path as a class name...),
classes from modules other than Keras's, functional and subclassed models, regularizers,
constraints, dtype policies other than float32, ``time_major=True``, ``channels_first``, LoRA or
quantized layers, unknown initializers and activations, and weights whose count, shape or dtype
do not match. Keras-only arguments that hold their neutral value are dropped; ``unroll``,
``implementation`` and ``use_cudnn`` choose how Keras computes, not what, and are dropped whatever
their value.

The compile configuration (optimizer class and hyper-parameters, a built-in loss, built-in
metrics) is applied when it translates; otherwise the model comes back uncompiled and a
``RuntimeWarning`` says why. The optimizer's *state* (Keras's ``optimizer/vars``: iteration count,
moments) is not imported: training continues from fresh optimizer state.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import warnings
import zipfile
from typing import Any

import numpy as np
import torch

from lstmkit import activations, initializers, losses, optimizers
from lstmkit import metrics as metrics_module
from lstmkit.layers.base import Layer, deferred_weights, snake_case
from lstmkit.layers.convolutional import Conv1D, MaxPooling1D
from lstmkit.layers.core import Activation, Dense, Dropout, InputLayer
from lstmkit.layers.embedding import Embedding
from lstmkit.layers.masking import Masking
from lstmkit.layers.recurrent import GRU, LSTM, Recurrent, SimpleRNN
from lstmkit.layers.reshaping import Flatten, RepeatVector
from lstmkit.layers.wrappers import Bidirectional, TimeDistributed
from lstmkit.models.sequential import Sequential

__all__ = [
    "LAYER_CLASSES",
    "MAX_BYTES",
    "KerasImportError",
    "load_keras_model",
    "load_keras_weights",
]

#: The Keras layer classes this module imports, by Keras class name. Nothing else is made.
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

#: Largest file, weights member or total of weight arrays read (bytes).
MAX_BYTES = 2 * 2**30
#: Largest architecture or compile JSON read (bytes).
MAX_CONFIG_BYTES = 64 * 2**20
#: Largest uncompressed/compressed size ratio accepted for a zip member (a zip bomb is larger).
MAX_COMPRESSION_RATIO = 100
#: Deepest nesting of wrapper layers (``TimeDistributed(Bidirectional(...))``).
MAX_NESTING = 4

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
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

# Keras-only optimizer arguments and their neutral values (ema_* are inert while use_ema is off).
_NEUTRAL_OPTIMIZER_ARGUMENTS: dict[str, tuple[Any, ...]] = {
    "is_legacy_optimizer": (False,),
    "use_ema": (False,),
    "loss_scale_factor": (None, 1, 1.0),
    "gradient_accumulation_steps": (None, 1),
}
_INERT_OPTIMIZER_ARGUMENTS = frozenset({"jit_compile", "ema_momentum", "ema_overwrite_frequency"})
# Loss-object arguments with the values that mean the plain function.
_NEUTRAL_LOSS_ARGUMENTS: dict[str, tuple[Any, ...]] = {
    "reduction": ("sum_over_batch_size", "auto", None),
    "axis": (-1,),
    "dtype": (None, "float32"),
    "ignore_class": (None,),
}
_NEUTRAL_METRIC_ARGUMENTS: dict[str, tuple[Any, ...]] = {
    "dtype": (None, "float32"),
    "threshold": (0.5,),
    "from_logits": (False,),
    "axis": (-1,),
}


class KerasImportError(ValueError):
    """A file :func:`load_keras_model` cannot import faithfully; the message names the file, and
    the layer, argument and value or weight at fault."""


class _RefusedError(Exception):
    """Raised inside the module; :func:`load_keras_model` adds the path."""


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
    for key, value in config.items():
        if key == "dtype":
            _float32_policy(what, value)
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
    config: Any, custom_objects: dict[str, Any]
) -> tuple[Sequential, list[tuple[Layer, str, str]]]:
    """The lstmkit Sequential (weights not yet allocated: placeholders of the right shapes) and
    ``(layer, Keras class name, Keras layer name)`` for each layer after the input."""
    name, entries, build_input_shape = _sequential_config(config)
    model = Sequential(name=name)
    layers: list[tuple[Layer, str, str]] = []
    with deferred_weights():
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


# -- reading HDF5 weights -------------------------------------------------------------------------


def _hard_child(group: Any, key: str, what: str) -> Any:
    """``group[key]`` when it is a hard link, ``None`` when absent; soft and external links (which
    could point outside the file) are refused."""
    import h5py

    link = group.get(key, getlink=True)
    if link is None:
        return None
    if not isinstance(link, h5py.HardLink):
        raise _RefusedError(f"{what}: {key!r} is a {type(link).__name__}; only plain data is read")
    return group[key]


def _walk(group: Any, key_path: str, what: str) -> Any:
    node = group
    for key in key_path.split("/"):
        if not key:
            continue
        if not hasattr(node, "keys"):
            return None
        node = _hard_child(node, key, what)
        if node is None:
            return None
    return node


def _count_datasets(group: Any, what: str, depth: int = 0) -> int:
    import h5py

    if depth > 16:
        raise _RefusedError(f"{what}: the weights file nests groups too deep")
    count = 0
    for key in group:
        child = _hard_child(group, key, what)
        if isinstance(child, h5py.Dataset):
            count += 1
        elif isinstance(child, h5py.Group):
            count += _count_datasets(child, what, depth + 1)
    return count


def _indexed_vars(group: Any, layer: Layer, what: str, key_path: str) -> list[Any]:
    """The datasets ``vars/0 .. vars/n-1`` of ``group``: exactly the layer's weight count."""
    import h5py

    expected = len(layer.weights)
    variables = None if group is None else _hard_child(group, "vars", what)
    found = [] if variables is None else list(variables)
    if (
        sorted(found, key=lambda k: (len(k), k)) != [str(i) for i in range(len(found))]
        or len(found) != expected
    ):
        names = ", ".join(layer._params) or "none"
        raise _RefusedError(
            f"{what}: the weights file has {len(found)} arrays under {key_path}/vars; lstmkit's "
            f"{type(layer).__name__} has {expected} ({names})"
        )
    datasets = [_hard_child(variables, str(i), what) for i in range(expected)]
    for i, dataset in enumerate(datasets):
        if not isinstance(dataset, h5py.Dataset):
            raise _RefusedError(f"{what}: {key_path}/vars/{i} is not an array")
    return datasets


def _keras3_layer_datasets(group: Any, layer: Layer, what: str, key_path: str) -> list[Any]:
    """A layer's datasets in a ``.keras`` weights file, in lstmkit's weight order."""
    if isinstance(layer, Bidirectional):
        parts = [("forward_layer", layer.forward_layer), ("backward_layer", layer.backward_layer)]
    elif isinstance(layer, TimeDistributed):
        parts = [("layer", layer.layer)]
    elif isinstance(layer, Recurrent):
        parts = [("cell", None)]
    else:
        return _indexed_vars(group, layer, what, key_path)
    if group is None:
        if layer.weights:
            raise _RefusedError(f"{what}: the weights file has no group {key_path}")
        return []
    own = _hard_child(group, "vars", what)
    if own is not None and len(own):
        raise _RefusedError(f"{what}: {key_path}/vars holds arrays lstmkit's layer does not have")
    datasets: list[Any] = []
    for child_key, child in parts:
        child_group = _hard_child(group, child_key, what)
        child_path = f"{key_path}/{child_key}"
        if child is None:  # the recurrent cell holds the layer's weights
            datasets += _indexed_vars(child_group, layer, what, child_path)
        else:
            datasets += _keras3_layer_datasets(child_group, child, what, child_path)
    return datasets


def _check_vars_name(group: Any, keras_name: str, what: str, key_path: str) -> None:
    variables = None if group is None else _hard_child(group, "vars", what)
    recorded = None if variables is None else _text(variables.attrs.get("name"))
    if recorded is not None and recorded != keras_name:
        raise _RefusedError(
            f"{what}: the weights group {key_path} belongs to a layer named {recorded!r}; the "
            "architecture and the weights do not match"
        )


def _keras3_datasets(h5: Any, layers: list[tuple[Layer, str, str]]) -> list[list[Any]]:
    """Each layer's datasets in a Keras 3 ``model.weights.h5``; every array is accounted for."""
    root = _hard_child(h5, "layers", "the weights file")
    counts: dict[str, int] = {}
    found: list[list[Any]] = []
    for layer, class_name, keras_name in layers:
        what = f"layer {keras_name!r} ({class_name})"
        base = snake_case(class_name)
        key = base if base not in counts else f"{base}_{counts[base]}"
        counts[base] = counts.get(base, 0) + 1
        group = None if root is None else _hard_child(root, key, what)
        _check_vars_name(group, keras_name, what, f"layers/{key}")
        found.append(_keras3_layer_datasets(group, layer, what, f"layers/{key}"))
    total = 0 if root is None else _count_datasets(root, "the weights file")
    used = sum(len(datasets) for datasets in found)
    if total != used:
        raise _RefusedError(
            f"the weights file holds {total} layer arrays; the architecture's layers have {used} "
            "weights (the file does not belong to this architecture)"
        )
    return found


def _weight_name_matches(param_key: str, weight_name: str) -> bool:
    """``forward/kernel`` against ``.../forward_lstm/lstm_cell/kernel:0``: the same final name
    and, inside a Bidirectional, the same direction."""
    final = weight_name.rsplit("/", 1)[-1].split(":", 1)[0]
    if final != param_key.rsplit("/", 1)[-1]:
        return False
    parts = weight_name.split("/")
    if param_key.startswith("forward/"):
        return not any(part.startswith("backward_") for part in parts)
    if param_key.startswith("backward/"):
        return not any(part.startswith("forward_") for part in parts)
    return True


def _legacy_datasets(
    h5: Any, layers: list[tuple[Layer, str, str]], root_is_file: bool = False
) -> list[list[Any]]:
    """Each layer's datasets in a legacy ``.h5`` file, found through ``layer_names`` and each
    layer group's ``weight_names``; every layer with weights in the file is accounted for."""
    import h5py

    root = h5 if root_is_file else _hard_child(h5, "model_weights", "the file")
    if root is None:
        raise _RefusedError("the file has a model_config but no model_weights group")
    layer_names = [_text(n) for n in root.attrs.get("layer_names", [])]
    found: list[list[Any]] = []
    used: set[str] = set()
    for layer, class_name, keras_name in layers:
        what = f"layer {keras_name!r} ({class_name})"
        if keras_name not in layer_names:
            if layer.weights:
                raise _RefusedError(f"{what}: the file holds no weights for this layer")
            found.append([])
            continue
        used.add(keras_name)
        group = _hard_child(root, keras_name, what)
        weight_names = (
            [] if group is None else [_text(n) for n in group.attrs.get("weight_names", [])]
        )
        keys = list(layer._params)
        if len(weight_names) != len(keys):
            raise _RefusedError(
                f"{what}: the file has {len(weight_names)} weights ({', '.join(weight_names)}); "
                f"lstmkit's {type(layer).__name__} has {len(keys)} ({', '.join(keys) or 'none'})"
            )
        datasets = []
        check_names = class_name in LAYER_CLASSES
        for key, weight_name in zip(keys, weight_names, strict=True):
            if check_names and not _weight_name_matches(key, weight_name):
                raise _RefusedError(
                    f"{what}: the file's weight {weight_name!r} is where lstmkit expects {key!r}"
                )
            dataset = _walk(group, weight_name, what)
            if not isinstance(dataset, h5py.Dataset):
                raise _RefusedError(
                    f"{what}: the file names weight {weight_name!r} but has no array"
                )
            datasets.append(dataset)
        found.append(datasets)
    for name in layer_names:
        if name in used:
            continue
        group = _hard_child(root, name, "the file")
        if group is not None and len(group.attrs.get("weight_names", [])):
            raise _RefusedError(
                f"the file holds weights for a layer {name!r} the architecture does not have"
            )
    return found


def _read_arrays(layers: list[tuple[Layer, str, str]], found: list[list[Any]]) -> list[np.ndarray]:
    """Check every dataset against the lstmkit weight it becomes (shape, float32, plain storage;
    metadata only), then read them all."""
    total = 0
    for (layer, class_name, keras_name), datasets in zip(layers, found, strict=True):
        what = f"layer {keras_name!r} ({class_name})"
        for (key, param), dataset in zip(layer._params.items(), datasets, strict=True):
            shape = tuple(dataset.shape or ())
            if shape != tuple(param.shape):
                raise _RefusedError(
                    f"{what}: weight {key!r} has shape {shape} in the file; lstmkit's layer "
                    f"needs {tuple(param.shape)}"
                )
            if dataset.dtype.kind != "f" or dataset.dtype.itemsize != 4:
                raise _RefusedError(
                    f"{what}: weight {key!r} is {dataset.dtype} in the file; lstmkit's weights "
                    "are float32"
                )
            if dataset.external or dataset.is_virtual:
                raise _RefusedError(f"{what}: weight {key!r} is stored outside the file")
            total += int(np.prod(shape, dtype=np.int64)) * 4
            if total > MAX_BYTES:
                raise _RefusedError(f"the weights add up to more than {MAX_BYTES:,} bytes")
    arrays: list[np.ndarray] = []
    for datasets in found:
        for dataset in datasets:
            array = np.empty(dataset.shape, dtype=np.float32)
            if array.size:
                dataset.read_direct(array)
            arrays.append(array)
    return arrays


def _assign(model: Sequential, arrays: list[np.ndarray]) -> None:
    """Give every placeholder weight its own memory, then set the arrays through
    ``model.set_weights`` (which checks the count and every shape again)."""
    seen: set[int] = set()
    with torch.no_grad():
        for param in model.weights:
            if id(param) not in seen:
                seen.add(id(param))
                param.data = torch.empty(tuple(param.shape), dtype=torch.float32)
    model.set_weights(arrays)


# -- reading the files ----------------------------------------------------------------------------


def _json(data: bytes | str, what: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        raise _RefusedError(f"{what} is not valid JSON ({_short(str(error), 80)})") from None


def _check_member(info: zipfile.ZipInfo, limit: int) -> None:
    if info.file_size > limit:
        raise _RefusedError(
            f"{info.filename} declares {info.file_size:,} bytes, more than the {limit:,} read"
        )
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_COMPRESSION_RATIO * max(
        info.compress_size, 1
    ):
        raise _RefusedError(
            f"{info.filename} expands {info.compress_size:,} bytes into {info.file_size:,}, a "
            f"compression ratio above {MAX_COMPRESSION_RATIO} (a zip bomb?)"
        )


def _read_keras_archive(path: str) -> tuple[Any, Any, bytes]:
    """``(architecture, compile_config, model.weights.h5 bytes)`` of a ``.keras`` archive."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise _RefusedError(f"it starts like a zip archive but is not one ({error})") from None
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        missing = [name for name in ("config.json", "model.weights.h5") if name not in infos]
        if missing:
            raise _RefusedError(
                "expected a Keras 3 .keras archive (config.json, metadata.json, "
                f"model.weights.h5); this zip lacks {', '.join(missing)} (it has "
                f"{_short(sorted(infos)[:8], 200)})"
            )
        _check_member(infos["config.json"], MAX_CONFIG_BYTES)
        _check_member(infos["model.weights.h5"], MAX_BYTES)
        try:
            config_bytes = archive.read("config.json")
            weights = archive.read("model.weights.h5")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise _RefusedError(f"the archive is corrupted ({error})") from None
    config = _json(config_bytes, "config.json")
    compile_config = config.get("compile_config") if isinstance(config, dict) else None
    return config, compile_config, weights


def _attribute_json(h5: Any, name: str) -> Any:
    if name not in h5.attrs:
        return None
    size = h5.attrs.get_id(name).get_storage_size()
    if size > MAX_CONFIG_BYTES:
        raise _RefusedError(f"attribute {name} has {size:,} bytes, more than {MAX_CONFIG_BYTES:,}")
    value = _text(h5.attrs[name])
    if not isinstance(value, str):
        raise _RefusedError(f"attribute {name} is not JSON text")
    return _json(value, f"attribute {name}")


def _legacy_configs(h5: Any) -> tuple[Any, Any]:
    if "model_config" not in h5.attrs:
        if "layer_names" in h5.attrs or "model_weights" not in h5:
            raise _RefusedError(
                "expected a Keras model saved with model.save(); this HDF5 file has no "
                "model_config attribute (weights only, from save_weights, or not from Keras): "
                "build the model and call load_weights instead"
            )
        raise _RefusedError("this HDF5 file has no model_config attribute")
    return _attribute_json(h5, "model_config"), _attribute_json(h5, "training_config")


# -- the compile configuration --------------------------------------------------------------------


def _optimizer(entry: Any) -> optimizers.Optimizer:
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise _UncompilableError(
            f"the optimizer is {_short(entry)}, not a built-in optimizer config"
        )
    if not _is_keras_module(entry.get("module")):
        raise _UncompilableError(f"the optimizer comes from module {entry.get('module')!r}")
    class_name = entry["class_name"].removeprefix("Custom>")  # TF 2.x's registered names
    config = dict(entry.get("config") or {})
    for key, neutral in _NEUTRAL_OPTIMIZER_ARGUMENTS.items():
        if key in config:
            value = config.pop(key)
            if value not in neutral:
                raise _UncompilableError(
                    f"the optimizer sets {key}={value!r}, which lstmkit does not support"
                )
    for key in _INERT_OPTIMIZER_ARGUMENTS:
        config.pop(key, None)
    if isinstance(config.get("learning_rate", config.get("lr")), dict):
        raise _UncompilableError(
            "the optimizer's learning rate is a schedule "
            f"({config.get('learning_rate', config.get('lr')).get('class_name')}), which "
            "lstmkit's optimizers do not take (use a LearningRateScheduler callback)"
        )
    try:
        return optimizers.deserialize({"class_name": class_name, "config": config})
    except (TypeError, ValueError) as error:
        raise _UncompilableError(f"optimizer {class_name}: {error}") from None


def _object_config(entry: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    if not _is_keras_module(entry.get("module")) or not isinstance(entry.get("class_name"), str):
        raise _UncompilableError(f"the {kind} {_short(entry)} is not a built-in Keras {kind}")
    config = entry.get("config")
    if isinstance(config, str):  # {"class_name": "function", "config": "mean_squared_error"}
        return config, {}
    return entry["class_name"], dict(config or {})


def _loss(entry: Any) -> Any:
    """A built-in loss by name, or a Keras loss object (``MeanSquaredError()``,
    ``BinaryCrossentropy(from_logits=True)``) as the equivalent lstmkit loss."""
    entry = _text(entry)
    if entry is None:
        return None
    if isinstance(entry, str):
        try:
            losses.get(entry)
        except ValueError as error:
            raise _UncompilableError(str(error)) from None
        return entry
    if not isinstance(entry, dict):
        raise _UncompilableError(f"the loss is {_short(entry)} (several outputs?), not one loss")
    class_name, config = _object_config(entry, "loss")
    name = config.pop("name", None)
    for key, neutral in _NEUTRAL_LOSS_ARGUMENTS.items():
        if key in config and config.pop(key) not in neutral:
            raise _UncompilableError(
                f"the loss {class_name} sets {key}, which lstmkit does not support"
            )
    try:
        function = losses.function(class_name)
    except ValueError as error:
        raise _UncompilableError(str(error)) from None
    accepted = set(inspect.signature(function).parameters) - {"y_true", "y_pred"}
    defaults = {
        key: p.default for key, p in inspect.signature(function).parameters.items() if key in config
    }
    unknown = sorted(set(config) - accepted)
    if unknown:
        raise _UncompilableError(
            f"the loss {class_name} sets {', '.join(unknown)}, unknown to lstmkit"
        )
    extra = {key: value for key, value in config.items() if value != defaults[key]}
    if not extra:
        # The name Keras logs it under, when lstmkit knows that name for the same function.
        if isinstance(name, str):
            try:
                if losses.function(name) is function:
                    return name
            except ValueError:
                pass
        return class_name
    return losses.Loss(function, name if isinstance(name, str) else None, **extra)


def _metric_identity(identifier: str) -> tuple[type, Any]:
    metric = metrics_module.get(
        identifier, loss_name=None, y_true_shape=(1, 1), y_pred_shape=(1, 1)
    )
    return type(metric), getattr(metric, "fn", None)


def _metric(entry: Any) -> str:
    entry = _text(entry)
    if isinstance(entry, str):
        if entry.lower() not in ("accuracy", "acc"):
            try:
                _metric_identity(entry)
            except ValueError as error:
                raise _UncompilableError(str(error)) from None
        return entry
    if not isinstance(entry, dict):
        raise _UncompilableError(
            f"the metric {_short(entry)} is not a built-in metric (several outputs?)"
        )
    class_name, config = _object_config(entry, "metric")
    name = config.pop("name", None)
    if class_name == "MeanMetricWrapper":  # TF 2.x: {"name": "mae", "fn": "mean_absolute_error"}
        function = config.pop("fn", None)
        if not isinstance(function, str):
            raise _UncompilableError(f"the metric {name!r} wraps {_short(function)}")
        class_name = function
        if isinstance(name, str) and name.lower() in ("accuracy", "acc"):
            return name
    for key, value in config.items():
        if value not in _NEUTRAL_METRIC_ARGUMENTS.get(key, ()):
            raise _UncompilableError(
                f"the metric {class_name} sets {key}={_short(value)}, which lstmkit does not "
                "support"
            )
    try:
        identity = _metric_identity(class_name)
    except ValueError as error:
        raise _UncompilableError(str(error)) from None
    if not isinstance(name, str) or name == class_name:
        return class_name
    try:
        if _metric_identity(name) == identity:
            return name
    except ValueError:
        pass
    raise _UncompilableError(
        f"the metric {class_name} is named {name!r}, a name lstmkit cannot give it"
    )


def _compile_arguments(config: dict[str, Any]) -> dict[str, Any]:
    """``compile()``'s arguments from Keras 3's ``compile_config`` or a legacy
    ``training_config``; raises :class:`_UncompilableError` naming what does not translate."""
    for key in ("loss_weights", "weighted_metrics", "sample_weight_mode"):
        if config.get(key) not in (None, [], {}):
            raise _UncompilableError(f"{key}={_short(config[key])} is not supported by lstmkit")
    optimizer = _optimizer(config.get("optimizer", config.get("optimizer_config")))
    loss = _loss(config.get("loss"))
    metrics = config.get("metrics") or []
    if isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
        metrics = metrics[0]  # TF 2.x: one list of metrics per output
    if isinstance(metrics, dict) or not isinstance(metrics, list):
        raise _UncompilableError(f"metrics={_short(metrics)} is not one list of metrics")
    return {"optimizer": optimizer, "loss": loss, "metrics": [_metric(m) for m in metrics]}


def _compile(model: Sequential, config: Any, path: str) -> None:
    if not config:  # Keras 3 writes {} for a model that was never compiled
        return
    try:
        if not isinstance(config, dict):
            raise _UncompilableError(f"the compile configuration is {_short(config)}")
        arguments = _compile_arguments(config)
        model.compile(**arguments)
    except (_UncompilableError, TypeError, ValueError, AttributeError) as reason:
        warnings.warn(
            f"{path!r}: the model is returned uncompiled because its Keras compile "
            f"configuration does not translate to lstmkit: {reason}. Call model.compile(...) "
            "before fit().",
            RuntimeWarning,
            stacklevel=3,
        )


# -- the public function --------------------------------------------------------------------------


def _kind(path: str) -> str:
    """``"keras"`` (a zip archive) or ``"h5"`` (HDF5), from the file's first bytes."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    if not os.path.isfile(path):
        raise KerasImportError(f"cannot import {path!r}: it is not a file")
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        raise KerasImportError(
            f"cannot import {path!r}: {size:,} bytes is more than the {MAX_BYTES:,} read"
        )
    with open(path, "rb") as file:
        head = file.read(8)
    if head.startswith(_ZIP_MAGICS):
        return "keras"
    if head == _HDF5_MAGIC:
        return "h5"
    raise KerasImportError(
        f"cannot import {path!r}: expected a Keras 3 .keras archive (a zip file) or a legacy "
        f"Keras .h5 file (HDF5); found neither (the file starts with {head!r})"
    )


def load_keras_model(
    path: str | os.PathLike[str], custom_objects: dict[str, Any] | None = None
) -> Sequential:
    """The lstmkit :class:`~lstmkit.models.Sequential` equivalent to the Keras Sequential model
    saved at ``path``: a Keras 3 ``.keras`` archive or a legacy ``.h5`` file (Keras 2, or Keras
    3's ``model.save("model.h5")``), told apart by their contents.

    The layers are lstmkit's, made from the Keras configuration; the weights are the file's,
    copied after their count, shapes and dtype (float32) are checked, so ``predict`` gives what
    Keras's ``predict`` gives. Shapes are Keras's: inputs ``(batch, *input_shape[1:])`` as the
    model's first layer declared them (``(batch, timesteps, features)`` for a recurrent model,
    ``(batch, timesteps)`` of token ids for an Embedding first), weights as in the module's
    table.

    When the file has a compile configuration (``compile_config`` in a ``.keras`` archive,
    ``training_config`` in a ``.h5``) the model comes back compiled with the same optimizer class
    and hyper-parameters, loss and metrics; when they do not translate (a learning-rate schedule,
    a custom loss, a metric lstmkit lacks...) it comes back uncompiled and a ``RuntimeWarning``
    says why. The optimizer's state (its step count and moments) is **not** imported: training
    continues with fresh optimizer state.

    Nothing in the file is executed. Layer classes come from :data:`LAYER_CLASSES`, or from
    ``custom_objects``, a dict mapping a Keras class name (or registered name) to an lstmkit
    :class:`~lstmkit.layers.Layer` subclass taking the same arguments (its weights are read
    from ``vars`` in the layer's order) or an activation name to a function.

    Raises ``FileNotFoundError`` when ``path`` does not exist, and :class:`KerasImportError` (a
    ``ValueError``) naming the file and what was expected and found when it is not a Keras file,
    holds a functional model, or holds anything lstmkit cannot reproduce faithfully (see the
    module's documentation).
    """
    import h5py

    path = os.fspath(path)
    custom_objects = dict(custom_objects or {})
    kind = _kind(path)
    try:
        if kind == "keras":
            config, compile_config, weights = _read_keras_archive(path)
            model, layers = _build_model(config, custom_objects)
            with h5py.File(io.BytesIO(weights), "r") as h5:
                arrays = _read_arrays(layers, _keras3_datasets(h5, layers))
        else:
            with h5py.File(path, "r") as h5:
                config, compile_config = _legacy_configs(h5)
                model, layers = _build_model(config, custom_objects)
                arrays = _read_arrays(layers, _legacy_datasets(h5, layers))
        if not model.built and arrays:
            raise _RefusedError("the model declares no input shape, yet the file holds weights")
        if model.built:
            _assign(model, arrays)
    except _RefusedError as error:
        raise KerasImportError(f"cannot import {path!r}: {error}") from None
    except (OSError, KeyError, RuntimeError, UnicodeDecodeError) as error:
        raise KerasImportError(
            f"cannot import {path!r}: the file is corrupted or not written by Keras "
            f"({type(error).__name__}: {_short(str(error), 200)})"
        ) from None
    except (TypeError, ValueError, AttributeError, IndexError, RecursionError) as error:
        raise KerasImportError(
            f"cannot import {path!r}: its configuration is malformed "
            f"({type(error).__name__}: {_short(str(error), 200)})"
        ) from None
    _compile(model, compile_config, path)
    return model


def load_keras_weights(model: Sequential, path: str | os.PathLike[str]) -> None:
    """Set ``model``'s weights from a Keras weights file: Keras 3's ``.weights.h5``
    (``layers/<key>/vars``), Keras 2's ``save_weights`` HDF5 (layer groups at the root), or a
    whole legacy ``.h5`` model file. Layers are matched in order and every array is checked as
    :func:`load_keras_model` checks them; nothing changes unless all fit."""
    import h5py

    path = os.fspath(path)
    if _kind(path) != "h5":
        raise KerasImportError(f"cannot read weights from {path!r}: it is not an HDF5 file")
    layers = [(layer, type(layer).__name__, layer.name) for layer in model.layers]
    try:
        with h5py.File(path, "r") as h5:
            if "layers" in h5:
                found = _keras3_datasets(h5, layers)
            else:
                # Keras matches a legacy file's layers to the model's by order, not by name.
                root_is_file = "model_weights" not in h5
                root = h5 if root_is_file else h5["model_weights"]
                names = [
                    name
                    for name in (_text(n) for n in root.attrs.get("layer_names", []))
                    if name in root and len(root[name].attrs.get("weight_names", []))
                ]
                with_weights = [entry for entry in layers if entry[0].weights]
                if len(names) != len(with_weights):
                    raise _RefusedError(
                        f"the file holds weights for {len(names)} layers; the model has "
                        f"{len(with_weights)} layers with weights"
                    )
                layers = [
                    (layer, kind, names.pop(0) if layer.weights else name)
                    for layer, kind, name in layers
                ]
                found = _legacy_datasets(h5, layers, root_is_file=root_is_file)
            arrays = _read_arrays(layers, found)
    except _RefusedError as error:
        raise KerasImportError(f"cannot read weights from {path!r}: {error}") from None
    except (OSError, KeyError, RuntimeError, UnicodeDecodeError) as error:
        raise KerasImportError(
            f"cannot read weights from {path!r}: the file is corrupted or not written by Keras "
            f"({type(error).__name__}: {_short(str(error), 200)})"
        ) from None
    model.set_weights(arrays)
