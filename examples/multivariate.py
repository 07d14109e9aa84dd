"""Multivariate forecasting: next quarter's US consumption from 5 quarters of three series.

The ``uschange`` dataset (quarterly % changes, 1970-2016) is framed with
``series_to_supervised(n_in=5)``: each row holds Consumption, Income and Production at
t-5, ..., t-1 (15 inputs, reshaped to [samples, 5 timesteps, 3 features]) and Consumption at t
(the target). The last 31 quarters are the test set.

The model is the tutorial's stacked relu LSTM: ``LSTM(256, relu, return_sequences)``,
``Dropout(0.2)``, ``LSTM(256, relu)``, ``Dropout(0.2)``, ``Dense(16)``, ``Dropout(0.2)``,
``Dense(1)``, trained with the mean absolute error and adam for 200 epochs, the whole training set
as one batch, with a user metric ``r2`` written with ``lstmkit.backend`` operations (as a Keras
user writes one with ``keras.backend``).

Two things are done the right way here, unlike the original tutorial:

* the min-max scaler is fitted on the training rows only, so the test quarters' range never
  reaches the model (``SeriesScaler``);
* the test predictions go back to original units with ``inverse_transform_target`` (no padding
  the prediction column with dummy feature columns).

It prints the test RMSE and R² in original units (percentage points of consumption change)
beside a naive forecast (next quarter = this quarter), the yardstick every forecast must beat.
Expect a test RMSE around 0.44 and a negative R² (worse than predicting the test mean), no
better than the naive forecast's 0.40: the model has far more weights than 151 training quarters
can support, and Keras itself gets the same from it. A plot that looks close is not a good
forecast; the numbers say so. Writes ``history.png`` (loss and r2 curves, training and
test) and ``predictions.png`` (actual and predicted test quarters). ``--quick`` trains 5 epochs
of a 32-unit model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import lstmkit
from lstmkit import backend as K
from lstmkit.cli.examples import example_arguments
from lstmkit.data import SeriesScaler, load_dataset, rmse, series_to_supervised
from lstmkit.data import r2 as r2_score
from lstmkit.layers import LSTM, Dense, Dropout
from lstmkit.models import Sequential
from lstmkit.plotting import plot_history, plot_predictions

NAME = "multivariate"
VARIABLES = ["Consumption", "Income", "Production"]
LAGS, TEST_QUARTERS = 5, 31
TARGET = "Consumption(t)"


def r2(y_true: Any, y_pred: Any) -> Any:
    """The tutorial's user metric: R² of a batch from backend operations, logged as ``r2``
    (``val_r2`` on the validation data)."""
    ss_res = K.sum(K.square(y_true - y_pred))
    ss_tot = K.sum(K.square(y_true - K.mean(y_true)))
    return 1 - ss_res / (ss_tot + K.epsilon())


def build_model(units: int) -> Sequential:
    model = Sequential()
    model.add(LSTM(units, activation="relu", return_sequences=True, input_shape=(LAGS, 3)))
    model.add(Dropout(0.2))
    model.add(LSTM(units, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(16))
    model.add(Dropout(0.2))
    model.add(Dense(1))
    model.compile(loss="mae", optimizer="adam", metrics=[r2])
    return model


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = example_arguments(argv, NAME, __doc__, quick="few epochs, small model: seconds")
    epochs, units = (5, 32) if args.quick else (200, 256)

    data = load_dataset("uschange")
    quarters = pd.PeriodIndex(data["Quarter"].str.replace(" ", "-"), freq="Q").to_timestamp()
    framed = series_to_supervised(data[VARIABLES], n_in=LAGS, n_out=1)
    lag_columns = [c for c in framed.columns if "(t-" in c]  # t-5 first, 3 variables each
    framed = framed[[*lag_columns, TARGET]]
    train, test = framed.iloc[:-TEST_QUARTERS], framed.iloc[-TEST_QUARTERS:]

    # Leak-free scaling: fitted on the training rows only. (The original tutorial fits the scaler
    # on every row, so the test quarters' minimum and maximum shape the training inputs.)
    scaler = SeriesScaler(target=TARGET).fit(train)
    train_scaled, test_scaled = scaler.transform(train), scaler.transform(test)

    def arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        X = np.array(frame[lag_columns], np.float32).reshape(len(frame), LAGS, len(VARIABLES))
        return X, np.array(frame[[TARGET]], np.float32)

    train_X, train_y = arrays(train_scaled)
    test_X, test_y = arrays(test_scaled)
    print(f"training rows {train_X.shape}, test rows {test_X.shape} (samples, lags, variables)")

    lstmkit.set_random_seed(args.seed)
    model = build_model(units)
    history = model.fit(
        train_X,
        train_y,
        epochs=epochs,
        batch_size=len(train_X),
        validation_data=(test_X, test_y),
        shuffle=False,
        verbose=0,
    )
    logs = history.history
    print(
        f"after {epochs} epochs: loss {logs['loss'][-1]:.4f}, r2 {logs['r2'][-1]:.3f}; "
        f"test loss {logs['val_loss'][-1]:.4f}, test r2 {logs['val_r2'][-1]:.3f} (scaled units)"
    )

    # Back to original units: only the target's scaler is needed.
    predicted = scaler.inverse_transform_target(model.predict(test_X, verbose=0))[:, 0]
    actual = test[TARGET].to_numpy()
    naive = test["Consumption(t-1)"].to_numpy()  # next quarter = this quarter
    test_rmse, test_r2 = rmse(actual, predicted), r2_score(actual, predicted)
    naive_rmse = rmse(actual, naive)
    print(f"test RMSE {test_rmse:.3f}, R² {test_r2:.3f} (original units, {len(actual)} quarters)")
    print(f"naive forecast (previous quarter) RMSE {naive_rmse:.3f}")

    files = [str(args.out / "history.png"), str(args.out / "predictions.png")]
    plot_history(
        history,
        metrics=("loss", "r2"),
        path=files[0],
        title="Stacked relu LSTM on uschange (validation = test quarters)",
    )
    plot_predictions(
        actual,
        predicted,
        index=quarters[test.index],
        path=files[1],
        title=f"US consumption, test quarters: RMSE {test_rmse:.3f}, R² {test_r2:.3f}",
        ylabel="consumption change (%)",
    )
    for file in files:
        print(f"wrote {file}")
    return {
        "epochs": epochs,
        "units": units,
        "test_rmse": test_rmse,
        "test_r2": test_r2,
        "naive_rmse": naive_rmse,
        "final_loss": float(logs["loss"][-1]),
        "files": files,
    }


if __name__ == "__main__":
    main()
