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
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from lstmkit.saving.files import atomic_write, check_lstmkit_path

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
#: Files larger than this are refused before they are opened (``max_bytes=`` raises it).
DEFAULT_MAX_BYTES = 4 * 2**30
#: JSON members larger than this are refused before they are read.
MAX_JSON_BYTES = 16 * 2**20

_REQUIRED = ("lstmkit.json", "model.json", "weights.safetensors")
_OPTIONAL = ("compile.json", "state.json", "state.safetensors")
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_DTYPES = {
    "F32": (torch.float32, 4),
    "F64": (torch.float64, 8),
    "U8": (torch.uint8, 1),
    "I64": (torch.int64, 8),
}
_CUSTOM = "__custom__"
#: lstmkit's archive formats: the file's noun, what it holds, and the function that loads it.
FORMATS = {
    FORMAT: ("model", "a model", "lstmkit.models.load_model(path)"),
    "lstmkit-forecaster": (
        "forecaster",
        "a fitted Forecaster",
        "lstmkit.forecast.load_forecaster(path) (its network is the .model_ of what that returns)",
    ),
}


class ModelFileError(ValueError):
    """A file that lstmkit cannot load: not an lstmkit file, truncated, corrupted, tampered with,
    too large, or naming a custom object that was not passed in ``custom_objects``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot load {path!r}: {reason}")
        self.path = path
        self.reason = reason


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


def _dumps(value: Any) -> bytes:
    return json.dumps(value, indent=1, sort_keys=False, allow_nan=False).encode("utf-8")


def _loads(data: bytes, path: str, member: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as error:
        raise ModelFileError(path, f"{member} is not valid JSON ({error})") from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _expect(condition: bool, path: str, reason: str) -> None:
    if not condition:
        raise ModelFileError(path, reason)


# -- what a model holds ---------------------------------------------------------------------------


def _weight_entries(model: Any) -> dict[str, torch.nn.Parameter]:
    """Every weight of ``model`` by its name in the file, ``"<layer index>/<weight name>"``."""
    return {
        f"{index}/{name}": param
        for index, layer in enumerate(model.layers)
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
        for index, layer in enumerate(model.layers)
        for key, generator in _layer_generators(str(index), layer)
    }


def _model_config(model: Any) -> dict[str, Any]:
    return _to_json({"class_name": type(model).__name__, "config": model.get_config()}, "model")


def _compile_config(model: Any) -> dict[str, Any] | None:
    trainer = getattr(model, "_trainer", None)
    if trainer is None:
        return None
    from lstmkit import losses, optimizers

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
    from lstmkit import metrics

    if isinstance(metric, str):
        return metric
    if isinstance(metric, type):
        name = metric.__name__
        return name if name in metrics._METRICS else {_CUSTOM: name}
    if isinstance(metric, metrics.Metric):
        return {_CUSTOM: metric.name}
    return {_CUSTOM: _custom_name(metric)}


# -- saving ---------------------------------------------------------------------------------------


def _zip_member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def archive_header(format: str, version: int) -> tuple[str, bytes]:
    """The ``lstmkit.json`` member naming an archive's format and version."""
    from lstmkit import __version__

    return (
        "lstmkit.json",
        _dumps({"format": format, "format_version": version, "lstmkit_version": __version__}),
    )


def model_members(model: Any, *, include_optimizer: bool = True) -> list[tuple[str, bytes]]:
    """A built model's members, ``(name, bytes)`` in order (all but ``lstmkit.json``):
    ``model.json``, ``weights.safetensors`` and, when compiled, ``compile.json`` and the
    training state. Raises ValueError for a model that has not been built."""
    if not model.layers or model.input_shape is None:
        raise ValueError(
            f"{model.name} has not been built, so it has no weights to save: give the first "
            "layer input_shape=... or call build() or fit() first"
        )
    members: list[tuple[str, bytes]] = [
        ("model.json", _dumps(_model_config(model))),
        ("weights.safetensors", _tensor_bytes(_weight_entries(model), {"format": FORMAT})),
    ]
    compile_config = _compile_config(model)
    if compile_config is not None:
        members.append(("compile.json", _dumps(compile_config)))
        trainer = model._trainer
        if include_optimizer and trainer.optimizer.built:
            tensors, numbers = trainer.optimizer.get_state()
            state_tensors = {f"optimizer/{key}": value for key, value in tensors.items()}
            if trainer.rng_state is not None:
                state_tensors["rng/training"] = trainer.rng_state
            for key, generator in _generators(model).items():
                state_tensors[key] = generator.get_state()
            state = {"optimizer": numbers, "epochs_done": trainer.epochs_done}
            members.append(("state.json", _dumps(_to_json(state, "state"))))
            members.append(("state.safetensors", _tensor_bytes(state_tensors, {"format": FORMAT})))
    return members


def write_archive(path: str, members: list[tuple[str, bytes]]) -> None:
    """Write ``members`` as one zip of stored (uncompressed) members to ``path``, atomically."""

    def write(file: BinaryIO) -> None:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in members:
                _zip_member(archive, name, data)

    atomic_write(path, write)


def save_model(
    model: Any,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = True,
    include_optimizer: bool = True,
) -> None:
    """Write ``model`` (architecture, weights, compile configuration, optimizer state and the
    training stream) to ``path`` atomically. ``.h5``/``.keras`` names are refused with a message
    (see :func:`~lstmkit.saving.files.check_lstmkit_path`)."""
    path = check_lstmkit_path(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    members = model_members(model, include_optimizer=include_optimizer)
    write_archive(path, [archive_header(FORMAT, FORMAT_VERSION), *members])


def _tensor_bytes(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    return save_tensors(
        {key: value.detach().cpu().contiguous() for key, value in tensors.items()},
        metadata=metadata,
    )


def save_weights(model: Any, path: str | os.PathLike[str], *, overwrite: bool = True) -> None:
    """Write only the weights, as one safetensors file, atomically; names
    ``"<layer index>/<weight name>"``, the layers' names and classes in its metadata."""
    path = check_lstmkit_path(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    if not model.layers or model.input_shape is None:
        raise ValueError(f"{model.name} has not been built, so it has no weights to save")
    layers = [[layer.name, type(layer).__name__] for layer in model.layers]
    data = _tensor_bytes(
        _weight_entries(model),
        {
            "format": WEIGHTS_FORMAT,
            "format_version": str(FORMAT_VERSION),
            "layers": json.dumps(layers),
        },
    )
    atomic_write(path, lambda file: file.write(data))


# -- reading --------------------------------------------------------------------------------------


def _read_file(path: str, max_bytes: int) -> bytes:
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise ModelFileError(path, "it is a directory, not a model file")
    size = os.path.getsize(path)
    _expect(
        size <= max_bytes,
        path,
        f"the file has {size:,} bytes, more than max_bytes={max_bytes:,}; pass a larger "
        "max_bytes if you trust it",
    )
    with open(path, "rb") as file:
        return file.read(max_bytes + 1)


def _refuse_keras(path: str, data: bytes, names: list[str] | None = None) -> None:
    if data.startswith(_HDF5_MAGIC) or (names is not None and "config.json" in names):
        kind = "an HDF5 (.h5) file" if data.startswith(_HDF5_MAGIC) else "a Keras .keras archive"
        raise ModelFileError(
            path,
            f"this is {kind}, which Keras writes; lstmkit reads it with "
            "lstmkit.models.load_keras_model(path)",
        )


def _open_archive(
    path: str,
    data: bytes,
    *,
    format: str = FORMAT,
    required: tuple[str, ...] = _REQUIRED,
    optional: tuple[str, ...] = _OPTIONAL,
) -> dict[str, bytes]:
    """The members of an lstmkit archive of ``format``, after checking its structure: members
    named ``required`` and ``optional`` only, each stored, unencrypted and within limits. An
    archive of another of lstmkit's formats is refused with the function that loads it."""
    noun = FORMATS[format][0]
    _refuse_keras(path, data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        EOFError,
        NotImplementedError,  # a corrupted "version needed to extract"
    ) as error:
        raise ModelFileError(
            path, f"not an lstmkit {noun} file (not a readable zip archive: {error})"
        ) from None
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        _refuse_keras(path, data, names)
        _expect(len(set(names)) == len(names), path, "the archive lists a member twice")
        if "lstmkit.json" in names:
            info = infos[names.index("lstmkit.json")]
            _refuse_other_format(path, _read_member(archive, info, path, len(data)), format)
        missing = [name for name in required if name not in names]
        _expect(not missing, path, f"not an lstmkit {noun} file: missing {missing}")
        unknown = sorted(set(names) - set(required) - set(optional))
        _expect(not unknown, path, f"unexpected members in the archive: {unknown[:5]}")
        return {info.filename: _read_member(archive, info, path, len(data)) for info in infos}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, size: int) -> bytes:
    """One member's bytes, once its header says it is stored, unencrypted and within limits."""
    name = info.filename
    _expect(
        info.compress_type == zipfile.ZIP_STORED,
        path,
        f"{name} is compressed; lstmkit stores members uncompressed (a tampered file?)",
    )
    _expect(not info.flag_bits & 0x1, path, f"{name} is encrypted")
    _expect(
        info.file_size == info.compress_size and info.file_size <= size,
        path,
        f"{name} declares {info.file_size:,} bytes in a {size:,}-byte file",
    )
    if name.endswith(".json"):
        _expect(
            info.file_size <= MAX_JSON_BYTES,
            path,
            f"{name} has {info.file_size:,} bytes, more than the "
            f"{MAX_JSON_BYTES:,} a configuration may have",
        )
    try:
        return archive.read(info)
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
    ) as error:
        raise ModelFileError(path, f"{name} is corrupted or truncated ({error})") from None


def _refuse_other_format(path: str, header: bytes, format: str) -> None:
    """Refuse an archive whose ``lstmkit.json`` names another of lstmkit's formats, saying
    which function loads it. An unreadable or unknown header is left to :func:`check_format`."""
    try:
        meta = json.loads(header.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        return
    other = meta.get("format") if isinstance(meta, dict) else None
    if isinstance(other, str) and other != format and other in FORMATS:
        _, holds, loader = FORMATS[other]
        raise ModelFileError(
            path, f"it holds {holds}, not {FORMATS[format][1]}; load it with {loader}"
        )


def check_format(members: dict[str, bytes], path: str, format: str, version: int) -> None:
    """Check that ``lstmkit.json`` names ``format`` at a version up to ``version``."""
    meta = _loads(members["lstmkit.json"], path, "lstmkit.json")
    _expect(
        isinstance(meta, dict) and meta.get("format") == format,
        path,
        f"not an lstmkit {FORMATS[format][0]} file (lstmkit.json does not name the format)",
    )
    found = meta.get("format_version")
    _expect(
        isinstance(found, int) and not isinstance(found, bool) and found >= 1,
        path,
        f"unknown format_version {found!r}",
    )
    _expect(
        found <= version,
        path,
        f"it was written in format version {found} by lstmkit {meta.get('lstmkit_version')}; "
        f"this lstmkit reads up to version {version}: upgrade lstmkit",
    )


def _check_header(
    data: bytes, expected: dict[str, tuple[torch.dtype, tuple[int, ...]]], path: str, member: str
) -> dict[str, str]:
    """Check a safetensors buffer's header against ``expected`` (name → dtype, shape) before
    any tensor is made; return its metadata."""
    _expect(len(data) >= 8, path, f"{member} is truncated")
    length = int.from_bytes(data[:8], "little")
    _expect(
        length <= min(len(data) - 8, MAX_JSON_BYTES), path, f"{member} has a corrupt header length"
    )
    header = _loads(data[8 : 8 + length], path, member)
    _expect(isinstance(header, dict), path, f"{member} has a malformed header")
    metadata = header.pop("__metadata__", {}) or {}
    _expect(
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values()),
        path,
        f"{member} has malformed metadata",
    )
    missing = sorted(set(expected) - set(header))
    extra = sorted(set(header) - set(expected))
    _expect(
        not missing and not extra,
        path,
        f"{member} does not match the architecture: missing {missing[:5]}, unexpected {extra[:5]}",
    )
    body = len(data) - 8 - length
    for name, (dtype, shape) in expected.items():
        entry = header[name]
        _expect(
            isinstance(entry, dict) and set(entry) == {"dtype", "shape", "data_offsets"},
            path,
            f"{member}: malformed entry for {name!r}",
        )
        code, got_shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        _expect(
            code in _DTYPES and _DTYPES[code][0] == dtype,
            path,
            f"{member}: {name!r} should be {dtype}; the file has {code!r}",
        )
        _expect(
            isinstance(got_shape, list)
            and all(isinstance(d, int) and not isinstance(d, bool) for d in got_shape)
            and tuple(got_shape) == tuple(shape),
            path,
            f"{member}: {name!r} should have shape {tuple(shape)}; the file has {got_shape}",
        )
        _expect(
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= body
            and offsets[1] - offsets[0] == math.prod(shape) * _DTYPES[code][1],
            path,
            f"{member}: {name!r} has data offsets {offsets} outside its {body:,}-byte body",
        )
    return metadata


def _tensors(data: bytes, path: str, member: str) -> dict[str, torch.Tensor]:
    try:
        return load_tensors(data)
    except (SafetensorError, ValueError, RuntimeError) as error:
        raise ModelFileError(path, f"{member} is corrupted ({error})") from None


def _assign_weights(model: Any, tensors: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        for key, param in _weight_entries(model).items():
            param.data = tensors[key].to(torch.float32).contiguous()


# -- loading --------------------------------------------------------------------------------------


def _build_model(config: Any, custom_objects: dict[str, Any], path: str) -> Any:
    from lstmkit.layers.base import deferred_weights
    from lstmkit.models.functional import Model
    from lstmkit.models.sequential import Sequential

    _expect(
        isinstance(config, dict) and set(config) == {"class_name", "config"},
        path,
        "model.json must be {'class_name': ..., 'config': {...}}",
    )
    classes: dict[str, type] = {"Sequential": Sequential, "Model": Model}
    custom = custom_objects.get(config["class_name"])
    if isinstance(custom, type) and issubclass(custom, Sequential):
        cls = custom
    else:
        _expect(
            config["class_name"] in classes,
            path,
            f"unknown model class {config['class_name']!r}; lstmkit makes Sequential and Model",
        )
        cls = classes[config["class_name"]]
    _expect(isinstance(config["config"], dict), path, "model.json's config must be a dict")
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
    from lstmkit import optimizers

    _expect(
        isinstance(config, dict) and set(config) == {"optimizer", "loss", "metrics"},
        path,
        "compile.json must have the keys optimizer, loss and metrics",
    )
    _expect(isinstance(config["metrics"], list), path, "compile.json: metrics must be a list")
    _expect(isinstance(config["optimizer"], dict), path, "compile.json: optimizer must be a dict")
    config = _from_json(config, custom_objects, path)
    try:
        optimizer = optimizers.deserialize(config["optimizer"])
        model.compile(optimizer=optimizer, loss=config["loss"], metrics=config["metrics"])
    except (TypeError, ValueError) as error:
        raise ModelFileError(path, f"its compile configuration is invalid: {error}") from None


def _restore_state(model: Any, members: dict[str, bytes], path: str) -> None:
    state = _loads(members["state.json"], path, "state.json")
    _expect(
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
    header = _loads(data[8 : 8 + length], path, "state.safetensors") if length <= len(data) else {}
    generators = _generators(model)
    state_size = torch.Generator().get_state().numel()
    if isinstance(header, dict) and "rng/training" in header:
        expected["rng/training"] = (torch.uint8, (state_size,))
    for key in generators:
        expected[key] = (torch.uint8, (state_size,))
    _check_header(data, expected, path, "state.safetensors")
    tensors = _tensors(data, path, "state.safetensors")
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
    _expect(
        ("state.json" in members) == ("state.safetensors" in members),
        path,
        "state.json and state.safetensors must come together",
    )
    _expect(
        "compile.json" in members or "state.json" not in members,
        path,
        "a training state without a compile configuration",
    )
    model = _build_model(_loads(members["model.json"], path, "model.json"), custom_objects, path)
    entries = _weight_entries(model)
    expected = {key: (torch.float32, tuple(p.shape)) for key, p in entries.items()}
    _check_header(members["weights.safetensors"], expected, path, "weights.safetensors")
    _assign_weights(model, _tensors(members["weights.safetensors"], path, "weights.safetensors"))
    if compile and "compile.json" in members:
        config = _loads(members["compile.json"], path, "compile.json")
        if config is not None:
            _compile(model, config, custom_objects, path)
            if "state.json" in members:
                _restore_state(model, members, path)
    return model


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

    ``custom_objects`` maps the names of your own functions and classes (a custom loss, metric,
    activation or Layer subclass) to the objects. Raises :class:`ModelFileError` for a file that
    is not a valid lstmkit model, with the reason (a saved Forecaster included: it names
    :func:`lstmkit.forecast.load_forecaster`).
    """
    path = os.fspath(path)
    data = _read_file(path, max_bytes)
    members = _open_archive(path, data)
    check_format(members, path, FORMAT, FORMAT_VERSION)
    return model_from_members(members, path, custom_objects, compile)


def load_weights(
    model: Any, path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> None:
    """Set ``model``'s weights from a :func:`save_weights` file or a :func:`save_model` file.
    Weights are matched by layer position and weight name; every shape must match, and nothing
    changes unless all do."""
    path = os.fspath(path)
    if not model.layers or model.input_shape is None:
        raise ValueError(
            f"{model.name} has not been built, so it has no weights to load into: give the first "
            "layer input_shape=... or call build() first"
        )
    data = _read_file(path, max_bytes)
    _refuse_keras(path, data)
    member = "weights"
    if data.startswith(b"PK"):
        data = _open_archive(path, data)["weights.safetensors"]
        member = "weights.safetensors"
    entries = _weight_entries(model)
    expected = {key: (torch.float32, tuple(p.shape)) for key, p in entries.items()}
    metadata = _check_header(data, expected, path, member)
    _expect(
        metadata.get("format") in (FORMAT, WEIGHTS_FORMAT),
        path,
        "not an lstmkit weights file (its metadata does not name the format)",
    )
    tensors = _tensors(data, path, member)
    with torch.no_grad():
        for key, param in entries.items():
            param.copy_(tensors[key])
