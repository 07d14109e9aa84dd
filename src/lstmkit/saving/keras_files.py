"""Import a Keras Sequential model: a Keras 3 ``.keras`` archive or a legacy ``.h5`` file.

:func:`load_keras_model` reads the architecture (JSON) and the weights (HDF5 datasets, through
h5py) and returns the lstmkit :class:`~lstmkit.models.Sequential` that computes the same thing:
the weight layouts are Keras's in both libraries (LSTM gates i, f, c, o; GRU bias ``(2, 3u)``
with ``reset_after``), so the arrays are copied as they are. Nothing in the file is executed:
class names resolve only through lstmkit's tables (and ``custom_objects``), and h5py reads
numbers, never Python objects.

What is translated: the layers of :data:`lstmkit.layers.registry.LAYER_CLASSES`, their Keras
arguments, built-in initializers, activations, and the compile configuration (optimizer class
and hyper-parameters, a built-in loss and metrics given by name). What is refused, with the layer
and argument named: other layers (``Lambda``, ``Attention``...), functional models, regularizers,
constraints, non-float32 dtype policies, learning-rate schedules. Keras-only arguments holding
their neutral value (``unroll``, ``implementation``, ``data_format='channels_last'``,
``quantization_config=None``...) are dropped. The optimizer's state is not imported: the model
comes back compiled with fresh optimizer state.
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from typing import Any

import numpy as np

from lstmkit.layers.base import Layer, snake_case

__all__ = ["load_keras_model"]

#: Files larger than this are refused before they are read.
MAX_BYTES = 2 * 2**30
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

# Keras-only arguments and the values with which they change nothing lstmkit computes.
_NEUTRAL: dict[str, tuple[Any, ...]] = {
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
    "data_format": ("channels_last",),
    "groups": (1,),
    "quantization_config": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "sparse": (False,),
    "ragged": (False,),
    "optional": (False,),
}
# Arguments that choose how Keras computes, not what: dropped whatever their value.
_STRATEGY = ("unroll", "implementation", "use_cudnn", "module", "registered_name")
# Keras-only optimizer arguments and their neutral values.
_OPTIMIZER_NEUTRAL: dict[str, tuple[Any, ...]] = {
    "use_ema": (False,),
    "ema_momentum": (0.99,),
    "ema_overwrite_frequency": (None,),
    "loss_scale_factor": (None,),
    "gradient_accumulation_steps": (None,),
    "is_legacy_optimizer": (False,),
    "jit_compile": (True, False, None),
    "decay": (0.0, 0, None),
    "clipnorm": (None,),
    "clipvalue": (None,),
    "global_clipnorm": (None,),
    "weight_decay": (None, 0.0, 0),
}


class _RefusedError(ValueError):
    pass


def _text(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _float32_dtype(layer: str, value: Any) -> None:
    if value is None:
        return
    name = value
    if isinstance(value, dict):  # Keras 3's DTypePolicy
        name = (value.get("config") or {}).get("name")
    if name != "float32":
        raise _RefusedError(
            f"layer {layer!r} computes in dtype {name!r}; lstmkit computes in float32"
        )


def _initializer(layer: str, key: str, value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    config = {
        k: v
        for k, v in (value.get("config") or {}).items()
        if not (k in ("input_axes", "output_axes") and v is None)
    }
    return {"class_name": value.get("class_name"), "config": config}


def _activation(value: Any) -> Any:
    if isinstance(value, dict):  # {"class_name": "function", "config": "tanh"} and the like
        config = value.get("config")
        return config if isinstance(config, str) else value.get("class_name")
    return value


def _one(value: Any) -> Any:
    """Keras stores 1-D sizes as ``(3,)``; lstmkit takes ``3``."""
    if isinstance(value, list | tuple) and len(value) == 1:
        return value[0]
    return value


def _translate(entry: Any, custom_objects: dict[str, Any]) -> dict[str, Any]:
    """A Keras layer entry ``{"class_name", "config", ...}`` as an lstmkit layer config."""
    from lstmkit.layers.registry import LAYER_CLASSES

    if not isinstance(entry, dict) or "class_name" not in entry:
        raise _RefusedError(f"a layer entry must have a class_name; got {entry!r:.100}")
    class_name = entry["class_name"]
    config = dict(entry.get("config") or {})
    name = config.get("name", class_name)
    custom = custom_objects.get(class_name)
    if class_name not in LAYER_CLASSES and not (
        isinstance(custom, type) and issubclass(custom, Layer)
    ):
        raise _RefusedError(
            f"layer {name!r} is a {class_name}, which lstmkit does not have (it has "
            f"{', '.join(sorted(LAYER_CLASSES))})"
        )
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in _STRATEGY or key == "shared_object_id":
            continue
        if key == "dtype":
            _float32_dtype(name, value)
            continue
        if key in _NEUTRAL:
            if value not in _NEUTRAL[key]:
                raise _RefusedError(
                    f"layer {name!r} ({class_name}) sets {key}={value!r}, which lstmkit does "
                    "not support"
                )
            continue
        if key.endswith("_initializer"):
            value = _initializer(name, key, value)
        elif key in ("activation", "recurrent_activation"):
            value = _activation(value)
        elif key in ("kernel_size", "strides", "pool_size", "dilation_rate"):
            value = _one(value)
        elif key in ("layer", "backward_layer"):
            value = _translate(value, custom_objects)
        out[key] = value
    if class_name == "InputLayer":
        out.pop("dtype", None)
        if "batch_input_shape" in out and "batch_shape" not in out:
            out["batch_shape"] = out.pop("batch_input_shape")
    if class_name == "Bidirectional":
        _drop_mirrored_backward_layer(name, out)
    return {"class_name": class_name, "config": out}


def _drop_mirrored_backward_layer(name: str, config: dict[str, Any]) -> None:
    """lstmkit makes the backward layer from the forward one (``go_backwards`` flipped); a
    Keras ``backward_layer`` that is exactly that is dropped, anything else refused."""
    backward = config.pop("backward_layer", None)
    if backward is None:
        return
    forward = config["layer"]
    mirrored = dict(forward["config"], go_backwards=not forward["config"].get("go_backwards"))
    same = {k: v for k, v in backward["config"].items() if k != "name"}
    expected = {k: v for k, v in mirrored.items() if k != "name"}
    if backward["class_name"] != forward["class_name"] or same != expected:
        raise _RefusedError(
            f"Bidirectional {name!r} has a backward layer configured differently from its "
            "forward layer, which lstmkit does not support"
        )


# -- reading the file -----------------------------------------------------------------------------


def _read(path: str) -> bytes:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        raise ValueError(f"cannot import {path!r}: {size:,} bytes is more than {MAX_BYTES:,}")
    with open(path, "rb") as file:
        return file.read()


def _open_keras_archive(path: str, data: bytes) -> tuple[Any, Any, bytes]:
    """``(config, compile_config, weights_h5_bytes)`` of a Keras 3 ``.keras`` archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise _RefusedError(f"not a Keras file ({error})") from None
    with archive:
        names = archive.namelist()
        if "config.json" not in names or "model.weights.h5" not in names:
            raise _RefusedError(
                "not a Keras .keras archive (it needs config.json and model.weights.h5; it has "
                f"{names[:6]})"
            )
        infos = {info.filename: info for info in archive.infolist()}
        for member in ("config.json", "model.weights.h5"):
            info = infos[member]
            if info.file_size > MAX_BYTES or info.file_size > 1000 * max(info.compress_size, 1):
                raise _RefusedError(f"{member} declares {info.file_size:,} bytes (a zip bomb?)")
        try:
            config = json.loads(archive.read("config.json"))
            weights = archive.read("model.weights.h5")
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
            raise _RefusedError(f"the archive is corrupted ({error})") from None
    if not isinstance(config, dict):
        raise _RefusedError("config.json is not a JSON object")
    return config, config.get("compile_config"), weights


def _sequential_layers(config: Any) -> tuple[str, list[Any]]:
    """The model's name and its layer entries, from a Keras 3 or Keras 2 Sequential config."""
    if not isinstance(config, dict) or config.get("class_name") != "Sequential":
        found = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise _RefusedError(
            f"only Sequential models can be imported; this is a {found} (rebuild a functional "
            "model with lstmkit.Model and load its weights layer by layer)"
        )
    inner = config.get("config")
    if isinstance(inner, list):  # Keras 2.2: the config is the list of layers
        return "sequential", inner
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        raise _RefusedError("the Sequential config has no list of layers")
    return str(inner.get("name", "sequential")), inner["layers"]


def _collect(group: Any) -> list[Any]:
    """The datasets of a layer's group in a ``.keras`` weights file, in Keras's order: the
    layer's own ``vars`` (0, 1, ...), then its cell, its forward and backward layers, its
    wrapped layer."""
    arrays: list[Any] = []
    if "vars" in group:
        variables = group["vars"]
        arrays.extend(variables[str(i)] for i in range(len(variables)))
    for child in ("cell", "forward_layer", "backward_layer", "layer"):
        if child in group:
            arrays.extend(_collect(group[child]))
    return arrays


def _keras3_weights(h5: Any, layers: list[Layer]) -> list[list[Any]]:
    root = h5.get("layers")
    counts: dict[str, int] = {}
    found = []
    for layer in layers:
        base = snake_case(type(layer).__name__)
        seen = counts.get(base, 0)
        counts[base] = seen + 1
        key = base if seen == 0 else f"{base}_{seen}"
        if root is None or key not in root:
            if layer.weights:
                raise _RefusedError(
                    f"the weights file has no group layers/{key} for {layer.name!r}"
                )
            found.append([])
            continue
        found.append(_collect(root[key]))
    return found


def _legacy_weights(h5: Any, layers: list[Layer], names: list[str]) -> list[list[Any]]:
    group = h5.get("model_weights", h5)
    found = []
    for layer, name in zip(layers, names, strict=True):
        if name not in group:
            if layer.weights:
                raise _RefusedError(f"the weights file has no group for layer {name!r}")
            found.append([])
            continue
        weight_names = [_text(n) for n in group[name].attrs.get("weight_names", [])]
        found.append([group[name][w] for w in weight_names])
    return found


def _assign(layers: list[Layer], arrays: list[list[Any]], names: list[str]) -> None:
    """Check every dataset's shape and dtype (metadata, nothing read), then read and set."""
    for layer, datasets, name in zip(layers, arrays, names, strict=True):
        expected = [tuple(w.shape) for w in layer.weights]
        got = [tuple(d.shape) for d in datasets]
        if got != expected:
            raise _RefusedError(
                f"layer {name!r} ({type(layer).__name__}) has weights of shapes {got} in the "
                f"file; lstmkit's layer needs {expected}"
            )
        for dataset in datasets:
            if not np.issubdtype(dataset.dtype, np.floating):
                raise _RefusedError(
                    f"layer {name!r}: a weight of dtype {dataset.dtype} is not a float"
                )
        layer.set_weights([np.asarray(d[()], dtype=np.float32) for d in datasets])


def _compile(model: Any, compile_config: Any, path: str) -> None:
    from lstmkit import losses, optimizers

    if not isinstance(compile_config, dict):
        return
    try:
        optimizer_entry = compile_config.get("optimizer") or compile_config.get("optimizer_config")
        if not isinstance(optimizer_entry, dict):
            raise _RefusedError("no optimizer configuration")
        config = dict(optimizer_entry.get("config") or {})
        for key, neutral in _OPTIMIZER_NEUTRAL.items():
            if key in config:
                value = config.pop(key)
                if value not in neutral and key not in ("clipnorm", "clipvalue", "global_clipnorm"):
                    raise _RefusedError(f"optimizer argument {key}={value!r} is not supported")
                if value is not None and key in ("clipnorm", "clipvalue", "global_clipnorm"):
                    config[key] = value
        if isinstance(config.get("learning_rate"), dict):
            raise _RefusedError("a learning-rate schedule is not supported")
        optimizer = optimizers.deserialize(
            {"class_name": optimizer_entry.get("class_name"), "config": config}
        )
        loss = _text(compile_config.get("loss"))
        if isinstance(loss, dict):
            loss = loss.get("class_name")
        if not isinstance(loss, str):
            raise _RefusedError(f"loss {loss!r} is not a built-in loss given by name")
        losses.get(loss)
        metrics = []
        for metric in compile_config.get("metrics") or []:
            metric = _text(metric)
            if isinstance(metric, dict):
                metric = (metric.get("config") or {}).get("name") or metric.get("class_name")
            if not isinstance(metric, str):
                raise _RefusedError(f"metric {metric!r} is not a built-in metric given by name")
            metrics.append(metric)
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    except (_RefusedError, ValueError, TypeError) as error:
        warnings.warn(
            f"{path!r}: the model is returned uncompiled; its compile configuration could not be "
            f"translated ({error})",
            RuntimeWarning,
            stacklevel=3,
        )


def load_keras_model(
    path: str | os.PathLike[str], custom_objects: dict[str, Any] | None = None
) -> Any:
    """The lstmkit Sequential equivalent to the Keras Sequential model saved at ``path`` (a Keras 3
    ``.keras`` archive or a legacy ``.h5`` file, told apart by their contents), with the same
    weights, so ``predict`` gives Keras's outputs; compiled as Keras had it when the compile
    configuration translates (a warning says why when it does not). Raises ``ValueError`` naming
    the file and the reason for anything it cannot import faithfully."""
    import h5py

    from lstmkit.layers.registry import deserialize
    from lstmkit.models.sequential import Sequential

    path = os.fspath(path)
    custom_objects = dict(custom_objects or {})
    data = _read(path)
    try:
        if data.startswith(_HDF5_MAGIC):
            h5_bytes, compile_config = data, None
            with h5py.File(io.BytesIO(data), "r") as h5:
                if "model_config" not in h5.attrs:
                    raise _RefusedError(
                        "this HDF5 file holds no model_config: it has only weights (use "
                        "model.load_weights on a model you build) or was not written by Keras"
                    )
                config = json.loads(_text(h5.attrs["model_config"]))
                if "training_config" in h5.attrs:
                    compile_config = json.loads(_text(h5.attrs["training_config"]))
            legacy = True
        elif data.startswith(b"PK"):
            config, compile_config, h5_bytes = _open_keras_archive(path, data)
            legacy = False
        else:
            raise _RefusedError("not a Keras file (neither a .keras zip archive nor an HDF5 file)")
        name, entries = _sequential_layers(config)
        model = Sequential(name=name)
        layers: list[Layer] = []
        names: list[str] = []
        for entry in entries:
            translated = _translate(entry, custom_objects)
            layer = deserialize(translated, custom_objects)
            model.add(layer)
            if translated["class_name"] != "InputLayer":
                layers.append(layer)
                names.append(translated["config"].get("name", layer.name))
        if model.input_shape is None:
            raise _RefusedError("the model has no input shape, so Keras saved no weights for it")
        with h5py.File(io.BytesIO(h5_bytes), "r") as h5:
            arrays = _legacy_weights(h5, layers, names) if legacy else _keras3_weights(h5, layers)
            _assign(layers, arrays, names)
    except _RefusedError as error:
        raise ValueError(f"cannot import {path!r}: {error}") from None
    except (OSError, KeyError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot import {path!r}: the file is corrupted ({error})") from None
    except (TypeError, ValueError) as error:
        raise ValueError(f"cannot import {path!r}: {error}") from None
    _compile(model, compile_config, path)
    return model
