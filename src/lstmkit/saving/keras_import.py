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
classes from modules other than Keras's, functional and subclassed models, activity
regularizers and regularizers other than L1/L2/L1L2 (those import: the layer's
``weight_regularizers``, whose penalties training and evaluation add to the loss as Keras does),
constraints, dtype policies other than float32, ``time_major=True``, ``channels_first``, LoRA or
quantized layers, unknown initializers and activations, and weights whose count, shape or dtype
do not match. Keras-only arguments that hold their neutral value are dropped; ``unroll``,
``implementation`` and ``use_cudnn`` choose how Keras computes, not what, and are dropped whatever
their value.

The compile configuration (optimizer class and hyper-parameters, a built-in loss, built-in
metrics) is applied when it translates; otherwise the model comes back uncompiled and a
``RuntimeWarning`` says why. The optimizer's *state* (Keras's ``optimizer/vars``: iteration count,
moments) is not imported: training continues from fresh optimizer state.

This module tells the two kinds of file apart and puts the steps together;
:mod:`lstmkit.saving.keras_containers` opens the zip archive or HDF5 file and finds, checks and
reads the weights; :mod:`lstmkit.saving.keras_configs` translates the architecture and compile
configurations. Each imports only those after it in that order.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

from lstmkit.saving.keras_compile import _compile
from lstmkit.saving.keras_configs import (
    LAYER_CLASSES,
    _build_model,
    _RefusedError,
    _short,
    _text,
)
from lstmkit.saving.keras_containers import (
    MAX_BYTES,
    _assign,
    _keras3_datasets,
    _legacy_configs,
    _legacy_datasets,
    _read_arrays,
    _read_keras_archive,
)

__all__ = [
    "LAYER_CLASSES",
    "MAX_BYTES",
    "KerasImportError",
    "load_keras_model",
    "load_keras_weights",
    "model_from_keras_json",
]

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


class KerasImportError(ValueError):
    """A file :func:`load_keras_model` cannot import faithfully; the message names the file, and
    the layer, argument and value or weight at fault."""


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
) -> Any:
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
    _compile(model, compile_config, path, custom_objects)
    return model


def model_from_keras_json(text: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """Keras's ``model_from_json``: the lstmkit Sequential that the JSON of a Keras
    ``model.to_json()`` describes (Keras 3's form, or Keras 2's ``{"class_name": "Sequential",
    "config": ...}``), uncompiled, with weights freshly drawn by its initializers (load them
    with ``load_weights``). Raises :class:`KerasImportError` naming what does not translate."""
    if not isinstance(text, str | bytes):
        raise TypeError(f"model_from_json expects the JSON text (str); got {type(text).__name__}")
    try:
        try:
            config = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise _RefusedError(f"it is not valid JSON ({_short(str(error), 80)})") from None
        model, _ = _build_model(config, dict(custom_objects or {}), initialize=True)
    except _RefusedError as error:
        raise KerasImportError(f"cannot build a model from this JSON: {error}") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
        raise KerasImportError(
            "cannot build a model from this JSON: its configuration is malformed "
            f"({type(error).__name__}: {_short(str(error), 200)})"
        ) from None
    return model


def load_keras_weights(model: Any, path: str | os.PathLike[str]) -> None:
    """Set ``model``'s weights from a Keras weights file: Keras 3's ``.weights.h5``
    (``layers/<key>/vars``), Keras 2's ``save_weights`` HDF5 (layer groups at the root), or a
    whole legacy ``.h5`` model file. Layers are matched in order (as Keras matches them) and
    every array is checked as :func:`load_keras_model` checks them; nothing changes unless all
    fit."""
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
