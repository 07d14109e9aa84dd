# machinelearningmastery "How to Develop LSTM Models for Time Series Forecasting" (Brownlee),
# multi-step section: split_sequence(n_steps_in, n_steps_out), a vector-output stacked LSTM and an
# encoder-decoder with RepeatVector and TimeDistributed(Dense(1)).
# check: abs(yhat_vec[0, 0] - 100) < 12 and abs(yhat_ed[0, 1, 0] - 110) < 15
from numpy import array
from keras.models import Sequential
from keras.layers import LSTM
from keras.layers import Dense
from keras.layers import RepeatVector
from keras.layers import TimeDistributed


# split a univariate sequence into samples
def split_sequence(sequence, n_steps_in, n_steps_out):
    X, y = list(), list()
    for i in range(len(sequence)):
        end_ix = i + n_steps_in
        out_end_ix = end_ix + n_steps_out
        if out_end_ix > len(sequence):
            break
        seq_x, seq_y = sequence[i:end_ix], sequence[end_ix:out_end_ix]
        X.append(seq_x)
        y.append(seq_y)
    return array(X), array(y)


raw_seq = [10, 20, 30, 40, 50, 60, 70, 80, 90]
n_steps_in, n_steps_out = 3, 2
X, y = split_sequence(raw_seq, n_steps_in, n_steps_out)
n_features = 1
X = X.reshape((X.shape[0], X.shape[1], n_features))
# vector output model
model = Sequential()
model.add(LSTM(100, activation="relu", return_sequences=True, input_shape=(n_steps_in, n_features)))
model.add(LSTM(100, activation="relu"))
model.add(Dense(n_steps_out))
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=200, verbose=0)
x_input = array([70, 80, 90])
x_input = x_input.reshape((1, n_steps_in, n_features))
yhat_vec = model.predict(x_input, verbose=0)
print(yhat_vec)
# encoder-decoder model
y = y.reshape((y.shape[0], y.shape[1], n_features))
model = Sequential()
model.add(LSTM(100, activation="relu", input_shape=(n_steps_in, n_features)))
model.add(RepeatVector(n_steps_out))
model.add(LSTM(100, activation="relu", return_sequences=True))
model.add(TimeDistributed(Dense(1)))
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=100, verbose=0)
yhat_ed = model.predict(x_input, verbose=0)
print(yhat_ed)
