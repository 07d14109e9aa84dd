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

Format version 2 adds two things. ``forecaster.json`` may name a baseline instead
(``NaiveForecaster``, ``SeasonalNaiveForecaster``, ``SARIMAXForecaster``: no network members,
``scaler`` and ``history`` null; :mod:`lstmkit.saving.baseline_file`), so ``lstmkit forecast``
saves whichever model it publishes. And ``"calibration"``: null, or the prediction intervals'
calibration (``{"rows", "log", "origins", "steps", "count"}`` with ``calibration/scales``
``(steps, k)``, ``standardized`` ``(count,)``, ``errors`` and ``unit_errors`` ``(origins, steps,
k)`` float64 in ``series.safetensors``), so a loaded forecaster gives the same bands without
refitting its calibration copies. Version 1 files load as before (no calibration).

Only what JSON and tensors can say is saved: ``scaler`` must be ``'minmax'``, ``'standard'`` or
``None`` and ``optimizer`` and ``loss`` strings; anything else is refused at saving. Loading
checks every JSON field's type and every tensor's dtype and shape against the JSON before it
builds anything, and never unpickles or imports anything a file names; failures raise
:class:`~lstmkit.saving.model_file.ModelFileError`.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pandas as pd
import torch

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
from lstmkit.saving.baseline_file import BASELINES, baseline_parts, build_baseline
from lstmkit.saving.files import check_lstmkit_path
from lstmkit.saving.forecaster_schema import (
    _SCALERS,
    _UNITS,
    _check_document,
    _check_model,
    _expected_tensors,
    _is_int,
    _is_number,
    _params_json,
    _plain,
    _resolved_json,
    check_one_step_model,
)
from lstmkit.saving.model_file import (
    OPTIONAL_MEMBERS,
    REQUIRED_MEMBERS,
    model_from_members,
    model_members,
)
from lstmkit.training.callbacks import History

__all__ = ["FORMAT", "FORMAT_VERSION", "load_forecaster", "save_forecaster"]

FORMAT = "lstmkit-forecaster"
FORMAT_VERSION = 2

_MEMBERS = ("lstmkit.json", "forecaster.json", "series.safetensors")
#: The one-step network (lstmkit.forecast.one_step), when the fit trained one: its members, each
#: name after this prefix.
ONE_STEP = "one_step/"
_ONE_STEP_MEMBERS = ("model.json", "weights.safetensors")


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
    name = type(forecaster).__name__
    known = ("Forecaster", *BASELINES)
    if name not in known or type(forecaster) is not registered_class(name):
        raise ValueError(
            f"save_forecaster saves a fitted {', '.join(known)} of lstmkit.forecast; got {name}"
        )
    path = check_lstmkit_path(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    needed = ("series_", "model_", "target_names_") if name == "Forecaster" else ("series_",)
    if not all(hasattr(forecaster, a) for a in needed):
        raise RuntimeError(
            f"the {name} is not fitted yet, so there is nothing to save: call fit first"
        )
    series = forecaster.series_
    series_json, tensors = _series_json(series)
    network: list[tuple[str, bytes]] = []
    if name == "Forecaster":
        params = _params_json(forecaster)
        scaler_json, scaler_tensors = _scaler_json(forecaster, series)
        tensors.update(scaler_tensors)
        fitted = {
            "target_names_": list(forecaster.target_names_),
            "n_targets_": int(forecaster.n_targets_),
            "resolved": _resolved_json(forecaster),
        }
        history = _history_json(getattr(forecaster, "history_", None))
        network = model_members(forecaster.model_)
        one_step = getattr(forecaster, "one_step_", None)
        if one_step is not None:
            network += [
                (f"{ONE_STEP}{name}", data)
                for name, data in model_members(one_step.model, include_optimizer=False)
                if name in _ONE_STEP_MEMBERS
            ]
    else:
        params, fitted, baseline = baseline_parts(forecaster)
        tensors.update(baseline)
        scaler_json, history = None, None
    calibration_json, calibration = _calibration_json(forecaster)
    tensors.update(calibration)
    document = {
        "class_name": name,
        "params": params,
        "fitted": fitted,
        "series": series_json,
        "scaler": scaler_json,
        "history": history,
        "calibration": calibration_json,
    }
    members = [
        archive_header(FORMAT, FORMAT_VERSION),
        *network,
        ("forecaster.json", dump_json(document)),
        ("series.safetensors", tensor_bytes(tensors, {"format": FORMAT})),
    ]
    write_archive(path, members)


def _calibration_json(forecaster: Any) -> tuple[dict[str, Any] | None, dict[str, torch.Tensor]]:
    """The prediction intervals' calibration, when the forecaster has computed one for the
    series it holds (``predict_frame(level=...)`` or ``lstmkit forecast`` did): saved so that a
    loaded forecaster gives the same bands without refitting its calibration copies."""
    calibration = getattr(forecaster, "calibration_", None)
    if calibration is None or getattr(forecaster, "_calibrated_for", None) is not (
        forecaster.series_
    ):
        return None, {}
    errors = np.asarray(calibration.errors, dtype=np.float64)
    document = {
        "rows": int(calibration.rows),
        "log": bool(calibration.log),
        "origins": int(errors.shape[0]),
        "steps": int(errors.shape[1]),
        "count": int(np.asarray(calibration.standardized).shape[0]),
    }
    tensors = {
        f"calibration/{key}": _tensor(getattr(calibration, key), np.float64)
        for key in ("scales", "standardized", "errors", "unit_errors")
    }
    return document, tensors


def _calibration(document: dict[str, Any], tensors: dict[str, torch.Tensor], path: str) -> Any:
    saved = document["calibration"]
    arrays = {
        key: tensors[f"calibration/{key}"].numpy().copy()
        for key in ("scales", "standardized", "errors", "unit_errors")
    }
    expect(
        bool(np.all(np.isfinite(arrays["scales"])) and np.all(arrays["scales"] > 0))
        and bool(np.all(np.isfinite(arrays["standardized"]))),
        path,
        "series.safetensors: the calibration's scales must be positive and its standardized "
        "errors finite",
    )
    return registered_class("Calibration")(
        scales=arrays["scales"],
        standardized=arrays["standardized"],
        errors=arrays["errors"],
        rows=saved["rows"],
        log=saved["log"],
        unit_errors=arrays["unit_errors"],
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
    Forecaster = registered_class("Forecaster")
    path = os.fspath(path)
    data = read_file(path, max_bytes)
    members = open_archive(
        path,
        data,
        format=FORMAT,
        required=_MEMBERS,
        optional=(
            *REQUIRED_MEMBERS,
            *OPTIONAL_MEMBERS,
            *(f"{ONE_STEP}{name}" for name in _ONE_STEP_MEMBERS),
        ),
    )
    check_format(members, path, FORMAT, FORMAT_VERSION)
    document = load_json(members["forecaster.json"], path, "forecaster.json")
    _check_document(document, path)
    network = [name for name in (*REQUIRED_MEMBERS, *OPTIONAL_MEMBERS) if name in members]
    if document["class_name"] == "Forecaster":
        missing = [name for name in REQUIRED_MEMBERS if name not in members]
        expect(not missing, path, f"not an lstmkit forecaster file: missing {missing}")
    else:
        expect(
            not set(network) - {"lstmkit.json"},
            path,
            f"a {document['class_name']} has no network, but the file holds {network}",
        )
    expected = _expected_tensors(document)
    check_tensor_header(members["series.safetensors"], expected, path, "series.safetensors")
    tensors = read_tensors(members["series.safetensors"], path, "series.safetensors")
    if document["class_name"] != "Forecaster":
        forecaster = build_baseline(document, tensors, _series(document, tensors, path), path)
        return _with_calibration(forecaster, document, tensors, path)

    forecaster = Forecaster(**document["params"])
    try:
        forecaster._check_params()
    except ValueError as error:
        raise ModelFileError(path, f"forecaster.json: invalid params ({error})") from None
    model = model_from_members(members, path)
    _check_model(model, document, path)

    forecaster.series_ = _series(document, tensors, path)
    forecaster.set_resolved(document["fitted"]["resolved"])
    forecaster.target_names_ = list(document["fitted"]["target_names_"])
    forecaster.n_targets_ = document["fitted"]["n_targets_"]
    forecaster.scaler_ = _fitted_scaler(document, tensors)
    forecaster.model_ = model
    forecaster.history_ = _history(document)
    forecaster.one_step_ = _one_step(forecaster, members, document, path)
    return _with_calibration(forecaster, document, tensors, path)


def _one_step(
    forecaster: Any, members: dict[str, bytes], document: dict[str, Any], path: str
) -> Any:
    """The one-step network the file holds (``None`` when the fit trained none), its scaling
    recomputed from the saved training part exactly as the fit computed it."""
    wanted = document["fitted"]["resolved"]["one_step"]
    held = [name for name in members if name.startswith(ONE_STEP)]
    expect(
        sorted(held) == ([f"{ONE_STEP}{n}" for n in sorted(_ONE_STEP_MEMBERS)] if wanted else []),
        path,
        f"fitted.resolved.one_step is {str(wanted).lower()}, but the file holds the one-step "
        f"members {sorted(held)}",
    )
    if not wanted:
        return None
    parts = {name: members[f"{ONE_STEP}{name}"] for name in _ONE_STEP_MEMBERS}
    model = model_from_members(parts, path, compile=False)
    check_one_step_model(model, document, path)
    OneStepNetwork = registered_class("OneStepNetwork")
    network = OneStepNetwork(n_models=document["params"]["n_models"])
    network.restore(model, len(forecaster.series_.frame), forecaster.n_targets_)
    forecaster._set_one_step_scale(forecaster.series_)
    return network


def _series(document: dict[str, Any], tensors: dict[str, torch.Tensor], path: str) -> Any:
    """The training part the forecaster was fitted on, as the Series it read."""
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
    return registered_class("Series")(
        frame,
        list(series_json["target"]),
        list(series_json["features"]),
        series_json["date_column"],
        series_json["freq"],
    )


def _with_calibration(
    forecaster: Any, document: dict[str, Any], tensors: dict[str, torch.Tensor], path: str
) -> Any:
    if document["calibration"] is not None:
        forecaster.calibration_ = _calibration(document, tensors, path)
        forecaster._calibrated_for = forecaster.series_
    return forecaster
