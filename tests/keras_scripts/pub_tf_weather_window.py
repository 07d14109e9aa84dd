# TensorFlow tutorial "Time series forecasting" (weather), the LSTM model: a DataFrame of
# features normalised with the training mean and std, windows cut with NumPy (the tutorial's
# WindowGenerator without tf.data), tf.keras.Sequential([tf.keras.layers.LSTM(32, return_sequences=True),
# tf.keras.layers.Dense(units=1)]) built on first call (no input shape), compile_and_fit with
# EarlyStopping(patience=2, mode='min'), metrics=[tf.keras.metrics.MeanAbsoluteError()],
# evaluate(..., return_dict=True).
# check: val_performance["mean_absolute_error"] < 0.35 and lstm_model.output_shape[-1] == 1
import numpy as np
import pandas as pd
import tensorflow as tf

MAX_EPOCHS = 6

rng = np.random.default_rng(0)
hours = np.arange(3000)
day = 2 * np.pi * hours / 24
df = pd.DataFrame(
    {
        "T (degC)": 10 + 6 * np.sin(day) + rng.normal(0, 0.5, len(hours)),
        "p (mbar)": 990 + np.cumsum(rng.normal(0, 0.1, len(hours))),
        "rh (%)": 70 - 15 * np.sin(day) + rng.normal(0, 2, len(hours)),
        "Day sin": np.sin(day),
        "Day cos": np.cos(day),
    }
)
column_indices = {name: i for i, name in enumerate(df.columns)}
n = len(df)
train_df = df[0 : int(n * 0.7)]
val_df = df[int(n * 0.7) : int(n * 0.9)]
test_df = df[int(n * 0.9) :]
num_features = df.shape[1]

train_mean = train_df.mean()
train_std = train_df.std()
train_df = (train_df - train_mean) / train_std
val_df = (val_df - train_mean) / train_std
test_df = (test_df - train_mean) / train_std

label_column = column_indices["T (degC)"]
width = 24


lstm_model = tf.keras.models.Sequential(
    [
        # Shape [batch, time, features] => [batch, time, lstm_units]
        tf.keras.layers.LSTM(32, return_sequences=True),
        # Shape => [batch, time, features]
        tf.keras.layers.Dense(units=1),
    ]
)


def compile_and_fit(model, train, val, patience=2):
    early_stopping = tf.keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, mode="min"
    )

    model.compile(
        loss=tf.keras.losses.MeanSquaredError(),
        optimizer=tf.keras.optimizers.Adam(),
        metrics=[tf.keras.metrics.MeanAbsoluteError()],
    )

    history = model.fit(
        train[0], train[1], epochs=MAX_EPOCHS, validation_data=val, callbacks=[early_stopping]
    )
    return history


def windows(data):
    data = np.array(data, dtype=np.float32)
    x = np.stack([data[i : i + width] for i in range(len(data) - width)])
    y = np.stack(
        [
            data[i + 1 : i + width + 1, label_column : label_column + 1]
            for i in range(len(data) - width)
        ]
    )
    return x, y


train_x, train_y = windows(train_df)
val_x, val_y = windows(val_df)
history = compile_and_fit(lstm_model, (train_x, train_y), (val_x, val_y))
val_performance = lstm_model.evaluate(val_x, val_y, return_dict=True, verbose=0)
performance = lstm_model.evaluate(*windows(test_df), verbose=0)
print(val_performance, performance)
