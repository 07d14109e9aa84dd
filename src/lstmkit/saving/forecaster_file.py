"""A fitted :class:`~lstmkit.forecast.Forecaster` in one file: ``forecaster.save(path)`` and
:func:`load_forecaster`.

The file is a model file (see :mod:`lstmkit.saving.model_file`: a zip of stored members, written
atomically) whose ``lstmkit.json`` says ``"format": "lstmkit-forecaster"``, with two more
members after the network's::

    lstmkit.json         {"format": "lstmkit-forecaster", "format_version": 1, ...}
    model.json, weights.safetensors, compile.json, state.json, state.safetensors
                         the trained network (``model_``), exactly as ``model.save`` writes it
    forecaster.json      {"class_name": "Forecaster",
                          "params": the constructor's parameters (JSON data only),
                          "fitted": {"target_names_": [...], "n_targets_": k},
                          "series": {"columns", "target", "features", "date_column", "freq",
                                     "rows": n, "index": {"kind": "range", "start", "stop",
                                     "step", "name"} or {"kind": "datetime", "unit", "name",
                                     "freq"}},
                          "scaler": null or {"target": {"n_samples_seen_": ...},
                                             "feature": {...} or null},
                          "history": null or {"history": {key: [float or null]}, "epoch": [...]}}
    series.safetensors   "frame" float64 (n, k): the training frame (features, then targets);
                         "index" int64 (n,): a dated index in its unit (dated series only);
                         "scaler/<target|feature>/<attribute>" float64 (columns,): the fitted
                         MinMaxScaler (min_, scale_, data_min_, data_max_, data_range_) or
                         StandardScaler (mean_, var_, scale_) arrays

Only what JSON and tensors can say is saved: ``scaler`` must be ``'minmax'``, ``'standard'`` or
``None`` and ``optimizer`` and ``loss`` strings; anything else is refused at saving. Loading
checks every JSON field's type and every tensor's dtype and shape against the JSON before it
builds anything, and never unpickles or imports anything a file names; failures raise
:class:`~lstmkit.saving.model_file.ModelFileError`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from lstmkit._registry import registered_class
from lstmkit.data.scaling import SeriesScaler
from lstmkit.saving.archive import (
    DEFAULT_MAX_BYTES,
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
    tensor_bytes,
    write_archive,
)
from lstmkit.saving.files import check_lstmkit_path
from lstmkit.saving.model_file import (
    OPTIONAL_MEMBERS,
    REQUIRED_MEMBERS,
    model_from_members,
    model_members,
)
from lstmkit.training.callbacks import History

__all__ = ["FORMAT", "FORMAT_VERSION", "load_forecaster", "save_forecaster"]

FORMAT = "lstmkit-forecaster"
FORMAT_VERSION = 1

_MEMBERS = (*REQUIRED_MEMBERS, "forecaster.json", "series.safetensors")
#: The scalers a file may name, and their fitted arrays (one value per column).
_SCALERS: dict[str, tuple[type, tuple[str, ...]]] = {
    "minmax": (MinMaxScaler, ("min_", "scale_", "data_min_", "data_max_", "data_range_")),
    "standard": (StandardScaler, ("mean_", "var_", "scale_")),
}
_UNITS = ("s", "ms", "us", "ns")


# -- the constructor's parameters -----------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) or _is_int(value)


def _is_names(value: Any) -> bool:
    """A column (name or index) or a list of them."""
    return _is_name(value) or (isinstance(value, list) and all(_is_name(v) for v in value))


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


#: Each parameter: what it may be in a file, and the check.
_PARAMS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "look_back": ("an integer", _is_int),
    "horizon": ("an integer", _is_int),
    "target": ("null, a column or a list of columns", _optional(_is_names)),
    "features": ("null, a column or a list of columns", _optional(_is_names)),
    "date_column": ("null or a string", _optional(lambda v: isinstance(v, str))),
    "units": ("an integer", _is_int),
    "layers": ("an integer", _is_int),
    "dropout": ("a number", _is_number),
    "epochs": ("an integer", _is_int),
    "batch_size": ("an integer", _is_int),
    "optimizer": ("a string", lambda v: isinstance(v, str)),
    "loss": ("a string", lambda v: isinstance(v, str)),
    "scaler": ("'minmax', 'standard' or null", lambda v: v is None or v in _SCALERS),
    "difference": ("true or false", lambda v: isinstance(v, bool)),
    "log": ("true or false", lambda v: isinstance(v, bool)),
    "seed": ("null or an integer", _optional(_is_int)),
    "verbose": ("an integer", _is_int),
}


def _plain(value: Any) -> Any:
    """``value`` as JSON data when it is plain (numpy scalars become Python's, tuples lists);
    anything else is returned unchanged, for the check to refuse."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


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


# -- saving ---------------------------------------------------------------------------------------


def _tensor(values: Any, dtype: type) -> torch.Tensor:
    """A C-ordered copy of ``values`` as a tensor of ``dtype``."""
    return torch.from_numpy(np.array(values, dtype=dtype, order="C", copy=True))


def _series_json(series: Any) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    frame = series.frame
    index = frame.index
    tensors = {"frame": _tensor(frame.to_numpy(), np.float64)}
    if isinstance(index, pd.DatetimeIndex):
        if index.tz is not None:
            raise ValueError(
                f"cannot save the Forecaster: its dates carry a time zone ({index.tz}); only "
                "time-zone-naive dates can be saved"
            )
        unit = np.datetime_data(index.dtype)[0]
        if unit not in _UNITS:
            raise ValueError(f"cannot save the Forecaster: dates in unit {unit!r}")
        index_json: dict[str, Any] = {
            "kind": "datetime",
            "unit": unit,
            "name": _name(index.name),
            "freq": index.freqstr,
        }
        tensors["index"] = _tensor(index.asi8, np.int64)
    elif isinstance(index, pd.RangeIndex):
        index_json = {
            "kind": "range",
            "start": index.start,
            "stop": index.stop,
            "step": index.step,
            "name": _name(index.name),
        }
    else:
        raise ValueError(
            f"cannot save the Forecaster: its series has a {type(index).__name__}; a "
            "DatetimeIndex or a RangeIndex was expected"
        )
    return {
        "columns": [str(c) for c in frame.columns],
        "target": list(series.target),
        "features": list(series.features),
        "date_column": series.date_column,
        "freq": series.freq,
        "rows": len(frame),
        "index": index_json,
    }, tensors


def _name(name: Any) -> str | None:
    if name is None or isinstance(name, str):
        return name
    raise ValueError(f"cannot save the Forecaster: the index name {name!r} is not a string")


def _scaler_json(
    forecaster: Any, series: Any
) -> tuple[dict[str, Any] | None, dict[str, torch.Tensor]]:
    scaler = forecaster.scaler_
    if forecaster.scaler is None:
        if scaler is not None:
            raise ValueError("cannot save the Forecaster: scaler=None but it has a fitted scaler_")
        return None, {}
    cls, attributes = _SCALERS[forecaster.scaler]
    parts = {"target": list(series.target), "feature": list(series.features)}
    if (
        not isinstance(scaler, SeriesScaler)
        or list(scaler.target_columns_) != parts["target"]
        or list(scaler.feature_columns_) != parts["feature"]
    ):
        raise ValueError(
            "cannot save the Forecaster: its scaler_ is not the SeriesScaler fit() makes over "
            f"the features {parts['feature']} and targets {parts['target']}"
        )
    out: dict[str, Any] = {}
    tensors: dict[str, torch.Tensor] = {}
    for part, columns in parts.items():
        fitted = getattr(scaler, f"{part}_scaler_")
        if not columns:
            out[part] = None
            continue
        if type(fitted) is not cls:
            raise ValueError(
                f"cannot save the Forecaster: its {part} scaler is a {type(fitted).__name__}, "
                f"not the {cls.__name__} scaler={forecaster.scaler!r} makes"
            )
        for attribute in attributes:
            value = np.asarray(getattr(fitted, attribute), dtype=np.float64)
            if value.shape != (len(columns),):
                raise ValueError(
                    f"cannot save the Forecaster: its {part} scaler's {attribute} has shape "
                    f"{value.shape}; ({len(columns)},) was expected"
                )
            tensors[f"scaler/{part}/{attribute}"] = _tensor(value, np.float64)
        seen = _plain(fitted.n_samples_seen_)
        if not _is_number(seen):
            raise ValueError(
                f"cannot save the Forecaster: its {part} scaler's n_samples_seen_ is {seen!r}"
            )
        out[part] = {"n_samples_seen_": seen}
    return out, tensors


def _history_json(history: Any) -> dict[str, Any] | None:
    if history is None or not isinstance(getattr(history, "history", None), dict):
        return None

    def number(value: Any) -> float | None:
        value = float(value)
        return value if math.isfinite(value) else None

    return {
        "history": {
            str(key): [number(v) for v in values] for key, values in history.history.items()
        },
        "epoch": [int(e) for e in getattr(history, "epoch", [])],
    }


def save_forecaster(
    forecaster: Any, path: str | os.PathLike[str], *, overwrite: bool = True
) -> None:
    """Write a fitted :class:`~lstmkit.forecast.Forecaster` to ``path`` (e.g.
    ``forecaster.lstmkit``) atomically: an error part-way leaves an existing file as it was.

    Raises RuntimeError when it is not fitted, ValueError when a parameter is not JSON data
    (a scaler object, an optimizer object, a loss function) or for ``.h5``/``.keras`` names.
    """
    if type(forecaster) is not registered_class("Forecaster"):
        raise ValueError(
            f"save_forecaster saves an lstmkit.forecast.Forecaster; got {type(forecaster).__name__}"
        )
    path = check_lstmkit_path(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    if not all(hasattr(forecaster, a) for a in ("series_", "model_", "target_names_")):
        raise RuntimeError(
            "the Forecaster is not fitted yet, so there is nothing to save: call fit first"
        )
    params = _params_json(forecaster)
    series = forecaster.series_
    series_json, tensors = _series_json(series)
    scaler_json, scaler_tensors = _scaler_json(forecaster, series)
    tensors.update(scaler_tensors)
    document = {
        "class_name": "Forecaster",
        "params": params,
        "fitted": {
            "target_names_": list(forecaster.target_names_),
            "n_targets_": int(forecaster.n_targets_),
        },
        "series": series_json,
        "scaler": scaler_json,
        "history": _history_json(getattr(forecaster, "history_", None)),
    }
    members = [
        archive_header(FORMAT, FORMAT_VERSION),
        *model_members(forecaster.model_),
        ("forecaster.json", dump_json(document)),
        ("series.safetensors", tensor_bytes(tensors, {"format": FORMAT})),
    ]
    write_archive(path, members)


# -- loading --------------------------------------------------------------------------------------


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_document(document: Any, path: str) -> None:
    """The shape of ``forecaster.json``: keys, types, and agreement between its parts."""
    where = "forecaster.json"
    keys = {"class_name", "params", "fitted", "series", "scaler", "history"}
    expect(
        isinstance(document, dict) and set(document) == keys,
        path,
        f"{where} must have exactly the keys {sorted(keys)}",
    )
    expect(
        document["class_name"] == "Forecaster",
        path,
        f"{where} names the class {document['class_name']!r}; only 'Forecaster' is loaded "
        "(lstmkit never imports a class named in a file)",
    )
    params = document["params"]
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

    series = document["series"]
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

    fitted = document["fitted"]
    expect(
        isinstance(fitted, dict)
        and set(fitted) == {"target_names_", "n_targets_"}
        and fitted["target_names_"] == target
        and fitted["n_targets_"] == len(target)
        and _is_int(fitted["n_targets_"]),
        path,
        f"{where}: fitted must be {{'target_names_': series.target, 'n_targets_': "
        f"{len(target)}}}; the file has {fitted!r}",
    )
    _check_scaler(document["scaler"], params["scaler"], features, path)
    _check_history(document["history"], path)


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
    name = document["params"]["scaler"]
    if name is not None:
        for part, columns in (("target", series["target"]), ("feature", series["features"])):
            if columns:
                for attribute in _SCALERS[name][1]:
                    expected[f"scaler/{part}/{attribute}"] = (torch.float64, (len(columns),))
    return expected


def _check_model(model: Any, document: dict[str, Any], path: str) -> None:
    """The network must be the one fit() builds for these parameters and series."""
    params, series = document["params"], document["series"]
    inputs = (params["look_back"], len(series["columns"]))
    outputs = params["horizon"] * len(series["target"])
    expect(
        type(model) is registered_class("Sequential")
        and tuple(model.input_shape[1:]) == inputs
        and tuple(model.output_shape[1:]) == (outputs,),
        path,
        f"the network does not fit the forecaster: windows {inputs} (look_back, columns) in and "
        f"{outputs} values (horizon x targets) out were expected; the file has a "
        f"{type(model).__name__} taking {model.input_shape} to {model.output_shape}",
    )


def _index(document: dict[str, Any], tensors: dict[str, torch.Tensor], path: str) -> pd.Index:
    index = document["series"]["index"]
    if index["kind"] == "range":
        return pd.RangeIndex(index["start"], index["stop"], index["step"], name=index["name"])
    values = tensors["index"].numpy().copy().view(f"datetime64[{index['unit']}]")
    expect(
        bool(np.all(values[1:] > values[:-1])),
        path,
        "series.safetensors: the dates of 'index' must increase without repeats",
    )
    try:
        return pd.DatetimeIndex(values, freq=index["freq"], name=index["name"])
    except (ValueError, TypeError, OverflowError) as error:
        raise ModelFileError(path, f"series.index has an invalid date or freq ({error})") from None


def _fitted_scaler(
    document: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> SeriesScaler | None:
    name = document["params"]["scaler"]
    if name is None:
        return None
    cls, attributes = _SCALERS[name]
    series = document["series"]
    target, features, columns = series["target"], series["features"], series["columns"]

    def part(key: str, width: int) -> Any:
        entry = document["scaler"][key]
        if entry is None:
            return None
        fitted = cls()
        for attribute in attributes:
            setattr(fitted, attribute, tensors[f"scaler/{key}/{attribute}"].numpy().copy())
        seen = entry["n_samples_seen_"]
        fitted.n_samples_seen_ = int(seen) if _is_int(seen) else np.float64(seen)
        fitted.n_features_in_ = width
        return fitted

    scaler = SeriesScaler(target=list(target), features=list(features) or None, scaler=cls())
    scaler.target_columns_ = list(target)
    scaler.feature_columns_ = list(features)
    scaler.target_scaler_ = part("target", len(target))
    scaler.feature_scaler_ = part("feature", len(features))
    scaler.n_features_in_ = len(columns)
    scaler.feature_names_in_ = np.asarray(columns, dtype=object)
    return scaler


def _history(document: dict[str, Any]) -> Any:
    saved = document["history"]
    history = History()
    if saved is not None:
        history.history = {
            key: [math.nan if v is None else float(v) for v in values]
            for key, values in saved["history"].items()
        }
        history.epoch = list(saved["epoch"])
    return history


def load_forecaster(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """The fitted :class:`~lstmkit.forecast.Forecaster` saved at ``path`` by
    ``forecaster.save(path)``: its parameters, the series it was fitted on, the fitted scaler
    and the trained network, so that ``predict``, ``predict_frame``, ``walk_forward`` and
    ``evaluate`` give the saved forecaster's results bit for bit. ``history_`` comes back as a
    :class:`~lstmkit.training.callbacks.History` holding ``history`` and ``epoch``.

    Raises :class:`ModelFileError` for a file that is not a valid forecaster file (a model file
    included: it names :func:`lstmkit.models.load_model`), with the reason.
    """
    Forecaster, Series = registered_class("Forecaster"), registered_class("Series")
    path = os.fspath(path)
    data = read_file(path, max_bytes)
    members = open_archive(path, data, format=FORMAT, required=_MEMBERS, optional=OPTIONAL_MEMBERS)
    check_format(members, path, FORMAT, FORMAT_VERSION)
    document = load_json(members["forecaster.json"], path, "forecaster.json")
    _check_document(document, path)
    expected = _expected_tensors(document)
    check_tensor_header(members["series.safetensors"], expected, path, "series.safetensors")

    forecaster = Forecaster(**document["params"])
    try:
        forecaster._check_params()
    except ValueError as error:
        raise ModelFileError(path, f"forecaster.json: invalid params ({error})") from None
    model = model_from_members(members, path)
    _check_model(model, document, path)

    tensors = read_tensors(members["series.safetensors"], path, "series.safetensors")
    values = tensors["frame"].numpy().copy()
    expect(
        not np.isnan(values).any(),
        path,
        "series.safetensors: 'frame' has NaN, which fit() never accepts",
    )
    series_json = document["series"]
    frame = pd.DataFrame(
        values, index=_index(document, tensors, path), columns=list(series_json["columns"])
    )
    forecaster.series_ = Series(
        frame,
        list(series_json["target"]),
        list(series_json["features"]),
        series_json["date_column"],
        series_json["freq"],
    )
    forecaster.target_names_ = list(document["fitted"]["target_names_"])
    forecaster.n_targets_ = document["fitted"]["n_targets_"]
    forecaster.scaler_ = _fitted_scaler(document, tensors)
    forecaster.model_ = model
    forecaster.history_ = _history(document)
    return forecaster
