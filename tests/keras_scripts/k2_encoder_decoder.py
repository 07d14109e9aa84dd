# Keras 2 encoder-decoder for multi-step output: LSTM, RepeatVector, LSTM(return_sequences=True),
# TimeDistributed(Dense(1)).
# check: float(abs(yhat[0, :, 0] - [100.0, 110.0]).max()) < 15.0
from keras.layers import LSTM, Dense, RepeatVector, TimeDistributed
from keras.models import Sequential
from numpy import array

seq = [10, 20, 30, 40, 50, 60, 70, 80, 90]
n_in, n_out = 3, 2
X = array([seq[i : i + n_in] for i in range(len(seq) - n_in - n_out + 1)]).reshape((-1, n_in, 1))
y = array([seq[i + n_in : i + n_in + n_out] for i in range(len(seq) - n_in - n_out + 1)])
y = y.reshape((y.shape[0], y.shape[1], 1))
model = Sequential()
model.add(LSTM(100, activation="relu", input_shape=(n_in, 1)))
model.add(RepeatVector(n_out))
model.add(LSTM(100, activation="relu", return_sequences=True))
model.add(TimeDistributed(Dense(1)))
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=150, verbose=0)
yhat = model.predict(array([70, 80, 90]).reshape((1, n_in, 1)), verbose=0)
print(yhat)
