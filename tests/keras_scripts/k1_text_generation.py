# Keras 1/2 examples/lstm_text_generation.py, shrunk: one-hot characters, LSTM, softmax,
# RMSprop(lr=0.01), sampling with temperature.
# check: history.history["loss"][-1] < 0.6 * history.history["loss"][0] and len(generated) == 60
import random
import sys

import numpy as np
from keras.layers import LSTM, Activation, Dense
from keras.models import Sequential
from keras.optimizers import RMSprop

text = ("the quick brown fox jumps over the lazy dog. " * 12).lower()
chars = sorted(list(set(text)))
char_indices = dict((c, i) for i, c in enumerate(chars))
indices_char = dict((i, c) for i, c in enumerate(chars))
maxlen, step = 10, 3
sentences, next_chars = [], []
for i in range(0, len(text) - maxlen, step):
    sentences.append(text[i : i + maxlen])
    next_chars.append(text[i + maxlen])
print("nb sequences:", len(sentences))
X = np.zeros((len(sentences), maxlen, len(chars)), dtype=np.bool_)
y = np.zeros((len(sentences), len(chars)), dtype=np.bool_)
for i, sentence in enumerate(sentences):
    for t, char in enumerate(sentence):
        X[i, t, char_indices[char]] = 1
    y[i, char_indices[next_chars[i]]] = 1

model = Sequential()
model.add(LSTM(32, input_shape=(maxlen, len(chars))))
model.add(Dense(len(chars)))
model.add(Activation("softmax"))
optimizer = RMSprop(lr=0.01)
model.compile(loss="categorical_crossentropy", optimizer=optimizer)


def sample(preds, temperature=1.0):
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


history = model.fit(X, y, batch_size=32, epochs=12, verbose=0)
random.seed(0)
np.random.seed(0)
start_index = random.randint(0, len(text) - maxlen - 1)
sentence = text[start_index : start_index + maxlen]
generated = ""
for i in range(60):
    x = np.zeros((1, maxlen, len(chars)))
    for t, char in enumerate(sentence):
        x[0, t, char_indices[char]] = 1.0
    preds = model.predict(x, verbose=0)[0]
    next_char = indices_char[sample(preds, 0.5)]
    generated += next_char
    sentence = sentence[1:] + next_char
sys.stdout.write(generated + "\n")
