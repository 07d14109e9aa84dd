# TensorFlow 2 style: import tensorflow as tf; from tensorflow import keras; tf.random.set_seed;
# keras.Sequential([...]) with keras.layers.*; print(tf.__version__).
# check: mse < 0.01
import numpy as np
import tensorflow as tf
from tensorflow import keras

print(tf.__version__)
tf.random.set_seed(42)
np.random.seed(42)
time = np.arange(0, 40, 0.1)
series = np.sin(time).astype("float32")
window = 20
X = np.array([series[i : i + window] for i in range(len(series) - window)])[..., np.newaxis]
y = series[window:]
model = keras.Sequential(
    [
        keras.layers.LSTM(32, input_shape=[window, 1]),
        keras.layers.Dense(1),
    ]
)
model.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=0.01))
model.fit(X, y, epochs=15, batch_size=32, verbose=0)
mse = float(keras.losses.mean_squared_error(y[:, None], model.predict(X)).numpy().mean())
print("mse", mse)
