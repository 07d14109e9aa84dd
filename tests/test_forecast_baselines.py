"""Reading a series, the shared forecaster interface, and the baselines against hand
computations on the shipped airline series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmkit.data import load_dataset
from lstmkit.forecast import (
    NaiveForecaster,
    SARIMAXForecaster,
    SeasonalNaiveForecaster,
    prepare_series,
)


@pytest.fixture(scope="module")
def airline() -> pd.DataFrame:
    return load_dataset("airline")


def test_dates_are_detected_and_become_the_index():
    for name, column, freq in [
        ("airline", "Date", "MS"),
        ("shampoo", "Time", "MS"),
        ("uschange", "Quarter", "QS"),
    ]:
        data = load_dataset(name)
        series = prepare_series(data, target=data.columns[1])
        assert series.date_column == column and series.freq.startswith(freq)
        assert isinstance(series.frame.index, pd.DatetimeIndex)
    quarterly = prepare_series(load_dataset("uschange"), target="Income", features=["Savings"])
    assert str(quarterly.frame.index[1].date()) == "1970-04-01"
    assert list(quarterly.frame.columns) == ["Savings", "Income"]


def test_naive_and_seasonal_naive_equal_hand_computations(airline):
    train, test = airline.iloc[:-24], airline.iloc[-24:]
    y = airline["Passengers"].to_numpy(float)
    for forecaster, expected in [
        (NaiveForecaster(), y[119:143]),
        (SeasonalNaiveForecaster(), y[108:132]),
    ]:
        forecast = forecaster.fit(train).walk_forward(test)
        np.testing.assert_array_equal(forecast, expected)
        scores = forecaster.evaluate(test)
        assert scores["rmse"] == pytest.approx(np.sqrt(np.mean((y[120:] - expected) ** 2)))
        assert scores["mae"] == pytest.approx(np.mean(np.abs(y[120:] - expected)))
    seasonal = SeasonalNaiveForecaster().fit(airline)
    np.testing.assert_array_equal(seasonal.predict(steps=24), np.tile(y[-12:], 2))
    frame = seasonal.predict_frame(steps=3)
    assert list(frame.index.strftime("%Y-%m")) == ["1961-01", "1961-02", "1961-03"]


def test_sarimax_airline_model(airline):
    """The airline model on logs, one step ahead over 1959-1960: RMSE 15.28 measured, against
    seasonal naive 49.99; the one-pass walk-forward equals one forecast per row."""
    train, test = airline.iloc[:-24], airline.iloc[-24:]
    model = SARIMAXForecaster(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12), log=True).fit(train)
    scores = model.evaluate(test)
    assert scores["rmse"] < 20.0
    fast = model.walk_forward(test.iloc[:3])
    slow = [model.predict(steps=1, data=airline.iloc[: 120 + i])[0] for i in range(3)]
    np.testing.assert_allclose(fast, slow, rtol=1e-8)
    assert SARIMAXForecaster().fit(train).seasonal_order_ == (0, 1, 1, 12)


@pytest.mark.parametrize("refit", [False, True])
def test_backtest_equals_a_hand_loop(airline, refit):
    frame = NaiveForecaster().backtest(airline, start=130, stride=5, steps=3, refit=refit)
    y = airline["Passengers"].to_numpy(float)
    rows = [(o, s) for o in range(130, 144, 5) for s in range(1, min(3, 144 - o) + 1)]
    assert list(zip(frame["origin"], frame["step"], strict=True)) == rows
    np.testing.assert_array_equal(frame["forecast"], [y[o - 1] for o, _ in rows])
    np.testing.assert_array_equal(frame["actual"], [y[o + s - 1] for o, s in rows])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: prepare_series(d, target="Sales"), r"target 'Sales' is not a column"),
        (lambda d: prepare_series(d, target="Date"), r"target column 'Date' is not numeric"),
        (
            lambda d: prepare_series(
                d.assign(Passengers=d["Passengers"].where(d.index != 5)), target="Passengers"
            ),
            r"column 'Passengers' has a gap \(NaN\) at row 5",
        ),
        (lambda d: prepare_series(d.iloc[:1], target="Passengers"), r"at least 2 rows"),
        (
            lambda d: prepare_series(d.iloc[::-1], target="Passengers"),
            r"must increase without repeats",
        ),
        (lambda d: NaiveForecaster().predict(3), r"call fit first"),
        (lambda d: NaiveForecaster().fit(d).predict(0), r"steps must be a positive integer"),
        (lambda d: SeasonalNaiveForecaster(season=200).fit(d), r"season=200 is longer"),
        (
            lambda d: SeasonalNaiveForecaster().fit(d["Passengers"].to_numpy()),
            r"cannot infer the season",
        ),
    ],
)
def test_bad_input_is_a_clear_error(airline, call, message):
    with pytest.raises((ValueError, RuntimeError), match=message):
        call(airline)
