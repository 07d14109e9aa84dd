# The Keras 2 package on TensorFlow 2.16+: import tf_keras as keras; from tf_keras import layers.
# check: loss < 0.02
import numpy as np
import tf_keras as keras
from tf_keras import layers

rng = np.random.RandomState(13)
x = rng.uniform(0, 1, size=(300, 5, 1)).astype("float32")
y = x[:, ::2, 0].mean(axis=1, keepdims=True)
model = keras.models.Sequential([layers.LSTM(16, input_shape=(5, 1)), layers.Dense(1)])
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss=keras.losses.MeanSquaredError() if hasattr(keras.losses, "MeanSquaredError") else "mse",
)
model.fit(x, y, epochs=30, batch_size=32, verbose=0)
loss = model.evaluate(x, y, verbose=0)
print("loss", loss)
