"""Translating a Keras model's compile configuration (optimizer, loss, metrics) into lstmkit's,
for :func:`lstmkit.saving.keras_import.load_keras_model`; the architecture is translated by
:mod:`lstmkit.saving.keras_configs`. Like it, this module only reads parsed JSON."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from lstmkit import losses, optimizers
from lstmkit import metrics as metrics_module
from lstmkit.saving.keras_configs import (
    _is_keras_module,
    _short,
    _text,
    _UncompilableError,
)

__all__: list[str] = []

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


def _custom_function(entry: Any, custom_objects: dict[str, Any]) -> Any:
    """The function of ``custom_objects`` a loss or metric entry names (a legacy file's plain
    name, or Keras 3's ``{"class_name": "function", "config": name}``), else ``None``."""
    entry = _text(entry)
    if isinstance(entry, dict) and entry.get("class_name") == "function":
        entry = _text(entry.get("config"))
    if isinstance(entry, str) and callable(custom_objects.get(entry)):
        return custom_objects[entry]
    return None


def _compile_arguments(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``compile()``'s arguments from Keras 3's ``compile_config`` or a legacy
    ``training_config``; a loss or metric that names a function of ``custom_objects`` is that
    function (as Keras resolves it); raises :class:`_UncompilableError` naming what does not
    translate."""
    custom_objects = custom_objects or {}
    for key in ("loss_weights", "weighted_metrics", "sample_weight_mode"):
        if config.get(key) not in (None, [], {}):
            raise _UncompilableError(f"{key}={_short(config[key])} is not supported by lstmkit")
    optimizer = _optimizer(config.get("optimizer", config.get("optimizer_config")))
    loss = _custom_function(config.get("loss"), custom_objects) or _loss(config.get("loss"))
    metrics = config.get("metrics") or []
    if isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
        metrics = metrics[0]  # TF 2.x: one list of metrics per output
    if isinstance(metrics, dict) or not isinstance(metrics, list):
        raise _UncompilableError(f"metrics={_short(metrics)} is not one list of metrics")
    return {
        "optimizer": optimizer,
        "loss": loss,
        "metrics": [_custom_function(m, custom_objects) or _metric(m) for m in metrics],
    }


def _compile(
    model: Any, config: Any, path: str, custom_objects: dict[str, Any] | None = None
) -> None:
    if not config:  # Keras 3 writes {} for a model that was never compiled
        return
    try:
        if not isinstance(config, dict):
            raise _UncompilableError(f"the compile configuration is {_short(config)}")
        arguments = _compile_arguments(config, custom_objects)
        model.compile(**arguments)
    except (_UncompilableError, TypeError, ValueError, AttributeError) as reason:
        warnings.warn(
            f"{path!r}: the model is returned uncompiled because its Keras compile "
            f"configuration does not translate to lstmkit: {reason}. Call model.compile(...) "
            "before fit().",
            RuntimeWarning,
            stacklevel=3,
        )
