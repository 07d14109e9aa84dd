"""Saving and loading a fitted Forecaster: bit-identical forecasts after a round trip, what
cannot be saved, the model file and the forecaster file told apart, and files that must not
load."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays
from sklearn.preprocessing import MinMaxScaler

import lstmkit.saving
from lstmkit import optimizers
from lstmkit.data import load_dataset
from lstmkit.forecast import Forecaster, load_forecaster
from lstmkit.models import load_model
from lstmkit.saving import ModelFileError
from lstmkit.training.callbacks import History

CALLS: list[str] = []


def trap(*args, **kwargs):
    """A callable a hostile file could name; it must never run."""
    CALLS.append("called")
    raise AssertionError("code named in a file was executed")


def _small(**kwargs) -> Forecaster:
    params = {"look_back": 4, "units": 8, "epochs": 2, "batch_size": 16, "seed": 0}
    return Forecaster(**{**params, **kwargs})


def _undated() -> np.ndarray:
    t = np.arange(60, dtype=np.float64)
    return 10.0 + 0.3 * t + np.sin(t / 3.0)


#: name → (forecaster, data, rows held out, steps to forecast)
CASES = {
    "airline_default": (lambda: _small(), "airline", 24, 3),
    # 14 steps: past the 12-step horizon, and past the season the seasonal lags reach back to.
    "airline_seasonal_differences": (lambda: _small(difference="seasonal"), "airline", 24, 14),
    "airline_log_levels_standard_horizon_stack": (
        lambda: _small(
            log=True, difference=False, scaler="standard", horizon=3, layers=2, dropout=0.2
        ),
        "airline",
        24,
        5,  # beyond the horizon: recursive
    ),
    "uschange_features": (
        lambda: _small(target="Consumption", features=["Income", "Production"], horizon=2),
        "uschange",
        12,
        2,
    ),
    "uschange_two_targets_no_scaler": (
        lambda: _small(target=["Consumption", "Income"], features=("Production",), scaler=None),
        "uschange",
        12,
        1,
    ),
    "undated_minmax": (lambda: _small(), "undated", 10, 4),
    "undated_standard_levels": (
        lambda: _small(scaler="standard", difference=False),
        "undated",
        10,
        6,
    ),
}


def _data(name: str):
    return _undated() if name == "undated" else load_dataset(name)


def _split(data, held_out: int):
    return data[:-held_out], data[-held_out:]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> dict[str, tuple[Forecaster, Forecaster, object, object, int]]:
    """Each case fitted, saved and loaded back: name → (fitted, loaded, train, test, steps)."""
    folder = tmp_path_factory.mktemp("forecasters")
    out = {}
    for name, (make, data_name, held_out, steps) in CASES.items():
        train, test = _split(_data(data_name), held_out)
        forecaster = make().fit(train)
        path = folder / f"{name}.lstmkit"
        forecaster.save(path)
        out[name] = (forecaster, load_forecaster(path), train, test, steps)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_loaded_forecaster_forecasts_bit_for_bit(fitted, name):
    saved, loaded, train, test, steps = fitted[name]
    assert type(loaded) is Forecaster
    params = saved.get_params()
    if isinstance(params["features"], tuple):
        params["features"] = list(params["features"])  # JSON has lists
    assert loaded.get_params() == params
    np.testing.assert_array_equal(loaded.predict(steps), saved.predict(steps))
    np.testing.assert_array_equal(loaded.predict(1), saved.predict(1))
    shorter = train[:-5]
    np.testing.assert_array_equal(
        loaded.predict(steps, data=shorter), saved.predict(steps, data=shorter)
    )
    pd.testing.assert_frame_equal(loaded.predict_frame(steps), saved.predict_frame(steps))
    np.testing.assert_array_equal(loaded.walk_forward(test), saved.walk_forward(test))
    assert loaded.evaluate(test) == saved.evaluate(test)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_fitted_state_comes_back(fitted, name):
    saved, loaded, _, _, _ = fitted[name]
    pd.testing.assert_frame_equal(loaded.series_.frame, saved.series_.frame, check_exact=True)
    assert type(loaded.series_.frame.index) is type(saved.series_.frame.index)
    for field in ("target", "features", "date_column", "freq"):
        assert getattr(loaded.series_, field) == getattr(saved.series_, field)
    assert loaded.target_names_ == saved.target_names_
    assert loaded.n_targets_ == saved.n_targets_
    assert (loaded.difference_, loaded.lags_) == (saved.difference_, saved.lags_)
    if name == "airline_seasonal_differences":
        assert loaded.lags_ == (12,)
    for a, b in zip(saved.model_.get_weights(), loaded.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert isinstance(loaded.history_, History)
    assert loaded.history_.history == saved.history_.history
    assert loaded.history_.epoch == saved.history_.epoch == [0, 1]
    if saved.scaler_ is None:
        assert loaded.scaler_ is None
        return
    assert type(loaded.scaler_.target_scaler_) is type(saved.scaler_.target_scaler_)
    frame = saved._differenced(saved._levels(saved.series_.frame))
    scaled = saved.scaler_.transform(frame)
    pd.testing.assert_frame_equal(loaded.scaler_.transform(frame), scaled, check_exact=True)
    values = scaled[saved.target_names_].to_numpy()
    np.testing.assert_array_equal(
        loaded.scaler_.inverse_transform_target(values),
        saved.scaler_.inverse_transform_target(values),
    )


def test_dated_and_undated_indexes_come_back(fitted):
    dated = fitted["uschange_features"][1]
    index = dated.predict_frame(2).index
    assert isinstance(index, pd.DatetimeIndex)
    assert list(index.strftime("%Y-%m")) == ["2013-10", "2014-01"]
    assert dated.series_.frame.index.name == "Quarter"
    undated = fitted["undated_minmax"][1]
    assert undated.predict_frame(4).index.equals(pd.RangeIndex(50, 54))


def test_a_loaded_forecaster_refits_like_the_saved_one(fitted):
    saved, loaded, train, _, _ = fitted["airline_default"]
    np.testing.assert_array_equal(loaded.fit(train).predict(3), saved.predict(3))


def test_the_functions_are_exported_where_documented(fitted, tmp_path):
    saved = fitted["airline_default"][0]
    lstmkit.saving.save_forecaster(saved, tmp_path / "forecaster.lstmkit")
    loaded = lstmkit.saving.load_forecaster(tmp_path / "forecaster.lstmkit")
    np.testing.assert_array_equal(loaded.predict(3), saved.predict(3))
    assert lstmkit.forecast.load_forecaster is load_forecaster


# -- what cannot be saved ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"scaler": MinMaxScaler(feature_range=(-1, 1))},
        {"optimizer": optimizers.Adam(learning_rate=0.01)},
        {"loss": lambda y_true, y_pred: torch.mean((y_true - y_pred) ** 2, dim=-1)},
    ],
    ids=["scaler_object", "optimizer_object", "loss_function"],
)
def test_parameters_that_are_not_json_data_are_refused(tmp_path, params):
    forecaster = _small(epochs=1, **params).fit(_undated())
    (name,) = params
    with pytest.raises(ValueError, match=rf"{name}=.*only JSON data.*'minmax', 'standard' or None"):
        forecaster.save(tmp_path / "forecaster.lstmkit")
    assert os.listdir(tmp_path) == []


def test_unfitted_forecasters_and_keras_names_are_refused(tmp_path):
    with pytest.raises(RuntimeError, match=r"not fitted yet.*call fit first"):
        _small().save(tmp_path / "forecaster.lstmkit")
    forecaster = _small(epochs=1).fit(_undated())
    for name in ("forecaster.h5", "forecaster.keras"):
        with pytest.raises(ValueError, match=r"a Keras format\. lstmkit writes its own format"):
            forecaster.save(tmp_path / name)
    forecaster.save(tmp_path / "forecaster.lstmkit")
    with pytest.raises(FileExistsError, match=r"overwrite=False"):
        forecaster.save(tmp_path / "forecaster.lstmkit", overwrite=False)
    with pytest.raises(FileNotFoundError, match=r"no such file"):
        load_forecaster(tmp_path / "never_saved.lstmkit")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    data = _undated()
    old = _small(epochs=1).fit(data)
    path = tmp_path / "forecaster.lstmkit"
    old.save(path)
    new = _small(epochs=1, look_back=6).fit(data)

    from lstmkit.saving import files

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "_fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        new.save(path)
    assert os.listdir(tmp_path) == ["forecaster.lstmkit"]
    again = load_forecaster(path)
    assert again.look_back == 4
    np.testing.assert_array_equal(again.predict(3), old.predict(3))


# -- the two formats told apart ----------------------------------------------------------------


def test_load_model_and_load_forecaster_name_each_other(tmp_path, fitted):
    saved = fitted["airline_default"][0]
    saved.save(tmp_path / "forecaster.lstmkit")
    with pytest.raises(
        ModelFileError, match=r"holds a fitted Forecaster.*lstmkit\.forecast\.load_forecaster"
    ):
        load_model(tmp_path / "forecaster.lstmkit")
    saved.model_.save(tmp_path / "model.lstmkit")
    with pytest.raises(ModelFileError, match=r"holds a model.*lstmkit\.models\.load_model"):
        load_forecaster(tmp_path / "model.lstmkit")
    # The network alone still loads as a model.
    x = np.zeros((2, *saved.model_.input_shape[1:]), "float32")
    np.testing.assert_array_equal(load_model(tmp_path / "model.lstmkit").predict(x),
                                  saved.model_.predict(x))  # fmt: skip


# -- files that must not load ------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_file(tmp_path_factory) -> tuple[bytes, Forecaster]:
    """A dated forecaster with features and a scaler: every kind of member and tensor."""
    path = tmp_path_factory.mktemp("saved") / "forecaster.lstmkit"
    forecaster = _small(epochs=1, target="Consumption", features=["Income"], horizon=2)
    forecaster.fit(load_dataset("uschange").iloc[:60])
    forecaster.save(path)
    return path.read_bytes(), forecaster


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _archive(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _load(tmp_path, data: bytes, **kwargs) -> Forecaster:
    path = tmp_path / "suspect.lstmkit"
    path.write_bytes(data)
    return load_forecaster(path, **kwargs)


def _with_document(data: bytes, change) -> bytes:
    members = _members(data)
    document = json.loads(members["forecaster.json"])
    change(document)
    members["forecaster.json"] = json.dumps(document).encode()
    return _archive(members)


def test_the_intact_file_loads_and_members_are_stored_in_order(tmp_path, saved_file):
    data, forecaster = saved_file
    np.testing.assert_array_equal(_load(tmp_path, data).predict(2), forecaster.predict(2))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == [
        "lstmkit.json",
        "model.json",
        "weights.safetensors",
        "compile.json",
        "state.json",
        "state.safetensors",
        "one_step/model.json",
        "one_step/weights.safetensors",
        "forecaster.json",
        "series.safetensors",
    ]
    assert all(info.compress_type == zipfile.ZIP_STORED for info in infos)
    meta = json.loads(_members(data)["lstmkit.json"])
    assert meta["format"] == "lstmkit-forecaster" and meta["format_version"] == 2
    arrays = load_arrays(_members(data)["series.safetensors"])
    assert arrays["frame"].dtype == np.float64 and arrays["frame"].shape == (60, 2)
    assert arrays["index"].dtype == np.int64 and arrays["index"].shape == (60,)


def test_every_truncation_is_refused(tmp_path, saved_file):
    data, _ = saved_file
    offsets = sorted({0, 1, 8, 30, len(data) - 1, len(data) - 22, *range(0, len(data), 173)})
    for offset in offsets:
        with pytest.raises(ModelFileError, match=r"cannot load"):
            _load(tmp_path, data[:offset])


def test_flipped_bytes_are_refused_or_harmless(tmp_path, saved_file):
    data, forecaster = saved_file
    expected = forecaster.predict(2)
    refused = 0
    positions = range(0, len(data), max(1, len(data) // 150))
    for position in positions:
        corrupt = bytearray(data)
        corrupt[position] ^= 0x5A
        try:
            loaded = _load(tmp_path, bytes(corrupt))
        except ModelFileError:
            refused += 1
            continue
        # A flip in a field nothing reads (a timestamp, an attribute) changes nothing.
        np.testing.assert_array_equal(loaded.predict(2), expected)
    assert refused >= 0.8 * len(positions)


def test_a_tensor_of_the_wrong_shape_or_dtype_is_refused(tmp_path, saved_file):
    data, _ = saved_file
    members = _members(data)
    arrays = load_arrays(members["series.safetensors"])
    for name, value, message in [
        ("frame", np.zeros((59, 2)), r"'frame' should have shape \(60, 2\)"),
        ("frame", arrays["frame"].astype("float32"), r"'frame' should be torch.float64"),
        ("index", arrays["index"][:-1], r"'index' should have shape \(60,\)"),
        ("scaler/target/scale_", np.ones(2), r"'scaler/target/scale_' should have shape \(1,\)"),
    ]:
        changed = dict(arrays, **{name: value})
        members["series.safetensors"] = save_arrays(changed)
        with pytest.raises(ModelFileError, match=message):
            _load(tmp_path, _archive(members))
    del arrays["index"]
    members["series.safetensors"] = save_arrays(arrays)
    with pytest.raises(ModelFileError, match=r"missing \['index'\]"):
        _load(tmp_path, _archive(members))


@pytest.mark.parametrize(
    "name",
    ["builtins.eval", "os.system", "test_forecast_saving.trap", "SARIMAXForecaster"],
)
def test_a_file_naming_classes_or_code_is_refused_and_nothing_runs(tmp_path, saved_file, name):
    data, _ = saved_file
    changes = {
        "class_name": lambda d: d.update(class_name=name),
        "scaler": lambda d: d["params"].update(scaler=name),
        "optimizer_object": lambda d: d["params"].update(
            optimizer={"class_name": name, "config": {}}
        ),
        "loss_custom": lambda d: d["params"].update(loss={"__custom__": name}),
    }
    for where, change in changes.items():
        with pytest.raises(ModelFileError, match=r"cannot load '.*forecaster\.json") as error:
            _load(tmp_path, _with_document(data, change))
        assert "Traceback" not in str(error.value), where
    # The network's own member refuses names too.
    members = _members(data)
    model = json.loads(members["model.json"])
    model["class_name"] = name
    members["model.json"] = json.dumps(model).encode()
    with pytest.raises(ModelFileError, match=r"unknown model class"):
        _load(tmp_path, _archive(members))
    assert CALLS == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda d: d.pop("history"), r"must have exactly the keys", id="no_history_key"
        ),
        pytest.param(
            lambda d: d["params"].update(look_back="4"),
            r"params\.look_back must be null or an integer",
            id="look_back_text",
        ),
        pytest.param(
            lambda d: d["params"].update(dropout=True),
            r"params\.dropout must be a number",
            id="dropout_bool",
        ),
        pytest.param(
            lambda d: d["params"].update(units=0),
            r"invalid params.*units must be a positive",
            id="units_zero",
        ),
        pytest.param(
            lambda d: d["fitted"]["resolved"].update(look_back=6),
            r"network does not fit the forecaster",
            id="look_back_other",
        ),
        pytest.param(
            lambda d: d["fitted"]["resolved"].update(horizon=1),
            r"network does not fit the forecaster",
            id="horizon_other",
        ),
        pytest.param(
            lambda d: d["params"].update(scaler=None), r"scaler must be null", id="scaler_dropped"
        ),
        pytest.param(
            lambda d: d["params"].update(scaler="standard"),
            r"missing \[.*'scaler/target/mean_'",
            id="scaler_other",
        ),
        pytest.param(
            lambda d: d["series"].update(columns=["Consumption", "Income"]),
            r"features then",
            id="columns_reordered",
        ),
        pytest.param(
            lambda d: d["series"].update(rows=10**12),
            r"should have shape \(1000000000000, 2\)",
            id="rows_huge",
        ),
        pytest.param(
            lambda d: d["series"].update(rows=True),
            r"series\.rows must be an integer",
            id="rows_bool",
        ),
        pytest.param(
            lambda d: d["series"].update(freq="every tuesday"),
            r"series\.freq must be null",
            id="freq_invalid",
        ),
        pytest.param(
            lambda d: d["series"].update(date_column=None, freq=None),
            r"undated series must be",
            id="date_column_dropped",
        ),
        pytest.param(
            lambda d: d["series"]["index"].update(unit="D"), r"unit must be one of", id="unit_days"
        ),
        pytest.param(
            lambda d: d["series"]["index"].update(freq="D"),
            r"invalid date or freq",
            id="index_freq_wrong",
        ),
        pytest.param(
            lambda d: d["fitted"].update(n_targets_=2), r"fitted must be", id="n_targets_wrong"
        ),
        pytest.param(
            lambda d: d["scaler"]["target"].update(n_samples_seen_="60"),
            r"scaler\.target must",
            id="n_samples_text",
        ),
        pytest.param(
            lambda d: d["scaler"].update(feature=None),
            r"scaler\.feature must be",
            id="feature_scaler_dropped",
        ),
        pytest.param(
            lambda d: d["history"]["history"].update(loss=["nan"]),
            r"history must be",
            id="history_text",
        ),
        pytest.param(
            lambda d: d.update(params=[]), r"params must have exactly the keys", id="params_list"
        ),
    ],
)
def test_a_malformed_forecaster_json_is_refused(tmp_path, saved_file, change, message):
    data, _ = saved_file
    with pytest.raises(ModelFileError, match=message):
        _load(tmp_path, _with_document(data, change))


def test_bad_series_values_are_refused(tmp_path, saved_file):
    data, _ = saved_file
    members = _members(data)
    arrays = load_arrays(members["series.safetensors"])
    frame = arrays["frame"].copy()
    frame[3, 1] = np.nan
    members["series.safetensors"] = save_arrays(dict(arrays, frame=frame))
    with pytest.raises(ModelFileError, match=r"'frame' has NaN"):
        _load(tmp_path, _archive(members))
    index = arrays["index"].copy()
    index[[4, 5]] = index[[5, 4]]
    members["series.safetensors"] = save_arrays(dict(arrays, index=index))
    with pytest.raises(ModelFileError, match=r"dates of 'index' must increase"):
        _load(tmp_path, _archive(members))


def test_a_newer_format_and_foreign_members_are_refused(tmp_path, saved_file):
    data, _ = saved_file
    members = _members(data)
    newer = dict(members)
    newer["lstmkit.json"] = json.dumps(
        {"format": "lstmkit-forecaster", "format_version": 3, "lstmkit_version": "9.0"}
    ).encode()
    with pytest.raises(ModelFileError, match=r"format version 3 .* upgrade lstmkit"):
        _load(tmp_path, _archive(newer))
    with pytest.raises(ModelFileError, match=r"unexpected members in the archive: \['notes"):
        _load(tmp_path, _archive(dict(members, **{"notes.txt": b"hi"})))
    missing = {k: v for k, v in members.items() if k != "series.safetensors"}
    with pytest.raises(ModelFileError, match=r"not an lstmkit forecaster file: missing"):
        _load(tmp_path, _archive(missing))
    with pytest.raises(ModelFileError, match=r"compressed; lstmkit stores members uncompressed"):
        _load(tmp_path, _archive(members, compression=zipfile.ZIP_DEFLATED))
    with pytest.raises(ModelFileError, match=r"more than max_bytes=1,000"):
        _load(tmp_path, data, max_bytes=1000)
    with pytest.raises(ModelFileError, match=r"not a readable zip archive"):
        _load(tmp_path, b"just some text, not a forecaster")


def test_import_lstmkit_stays_light():
    """pandas, scikit-learn, matplotlib and statsmodels load with the forecasting and saving
    functions that need them, not with ``import lstmkit`` (about 1 s and 100 MiB of a process)."""
    import subprocess
    import sys

    code = (
        "import sys, lstmkit, lstmkit.saving, lstmkit.models;"
        "print(sorted(m for m in ('pandas', 'sklearn', 'matplotlib', 'statsmodels') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_one_step_members_must_match_the_document(tmp_path, saved_file):
    data, forecaster = saved_file
    assert forecaster.one_step_ is not None
    members = _members(data)
    without = {k: v for k, v in members.items() if not k.startswith("one_step/")}
    with pytest.raises(ModelFileError, match="one_step is true, but the file holds the one-step"):
        _load(tmp_path, _archive(without))
    # Another network in their place: the main one, which reads windows of other columns.
    swapped = {
        **members,
        "one_step/model.json": members["model.json"],
        "one_step/weights.safetensors": members["weights.safetensors"],
    }
    with pytest.raises(ModelFileError, match="the one-step network does not fit"):
        _load(tmp_path, _archive(swapped))


def test_a_file_of_format_version_1_still_loads(tmp_path):
    """Files written before the defaults were resolved from the data hold the params without
    season, calendar, n_models and learning_rate, and no resolved values: they load as the
    single network on the given look-back, horizon and log they were."""
    forecaster = _small(
        n_models=1, calendar=None, log=False, horizon=2, difference=True, one_step=False
    )
    forecaster.fit(load_dataset("airline").iloc[:60])
    forecaster.save(tmp_path / "new.lstmkit")

    def version_1(document):
        for name in ("season", "calendar", "n_models", "learning_rate", "one_step"):
            del document["params"][name]
        # Version 1's difference was true or false, and said what the fit did.
        assert document["params"]["difference"] is True
        document["params"].update(look_back=4, horizon=2, log=False, batch_size=16)
        del document["fitted"]["resolved"]

    data = _with_document((tmp_path / "new.lstmkit").read_bytes(), version_1)
    loaded = _load(tmp_path, data)
    assert (loaded.look_back_, loaded.horizon_, loaded.log_, loaded.n_models) == (4, 2, False, 1)
    assert loaded.calendar_ is None
    np.testing.assert_array_equal(loaded.predict(steps=2), forecaster.predict(steps=2))
