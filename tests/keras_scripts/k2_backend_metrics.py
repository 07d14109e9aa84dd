# Keras 2: custom metrics written with the backend (from keras import backend as K): RMSE and
# the coefficient of determination, passed to compile(metrics=[...]), read from the History.
# check: history.history["r2_keras"][-1] > 0.8 and history.history["rmse"][-1] < 0.15
import numpy as np
from keras import backend as K
from keras.layers import LSTM, Dense
from keras.models import Sequential


def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))


def r2_keras(y_true, y_pred):
    SS_res = K.sum(K.square(y_true - y_pred))
    SS_tot = K.sum(K.square(y_true - K.mean(y_true)))
    return 1 - SS_res / (SS_tot + K.epsilon())


rng = np.random.RandomState(2)
X = rng.uniform(0, 1, size=(400, 4, 1))
y = X.sum(axis=1) / 4.0
model = Sequential()
model.add(LSTM(16, input_shape=(4, 1)))
model.add(Dense(1))
model.compile(loss="mean_squared_error", optimizer="adam", metrics=[rmse, r2_keras, "mae"])
history = model.fit(X, y, epochs=30, batch_size=32, verbose=0)
print({k: v[-1] for k, v in history.history.items()})
