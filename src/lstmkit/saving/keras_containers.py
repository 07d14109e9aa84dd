"""Reading the files a Keras model is saved in: the Keras 3 ``.keras`` zip archive (its members'
sizes and compression checked before they are read) and the legacy ``.h5`` file's JSON
attributes, then the weights, read with h5py from either layout: each lstmkit layer's datasets
found (``layers/<key>/.../vars/<i>`` or ``model_weights`` with ``weight_names``), every array
accounted for, links refused, shapes and dtype (float32) checked before anything is read, and
the arrays copied into the model.

Part of :func:`lstmkit.saving.keras_import.load_keras_model`, whose module documents the file
layouts. It uses :mod:`lstmkit.saving.keras_configs` (never the other way round).
"""

from __future__ import annotations

import json
import zipfile
from typing import Any

import numpy as np
import torch

from lstmkit.layers.base import Layer, snake_case
from lstmkit.layers.recurrent import Recurrent
from lstmkit.layers.wrappers import Bidirectional, TimeDistributed
from lstmkit.saving.keras_configs import LAYER_CLASSES, _RefusedError, _short, _text

__all__ = ["MAX_BYTES", "MAX_COMPRESSION_RATIO", "MAX_CONFIG_BYTES"]


#: Largest file, weights member or total of weight arrays read (bytes).
MAX_BYTES = 2 * 2**30
#: Largest architecture or compile JSON read (bytes).
MAX_CONFIG_BYTES = 64 * 2**20
#: Largest uncompressed/compressed size ratio accepted for a zip member (a zip bomb is larger).
MAX_COMPRESSION_RATIO = 100


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
    layer group's ``weight_names``; every layer with weights in the file is accounted for.
    ``root_is_file``: the layer groups are at the file's root (Keras 2's ``save_weights``)."""
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


def _assign(model: Any, arrays: list[np.ndarray]) -> None:
    """Give every placeholder weight its own memory, then set the arrays through
    ``model.set_weights`` (which checks the count and every shape again)."""
    seen: set[int] = set()
    with torch.no_grad():
        for param in model.weights:
            if id(param) not in seen:
                seen.add(id(param))
                param.data = torch.empty(
                    tuple(param.shape), dtype=torch.float32, device=param.device
                )
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
