# keras-team/keras examples/imdb_lstm.py (Keras 2.x), with generated token lists in place of
# imdb.load_data (nothing is downloaded): sequence.pad_sequences(maxlen=maxlen),
# Embedding(max_features, 128), LSTM(128, dropout=0.2, recurrent_dropout=0.2),
# Dense(1, activation='sigmoid'), validation_data=(x_test, y_test), 'score, acc = evaluate(...)'.
# check: acc > 0.8
from __future__ import print_function

import numpy as np
from keras.preprocessing import sequence
from keras.models import Sequential
from keras.layers import Dense, Embedding
from keras.layers import LSTM

max_features = 200
# cut texts after this number of words (among top max_features most common words)
maxlen = 40
batch_size = 32


def load_data(num_words, n, rng):
    """Reviews as word-id lists: positive ones use more of the ids 10-19, negative of 20-29."""
    xs, ys = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        length = int(rng.integers(10, 60))
        words = rng.integers(30, num_words, size=length)
        marks = rng.integers(10, 20, size=4) if label else rng.integers(20, 30, size=4)
        words[rng.choice(length, size=4, replace=False)] = marks
        xs.append(list(words))
        ys.append(label)
    return np.array(xs, dtype=object), np.array(ys)


print("Loading data...")
rng = np.random.default_rng(0)
x_train, y_train = load_data(max_features, 600, rng)
x_test, y_test = load_data(max_features, 200, rng)
print(len(x_train), "train sequences")
print(len(x_test), "test sequences")

print("Pad sequences (samples x time)")
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
print("x_train shape:", x_train.shape)
print("x_test shape:", x_test.shape)

print("Build model...")
model = Sequential()
model.add(Embedding(max_features, 128))
model.add(LSTM(128, dropout=0.2, recurrent_dropout=0.2))
model.add(Dense(1, activation="sigmoid"))

# try using different optimizers and different optimizer configs
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

print("Train...")
model.fit(x_train, y_train, batch_size=batch_size, epochs=3, validation_data=(x_test, y_test))
score, acc = model.evaluate(x_test, y_test, batch_size=batch_size)
print("Test score:", score)
print("Test accuracy:", acc)
