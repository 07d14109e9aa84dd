# Keras 2 regularised LSTM with a decaying learning rate: kernel_regularizer=l2(...),
# recurrent_regularizer, BatchNormalization, LeakyReLU, Adam(lr=..., decay=...), keras.models.save_model.
# check: val_mse < 0.02 and os.path.exists("regularized.h5")
import os

import numpy as np
from keras.layers import LSTM, BatchNormalization, Dense, LeakyReLU
from keras.models import Sequential, save_model
from keras.optimizers import Adam
from keras.regularizers import l2

np.random.seed(21)
X = np.random.uniform(-1, 1, size=(400, 8, 2)).astype("float32")
y = 0.5 * X[:, -1, :1] + 0.3 * X[:, 0, 1:2]
model = Sequential()
model.add(LSTM(24, input_shape=(8, 2), kernel_regularizer=l2(1e-4), recurrent_regularizer=l2(1e-4)))
model.add(BatchNormalization(momentum=0.8))
model.add(Dense(12))
model.add(LeakyReLU(alpha=0.1))
model.add(Dense(1))
model.compile(loss="mse", optimizer=Adam(lr=0.01, decay=1e-3), metrics=["mse"])
history = model.fit(X[:320], y[:320], epochs=30, batch_size=32, validation_data=(X[320:], y[320:]), verbose=0)
val_mse = history.history["val_mse"][-1]
save_model(model, "regularized.h5")
print("val mse", val_mse)
