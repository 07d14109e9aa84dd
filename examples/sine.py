"""A noisy sine wave, one sample per batch, against a SARIMAX baseline.

The series is ``sin(t) + N(0, 0.5)`` for t = 0, 0.1, ..., 999.9 (10,000 points). It is min-max
scaled to [0, 1] (the scaler fitted on the first 80 %, the training part, only), and framed with
the tutorial's ``create_dataset(look_back=1)``: each sample is one value, its label the next.
``LSTM(50)`` and ``Dense(1)`` learn it with mse and adam, ``batch_size=1``, 5 epochs.

The train and test RMSE are printed in original units. The noise alone is 0.5: no forecast can
do better on average, since the next noise value is unpredictable. Expect about 0.63 from the
LSTM: one noisy value says little about where on the wave the series is.

The comparison every forecast deserves: a SARIMAX model (``lstmkit.forecast``) of order (2, 0, 0)
fitted on the same training part, then one-step walk-forward forecasts over the test part (each
from the observations before it, the parameters fixed), scored on the same points. Expect about
0.58: two past values carry the phase one value lacks. Writes ``test_segment.png``: 200 test
points, actual, LSTM and SARIMAX (and the noise-free sine). ``--quick`` uses the first 400 points
and 1 epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

import lstmkit
from lstmkit.cli.examples import example_arguments
from lstmkit.data import SeriesScaler, create_dataset, rmse
from lstmkit.forecast import SARIMAXForecaster
from lstmkit.layers import LSTM, Dense
from lstmkit.models import Sequential
from lstmkit.plotting import save_png

NAME = "sine"
NOISE = 0.5


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = example_arguments(argv, NAME, __doc__, quick="fewer points, 1 epoch: seconds")
    points, epochs = (400, 1) if args.quick else (10_000, 5)

    rng = np.random.default_rng(args.seed)
    t = np.arange(0, 1000, 0.1)[:points]
    series = np.sin(t) + rng.normal(0, NOISE, len(t))
    split = int(len(series) * 0.8)
    train, test = series[:split], series[split:]

    # Scale to [0, 1] with the training part's minimum and maximum (leak-free).
    scaler = SeriesScaler(target=0).fit(train[:, None])
    train_X, train_y = create_dataset(scaler.transform(train[:, None]), look_back=1)
    test_X, test_y = create_dataset(scaler.transform(test[:, None]), look_back=1)
    train_X, test_X = train_X[:, :, None], test_X[:, :, None]  # [samples, timesteps, features]
    print(f"train X {train_X.shape}, test X {test_X.shape}")

    lstmkit.set_random_seed(args.seed)
    model = Sequential()
    model.add(LSTM(50, input_shape=(1, 1)))
    model.add(Dense(1))
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.fit(train_X, train_y, epochs=epochs, batch_size=1, verbose=0)

    # Back to original units; create_dataset's label i is the value at position i + 1.
    def original(scaled: np.ndarray) -> np.ndarray:
        return scaler.inverse_transform_target(scaled).reshape(-1)

    train_actual = train[1 : 1 + len(train_y)]
    test_actual = test[1 : 1 + len(test_y)]
    lstm_train = original(model.predict(train_X, verbose=0))
    lstm_test = original(model.predict(test_X, verbose=0))
    train_rmse, test_rmse = rmse(train_actual, lstm_train), rmse(test_actual, lstm_test)
    print(f"LSTM: train RMSE {train_rmse:.3f}, test RMSE {test_rmse:.3f} (noise alone: {NOISE})")

    # SARIMAX baseline. Order (2, 0, 0), an AR(2): a sampled sine obeys exactly
    # x[t] = 2 cos(0.1) x[t-1] - x[t-2], so two lags are the fewest that can follow the wave; the
    # series has no trend (d = 0) and nothing seasonal beyond the wave itself. (The noise makes
    # the exact model an ARMA(2, 2): it gets close to 0.5, but took ten times as long to fit when
    # we tried it and statsmodels reported that its optimisation had not converged. The low order
    # is the sensible baseline.)
    sarimax = SARIMAXForecaster(order=(2, 0, 0), seasonal_order=(0, 0, 0, 0)).fit(train)
    sarimax_test = sarimax.walk_forward(test)[1 : 1 + len(test_y)]  # the LSTM's test points
    sarimax_rmse = rmse(test_actual, sarimax_test)
    print(f"SARIMAX(2, 0, 0), one-step walk-forward: test RMSE {sarimax_rmse:.3f}")
    print(f"test RMSE: LSTM {test_rmse:.3f}  SARIMAX {sarimax_rmse:.3f}  noise floor {NOISE}")

    segment = slice(0, min(200, len(test_y)))
    times = t[split + 1 : split + 1 + len(test_y)][segment]
    figure = Figure(figsize=(9, 4))
    axes = figure.add_subplot()
    axes.plot(times, np.sin(times), color="lightgrey", linewidth=3, label="sin(t), no noise")
    axes.plot(times, test_actual[segment], ".", color="black", markersize=3, label="actual")
    axes.plot(times, lstm_test[segment], label=f"LSTM (RMSE {test_rmse:.3f})")
    axes.plot(times, sarimax_test[segment], label=f"SARIMAX(2, 0, 0) (RMSE {sarimax_rmse:.3f})")
    axes.set_xlabel("t")
    axes.set_ylabel("value")
    axes.set_title("Noisy sine: one-step forecasts over the start of the test part")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize="small")
    figure.tight_layout()
    segment_png = str(save_png(figure, args.out / "test_segment.png"))
    print(f"wrote {segment_png}")
    return {
        "points": points,
        "epochs": epochs,
        "train_rmse": train_rmse,
        "test_rmse": test_rmse,
        "sarimax_rmse": sarimax_rmse,
        "files": [segment_png],
    }


if __name__ == "__main__":
    main()
