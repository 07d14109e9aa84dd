# Keras 2 multivariate input: hstack of two input series and their sum as the output series.
# check: abs(float(yhat[0, 0]) - 205.0) < 20.0
from keras.layers import LSTM, Dense
from keras.models import Sequential
from numpy import array, hstack

in_seq1 = array([10, 20, 30, 40, 50, 60, 70, 80, 90])
in_seq2 = array([15, 25, 35, 45, 55, 65, 75, 85, 95])
out_seq = array([in_seq1[i] + in_seq2[i] for i in range(len(in_seq1))])
dataset = hstack((in_seq1.reshape(-1, 1), in_seq2.reshape(-1, 1), out_seq.reshape(-1, 1)))
n_steps = 3
X = array([dataset[i : i + n_steps, :-1] for i in range(len(dataset) - n_steps + 1)])
y = array([dataset[i + n_steps - 1, -1] for i in range(len(dataset) - n_steps + 1)])
model = Sequential()
model.add(LSTM(50, activation="relu", input_shape=(n_steps, 2)))
model.add(Dense(1))
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=200, verbose=0)
yhat = model.predict(array([[80, 85], [90, 95], [100, 105]]).reshape((1, n_steps, 2)), verbose=0)
print(yhat)
