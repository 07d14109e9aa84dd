# machinelearningmastery "How to Develop LSTM Models for Time Series Forecasting" (Brownlee):
# multiple input series stacked with hstack, a CNN-LSTM with TimeDistributed(Conv1D),
# TimeDistributed(MaxPooling1D), TimeDistributed(Flatten) and input_shape=(None, n_steps,
# n_features), and a Bidirectional LSTM on the same data.
# check: abs(float(yhat_cnn[0, 0]) - 205) < 25 and abs(float(yhat_bi[0, 0]) - 205) < 25
from numpy import array
from numpy import hstack
from keras.models import Sequential
from keras.layers import LSTM
from keras.layers import Dense
from keras.layers import Flatten
from keras.layers import TimeDistributed
from keras.layers import Bidirectional
from keras.layers.convolutional import Conv1D
from keras.layers.convolutional import MaxPooling1D


def split_sequences(sequences, n_steps):
    X, y = list(), list()
    for i in range(len(sequences)):
        end_ix = i + n_steps
        if end_ix > len(sequences):
            break
        seq_x, seq_y = sequences[i:end_ix, :-1], sequences[end_ix - 1, -1]
        X.append(seq_x)
        y.append(seq_y)
    return array(X), array(y)


in_seq1 = array([10, 20, 30, 40, 50, 60, 70, 80, 90])
in_seq2 = array([15, 25, 35, 45, 55, 65, 75, 85, 95])
out_seq = array([in_seq1[i] + in_seq2[i] for i in range(len(in_seq1))])
in_seq1 = in_seq1.reshape((len(in_seq1), 1))
in_seq2 = in_seq2.reshape((len(in_seq2), 1))
out_seq = out_seq.reshape((len(out_seq), 1))
dataset = hstack((in_seq1, in_seq2, out_seq))
n_steps = 4
X, y = split_sequences(dataset, n_steps)
n_features = X.shape[2]
# CNN-LSTM: [samples, subsequences, timesteps, features]
n_seq = 2
n_steps_sub = 2
Xc = X.reshape((X.shape[0], n_seq, n_steps_sub, n_features))
model = Sequential()
model.add(
    TimeDistributed(
        Conv1D(filters=64, kernel_size=1, activation="relu"),
        input_shape=(None, n_steps_sub, n_features),
    )
)
model.add(TimeDistributed(MaxPooling1D(pool_size=2)))
model.add(TimeDistributed(Flatten()))
model.add(LSTM(50, activation="relu"))
model.add(Dense(1))
model.compile(optimizer="adam", loss="mse")
model.fit(Xc, y, epochs=300, verbose=0)
x_input = array([[80, 85], [90, 95], [100, 105], [110, 115]])
yhat_cnn = model.predict(x_input.reshape((1, n_seq, n_steps_sub, n_features)), verbose=0)
print(yhat_cnn)
model = Sequential()
model.add(Bidirectional(LSTM(50, activation="relu"), input_shape=(n_steps, n_features)))
model.add(Dense(1))
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=300, verbose=0)
yhat_bi = model.predict(x_input.reshape((1, n_steps, n_features)), verbose=0)
print(yhat_bi)
