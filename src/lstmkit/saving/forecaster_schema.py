"""What a forecaster file may hold, and the checks that hold it to that: the constructor's
parameters and their types, the values ``fit`` resolves, the scalers and time units a file may
name, and the checks of ``forecaster.json``, of the tensors' dtypes and shapes and of the network
against them, all made before anything is built. :mod:`lstmkit.saving.forecaster_file` writes
and reads the file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import torch
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from lstmkit._registry import registered_class
from lstmkit.saving.archive import expect
from lstmkit.saving.baseline_file import BASELINES, baseline_tensors, check_baseline
from lstmkit.saving.json_values import _is_int, _is_names, _is_number, _optional, _plain

__all__: list[str] = []

#: The scalers a file may name, and their fitted arrays (one value per column).
_SCALERS: dict[str, tuple[type, tuple[str, ...]]] = {
    "minmax": (MinMaxScaler, ("min_", "scale_", "data_min_", "data_max_", "data_range_")),
    "standard": (StandardScaler, ("mean_", "var_", "scale_")),
}
_UNITS = ("s", "ms", "us", "ns")


# -- the constructor's parameters -----------------------------------------------------------------


#: Each parameter: what it may be in a file, and the check.
_PARAMS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "look_back": ("null or an integer", _optional(_is_int)),
    "horizon": ("null or an integer", _optional(_is_int)),
    "target": ("null, a column or a list of columns", _optional(_is_names)),
    "features": ("null, a column or a list of columns", _optional(_is_names)),
    "date_column": ("null or a string", _optional(lambda v: isinstance(v, str))),
    "units": ("an integer", _is_int),
    "layers": ("an integer", _is_int),
    "dropout": ("a number", _is_number),
    "epochs": ("an integer", _is_int),
    "batch_size": ("null or an integer", _optional(_is_int)),
    "optimizer": ("a string", lambda v: isinstance(v, str)),
    "learning_rate": ("null or a number", _optional(_is_number)),
    "loss": ("a string", lambda v: isinstance(v, str)),
    "scaler": ("'minmax', 'standard' or null", lambda v: v is None or v in _SCALERS),
    "difference": (
        "null, true, false, 'seasonal' or 'both'",
        lambda v: v is None or isinstance(v, bool) or v in ("seasonal", "both"),
    ),
    "log": ("null, true or false", _optional(lambda v: isinstance(v, bool))),
    "season": ("null or an integer", _optional(_is_int)),
    "calendar": (
        "'auto', 'onehot', 'cyclic' or null",
        lambda v: v is None or v in ("auto", "onehot", "cyclic"),
    ),
    "n_models": ("an integer", _is_int),
    "one_step": ("null, true or false", _optional(lambda v: isinstance(v, bool))),
    "seed": ("null or an integer", _optional(_is_int)),
    "verbose": ("an integer", _is_int),
}


def _params_json(forecaster: Any) -> dict[str, Any]:
    params = {name: _plain(value) for name, value in forecaster.get_params().items()}
    for name, (what, check) in _PARAMS.items():
        if name not in params or not check(params[name]):
            raise ValueError(
                f"cannot save the Forecaster: {name}={params.get(name)!r} cannot be written to a "
                f"file, which holds only JSON data ({name} must be {what}). Only scaler='minmax', "
                "'standard' or None and optimizers and losses given by name (e.g. 'adam', 'mse') "
                "can be saved; refit with those, or save the network alone with "
                "forecaster.model_.save(path)"
            )
    unknown = sorted(set(params) - set(_PARAMS))
    if unknown:
        raise ValueError(f"cannot save the Forecaster: unknown parameters {unknown}")
    return params


#: What the fit resolved from the data (lstmkit.forecast.defaults), saved beside the params.
_RESOLVED: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "look_back": ("an integer", _is_int),
    "horizon": ("an integer", _is_int),
    "log": ("true or false", lambda v: isinstance(v, bool)),
    "season": ("null or an integer", _optional(_is_int)),
    "calendar": ("'onehot', 'cyclic' or null", lambda v: v is None or v in ("onehot", "cyclic")),
    "difference": (
        "true, false, 'seasonal' or 'both'",
        lambda v: isinstance(v, bool) or v in ("seasonal", "both"),
    ),
    "one_step": ("true or false", lambda v: isinstance(v, bool)),
}

#: Files of format version 1 (before the defaults were chosen from the data) hold the params
#: without these; they mean what those files' forecasters did.
_V1_DEFAULTS = {"season": None, "calendar": None, "n_models": 1, "learning_rate": None}


_RESOLVED_TEXT = ", ".join(f"{name!r}: {what}" for name, (what, _) in _RESOLVED.items())


def _resolved_json(forecaster: Any) -> dict[str, Any]:
    return {
        "look_back": int(forecaster.look_back_),
        "horizon": int(forecaster.horizon_),
        "log": bool(forecaster.log_),
        "season": None if forecaster.season_ is None else int(forecaster.season_),
        "calendar": forecaster.calendar_,
        "difference": (
            forecaster.difference_
            if isinstance(forecaster.difference_, str)
            else bool(forecaster.difference_)
        ),
        "one_step": getattr(forecaster, "one_step_", None) is not None,
    }


# -- loading --------------------------------------------------------------------------------------


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_document(document: Any, path: str) -> None:
    """The shape of ``forecaster.json``: keys, types, and agreement between its parts."""
    where = "forecaster.json"
    keys = {"class_name", "params", "fitted", "series", "scaler", "history"}
    if isinstance(document, dict) and set(document) == keys:
        # Version 1 and 2 files before calibrations were kept: computed again when asked for.
        document["calibration"] = None
    keys.add("calibration")
    expect(
        isinstance(document, dict) and set(document) == keys,
        path,
        f"{where} must have exactly the keys {sorted(keys)}",
    )
    classes = ("Forecaster", *BASELINES)
    expect(
        document["class_name"] in classes,
        path,
        f"{where} names the class {document['class_name']!r}; only {', '.join(classes)} are "
        "loaded (lstmkit never imports a class named in a file)",
    )
    if document["class_name"] != "Forecaster":
        _check_series(document["series"], path)
        check_baseline(document, path)
        _check_calibration(document, path)
        return
    params = document["params"]
    if isinstance(params, dict) and "one_step" not in params:
        # Before the one-step network (lstmkit.forecast.one_step): none was trained.
        params["one_step"] = False
    if isinstance(params, dict) and set(params) == set(_PARAMS) - set(_V1_DEFAULTS):
        params.update(_V1_DEFAULTS)
    expect(
        isinstance(params, dict) and set(params) == set(_PARAMS),
        path,
        f"{where}: params must have exactly the keys {sorted(_PARAMS)}",
    )
    for name, (what, check) in _PARAMS.items():
        expect(
            check(params[name]),
            path,
            f"{where}: params.{name} must be {what}; the file has {params[name]!r}",
        )

    _check_series(document["series"], path)
    series = document["series"]
    target, features = series["target"], series["features"]
    fitted = document["fitted"]
    if isinstance(fitted, dict) and set(fitted) == {"target_names_", "n_targets_"}:
        # Version 1: the params said everything.
        fitted["resolved"] = {
            "look_back": params["look_back"],
            "horizon": params["horizon"],
            "log": params["log"],
            "season": None,
            "calendar": None,
        }
    if (
        isinstance(fitted, dict)
        and isinstance(fitted.get("resolved"), dict)
        and "difference" not in fitted["resolved"]
        and isinstance(params["difference"], bool)
    ):
        # Before the differencing was chosen from the data, the params said it (true/false).
        fitted["resolved"]["difference"] = params["difference"]
    if isinstance(fitted, dict) and isinstance(fitted.get("resolved"), dict):
        fitted["resolved"].setdefault("one_step", False)
    expect(
        isinstance(fitted, dict)
        and set(fitted) == {"target_names_", "n_targets_", "resolved"}
        and isinstance(fitted["resolved"], dict)
        and set(fitted["resolved"]) == set(_RESOLVED)
        and all(check(fitted["resolved"][k]) for k, (_, check) in _RESOLVED.items())
        and fitted["target_names_"] == target
        and fitted["n_targets_"] == len(target)
        and _is_int(fitted["n_targets_"]),
        path,
        f"{where}: fitted must be {{'target_names_': series.target, 'n_targets_': "
        f"{len(target)}, 'resolved': {{{_RESOLVED_TEXT}}}}}; the file has {fitted!r}",
    )
    _check_scaler(document["scaler"], params["scaler"], features, path)
    _check_history(document["history"], path)
    _check_calibration(document, path)


def _check_series(series: Any, path: str) -> None:
    where = "forecaster.json"
    series_keys = {"columns", "target", "features", "date_column", "freq", "rows", "index"}
    expect(
        isinstance(series, dict) and set(series) == series_keys,
        path,
        f"{where}: series must have exactly the keys {sorted(series_keys)}",
    )
    columns, target, features = series["columns"], series["target"], series["features"]
    expect(
        _is_strings(columns) and columns and len(set(columns)) == len(columns),
        path,
        f"{where}: series.columns must be a non-empty list of distinct strings",
    )
    expect(
        _is_strings(target) and target and _is_strings(features) and columns == features + target,
        path,
        f"{where}: series.columns must be series.features then series.target; the file has "
        f"columns {columns!r}, features {features!r}, target {target!r}",
    )
    expect(
        _is_int(series["rows"]) and series["rows"] >= 2,
        path,
        f"{where}: series.rows must be an integer of at least 2",
    )
    expect(
        series["date_column"] is None or isinstance(series["date_column"], str),
        path,
        f"{where}: series.date_column must be null or a string",
    )
    expect(
        series["freq"] is None or (series["date_column"] is not None and _is_freq(series["freq"])),
        path,
        f"{where}: series.freq must be null, or a pandas frequency (e.g. 'MS') for a dated "
        f"series; the file has {series['freq']!r}",
    )
    _check_index(series, path)


#: What a saved calibration of the prediction intervals holds besides its arrays.
_CALIBRATION_KEYS = {"rows", "log", "origins", "steps", "count"}


def _check_calibration(document: dict[str, Any], path: str) -> None:
    calibration = document["calibration"]
    if calibration is None:
        return
    expect(
        isinstance(calibration, dict)
        and set(calibration) == _CALIBRATION_KEYS
        and isinstance(calibration["log"], bool)
        and all(_is_int(calibration[k]) and calibration[k] >= 1 for k in ("origins", "steps"))
        and _is_int(calibration["rows"])
        and calibration["rows"] >= 2
        and _is_int(calibration["count"])
        and calibration["count"] >= 1,
        path,
        "forecaster.json: calibration must be null or {'rows', 'origins', 'steps', 'count': "
        f"positive integers, 'log': true or false}}; the file has {calibration!r}",
    )


def calibration_tensors(document: dict[str, Any]) -> dict[str, tuple[torch.dtype, tuple[int, ...]]]:
    """The calibration's arrays in ``series.safetensors``: name → (dtype, shape)."""
    calibration = document["calibration"]
    if calibration is None:
        return {}
    k = len(document["series"]["target"])
    origins, steps = calibration["origins"], calibration["steps"]
    return {
        "calibration/scales": (torch.float64, (steps, k)),
        "calibration/standardized": (torch.float64, (calibration["count"],)),
        "calibration/errors": (torch.float64, (origins, steps, k)),
        "calibration/unit_errors": (torch.float64, (origins, steps, k)),
    }


def _is_freq(value: Any) -> bool:
    """Whether ``value`` is a string pandas reads as a frequency (parsed, never evaluated)."""
    if not isinstance(value, str) or len(value) > 100:
        return False
    try:
        pd.tseries.frequencies.to_offset(value)
    except (ValueError, TypeError):
        return False
    return True


def _check_index(series: dict[str, Any], path: str) -> None:
    index, rows = series["index"], series["rows"]
    where = "forecaster.json: series.index"
    expect(isinstance(index, dict), path, f"{where} must be a dict")
    dated = series["date_column"] is not None
    if dated:
        keys = {"kind", "unit", "name", "freq"}
        expect(
            set(index) == keys and index["kind"] == "datetime",
            path,
            f"{where} of a dated series must be {{'kind': 'datetime', 'unit', 'name', 'freq'}}",
        )
        expect(index["unit"] in _UNITS, path, f"{where}.unit must be one of {list(_UNITS)}")
        expect(
            index["freq"] is None or _is_freq(index["freq"]),
            path,
            f"{where}.freq must be null or a pandas frequency; the file has {index['freq']!r}",
        )
    else:
        keys = {"kind", "start", "stop", "step", "name"}
        expect(
            set(index) == keys and index["kind"] == "range",
            path,
            f"{where} of an undated series must be {{'kind': 'range', 'start', 'stop', 'step', "
            "'name'}",
        )
        expect(
            all(_is_int(index[k]) for k in ("start", "stop", "step"))
            and index["step"] != 0
            and len(range(index["start"], index["stop"], index["step"])) == rows,
            path,
            f"{where}: start, stop and step must be integers making {rows} rows (series.rows)",
        )
    expect(
        index["name"] is None or isinstance(index["name"], str),
        path,
        f"{where}.name must be null or a string",
    )


def _check_scaler(scaler: Any, name: str | None, features: list[str], path: str) -> None:
    where = "forecaster.json: scaler"
    if name is None:
        expect(scaler is None, path, f"{where} must be null when params.scaler is null")
        return
    expect(
        isinstance(scaler, dict) and set(scaler) == {"target", "feature"},
        path,
        f"{where} must be {{'target': {{...}}, 'feature': {{...}} or null}}",
    )
    for part, present in (("target", True), ("feature", bool(features))):
        entry = scaler[part]
        if not present:
            expect(entry is None, path, f"{where}.{part} must be null without features")
            continue
        expect(
            isinstance(entry, dict)
            and set(entry) == {"n_samples_seen_"}
            and _is_number(entry["n_samples_seen_"]),
            path,
            f"{where}.{part} must be {{'n_samples_seen_': <number>}}",
        )


def _check_history(history: Any, path: str) -> None:
    if history is None:
        return
    where = "forecaster.json: history"
    expect(
        isinstance(history, dict)
        and set(history) == {"history", "epoch"}
        and isinstance(history["history"], dict)
        and all(
            isinstance(values, list) and all(v is None or _is_number(v) for v in values)
            for values in history["history"].values()
        )
        and isinstance(history["epoch"], list)
        and all(_is_int(e) for e in history["epoch"]),
        path,
        f"{where} must be {{'history': {{key: [number or null, ...]}}, 'epoch': [integer, ...]}}",
    )


def _expected_tensors(document: dict[str, Any]) -> dict[str, tuple[torch.dtype, tuple[int, ...]]]:
    series = document["series"]
    rows, width = series["rows"], len(series["columns"])
    expected = {"frame": (torch.float64, (rows, width))}
    if series["index"]["kind"] == "datetime":
        expected["index"] = (torch.int64, (rows,))
    expected.update(calibration_tensors(document))
    if document["class_name"] != "Forecaster":
        expected.update(baseline_tensors(document))
        return expected
    name = document["params"]["scaler"]
    if name is not None:
        for part, columns in (("target", series["target"]), ("feature", series["features"])):
            if columns:
                for attribute in _SCALERS[name][1]:
                    expected[f"scaler/{part}/{attribute}"] = (torch.float64, (len(columns),))
    return expected


def check_one_step_model(model: Any, document: dict[str, Any], path: str) -> None:
    """The one-step network must be the one fit() builds (lstmkit.forecast.one_step): rows of
    the columns, the trend and the calendar in, each member's targets out."""
    params, series = document["params"], document["series"]
    resolved = document["fitted"]["resolved"]
    calendar = {None: 0, "onehot": resolved["season"] or 0, "cyclic": 2}[resolved["calendar"]]
    inputs = len(series["columns"]) + 1 + calendar
    outputs = params["n_models"] * len(series["target"])
    expect(
        type(model) is registered_class("Sequential")
        and tuple(model.input_shape[2:]) == (inputs,)
        and tuple(model.output_shape[2:]) == (outputs,),
        path,
        f"the one-step network does not fit the forecaster: rows of {inputs} columns in and "
        f"{outputs} values (n_models x targets) out at each step were expected; the file has a "
        f"{type(model).__name__} taking {model.input_shape} to {model.output_shape}",
    )


def _check_model(model: Any, document: dict[str, Any], path: str) -> None:
    """The network must be the one fit() builds for these parameters and series."""
    params, series = document["params"], document["series"]
    resolved = document["fitted"]["resolved"]
    # Calendar columns (one-hot: one per season position; cyclic: sine and cosine) come first.
    calendar = {None: 0, "onehot": resolved["season"] or 0, "cyclic": 2}[resolved["calendar"]]
    inputs = (resolved["look_back"], calendar + len(series["columns"]))
    outputs = params["n_models"] * resolved["horizon"] * len(series["target"])
    expect(
        type(model) is registered_class("Sequential")
        and tuple(model.input_shape[1:]) == inputs
        and tuple(model.output_shape[1:]) == (outputs,),
        path,
        f"the network does not fit the forecaster: windows {inputs} (look_back, columns) in and "
        f"{outputs} values (n_models x horizon x targets) out were expected; the file has a "
        f"{type(model).__name__} taking {model.input_shape} to {model.output_shape}",
    )
