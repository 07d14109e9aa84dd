# keras-team/keras examples/imdb_bidirectional_lstm.py (Keras 2.x), with generated reviews in
# place of imdb.load_data: np.array(y_train), Embedding(max_features, 128, input_length=maxlen),
# Bidirectional(LSTM(64)), Dropout(0.5), compile('adam', 'binary_crossentropy', metrics=[...]),
# validation_data given as a list [x_test, y_test], as the example does.
# check: history.history["val_accuracy"][-1] > 0.8
from __future__ import print_function
import numpy as np

from keras.preprocessing import sequence
from keras.models import Sequential
from keras.layers import Dense, Dropout, Embedding, LSTM, Bidirectional

max_features = 300
# cut texts after this number of words
# (among top max_features most common words)
maxlen = 50
batch_size = 32

print("Loading data...")
rng = np.random.default_rng(3)


def reviews(n):
    x, y = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        words = list(rng.integers(50, max_features, size=int(rng.integers(15, 70))))
        for _ in range(3):
            words.insert(int(rng.integers(0, len(words))), int(rng.integers(1, 25) + 25 * label))
        x.append(words)
        y.append(label)
    return x, y


(x_train, y_train), (x_test, y_test) = reviews(600), reviews(200)
print(len(x_train), "train sequences")
print(len(x_test), "test sequences")

print("Pad sequences (samples x time)")
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
print("x_train shape:", x_train.shape)
print("x_test shape:", x_test.shape)
y_train = np.array(y_train)
y_test = np.array(y_test)

model = Sequential()
model.add(Embedding(max_features, 128, input_length=maxlen))
model.add(Bidirectional(LSTM(64)))
model.add(Dropout(0.5))
model.add(Dense(1, activation="sigmoid"))

# try using different optimizers and different optimizer configs
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])

print("Train...")
history = model.fit(
    x_train, y_train, batch_size=batch_size, epochs=4, validation_data=[x_test, y_test]
)
