"""The sequence-data toolkit against direct loops, scikit-learn and hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from lstmkit.data import (
    SeriesScaler,
    create_dataset,
    dataset_path,
    load_dataset,
    mae,
    make_windows,
    mape,
    one_hot_decode,
    one_hot_encode,
    r2,
    rmse,
    series_to_supervised,
    smape,
    train_test_split,
)

RNG = np.random.default_rng(0)


def test_series_to_supervised_classic_example():
    framed = series_to_supervised(list(range(10)), 1, 1)
    assert list(framed.columns) == ["var1(t-1)", "var1(t)"]
    assert len(framed) == 9
    np.testing.assert_array_equal(framed.to_numpy(), [[i, i + 1] for i in range(9)])
    kept = series_to_supervised(list(range(10)), 2, 2, dropnan=False)
    assert list(kept.columns) == ["var1(t-2)", "var1(t-1)", "var1(t)", "var1(t+1)"]
    assert len(kept) == 10 and kept.isna().to_numpy().sum() == 3 + 1


@pytest.mark.parametrize("trial", range(20))
def test_series_to_supervised_equals_a_direct_loop(trial):
    rng = np.random.default_rng(trial)
    n, k = rng.integers(6, 20), rng.integers(1, 4)
    n_in, n_out = rng.integers(0, 4), rng.integers(1, 3)
    data = rng.normal(size=(n, k))
    framed = series_to_supervised(data, n_in, n_out)
    rows = [
        np.concatenate([data[t + s] for s in range(-n_in, n_out)])
        for t in range(n_in, n - n_out + 1)
    ]
    np.testing.assert_array_equal(framed.to_numpy(), np.array(rows).reshape(len(rows), -1))


def test_series_to_supervised_keeps_dataframe_names_and_w1_frame():
    data = load_dataset("uschange")[["Consumption", "Income", "Production"]]
    framed = series_to_supervised(data, 5, 1)
    framed = framed.drop(columns=["Income(t)", "Production(t)"])
    assert framed.shape == (187 - 5, 16)
    assert framed.columns[0] == "Consumption(t-5)" and framed.columns[-1] == "Consumption(t)"
    assert framed.index[0] == 5


@pytest.mark.parametrize("trial", range(20))
def test_make_windows_equals_a_direct_loop(trial):
    rng = np.random.default_rng(100 + trial)
    n, k = rng.integers(8, 30), rng.integers(1, 4)
    look_back, horizon, stride = rng.integers(1, 5), rng.integers(1, 4), rng.integers(1, 3)
    data = rng.normal(size=(n, k))
    targets = [0, k - 1]
    X, y = make_windows(data, look_back, horizon, target=targets, stride=stride)
    starts = range(0, n - look_back - horizon + 1, stride)
    np.testing.assert_array_equal(X, [data[s : s + look_back] for s in starts])
    np.testing.assert_array_equal(
        y, [data[s + look_back : s + look_back + horizon][:, targets] for s in starts]
    )
    X1, y1 = make_windows(data, look_back, horizon, target=0, stride=stride)
    assert y1.shape == (len(starts), horizon) and X1.shape == (len(starts), look_back, k)


def test_make_windows_on_a_dataframe_with_named_target_and_features():
    frame = load_dataset("uschange")
    X, y = make_windows(frame, 4, 2, target="Consumption", features=["Income", "Consumption"])
    assert X.shape == (187 - 5, 4, 2) and y.shape == (182, 2)
    assert X[0, 0, 1] == frame["Consumption"].iloc[0] and y[0, 0] == frame["Consumption"].iloc[4]


@pytest.mark.parametrize("trial", range(10))
def test_create_dataset_is_the_tutorial_function(trial):
    rng = np.random.default_rng(200 + trial)
    series = rng.normal(size=rng.integers(5, 30))
    look_back = int(rng.integers(1, 4))
    X, y = create_dataset(series[:, None], look_back)
    data_x, data_y = [], []
    for i in range(len(series) - look_back - 1):  # the tutorial's loop, off-by-one included
        data_x.append(series[i : i + look_back])
        data_y.append(series[i + look_back])
    np.testing.assert_array_equal(X, data_x)
    np.testing.assert_array_equal(y, data_y)


def test_one_hot_round_trip():
    encoded = one_hot_encode([3, 0, 2], 4)
    np.testing.assert_array_equal(encoded, [[0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]])
    assert one_hot_decode(encoded) == [3, 0, 2]
    assert one_hot_decode(np.stack([encoded, encoded])) == [[3, 0, 2], [3, 0, 2]]
    with pytest.raises(ValueError, match=r"values must be in \[0, 4\); got 4"):
        one_hot_encode([4], 4)


def test_chronological_split_never_shuffles():
    X, y = np.arange(10)[:, None], np.arange(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    assert X_train.shape == (7, 1) and X_test.shape == (3, 1)
    np.testing.assert_array_equal(y_train, np.arange(7))  # ceil(2.5) = 3 rows for the test
    np.testing.assert_array_equal(y_test, [7, 8, 9])
    frame = load_dataset("airline")
    train, test = train_test_split(frame, test_size=24)
    assert len(test) == 24 and test.index[0] == 120 and train.index[-1] == 119


@pytest.mark.parametrize("scaler", [MinMaxScaler(), StandardScaler()])
def test_scaler_is_fitted_on_the_training_part_only(scaler):
    frame = load_dataset("airline")
    train, test = train_test_split(frame, test_size=24)
    fitted = SeriesScaler(target="Passengers", scaler=scaler).fit(train)
    reference = clone(scaler).fit(train[["Passengers"]].to_numpy(float))
    for attribute in ("data_min_", "data_max_", "mean_", "scale_"):
        if hasattr(reference, attribute):
            np.testing.assert_array_equal(
                getattr(fitted.target_scaler_, attribute), getattr(reference, attribute)
            )
    scaled = fitted.transform(test)
    assert isinstance(scaled, pd.DataFrame) and list(scaled.columns) == ["Date", "Passengers"]
    assert scaled["Date"].equals(test["Date"])  # the date column passes through
    if isinstance(scaler, MinMaxScaler):
        assert scaled["Passengers"].max() > 1.0  # the test part is beyond the training range
    assert scaler.__dict__.get("n_features_in_") is None  # the given scaler is never fitted


@pytest.mark.parametrize("scaler", [MinMaxScaler(), StandardScaler()])
@pytest.mark.parametrize("shape", [(20,), (20, 1), (5, 4), (5, 4, 1)])
def test_inverse_transform_target_round_trips_one_target(scaler, shape):
    frame = load_dataset("uschange")
    fitted = SeriesScaler(target="Consumption", features=["Income"], scaler=scaler).fit(frame)
    original = RNG.normal(size=shape)
    scaled = fitted.target_scaler_.transform(original.reshape(-1, 1)).reshape(shape)
    np.testing.assert_allclose(fitted.inverse_transform_target(scaled), original, atol=1e-12)


@pytest.mark.parametrize("shape", [(20, 3), (5, 4, 3)])
def test_inverse_transform_target_round_trips_three_targets(shape):
    frame = load_dataset("uschange")
    targets = ["Consumption", "Income", "Savings"]
    fitted = SeriesScaler(target=targets).fit(frame)
    scaled = fitted.transform(frame)
    back = fitted.inverse_transform(scaled)
    pd.testing.assert_frame_equal(back, frame, atol=1e-12)
    original = RNG.normal(size=shape)
    flat = fitted.target_scaler_.transform(original.reshape(-1, 3)).reshape(shape)
    np.testing.assert_allclose(fitted.inverse_transform_target(flat), original, atol=1e-12)
    with pytest.raises(ValueError, match="last axis of y_scaled must be 3"):
        fitted.inverse_transform_target(np.zeros((4, 2)))


def test_scaler_on_arrays_and_params():
    data = RNG.normal(size=(30, 3))
    fitted = SeriesScaler(target=2).fit(data)
    scaled = fitted.transform(data)
    assert scaled.shape == data.shape
    np.testing.assert_allclose(scaled.min(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(fitted.inverse_transform_target(scaled[:, 2]), data[:, 2])
    assert clone(fitted).get_params() == {"target": 2, "features": None, "scaler": None}


def test_scores_against_hand_computed_values():
    assert smape([100, 200], [110, 180]) == pytest.approx(100 / 2 * (2 * 10 / 210 + 2 * 20 / 380))
    assert smape([0, 1], [0, 1]) == 0.0
    assert rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(np.sqrt(4 / 3))
    assert mae([1, 2, 3], [1, 2, 5]) == pytest.approx(2 / 3)
    assert mape([100, 200], [110, 180]) == pytest.approx(10.0)
    assert r2([1, 2, 3], [1, 2, 3]) == 1.0
    with pytest.raises(ValueError, match="mape is undefined where y_true is 0"):
        mape([0, 1], [1, 1])
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(3,\)"):
        rmse([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="NaN"):
        mae([1, np.nan], [1, 2])


def test_datasets_load_with_their_documented_rows():
    for name, rows, columns in [
        ("airline", 144, ["Date", "Passengers"]),
        ("shampoo", 36, ["Time", "Sales"]),
        (
            "uschange",
            187,
            ["Quarter", "Consumption", "Income", "Production", "Savings", "Unemployment"],
        ),
    ]:
        frame = load_dataset(name)
        assert frame.shape == (rows, len(columns)) and list(frame.columns) == columns
        assert not frame.isna().to_numpy().any()
        assert dataset_path(name).is_file()
    with pytest.raises(ValueError, match=r"unknown dataset 'sunspots'; the datasets are"):
        load_dataset("sunspots")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_windows(np.arange(10.0), 10), r"needs at least 11 rows; the series has 10"),
        (lambda: make_windows(np.zeros((9, 2)), 2), r"say which is the target"),
        (lambda: make_windows(load_dataset("airline"), 3, target="Sales"), r"'Sales' is not a"),
        (
            lambda: make_windows(load_dataset("airline"), 3, target="Passengers", features=[0]),
            r"column 'Date' holds '1949-01'",
        ),
        (lambda: make_windows([1.0, np.nan, 2.0, 3.0], 1), r"has NaN at row 1"),
        (lambda: make_windows(np.arange(5.0), 0), r"look_back must be a positive integer"),
        (lambda: train_test_split(np.arange(5), test_size=5), r"leaves an empty"),
        (lambda: SeriesScaler(target="Date").fit(load_dataset("airline")), r"not numeric"),
        (lambda: SeriesScaler(target="y").fit(load_dataset("airline")), r"'y' is not a column"),
        (lambda: create_dataset(np.arange(3.0), 2), r"needs at least 4 values"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
