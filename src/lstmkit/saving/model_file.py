"""lstmkit's model file: one zip archive, written atomically, that loading only ever parses.

Members (all stored uncompressed, in this order)::

    lstmkit.json          {"format": "lstmkit-model", "format_version": 1, "lstmkit_version": ...}
    model.json            {"class_name": "Sequential" | "Model", "config": {...}}
    weights.safetensors   every weight, named "<layer index>/<weight name>" ("0/kernel",
                          "1/forward/recurrent_kernel"), float32, Keras's shapes
    compile.json          (compiled models) {"optimizer": {...}, "loss": ..., "metrics": [...]}
    state.json            (compiled and trained) {"optimizer": {"iterations": n, ...},
                          "epochs_done": k}
    state.safetensors     (with state.json) the optimizer's slots "optimizer/<slot>/<index>",
                          the training stream "rng/training" and the private streams of
                          layers given a seed "rng/<layer index>[/<inner layer>]"

Other archives reuse this layout and code (:func:`model_members`, :func:`write_archive`,
:func:`model_from_members`): a fitted Forecaster (:mod:`lstmkit.saving.forecaster_file`) is this
file with ``"format": "lstmkit-forecaster"`` and two more members. Each loader refuses the
others' files, naming the function that loads them (:data:`FORMATS`).

A function of the user's (a custom loss, metric or activation) appears in the JSON as
``{"__custom__": "<its name>"}`` and comes back only from ``custom_objects``; class names are
looked up in lstmkit's own tables. Nothing in a file is imported, evaluated or unpickled.

Loading checks, before it allocates anything: the archive's structure (member names, no
duplicates, stored sizes within the file and within limits), every JSON document's shape, and
every tensor's name, dtype and shape against the architecture (the model is first built with
placeholder weights that hold no memory). Any failure raises :class:`ModelFileError` naming the
file and what was wrong.
"""

from __future__ import annotations

import io
import json
import math
import os
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from lstmkit import losses, optimizers
from lstmkit import metrics as metrics_module
from lstmkit._registry import registered_class
from lstmkit.layers.base import deferred_weights
from lstmkit.layers.core import InputLayer
from lstmkit.saving.archive import (
    DEFAULT_MAX_BYTES,
    UNREADABLE_ZIP,
    ModelFileError,
    archive_header,
    check_format,
    check_tensor_header,
    dump_json,
    expect,
    load_json,
    open_archive,
    read_file,
    read_tensors,
    refuse_keras,
    tensor_bytes,
    write_archive,
)
from lstmkit.saving.files import atomic_write, check_lstmkit_path
from lstmkit.training import distributed

__all__ = [
    "FORMAT_VERSION",
    "ModelFileError",
    "load_model",
    "load_weights",
    "save_model",
    "save_weights",
]

FORMAT = "lstmkit-model"
WEIGHTS_FORMAT = "lstmkit-weights"
FORMAT_VERSION = 1

REQUIRED_MEMBERS = ("lstmkit.json", "model.json", "weights.safetensors")
OPTIONAL_MEMBERS = ("compile.json", "state.json", "state.safetensors")
_CUSTOM = "__custom__"


def _layer_stack(model: Any) -> list[Any]:
    """The layers that compute, in order. A functional model's ``layers`` starts with its
    InputLayers, as Keras's does; they carry no weights and are rebuilt from the config, so the
    file's ``<layer index>/<weight>`` names count without them (and files stay as they were)."""
    return [layer for layer in model.layers if not isinstance(layer, InputLayer)]


# -- JSON with custom objects ---------------------------------------------------------------------


def _to_json(value: Any, where: str) -> Any:
    """``value`` as JSON data; a callable becomes ``{"__custom__": name}``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            raise ValueError(f"cannot save {where}: the value {value} is not a finite number")
        return float(value)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ValueError(f"cannot save {where}: its keys must be strings")
        return {key: _to_json(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if callable(value):
        return {_CUSTOM: _custom_name(value)}
    raise ValueError(f"cannot save {where}: {type(value).__name__} is not JSON data")


def _custom_name(value: Any) -> str:
    return str(
        getattr(value, "__name__", None) or getattr(value, "name", None) or type(value).__name__
    )


def _from_json(value: Any, custom_objects: dict[str, Any], path: str) -> Any:
    """Replace every ``{"__custom__": name}`` by ``custom_objects[name]``."""
    if isinstance(value, dict):
        if _CUSTOM in value:
            name = value[_CUSTOM]
            if set(value) != {_CUSTOM} or not isinstance(name, str):
                raise ModelFileError(path, f"malformed custom-object reference {value!r}")
            if name not in custom_objects:
                raise ModelFileError(
                    path,
                    f"the model uses a custom object {name!r} of your own; pass it as "
                    f"load_model(path, custom_objects={{{name!r}: ...}}). lstmkit never imports "
                    "code named in a file",
                )
            return custom_objects[name]
        return {key: _from_json(item, custom_objects, path) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_json(item, custom_objects, path) for item in value]
    return value


# -- what a model holds ---------------------------------------------------------------------------


def _weight_entries(model: Any) -> dict[str, torch.nn.Parameter]:
    """Every weight of ``model`` by its name in the file, ``"<layer index>/<weight name>"``."""
    return {
        f"{index}/{name}": param
        for index, layer in enumerate(_layer_stack(model))
        for name, param in layer._params.items()
    }


def _layer_generators(prefix: str, layer: Any) -> Iterator[tuple[str, torch.Generator]]:
    generator = getattr(layer, "_generator", None)
    if isinstance(generator, torch.Generator):
        yield prefix, generator
    for attribute in ("forward_layer", "backward_layer", "layer"):
        inner = getattr(layer, attribute, None)
        if inner is not None and inner is not layer and hasattr(inner, "_params"):
            yield from _layer_generators(f"{prefix}/{attribute}", inner)


def _generators(model: Any) -> dict[str, torch.Generator]:
    """The private random streams of layers given ``seed=``, by their name in the file."""
    return {
        f"rng/{key}": generator
        for index, layer in enumerate(_layer_stack(model))
        for key, generator in _layer_generators(str(index), layer)
    }


def _model_config(model: Any) -> dict[str, Any]:
    return _to_json({"class_name": type(model).__name__, "config": model.get_config()}, "model")


def _compile_config(model: Any) -> dict[str, Any] | None:
    trainer = getattr(model, "_trainer", None)
    if trainer is None:
        return None
    loss = trainer.loss
    if loss is None:
        loss_config: Any = None
    elif losses.is_builtin(loss):
        loss_config = loss.name
    else:
        loss_config = {_CUSTOM: loss.name}
    metrics = [_metric_config(m) for m in trainer._metric_ids]
    return _to_json(
        {
            "optimizer": optimizers.serialize(trainer.optimizer),
            "loss": loss_config,
            "metrics": metrics,
        },
        "compile",
    )


def _metric_config(metric: Any) -> Any:
    if isinstance(metric, str):
        return metric
    if isinstance(metric, type):
        name = metric.__name__
        return name if name in metrics_module._METRICS else {_CUSTOM: name}
    if isinstance(metric, metrics_module.Metric):
        return {_CUSTOM: metric.name}
    return {_CUSTOM: _custom_name(metric)}


# -- saving ---------------------------------------------------------------------------------------


def model_members(model: Any, *, include_optimizer: bool = True) -> list[tuple[str, bytes]]:
    """A built model's members, ``(name, bytes)`` in order (all but ``lstmkit.json``):
    ``model.json``, ``weights.safetensors`` and, when compiled, ``compile.json`` and the
    training state. Raises ValueError for a model that has not been built."""
    if not _layer_stack(model) or model.input_shape is None:
        raise ValueError(
            f"{model.name} has not been built, so it has no weights to save: give the first "
            "layer input_shape=... or call build() or fit() first"
        )
    members: list[tuple[str, bytes]] = [
        ("model.json", dump_json(_model_config(model))),
        ("weights.safetensors", tensor_bytes(_weight_entries(model), {"format": FORMAT})),
    ]
    compile_config = _compile_config(model)
    if compile_config is not None:
        members.append(("compile.json", dump_json(compile_config)))
        trainer = model._trainer
        if include_optimizer and trainer.optimizer.built:
            tensors, numbers = trainer.optimizer.get_state()
            state_tensors = {f"optimizer/{key}": value for key, value in tensors.items()}
            if trainer.rng_state is not None:
                state_tensors["rng/training"] = trainer.rng_state
            for key, generator in _generators(model).items():
                state_tensors[key] = generator.get_state()
            state = {"optimizer": numbers, "epochs_done": trainer.epochs_done}
            members.append(("state.json", dump_json(_to_json(state, "state"))))
            members.append(("state.safetensors", tensor_bytes(state_tensors, {"format": FORMAT})))
    return members


def save_model(
    model: Any,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = True,
    include_optimizer: bool = True,
) -> None:
    """Write ``model`` (architecture, weights, compile configuration, optimizer state and the
    training stream) to ``path`` atomically. A Keras name (``.keras``, ``.h5``, ``.hdf5``) writes
    the Keras file instead (see :mod:`lstmkit.saving.keras_export`), which Keras loads. Under
    data-parallel training (torchrun) only rank 0 writes: elsewhere this does nothing, with no
    barrier (a process that reads the file back calls ``torch.distributed.barrier()`` first)."""
    from lstmkit.saving.keras_export import is_keras_path, save_keras_model

    if not distributed.is_main_process():
        return  # under torchrun only rank 0 writes (see lstmkit.training.distributed)
    if is_keras_path(path):
        save_keras_model(model, path, overwrite=overwrite)
        return
    path = check_lstmkit_path(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    members = model_members(model, include_optimizer=include_optimizer)
    if any(getattr(layer, "weight_regularizers", None) for layer in _layer_stack(model)):
        warnings.warn(
            f"{path!r}: lstmkit's format does not keep the layers' weight regularizers (the "
            "weights and predictions are whole; training after loading adds no penalty). A "
            ".keras or .h5 name keeps them.",
            UserWarning,
            stacklevel=3,
        )
    write_archive(path, [archive_header(FORMAT, FORMAT_VERSION), *members])


def save_weights(model: Any, path: str | os.PathLike[str], *, overwrite: bool = True) -> None:
    """Write only the weights, as one safetensors file, atomically; names
    ``"<layer index>/<weight name>"``, the layers' names and classes in its metadata. A Keras
    name (``.weights.h5``, ``.h5``, ``.hdf5``) writes Keras's weights file instead. Under
    torchrun only rank 0 writes, as :func:`save_model`."""
    from lstmkit.saving.keras_export import save_keras_weights

    if not distributed.is_main_process():
        return  # under torchrun only rank 0 writes (see lstmkit.training.distributed)
    if os.fspath(path).lower().endswith((".h5", ".hdf5")):
        save_keras_weights(model, path, overwrite=overwrite)
        return
    path = check_lstmkit_path(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    if not _layer_stack(model) or model.input_shape is None:
        raise ValueError(f"{model.name} has not been built, so it has no weights to save")
    layers = [[layer.name, type(layer).__name__] for layer in _layer_stack(model)]
    data = tensor_bytes(
        _weight_entries(model),
        {
            "format": WEIGHTS_FORMAT,
            "format_version": str(FORMAT_VERSION),
            "layers": json.dumps(layers),
        },
    )
    atomic_write(path, lambda file: file.write(data))


# -- reading --------------------------------------------------------------------------------------


def _assign_weights(model: Any, tensors: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        for key, param in _weight_entries(model).items():
            # Files hold no device: the weights go where the model was built (its placeholders
            # are on the current device, lstmkit.get_device()).
            param.data = tensors[key].to(device=param.device, dtype=torch.float32).contiguous()


# -- loading --------------------------------------------------------------------------------------


def _build_model(config: Any, custom_objects: dict[str, Any], path: str) -> Any:
    expect(
        isinstance(config, dict) and set(config) == {"class_name", "config"},
        path,
        "model.json must be {'class_name': ..., 'config': {...}}",
    )
    classes = {name: registered_class(name) for name in ("Sequential", "Model")}
    custom = custom_objects.get(config["class_name"])
    if isinstance(custom, type) and issubclass(custom, classes["Sequential"]):
        cls = custom
    else:
        expect(
            config["class_name"] in classes,
            path,
            f"unknown model class {config['class_name']!r}; lstmkit makes Sequential and Model",
        )
        cls = classes[config["class_name"]]
    expect(isinstance(config["config"], dict), path, "model.json's config must be a dict")
    arguments = _from_json(config["config"], custom_objects, path)
    try:
        with deferred_weights():
            return cls.from_config(arguments, custom_objects=custom_objects)
    except ModelFileError:
        raise
    except (
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        RecursionError,
        RuntimeError,
        OverflowError,
    ) as error:
        raise ModelFileError(path, f"its architecture is invalid: {error}") from None


def _compile(model: Any, config: Any, custom_objects: dict[str, Any], path: str) -> None:
    expect(
        isinstance(config, dict) and set(config) == {"optimizer", "loss", "metrics"},
        path,
        "compile.json must have the keys optimizer, loss and metrics",
    )
    expect(isinstance(config["metrics"], list), path, "compile.json: metrics must be a list")
    expect(isinstance(config["optimizer"], dict), path, "compile.json: optimizer must be a dict")
    config = _from_json(config, custom_objects, path)
    try:
        optimizer = optimizers.deserialize(config["optimizer"])
        model.compile(optimizer=optimizer, loss=config["loss"], metrics=config["metrics"])
    except (TypeError, ValueError) as error:
        raise ModelFileError(path, f"its compile configuration is invalid: {error}") from None


def _restore_state(model: Any, members: dict[str, bytes], path: str) -> None:
    state = load_json(members["state.json"], path, "state.json")
    expect(
        isinstance(state, dict)
        and set(state) == {"optimizer", "epochs_done"}
        and isinstance(state["optimizer"], dict)
        and isinstance(state["epochs_done"], int)
        and not isinstance(state["epochs_done"], bool)
        and state["epochs_done"] >= 0,
        path,
        "state.json must be {'optimizer': {...}, 'epochs_done': <non-negative integer>}",
    )
    trainer = model._trainer
    trainer.build_optimizer()
    slots, _ = trainer.optimizer.get_state()
    expected = {
        f"optimizer/{key}": (value.dtype, tuple(value.shape)) for key, value in slots.items()
    }
    data = members["state.safetensors"]
    length = int.from_bytes(data[:8], "little") if len(data) >= 8 else 0
    header = (
        load_json(data[8 : 8 + length], path, "state.safetensors") if length <= len(data) else {}
    )
    generators = _generators(model)
    state_size = torch.Generator().get_state().numel()
    if isinstance(header, dict) and "rng/training" in header:
        expected["rng/training"] = (torch.uint8, (state_size,))
    for key in generators:
        expected[key] = (torch.uint8, (state_size,))
    check_tensor_header(data, expected, path, "state.safetensors")
    tensors = read_tensors(data, path, "state.safetensors")
    try:
        trainer.optimizer.set_state(
            {
                key.removeprefix("optimizer/"): value
                for key, value in tensors.items()
                if key.startswith("optimizer/")
            },
            state["optimizer"],
        )
        for key, generator in generators.items():
            generator.set_state(tensors[key])
        if "rng/training" in tensors:
            # Checked by torch: a corrupted generator state is refused here.
            torch.Generator().set_state(tensors["rng/training"])
            trainer.rng_state = tensors["rng/training"]
    except (ValueError, RuntimeError, TypeError) as error:
        raise ModelFileError(path, f"its optimizer or training state is invalid: {error}") from None
    trainer.epochs_done = state["epochs_done"]


def model_from_members(
    members: dict[str, bytes],
    path: str,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
) -> Any:
    """The model held by the already opened and format-checked ``members`` of an archive
    (``model.json``, ``weights.safetensors`` and the optional compile and state members), every
    tensor checked against the architecture before it is assigned."""
    custom_objects = dict(custom_objects or {})
    expect(
        ("state.json" in members) == ("state.safetensors" in members),
        path,
        "state.json and state.safetensors must come together",
    )
    expect(
        "compile.json" in members or "state.json" not in members,
        path,
        "a training state without a compile configuration",
    )
    model = _build_model(load_json(members["model.json"], path, "model.json"), custom_objects, path)
    entries = _weight_entries(model)
    expected = {key: (torch.float32, tuple(p.shape)) for key, p in entries.items()}
    check_tensor_header(members["weights.safetensors"], expected, path, "weights.safetensors")
    _assign_weights(
        model, read_tensors(members["weights.safetensors"], path, "weights.safetensors")
    )
    if compile and "compile.json" in members:
        config = load_json(members["compile.json"], path, "compile.json")
        if config is not None:
            _compile(model, config, custom_objects, path)
            if "state.json" in members:
                _restore_state(model, members, path)
    return model


def _is_keras_file(data: bytes) -> bool:
    """Whether ``data`` is a file Keras writes: HDF5, or a zip holding ``config.json``."""
    if data.startswith(b"\x89HDF\r\n\x1a\n"):
        return True
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "config.json" in archive.namelist()
    except UNREADABLE_ZIP:
        return False  # not Keras's; reading it as lstmkit's says what is wrong with it


def load_model(
    path: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Any:
    """The model saved at ``path``, with its weights, compiled as it was saved (unless
    ``compile=False``) and with the optimizer's state and the training stream restored, so that
    ``fit(..., initial_epoch=model.epochs_done)`` continues exactly where the saved run was.

    A Keras file (a ``.keras`` archive or an HDF5 ``.h5``) is read by
    :func:`~lstmkit.saving.keras_import.load_keras_model`.

    ``custom_objects`` maps the names of your own functions and classes (a custom loss, metric,
    activation or Layer subclass) to the objects. Raises :class:`ModelFileError` for a file that
    is not a valid lstmkit model, with the reason (a saved Forecaster included: it names
    :func:`lstmkit.forecast.load_forecaster`).
    """
    path = os.fspath(path)
    data = read_file(path, max_bytes)
    if _is_keras_file(data):
        from lstmkit.saving.keras_import import load_keras_model

        return load_keras_model(path, custom_objects=custom_objects)
    members = open_archive(
        path, data, format=FORMAT, required=REQUIRED_MEMBERS, optional=OPTIONAL_MEMBERS
    )
    check_format(members, path, FORMAT, FORMAT_VERSION)
    return model_from_members(members, path, custom_objects, compile)


def load_weights(
    model: Any, path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> None:
    """Set ``model``'s weights from a :func:`save_weights` file or a :func:`save_model` file.
    Weights are matched by layer position and weight name; every shape must match, and nothing
    changes unless all do."""
    path = os.fspath(path)
    if not _layer_stack(model) or model.input_shape is None:
        raise ValueError(
            f"{model.name} has not been built, so it has no weights to load into: give the first "
            "layer input_shape=... or call build() first"
        )
    data = read_file(path, max_bytes)
    if data.startswith(b"\x89HDF\r\n\x1a\n"):
        from lstmkit.saving.keras_import import load_keras_weights

        load_keras_weights(model, path)
        return
    refuse_keras(path, data)
    member = "weights"
    if data.startswith(b"PK"):
        data = open_archive(
            path, data, format=FORMAT, required=REQUIRED_MEMBERS, optional=OPTIONAL_MEMBERS
        )["weights.safetensors"]
        member = "weights.safetensors"
    entries = _weight_entries(model)
    expected = {key: (torch.float32, tuple(p.shape)) for key, p in entries.items()}
    metadata = check_tensor_header(data, expected, path, member)
    expect(
        metadata.get("format") in (FORMAT, WEIGHTS_FORMAT),
        path,
        "not an lstmkit weights file (its metadata does not name the format)",
    )
    tensors = read_tensors(data, path, member)
    with torch.no_grad():
        for key, param in entries.items():
            param.copy_(tensors[key])
