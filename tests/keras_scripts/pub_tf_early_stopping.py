# TensorFlow tutorial style (tf.keras.Sequential with a list of layers, tf.random.set_seed,
# model.summary(), tf.keras.callbacks.EarlyStopping(monitor='val_loss', patience=...,
# restore_best_weights=True), history.history['val_loss'], model.evaluate(..., verbose=2)).
# check: test_mae < 0.1 and len(history.history["val_loss"]) <= 15
import numpy as np
import tensorflow as tf

tf.random.set_seed(42)
np.random.seed(42)

t = np.linspace(0, 40, 1200)
series = (np.sin(t) * 0.5 + 0.1 * np.cos(3 * t)).astype("float32")
window = 24
X = np.stack([series[i : i + window] for i in range(len(series) - window)])[..., np.newaxis]
y = series[window:]
n_train, n_val = 800, 200
x_train, y_train = X[:n_train], y[:n_train]
x_val, y_val = X[n_train : n_train + n_val], y[n_train : n_train + n_val]
x_test, y_test = X[n_train + n_val :], y[n_train + n_val :]

model = tf.keras.Sequential(
    [
        tf.keras.layers.LSTM(32, input_shape=(window, 1)),
        tf.keras.layers.Dense(1),
    ]
)
model.summary()
model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=0.01),
    loss=tf.keras.losses.MeanSquaredError(),
    metrics=[tf.keras.metrics.MeanAbsoluteError()],
)
early_stopping = tf.keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=3, restore_best_weights=True
)
history = model.fit(
    x_train,
    y_train,
    epochs=15,
    batch_size=32,
    validation_data=(x_val, y_val),
    callbacks=[early_stopping],
)
print(history.history.keys())
val_loss = model.evaluate(x_val, y_val, verbose=2)
test_loss, test_mae = model.evaluate(x_test, y_test, verbose=2)
print("Test MAE:", test_mae)
