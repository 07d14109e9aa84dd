"""Bad or unusual input, forecasters: test data that does not follow the fitted data, new data
at another frequency, prepared series, values a network cannot use.

Every case asserts the exact error class and the key words of the message, or the correct
result. The LSTM is trained for one epoch on tiny data: only the checks are under test.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from lstmkit.forecast import (
    Forecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    prepare_series,
)

MONTHS = pd.date_range("2000-01-01", periods=48, freq="MS")
VALUES = 10 + 3 * np.sin(np.arange(48) / 2) + 0.1 * np.arange(48)
DATA = pd.DataFrame({"month": MONTHS.strftime("%Y-%m"), "sales": VALUES})
TRAIN, TEST = DATA.iloc[:40], DATA.iloc[40:]


def _lstm() -> Forecaster:
    return Forecaster(look_back=4, horizon=2, units=4, epochs=1, batch_size=8)


MAKERS = {
    "lstm": _lstm,
    "naive": NaiveForecaster,
    "seasonal": lambda: SeasonalNaiveForecaster(season=12),
}


@pytest.fixture(scope="module", params=list(MAKERS))
def fitted(request):
    return request.param, MAKERS[request.param]().fit(TRAIN)


# -- evaluate/walk_forward: the test data must follow the fitted data -----------------------------

NOT_FOLLOWING = {
    "the training rows": (
        DATA.iloc[:40],
        "the test data starts at 2000-01-01, but the data the forecaster was fitted on ends at "
        "2003-04-01: it must start at 2003-05-01",
    ),
    "earlier rows": (DATA.iloc[10:20], "starts at 2000-11-01"),
    "the last training rows again": (DATA.iloc[38:], "starts at 2003-03-01"),
    "a gap of a month": (DATA.iloc[41:], "starts at 2003-06-01"),
    "a year later": (
        DATA.iloc[40:].assign(month=MONTHS[40:48].shift(12, freq="MS").strftime("%Y-%m")),
        "starts at 2004-05-01",
    ),
}


@pytest.mark.parametrize("method", ["evaluate", "walk_forward"])
@pytest.mark.parametrize("case", list(NOT_FOLLOWING))
def test_test_data_that_does_not_follow_is_refused(fitted, case, method):
    _, model = fitted
    test, words = NOT_FOLLOWING[case]
    with pytest.raises(ValueError, match=re.escape(words)) as error:
        getattr(model, method)(test)
    assert "pass allow_gap=True to score it anyway" in str(error.value)


@pytest.mark.parametrize("case", ["earlier rows", "a gap of a month"])
def test_allow_gap_scores_it_anyway(fitted, case):
    _, model = fitted
    test, _ = NOT_FOLLOWING[case]
    scores = model.evaluate(test, allow_gap=True)
    assert set(scores) == {"rmse", "mae", "mape", "r2"} and np.isfinite(scores["rmse"])


def test_the_following_rows_are_scored(fitted):
    name, model = fitted
    scores = model.evaluate(TEST)
    forecast = model.walk_forward(TEST)
    assert forecast.shape == (8,) and np.isfinite(forecast).all()
    if name == "naive":
        np.testing.assert_allclose(forecast, VALUES[39:47])
        expected = np.sqrt(np.mean((VALUES[40:] - VALUES[39:47]) ** 2))
        assert scores["rmse"] == pytest.approx(expected)


def test_one_following_row_is_scored(fitted):
    _, model = fitted
    forecast = model.walk_forward(prepare_series(TEST.iloc[:2]).rows(0, 1))
    assert forecast.shape == (1,) and np.isfinite(forecast).all()


UNDATED = np.asarray(VALUES)

UNDATED_CASES = {
    "the training rows": (UNDATED[:40], "starts with rows 0..7 of the data the forecaster"),
    "earlier rows": (UNDATED[5:15], "starts with rows 5..12"),
    "the last rows again": (UNDATED[36:44], "starts with rows 36..39"),
}


@pytest.mark.parametrize("case", list(UNDATED_CASES))
def test_undated_test_data_repeating_fitted_rows_is_refused(case):
    model = NaiveForecaster().fit(UNDATED[:40])
    test, words = UNDATED_CASES[case]
    with pytest.raises(ValueError, match=re.escape(words)):
        model.evaluate(test)
    assert np.isfinite(model.evaluate(test, allow_gap=True)["rmse"])


def test_undated_following_rows_are_scored():
    model = NaiveForecaster().fit(UNDATED[:40])
    np.testing.assert_allclose(model.walk_forward(UNDATED[40:]), UNDATED[39:47])


IRREGULAR = pd.DataFrame(
    {
        "day": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06"] * 1)
        .append(pd.to_datetime(["2020-01-09", "2020-01-13", "2020-01-14", "2020-01-20"]))
        .strftime("%Y-%m-%d"),
        "v": np.arange(8.0),
    }
)


def test_irregular_dates_must_come_after_the_fitted_ones():
    model = NaiveForecaster().fit(IRREGULAR.iloc[:5])
    assert model.series_.freq is None
    with pytest.raises(ValueError, match=re.escape("starts at 2020-01-06, but the data")) as error:
        model.evaluate(IRREGULAR.iloc[3:])
    assert "it must start after it" in str(error.value)
    np.testing.assert_allclose(model.walk_forward(IRREGULAR.iloc[5:]), [4.0, 5.0, 6.0])


# -- predict(data=...): the data must run at the fitted frequency ---------------------------------

OTHER_FREQUENCIES = {
    "weekly": ("W-SUN", "the data's dates run at W-SUN"),
    "daily": ("D", "the data's dates run at D"),
    "quarterly": ("QS", "the data's dates run at QS-JAN"),
    "month ends": ("ME", "run at ME"),
}


@pytest.mark.parametrize("case", list(OTHER_FREQUENCIES))
def test_new_data_at_another_frequency_is_refused(fitted, case):
    _, model = fitted
    freq, words = OTHER_FREQUENCIES[case]
    dates = pd.date_range("2005-01-01", periods=30, freq=freq)
    data = pd.DataFrame({"month": dates.strftime("%Y-%m-%d"), "sales": VALUES[:30]})
    with pytest.raises(ValueError, match=re.escape(words)) as error:
        model.predict(steps=2, data=data)
    assert "fitted on data of frequency MS" in str(error.value)


def test_irregular_new_data_is_refused(fitted):
    _, model = fitted
    dates = MONTHS[:30].delete([3, 4, 5, 6, 7, 8, 9, 10])
    data = pd.DataFrame({"month": dates.strftime("%Y-%m"), "sales": VALUES[:22]})
    with pytest.raises(ValueError, match="run at no regular frequency"):
        model.predict(steps=2, data=data)


def test_new_data_at_the_same_frequency_is_forecast(fitted):
    _, model = fitted
    later = pd.DataFrame(
        {"month": pd.date_range("2010-03-01", periods=30, freq="MS"), "sales": VALUES[:30]}
    )
    future = model.predict_frame(steps=2, data=later)
    assert list(future.index) == [pd.Timestamp("2012-09-01"), pd.Timestamp("2012-10-01")]


# -- prepared series ------------------------------------------------------------------------------


def test_a_prepared_series_with_filled_gaps_is_fitted():
    skipped = DATA.drop(index=[7, 20])
    with pytest.raises(ValueError, match=re.escape("skip 2 of the 48 times")) as error:
        NaiveForecaster().fit(skipped)
    assert "fill='interpolate'" in str(error.value) and "prepare_series" in str(error.value)
    series = prepare_series(skipped, fill="interpolate")
    model = NaiveForecaster().fit(series.rows(0, 40))
    assert model.series_.freq == "MS" and len(model.series_.frame) == 40
    assert model.series_.frame["sales"].iloc[7] == pytest.approx(
        (VALUES[6] + VALUES[8]) / 2  # July and August have 31 days each
    )
    np.testing.assert_allclose(model.walk_forward(series.rows(40)), VALUES[39:47])


def test_a_prepared_series_read_day_first_is_fitted():
    day_first = DATA.assign(month=MONTHS.strftime("%d/%m/%Y"))
    with pytest.raises(ValueError, match="could be day-first or month-first") as error:
        NaiveForecaster().fit(day_first)
    hint = (
        "read the data with lstmkit.forecast.prepare_series(data, ...) and pass the Series it "
        "returns to NaiveForecaster"
    )
    assert hint in str(error.value)
    model = NaiveForecaster().fit(prepare_series(day_first, dayfirst=True).rows(0, 40))
    assert model.series_.frame.index[-1] == pd.Timestamp("2003-04-01")
    assert model.predict_frame(2).index[0] == pd.Timestamp("2003-05-01")


def test_a_prepared_series_of_another_target_is_refused():
    series = prepare_series(DATA.assign(other=VALUES), target="other")
    with pytest.raises(ValueError, match=re.escape("the Series forecasts ['other']")):
        NaiveForecaster(target="sales").fit(series)


def test_backtest_takes_a_prepared_series():
    series = prepare_series(DATA)
    frame = NaiveForecaster().backtest(series, start=44, steps=1)
    np.testing.assert_allclose(frame["forecast"], VALUES[43:47])


# -- values ---------------------------------------------------------------------------------------

FIT_REFUSED = {
    "inf": (np.inf, "column 'sales' holds inf (infinite) at row 5"),
    "NaN": (np.nan, "column 'sales' has a gap (NaN) at row 5"),
    "1e200": (1e200, "column 'sales' holds 1e+200 at row 5, beyond the float32 range"),
}


@pytest.mark.parametrize("maker", list(MAKERS))
@pytest.mark.parametrize("case", list(FIT_REFUSED))
def test_values_a_network_cannot_use_are_refused_before_fitting(case, maker):
    value, words = FIT_REFUSED[case]
    data = TRAIN.copy()
    data.loc[5, "sales"] = value
    model = MAKERS[maker]()
    with pytest.raises(ValueError, match=re.escape(words)):
        model.fit(data)
    assert not hasattr(model, "series_")
