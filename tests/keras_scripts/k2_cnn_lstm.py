# Keras 2 CNN-LSTM: TimeDistributed(Conv1D), TimeDistributed(MaxPooling1D), TimeDistributed(Flatten()),
# then an LSTM over the subsequences.
# check: abs(float(yhat[0, 0]) - 110.0) < 15.0
from keras.layers import LSTM, Dense, Flatten, TimeDistributed
from keras.layers.convolutional import Conv1D, MaxPooling1D
from keras.models import Sequential
from numpy import array

seq = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130]
X = array([seq[i : i + 4] for i in range(len(seq) - 4)])
y = array([seq[i + 4] for i in range(len(seq) - 4)])
n_seq, n_steps = 2, 2
X = X.reshape((X.shape[0], n_seq, n_steps, 1))
model = Sequential()
model.add(
    TimeDistributed(
        Conv1D(filters=32, kernel_size=1, activation="relu"), input_shape=(None, n_steps, 1)
    )
)
model.add(TimeDistributed(MaxPooling1D(pool_size=2)))
model.add(TimeDistributed(Flatten()))
model.add(LSTM(50, activation="relu"))
model.add(Dense(1))
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=300, verbose=0)
yhat = model.predict(array([70, 80, 90, 100]).reshape((1, n_seq, n_steps, 1)), verbose=0)
print(yhat)
