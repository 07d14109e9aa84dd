"""The baselines (naive, seasonal naive, SARIMAX) and the intervals' calibration in forecaster
files: ``lstmkit forecast`` saves the model it publishes, whichever it is, and a loaded
forecaster gives the saved one's forecasts and bands without refitting anything."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from lstmkit.data import load_dataset
from lstmkit.forecast import (
    Forecaster,
    NaiveForecaster,
    SARIMAXForecaster,
    SeasonalNaiveForecaster,
    load_forecaster,
)
from lstmkit.forecast import intervals as intervals_module
from lstmkit.saving import ModelFileError

LEVELS = [80, 95]


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _load(tmp_path, data: bytes):
    path = tmp_path / "suspect.lstmkit"
    path.write_bytes(data)
    return load_forecaster(path)


@pytest.fixture(scope="module")
def airline():
    return load_dataset("airline")


BASELINES = {
    "naive": lambda: NaiveForecaster(),
    "seasonal_naive": lambda: SeasonalNaiveForecaster(),
    "sarimax_log": lambda: SARIMAXForecaster(log=True),
    "sarimax_trend": lambda: SARIMAXForecaster(order=(1, 1, 0), seasonal_order=(0, 1, 1, 12)),
}


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_a_saved_baseline_forecasts_and_bands_as_the_fitted_one(tmp_path, airline, name):
    forecaster = BASELINES[name]().fit(airline.iloc[:120])
    expected = forecaster.predict_frame(12, level=LEVELS)
    later = forecaster.predict_frame(6, data=airline.iloc[:130], level=LEVELS)
    forecaster.save(tmp_path / "f.lstmkit")
    loaded = load_forecaster(tmp_path / "f.lstmkit")
    assert type(loaded) is type(forecaster)
    assert loaded.get_params() == forecaster.get_params()

    def no_refit(*args, **kwargs):
        raise AssertionError("the saved calibration must be used, not computed again")

    original = intervals_module.calibrate
    intervals_module.calibrate = no_refit
    try:
        got = loaded.predict_frame(12, level=LEVELS)
        got_later = loaded.predict_frame(6, data=airline.iloc[:130], level=LEVELS)
    finally:
        intervals_module.calibrate = original
    # SARIMAX applies the saved parameters (statsmodels' smooth) instead of estimating them.
    tolerance = 1e-9 if name.startswith("sarimax") else 0.0
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=tolerance, atol=0)
    np.testing.assert_allclose(got_later.to_numpy(), later.to_numpy(), rtol=tolerance, atol=0)
    assert list(got.columns) == ["Passengers", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert got.index.equals(expected.index)


def test_a_lstm_forecaster_keeps_its_calibration(tmp_path, airline):
    forecaster = Forecaster(look_back=12, units=8, epochs=2, n_models=1, seed=0)
    forecaster.fit(airline.iloc[:100])
    bands = forecaster.predict_frame(12, level=LEVELS)
    forecaster.save(tmp_path / "lstm.lstmkit")
    loaded = load_forecaster(tmp_path / "lstm.lstmkit")
    assert loaded.calibration_.rows == forecaster.calibration_.rows
    np.testing.assert_array_equal(loaded.calibration_.scales, forecaster.calibration_.scales)
    np.testing.assert_array_equal(loaded.predict_frame(12, level=LEVELS), bands)
    # Without a calibration (never asked for bands) the file says null and the first band
    # request computes one, as for a fresh fit.
    fresh = Forecaster(look_back=12, units=8, epochs=2, n_models=1, seed=0)
    fresh.fit(airline.iloc[:100])
    fresh.save(tmp_path / "plain.lstmkit")
    document = json.loads(_members((tmp_path / "plain.lstmkit").read_bytes())["forecaster.json"])
    assert document["calibration"] is None
    assert not hasattr(load_forecaster(tmp_path / "plain.lstmkit"), "calibration_")


@pytest.fixture(scope="module")
def sarimax_file(tmp_path_factory, airline):
    path = tmp_path_factory.mktemp("sarimax") / "s.lstmkit"
    forecaster = SARIMAXForecaster(log=True).fit(airline.iloc[:120])
    forecaster.predict_frame(3, level=LEVELS)
    forecaster.save(path)
    return path.read_bytes(), forecaster


def _edit(data: bytes, document=None, tensors=None) -> bytes:
    members = _members(data)
    if document is not None:
        parsed = json.loads(members["forecaster.json"])
        document(parsed)
        members["forecaster.json"] = json.dumps(parsed).encode()
    if tensors is not None:
        arrays = load_arrays(members["series.safetensors"])
        tensors(arrays)
        members["series.safetensors"] = save_arrays(arrays, {"format": "lstmkit-forecaster"})
    return _archive(members)


def _set(path: str, value):
    def change(document):
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node[key]
        node[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("class_name", "os.system"), r"names the class 'os.system'; only Forecaster, Naive"),
        (_set("params.order", "1,1,1"), r"params.order must be a list of 3 integers"),
        (_set("params.log", "yes"), r"params.log must be true or false"),
        (_set("params.units", 8), r"params of a SARIMAXForecaster must have exactly the keys"),
        (
            _set("fitted.param_names", ["a", "b", "c", "d"]),
            r"do not match the SARIMAX these params make",
        ),
        (_set("scaler", {"target": None}), r"has no scaler and no training history"),
        (_set("calibration.count", -1), r"calibration must be null or"),
        (_set("calibration.steps", 99), r"calibration/scales"),
    ],
)
def test_a_malformed_baseline_file_is_refused(tmp_path, sarimax_file, change, message):
    data, _ = sarimax_file
    with pytest.raises(ModelFileError, match=message):
        _load(tmp_path, _edit(data, document=change))


def test_bad_baseline_tensors_and_members_are_refused(tmp_path, sarimax_file):
    data, _ = sarimax_file
    assert type(_load(tmp_path, data)) is SARIMAXForecaster

    def nan_params(arrays):
        arrays["sarimax/params"] = np.full_like(arrays["sarimax/params"], np.nan)

    with pytest.raises(ModelFileError, match=r"'sarimax/params' must be finite"):
        _load(tmp_path, _edit(data, tensors=nan_params))

    def zero_scales(arrays):
        arrays["calibration/scales"] = np.zeros_like(arrays["calibration/scales"])

    with pytest.raises(ModelFileError, match=r"calibration's scales must be positive"):
        _load(tmp_path, _edit(data, tensors=zero_scales))
    # A network beside a baseline is refused: a file holds one model.
    lstm = Forecaster(look_back=4, units=4, epochs=1, n_models=1, seed=0)
    lstm.fit(load_dataset("airline").iloc[:60])
    lstm.save(buffer_path := tmp_path / "lstm.lstmkit")
    mixed = dict(_members(data))
    mixed["model.json"] = _members(buffer_path.read_bytes())["model.json"]
    with pytest.raises(ModelFileError, match=r"a SARIMAXForecaster has no network"):
        _load(tmp_path, _archive(mixed))
    # A Forecaster's file without its network is refused too.
    lstm_members = _members(buffer_path.read_bytes())
    del lstm_members["weights.safetensors"]
    with pytest.raises(ModelFileError, match=r"missing \['weights.safetensors'\]"):
        _load(tmp_path, _archive(lstm_members))


def test_only_fitted_lstmkit_forecasters_are_saved(tmp_path):
    with pytest.raises(RuntimeError, match=r"SARIMAXForecaster is not fitted yet"):
        SARIMAXForecaster().save(tmp_path / "x.lstmkit")

    class Mine(NaiveForecaster):
        pass

    with pytest.raises(
        ValueError, match=r"save_forecaster saves a fitted Forecaster, Naive.*got Mine"
    ):
        Mine().fit(load_dataset("shampoo")).save(tmp_path / "mine.lstmkit")
