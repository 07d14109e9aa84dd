"""The LSTM Forecaster: transforms that invert exactly, no leak, direct and recursive forecasts,
walk-forward, and learning on the shipped airline series against the baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from lstmkit.data import load_dataset
from lstmkit.forecast import (
    Forecaster,
    NaiveForecaster,
    SARIMAXForecaster,
    SeasonalNaiveForecaster,
)


@pytest.fixture(scope="module")
def airline() -> pd.DataFrame:
    return load_dataset("airline")


@pytest.fixture(scope="module")
def airline_scores(airline: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Every forecaster fitted on 1949-1958 and scored one step ahead on 1959-1960."""
    train, test = airline.iloc[:-24], airline.iloc[-24:]
    forecasters = {
        "lstm": Forecaster(),
        "naive": NaiveForecaster(),
        "seasonal_naive": SeasonalNaiveForecaster(),
        "sarimax": SARIMAXForecaster(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12), log=True),
    }
    return {name: f.fit(train).evaluate(test) for name, f in forecasters.items()}


def test_default_forecaster_beats_seasonal_naive_on_airline(airline_scores):
    lstm, seasonal = airline_scores["lstm"]["rmse"], airline_scores["seasonal_naive"]["rmse"]
    # Measured: seasonal naive 49.99; the default Forecaster one step ahead (the mean of the
    # direct network's first step and the one-step network's forecast) 13.97 (seed 0;
    # 13.13-14.32 over seeds 0-4, median 13.72; the direct network's first step alone, as
    # before: 16.1-19.3; the single network of before that: 26.47-32.15);
    # SARIMAX(0,1,1)(0,1,1,12) on logs 15.28; issue 17's target: within 10 % of the best
    # method elsewhere, 16.8.
    assert seasonal == pytest.approx(49.99, abs=0.01)
    assert lstm < 16.8
    assert set(airline_scores["lstm"]) == {"rmse", "mae", "mape", "r2", "mase"}
    assert airline_scores["lstm"]["r2"] > 0.7


def test_lstm_rmse_recorded_next_to_sarimax(airline_scores):
    # The airline model (0,1,1)(0,1,1,12) on logs is the classic statistical benchmark; the LSTM
    # is compared with it, not expected to beat it.
    lstm, sarimax = airline_scores["lstm"]["rmse"], airline_scores["sarimax"]["rmse"]
    assert sarimax < 25.0
    assert lstm < 2.5 * sarimax


def _small(**kwargs) -> Forecaster:
    """A quick single network with every choice given (nothing resolved from the data)."""
    params = {
        "look_back": 4,
        "horizon": 1,
        "units": 8,
        "epochs": 5,
        "batch_size": 8,
        "seed": 0,
        "n_models": 1,
        "calendar": None,
        "log": False,
    }
    return Forecaster(**{**params, **kwargs})


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("difference", [False, True, "seasonal", "both"])
@pytest.mark.parametrize("scaler", ["minmax", "standard", None])
def test_transforms_invert_exactly(airline, log, difference, scaler):
    f = _small(log=log, difference=difference, scaler=scaler).fit(airline.iloc[:60])
    frame = f.series_.frame
    levels = f._levels(frame)
    space = f._model_space(levels)
    target = space.to_numpy()[:, f._target_positions(space)]
    offset = {False: 0, True: 1, "seasonal": 12, "both": 13}[difference]
    assert sum(f.lags_) == offset and len(space) == len(frame) - offset
    # Each row's change added back to the levels before it (none, the last, the last season).
    values = levels[f.target_names_].to_numpy()
    before = np.stack([values[t - offset : t] for t in range(offset, len(values))])
    back = f._to_levels(target[:, None, :], before)[:, 0, 0]
    np.testing.assert_allclose(back, frame["Passengers"].to_numpy()[offset:], rtol=1e-12)


def test_scaler_sees_the_training_part_only(airline):
    train = airline.iloc[:-24]
    f = _small(difference=False).fit(train)
    scaler = f.scaler_.target_scaler_
    assert scaler.data_min_[0] == train["Passengers"].min()
    assert scaler.data_max_[0] == train["Passengers"].max()
    assert scaler.data_max_[0] < airline["Passengers"].max()
    # Forecasting after the whole series does not refit anything.
    f.predict(steps=3, data=airline)
    assert scaler.data_max_[0] == train["Passengers"].max()


def test_direct_forecast_is_the_first_steps_of_the_horizon(airline):
    f = _small(horizon=6).fit(airline)
    np.testing.assert_allclose(f.predict(steps=4), f.predict(steps=6)[:4])
    assert f.predict(steps=6).shape == (6,)


def test_recursive_forecast_feeds_its_own_forecasts_back(airline):
    f = _small(look_back=3, difference=False, scaler=None).fit(airline)
    recursive = f.predict(steps=3)
    first = f.predict(steps=1)[0]
    extended = pd.concat(
        [airline, pd.DataFrame({"Date": ["1961-01"], "Passengers": [first]})], ignore_index=True
    )
    second = f.predict(steps=1, data=extended)[0]
    np.testing.assert_allclose(recursive[:2], [first, second], rtol=1e-6)


def test_predict_frame_continues_the_dates(airline):
    frame = _small().fit(airline).predict_frame(steps=3)
    assert list(frame.index.strftime("%Y-%m")) == ["1961-01", "1961-02", "1961-03"]
    assert list(frame.columns) == ["Passengers"]


def test_walk_forward_equals_one_forecast_per_row(airline):
    train, test = airline.iloc[:-6], airline.iloc[-6:]
    f = _small(one_step=False).fit(train)
    assert f.one_step_ is None and f.resolved_params_["one_step"] is False
    fast = f.walk_forward(test)
    slow = [f.predict(steps=1, data=airline.iloc[: len(train) + i])[0] for i in range(6)]
    np.testing.assert_allclose(fast, slow, rtol=1e-6)


def test_walk_forward_with_the_one_step_network(airline):
    """walk_forward is the mean of the direct network's first step and the one-step network's
    forecast: rows of [scaled target(t), trend(t+1), month one-hot(t+1)], rebuilt here from the
    data by hand, the last row's output of each member on windows of its stretch length, their
    median, back in original units."""
    train, test = airline.iloc[:-6], airline.iloc[-6:]
    f = _small(calendar="onehot", log=True, n_models=3).fit(train)
    assert f.resolved_params_["one_step"] is True
    network = f.one_step_
    assert network.length == 20 and network.n_models == 3
    assert network.steps == 30  # 6 optimizer steps per epoch of the direct network (5)
    y = np.log(airline["Passengers"].to_numpy(dtype=np.float64))
    low, high = y[: len(train)].min(), y[: len(train)].max()
    scaled = (y - low) / (high - low)
    months = pd.to_datetime(airline["Date"]).dt.month.to_numpy()
    t = np.arange(len(y) + 1, dtype=np.float64)
    trend = 0.1 * t / (len(train) - 1)
    rows = np.zeros((len(y), 14))
    rows[:, 0] = scaled
    rows[:, 1] = trend[1:]
    next_month = np.r_[months[1:], 1]  # 1961-01 follows the last row
    rows[np.arange(len(y)), 1 + next_month] = 1.0
    ends = np.arange(len(train), len(y))
    windows = np.stack([rows[end - 20 : end] for end in ends]).astype(np.float32)
    out = network.model.predict(windows)[:, -1, :]  # (6, 3): each member's next value
    one_step = np.exp(np.median(out * (high - low) + low, axis=1))
    f.one_step_ = None
    direct = f.walk_forward(test)
    direct_path = f.predict(steps=3)
    f.one_step_ = network
    np.testing.assert_allclose(f.walk_forward(test), (one_step + direct) / 2, rtol=1e-5)
    assert np.abs(one_step - direct).min() > 0.1
    # predict stays with the direct network.
    np.testing.assert_array_equal(f.predict(steps=3), direct_path)


def test_one_step_network_needs_40_rows(airline):
    f = _small().fit(airline.iloc[:39])
    assert f.one_step_ is None and f.resolved_params_["one_step"] is False
    assert "39 training rows" in f.resolved_reasons_["one_step"]
    assert _small().fit(airline.iloc[:40]).one_step_ is not None


def test_multivariate_with_features():
    data = load_dataset("uschange")
    train, test = data.iloc[:-12], data.iloc[-12:]
    f = _small(target="Consumption", features=["Income", "Production"], difference=False)
    scores = f.fit(train).evaluate(test)
    assert np.isfinite(scores["rmse"]) and scores["rmse"] > 0
    assert f.model_.input_shape == (None, 4, 3)
    assert f.predict(steps=1).shape == (1,)
    with pytest.raises(ValueError, match=r"beyond horizon=1.*Income"):
        f.predict(steps=2)


def test_several_targets():
    data = load_dataset("uschange")
    f = _small(target=["Consumption", "Income"], horizon=2).fit(data)
    assert f.predict(steps=2).shape == (2, 2)
    assert f.model_.output_shape == (None, 4)


def test_seed_repeats_and_leaves_the_global_generator_alone(airline):
    import torch

    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = _small().fit(airline).predict(steps=3)
    after = torch.rand(1)
    b = _small().fit(airline).predict(steps=3)
    np.testing.assert_array_equal(a, b)
    assert torch.equal(before, after)


def test_clone_and_params():
    f = Forecaster(look_back=7, units=3)
    g = clone(f)
    assert g.get_params()["look_back"] == 7 and g is not f
    assert Forecaster().get_params()["difference"] is None  # chosen from the data


def test_history_and_model(airline):
    f = _small(epochs=3).fit(airline)
    assert list(f.history_.history) == ["loss"]
    assert len(f.history_.history["loss"]) == 3
    assert f.model_.count_params() == 4 * 8 * (1 + 8 + 1) + 8 + 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"look_back": 0}, r"look_back must be a positive integer; got look_back=0"),
        ({"horizon": -1}, r"horizon must be a positive integer; got horizon=-1"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"scaler": "log"}, r"scaler must be 'minmax', 'standard', None"),
        ({"look_back": 200}, r"need at least 201 rows .* has 144"),
    ],
)
def test_bad_parameters(airline, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _small(**kwargs).fit(airline)


def test_log_needs_a_positive_target():
    data = pd.DataFrame({"y": [3.0, 2.0, 0.0, 4.0, 5.0, 6.0, 7.0, 8.0]})
    with pytest.raises(ValueError, match=r"log=True.*column 'y' is 0.0 at row 2"):
        _small(log=True, look_back=2).fit(data)
