# Keras 1 imdb_lstm.py style: Embedding(max_features, 32, input_length=maxlen, dropout=0.2),
# LSTM(dropout_W=, dropout_U=), sequence.pad_sequences, show_accuracy, nb_epoch.
# check: acc > 0.85
import numpy as np
from keras.layers.core import Activation, Dense
from keras.layers.embeddings import Embedding
from keras.layers.recurrent import LSTM
from keras.models import Sequential
from keras.preprocessing import sequence

np.random.seed(1337)
max_features, maxlen, batch_size = 30, 12, 16
rng = np.random.RandomState(0)
X, y = [], []
for i in range(240):
    length = rng.randint(4, maxlen + 1)
    tokens = list(rng.randint(3, max_features, size=length))
    label = i % 2
    if label:
        tokens[rng.randint(length)] = 1  # the "positive" word
    X.append(tokens)
    y.append(label)
X_train = sequence.pad_sequences(X[:200], maxlen=maxlen)
X_test = sequence.pad_sequences(X[200:], maxlen=maxlen)
y_train, y_test = np.array(y[:200]), np.array(y[200:])
print("X_train shape:", X_train.shape)

model = Sequential()
model.add(Embedding(max_features, 16, input_length=maxlen, dropout=0.2))
model.add(LSTM(16, dropout_W=0.1, dropout_U=0.1))
model.add(Dense(1))
model.add(Activation("sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=15, show_accuracy=True, verbose=0)
score, acc = model.evaluate(X_test, y_test, batch_size=batch_size, verbose=0)
print("Test score:", score)
print("Test accuracy:", acc)
