"""Write a model as Keras writes it, so that Keras 3 loads it and predicts the same: the
``.keras`` archive (``metadata.json``, ``config.json``, ``model.weights.h5``) or the legacy HDF5
file (``.h5``/``.hdf5``: attributes ``model_config``/``training_config``, group
``model_weights``). The reverse of :mod:`lstmkit.saving.keras_import`, with the same layouts
(see its table); lstmkit's layers and Keras's share every weight's layout, so arrays are
written as they are.

Only what Keras has an equivalent for is written: a Sequential model of lstmkit's layers, with
Keras's names and arguments. A functional model, a custom layer, a custom activation or
initializer is refused with the reason (``ValueError``), and nothing is written. The compile
configuration (optimizer class and hyper-parameters, built-in loss and metrics) is written when
it has Keras names; the optimizer's state is not (Keras starts fresh moments on load).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from typing import Any

import numpy as np

from lstmkit.activations import __all__ as _activation_names
from lstmkit.saving.files import atomic_write

__all__ = [
    "KERAS_SUFFIXES",
    "KerasExportError",
    "is_keras_path",
    "keras_model_json",
    "save_keras_model",
    "save_keras_weights",
]

KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
#: The Keras version the files claim (the one their layout follows and the tests load with).
KERAS_VERSION = "3.15.1"

_CELLS = {"LSTM": "lstm_cell", "GRU": "gru_cell", "SimpleRNN": "simple_rnn_cell"}
_PLAIN = {
    "Activation",
    "BatchNormalization",
    "Conv1D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "GRU",
    "LSTM",
    "LeakyReLU",
    "Masking",
    "MaxPooling1D",
    "RepeatVector",
    "Permute",
    "Reshape",
    "SimpleRNN",
}
_WRAPPERS = {"Bidirectional", "TimeDistributed"}
#: The activation names Keras knows (lstmkit's built-in ones are Keras's, by the same names).
KERAS_ACTIVATIONS = set(_activation_names) - {"get", "serialize", "deserialize"}


# The weight a regularizer penalises -> Keras's argument for it.
_REGULARIZER_ARGUMENTS = {
    "kernel": "kernel_regularizer",
    "recurrent_kernel": "recurrent_regularizer",
    "bias": "bias_regularizer",
    "embeddings": "embeddings_regularizer",
    "beta": "beta_regularizer",
    "gamma": "gamma_regularizer",
}


class KerasExportError(ValueError):
    """The model has no Keras equivalent; the message says why."""


def is_keras_path(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a Keras file (``.keras``, ``.h5``, ``.hdf5``)."""
    return os.fspath(path).lower().endswith(KERAS_SUFFIXES)


def _refuse(model: Any, reason: str) -> KerasExportError:
    return KerasExportError(
        f"cannot write {model.name} as a Keras file: {reason}. Save it in lstmkit's format "
        "instead (a name such as 'model.lstmkit')"
    )


def _initializer(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"class_name", "config"}:
        return {
            "module": "keras.initializers",
            "class_name": value["class_name"],
            "config": value["config"],
            "registered_name": None,
        }
    return value


def _layer_config(model: Any, layer: Any, input_shape: Any) -> dict[str, Any]:
    """Keras's ``{"module", "class_name", "config", "registered_name", "build_config"}``."""
    from lstmkit.layers.base import Layer

    kind = next(
        (k.__name__ for k in type(layer).__mro__ if k.__module__.startswith("lstmkit.layers.")),
        None,
    )
    if kind not in _PLAIN | _WRAPPERS or not isinstance(layer, Layer):
        raise _refuse(
            model, f"layer {layer.name!r} ({type(layer).__name__}) is not one of Keras's layers"
        )
    config = dict(layer.get_config())
    config.pop("batch_input_shape", None)
    config["dtype"] = "float32"
    for key, value in list(config.items()):
        if key.endswith("_initializer"):
            config[key] = _initializer(value)
        elif key in ("activation", "recurrent_activation") and value not in KERAS_ACTIVATIONS:
            raise _refuse(
                model, f"layer {layer.name!r} uses the activation {value!r}, not a Keras one"
            )
    for weight, regularizer in (getattr(layer, "weight_regularizers", None) or {}).items():
        config[_REGULARIZER_ARGUMENTS[weight]] = {
            "module": "keras.regularizers",
            "class_name": type(regularizer).__name__,
            "config": regularizer.get_config(),
            "registered_name": None,
        }
    if kind == "Conv1D":
        for key in ("kernel_size", "strides", "dilation_rate"):
            config[key] = [config[key]]
    if kind == "MaxPooling1D":
        config["pool_size"] = [config["pool_size"]]
        config["strides"] = [config["strides"]]
    if kind == "Bidirectional":
        inner_shape = input_shape
        config["layer"] = _layer_config(model, layer.forward_layer, inner_shape)
        config["backward_layer"] = _layer_config(model, layer.backward_layer, inner_shape)
    elif kind == "TimeDistributed":
        inner_shape = (input_shape[0], *input_shape[2:])
        config["layer"] = _layer_config(model, layer.layer, inner_shape)
    return {
        "module": "keras.layers",
        "class_name": kind,
        "config": config,
        "registered_name": None,
        "build_config": {"input_shape": list(input_shape)},
    }


def _model_config(model: Any) -> dict[str, Any]:
    # A functional Model (lstmkit.models, above this layer) is the one with graph inputs.
    if hasattr(model, "_input_tensors"):
        raise _refuse(
            model, "lstmkit writes Keras files for Sequential models; this is a functional Model"
        )
    if model.input_shape is None or not model.built:
        raise _refuse(model, "it has not been built, so it has no weights yet")
    input_shape = list(model.input_shape)
    layers = [
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "config": {
                "batch_shape": input_shape,
                "dtype": "float32",
                "sparse": False,
                "name": "input_layer",
            },
            "registered_name": None,
        }
    ]
    for layer in model.layers:
        layers.append(_layer_config(model, layer, layer.input_shape))
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": model.name,
            "trainable": True,
            "dtype": "float32",
            "layers": layers,
            "build_input_shape": input_shape,
        },
        "registered_name": None,
        "build_config": {"input_shape": input_shape},
    }


def _function_entry(function: Any) -> dict[str, Any] | None:
    """Keras 3's serialization of a user's plain function (a custom loss or metric), which
    Keras resolves by name from ``custom_objects`` when it loads; ``None`` for anything else
    (a lambda, a callable object), which has no name to find it by."""
    name = getattr(function, "__name__", None)
    if not callable(function) or not isinstance(name, str) or not name.isidentifier():
        return None
    return {
        "module": "builtins",
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    }


def _compile_config(model: Any) -> dict[str, Any] | None:
    """Keras's compile configuration, or ``None`` when the model is not compiled or its loss,
    metrics or optimizer have no Keras name (Keras then loads it uncompiled). A user's
    function as loss or metric is written by its name, as Keras writes it (loading then needs
    ``custom_objects``, in Keras and here)."""
    from lstmkit import losses, optimizers

    trainer = getattr(model, "_trainer", None)
    if trainer is None or trainer.loss is None:
        return None
    if losses.is_builtin(trainer.loss):
        loss: Any = losses.serialize(trainer.loss)
    elif not trainer.loss.fn_kwargs and (entry := _function_entry(trainer.loss.fn)) is not None:
        loss = entry
    else:
        return None
    metrics: list[Any] = []
    for metric in trainer._metric_ids:
        entry = metric if isinstance(metric, str) else _function_entry(metric)
        if entry is None:
            return None
        metrics.append(entry)
    try:
        optimizer = optimizers.serialize(trainer.optimizer)
    except (TypeError, ValueError):
        return None
    if not isinstance(optimizer, dict) or "class_name" not in optimizer:
        return None
    return {
        "optimizer": {
            "module": "keras.optimizers",
            "class_name": optimizer["class_name"],
            "config": optimizer["config"],
            "registered_name": None,
        },
        "loss": loss,
        "loss_weights": None,
        "metrics": metrics,
        "weighted_metrics": None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def _weights_of(layer: Any) -> list[tuple[str, list[np.ndarray]]]:
    """``[(path inside the layer, arrays)]``: where Keras keeps the layer's variables."""
    kind = next(
        k.__name__ for k in type(layer).__mro__ if k.__module__.startswith("lstmkit.layers.")
    )
    if kind == "Bidirectional":
        return [
            (f"forward_layer/{path}", arrays) for path, arrays in _weights_of(layer.forward_layer)
        ] + [
            (f"backward_layer/{path}", arrays) for path, arrays in _weights_of(layer.backward_layer)
        ]
    if kind == "TimeDistributed":
        return [(f"layer/{path}", arrays) for path, arrays in _weights_of(layer.layer)]
    arrays = layer.get_weights()
    if kind in _CELLS:
        return [("cell/vars", arrays), ("vars", [])]
    return [("vars", arrays)]


def _snake(kind: str) -> str:
    from lstmkit.layers.base import snake_case

    return snake_case(kind)


def _keras_weights(model: Any) -> bytes:
    """``model.weights.h5`` of a ``.keras`` archive."""
    import h5py

    buffer = io.BytesIO()
    counts: dict[str, int] = {}
    with h5py.File(buffer, "w") as h5:
        layers = h5.create_group("layers")
        for layer in model.layers:
            kind = next(
                k.__name__
                for k in type(layer).__mro__
                if k.__module__.startswith("lstmkit.layers.")
            )
            base = _snake(kind)
            count = counts.get(base, 0)
            counts[base] = count + 1
            group = layers.create_group(base if count == 0 else f"{base}_{count}")
            group.create_group("vars")
            for path, arrays in _weights_of(layer):
                where = group.require_group(path)
                for index, array in enumerate(arrays):
                    where.create_dataset(str(index), data=np.asarray(array, dtype=np.float32))
            if kind == "Bidirectional":
                for side in ("forward_layer", "backward_layer"):
                    group[side].require_group("vars")
        h5.create_group("vars")
        h5.create_group("optimizer").create_group("vars")
    return buffer.getvalue()


def _weight_names(model: Any, layer: Any) -> list[tuple[str, np.ndarray]]:
    """``[(dataset path, array)]`` of one layer in a legacy ``.h5`` file."""
    kind = next(
        k.__name__ for k in type(layer).__mro__ if k.__module__.startswith("lstmkit.layers.")
    )

    def named(inner: Any, prefix: str) -> list[tuple[str, np.ndarray]]:
        inner_kind = next(
            k.__name__ for k in type(inner).__mro__ if k.__module__.startswith("lstmkit.layers.")
        )
        cell = _CELLS.get(inner_kind)
        where = f"{prefix}/{cell}" if cell else prefix
        return [
            (f"{where}/{key}", param.detach().cpu().numpy()) for key, param in inner._params.items()
        ]

    root = f"{model.name}/{layer.name}"
    if kind == "Bidirectional":
        forward = layer.forward_layer
        backward = layer.backward_layer
        return named(forward, f"{root}/forward_{forward.name}") + named(
            backward, f"{root}/backward_{backward.name.removeprefix('backward_')}"
        )
    if kind == "TimeDistributed":
        return named(layer.layer, f"{root}/{layer.layer.name}")
    return named(layer, root)


def _legacy_weight_groups(model: Any, weights: Any) -> None:
    """Keras's legacy weight layout inside ``weights`` (the file's ``model_weights`` group, or
    the file itself for ``save_weights``)."""
    weights.attrs["backend"] = "torch"
    weights.attrs["keras_version"] = KERAS_VERSION
    weights.attrs["layer_names"] = np.array([layer.name.encode() for layer in model.layers])
    for layer in model.layers:
        group = weights.create_group(layer.name)
        entries = _weight_names(model, layer)
        group.attrs["weight_names"] = np.array(
            [name.encode() for name, _ in entries], dtype=bytes if entries else "S1"
        )
        for name, array in entries:
            group.create_dataset(name, data=np.asarray(array, dtype=np.float32))


def save_keras_weights(model: Any, path: str | os.PathLike[str], *, overwrite: bool = True) -> None:
    """Only the weights, as Keras writes them: Keras 3's layout for ``.weights.h5`` names
    (``model.save_weights``), Keras 2's legacy layout for other ``.h5``/``.hdf5`` names."""
    import h5py

    path = os.fspath(path)
    if not path.lower().endswith((".h5", ".hdf5")):
        raise ValueError(
            f"{path!r}: Keras weights files end in .weights.h5 (or .h5/.hdf5 in Keras 2)"
        )
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    _model_config(model)  # refuses what Keras cannot hold
    if path.lower().endswith(".weights.h5"):
        data = _keras_weights(model)
    else:
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as h5:
            _legacy_weight_groups(model, h5)
        data = buffer.getvalue()
    atomic_write(path, lambda file: file.write(data))


def _write_h5(model: Any, model_config: dict[str, Any], compile_config: Any, file: Any) -> None:
    import h5py

    def legacy(entry: dict[str, Any]) -> dict[str, Any]:
        # Keras's own .h5 files name the top-level layers by class_name and config only.
        return {"class_name": entry["class_name"], "config": entry["config"]}

    config = {
        "class_name": "Sequential",
        "config": {
            **model_config["config"],
            "layers": [legacy(entry) for entry in model_config["config"]["layers"]],
        },
    }
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.attrs["backend"] = "torch"
        h5.attrs["keras_version"] = KERAS_VERSION
        h5.attrs["model_config"] = json.dumps(config)
        if compile_config is not None:
            from lstmkit import losses

            training = {key: value for key, value in compile_config.items() if key != "optimizer"}
            # Keras 3 cannot read back a short alias ("mse") from a legacy file, even its own;
            # the function's full name it can. A user's function goes by its name, as Keras 2
            # wrote it.
            if isinstance(training["loss"], dict):
                training["loss"] = training["loss"]["config"]
            else:
                training["loss"] = losses.function(training["loss"]).__name__
            training["metrics"] = [
                m["config"] if isinstance(m, dict) else m for m in training["metrics"]
            ]
            optimizer = compile_config["optimizer"]
            training["optimizer_config"] = {
                "class_name": optimizer["class_name"],
                "config": optimizer["config"],
            }
            h5.attrs["training_config"] = json.dumps(training)
        weights = h5.create_group("model_weights")
        _legacy_weight_groups(model, weights)
        top = weights.create_group("top_level_model_weights")
        top.attrs["weight_names"] = np.array([], dtype="S1")
    file.write(buffer.getvalue())


def keras_model_json(model: Any) -> str:
    """Keras's ``model.to_json()``: the model's Keras 3 configuration (architecture only, no
    weights) as JSON text, which Keras's ``model_from_json`` reads. Raises
    :class:`KerasExportError` for a model Keras cannot hold (see :func:`save_keras_model`)."""
    return json.dumps(_model_config(model))


def save_keras_model(model: Any, path: str | os.PathLike[str], *, overwrite: bool = True) -> None:
    """Write ``model`` to ``path`` as Keras would: a ``.keras`` archive, or a legacy HDF5 file
    for ``.h5``/``.hdf5``; atomically. Raises :class:`KerasExportError` (a ``ValueError``) when
    the model has no Keras equivalent."""
    path = os.fspath(path)
    if not is_keras_path(path):
        raise ValueError(f"{path!r} is not a Keras file name (.keras, .h5, .hdf5)")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    config = _model_config(model)
    compile_config = _compile_config(model)
    if path.lower().endswith((".h5", ".hdf5")):
        atomic_write(path, lambda file: _write_h5(model, config, compile_config, file))
        return
    document = dict(config)
    if compile_config is not None:
        document["compile_config"] = compile_config
    metadata = {
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    weights = _keras_weights(model)

    def write(file: Any) -> None:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("metadata.json", json.dumps(metadata))
            archive.writestr("config.json", json.dumps(document))
            archive.writestr("model.weights.h5", weights)

    atomic_write(path, write)
