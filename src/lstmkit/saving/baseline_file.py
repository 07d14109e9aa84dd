"""The parts of a forecaster file that belong to the baselines (naive, seasonal naive, SARIMAX),
so that ``lstmkit forecast`` can publish — and ``lstmkit predict`` reuse — whichever model won,
not only the LSTM.

A baseline's file is a forecaster file (:mod:`lstmkit.saving.forecaster_file`) without the
network's members: ``forecaster.json`` names the class, its constructor's parameters and what
its fit resolved; ``series.safetensors`` holds the training frame and, for SARIMAX, the fitted
parameter vector ``"sarimax/params"`` float64 ``(k,)`` with its names in ``fitted.param_names``.
Loading rebuilds SARIMAX on the saved series and *applies* those parameters (statsmodels'
``smooth``): nothing is re-estimated, and nothing from the file is unpickled or imported.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from lstmkit._registry import registered_class
from lstmkit.saving.archive import ModelFileError, expect
from lstmkit.saving.json_values import _is_int, _is_names, _optional, _plain

__all__ = ["BASELINES", "baseline_parts", "baseline_tensors", "build_baseline", "check_baseline"]


def _is_order(length: int) -> Callable[[Any], bool]:
    return lambda value: (
        isinstance(value, list) and len(value) == length and all(_is_int(v) for v in value)
    )


_COMMON: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "target": ("null, a column or a list of columns", _optional(_is_names)),
    "date_column": ("null or a string", _optional(lambda v: isinstance(v, str))),
}

#: Each baseline's constructor parameters: what each may be in a file, and the check.
_PARAMS: dict[str, dict[str, tuple[str, Callable[[Any], bool]]]] = {
    "NaiveForecaster": dict(_COMMON),
    "SeasonalNaiveForecaster": {"season": ("null or an integer", _optional(_is_int)), **_COMMON},
    "SARIMAXForecaster": {
        "order": ("a list of 3 integers", _is_order(3)),
        "seasonal_order": ("null or a list of 4 integers", _optional(_is_order(4))),
        "trend": ("null or a string", _optional(lambda v: isinstance(v, str))),
        "log": ("true or false", lambda v: isinstance(v, bool)),
        **_COMMON,
    },
}

#: The baselines a file may name (lstmkit never imports a class a file names).
BASELINES = tuple(_PARAMS)


def baseline_parts(
    forecaster: Any,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, torch.Tensor]]:
    """``(params, fitted, tensors)`` of a fitted baseline for its file; ValueError when a
    parameter is not JSON data."""
    name = type(forecaster).__name__
    params = {key: _plain(value) for key, value in forecaster.get_params().items()}
    for key, (what, check) in _PARAMS[name].items():
        if key not in params or not check(params[key]):
            raise ValueError(
                f"cannot save the {name}: {key}={params.get(key)!r} cannot be written to a "
                f"file, which holds only JSON data ({key} must be {what})"
            )
    unknown = sorted(set(params) - set(_PARAMS[name]))
    if unknown:
        raise ValueError(f"cannot save the {name}: unknown parameters {unknown}")
    fitted: dict[str, Any] = {
        "target_names_": list(forecaster.series_.target),
        "n_targets_": int(forecaster.n_targets_),
    }
    tensors: dict[str, torch.Tensor] = {}
    if name == "SeasonalNaiveForecaster":
        fitted["season_"] = int(forecaster.season_)
    if name == "SARIMAXForecaster":
        results = forecaster.results_
        fitted["seasonal_order_"] = [int(v) for v in forecaster.seasonal_order_]
        fitted["param_names"] = [str(v) for v in results.model.param_names]
        values = np.array(results.params, dtype=np.float64, order="C", copy=True)
        tensors["sarimax/params"] = torch.from_numpy(values)
    return params, fitted, tensors


def check_baseline(document: dict[str, Any], path: str) -> None:
    """The baseline parts of ``forecaster.json`` (class already one of :data:`BASELINES`)."""
    name = document["class_name"]
    where = "forecaster.json"
    params = document["params"]
    expect(
        isinstance(params, dict) and set(params) == set(_PARAMS[name]),
        path,
        f"{where}: params of a {name} must have exactly the keys {sorted(_PARAMS[name])}",
    )
    for key, (what, check) in _PARAMS[name].items():
        expect(
            check(params[key]),
            path,
            f"{where}: params.{key} must be {what}; the file has {params[key]!r}",
        )
    target = document["series"]["target"]
    keys = {"target_names_", "n_targets_"}
    if name == "SeasonalNaiveForecaster":
        keys.add("season_")
    if name == "SARIMAXForecaster":
        keys |= {"seasonal_order_", "param_names"}
    fitted = document["fitted"]
    expect(
        isinstance(fitted, dict)
        and set(fitted) == keys
        and fitted["target_names_"] == target
        and fitted["n_targets_"] == len(target),
        path,
        f"{where}: fitted of a {name} must have exactly the keys {sorted(keys)}, with "
        f"target_names_ = series.target; the file has {fitted!r}",
    )
    rows = document["series"]["rows"]
    if name == "SeasonalNaiveForecaster":
        expect(
            _is_int(fitted["season_"]) and 1 <= fitted["season_"] <= rows,
            path,
            f"{where}: fitted.season_ must be an integer from 1 to series.rows ({rows})",
        )
    if name == "SARIMAXForecaster":
        expect(len(target) == 1, path, f"{where}: a SARIMAXForecaster forecasts one target")
        expect(
            _is_order(4)(fitted["seasonal_order_"]),
            path,
            f"{where}: fitted.seasonal_order_ must be a list of 4 integers",
        )
        names = fitted["param_names"]
        expect(
            isinstance(names, list) and names and all(isinstance(v, str) for v in names),
            path,
            f"{where}: fitted.param_names must be a non-empty list of strings",
        )
    expect(
        document["scaler"] is None and document["history"] is None,
        path,
        f"{where}: a {name} has no scaler and no training history (both must be null)",
    )


def baseline_tensors(document: dict[str, Any]) -> dict[str, tuple[torch.dtype, tuple[int, ...]]]:
    """The tensors a baseline adds to ``series.safetensors``: name → (dtype, shape)."""
    if document["class_name"] != "SARIMAXForecaster":
        return {}
    return {"sarimax/params": (torch.float64, (len(document["fitted"]["param_names"]),))}


def build_baseline(
    document: dict[str, Any], tensors: dict[str, torch.Tensor], series: Any, path: str
) -> Any:
    """The fitted baseline the file describes, on ``series`` (the saved training part)."""
    name = document["class_name"]
    params = dict(document["params"])
    for key in ("order", "seasonal_order"):
        if params.get(key) is not None:
            params[key] = tuple(params[key])
    forecaster = registered_class(name)(**params)
    fitted = document["fitted"]
    forecaster.series_ = series
    forecaster.n_targets_ = fitted["n_targets_"]
    forecaster.target_names_ = list(fitted["target_names_"])
    if name == "SeasonalNaiveForecaster":
        forecaster.season_ = fitted["season_"]
    if name == "SARIMAXForecaster":
        forecaster.target_ = series.target[0]
        forecaster.seasonal_order_ = tuple(fitted["seasonal_order_"])
        values = tensors["sarimax/params"].numpy().copy()
        expect(
            bool(np.all(np.isfinite(values))),
            path,
            "series.safetensors: 'sarimax/params' must be finite numbers",
        )
        forecaster.results_ = _applied_sarimax(forecaster, series, values, fitted, path)
    return forecaster


def _applied_sarimax(
    forecaster: Any, series: Any, values: np.ndarray, fitted: dict[str, Any], path: str
) -> Any:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    try:
        model = SARIMAX(
            forecaster._endog(series.frame),
            order=forecaster.order,
            seasonal_order=forecaster.seasonal_order_,
            trend=forecaster.trend,
        )
    except ValueError as error:
        raise ModelFileError(path, f"the SARIMAX model cannot be rebuilt ({error})") from None
    expect(
        list(model.param_names) == fitted["param_names"],
        path,
        f"fitted.param_names {fitted['param_names']} do not match the SARIMAX these params make "
        f"({list(model.param_names)})",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = model.smooth(values)
    expect(
        math.isfinite(float(results.llf)),
        path,
        "the saved SARIMAX parameters give no finite likelihood on the saved series",
    )
    return results
