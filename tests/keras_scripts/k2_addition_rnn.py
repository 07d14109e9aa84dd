# Keras 2 examples/addition_rnn.py, shrunk: character one-hot questions "a+b", an encoder LSTM,
# RepeatVector, a decoder LSTM, TimeDistributed(Dense) + softmax, predict_classes.
# check: char_accuracy > 0.6
import numpy as np
from keras import layers
from keras.models import Sequential


class CharacterTable:
    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
        self.indices_char = dict((i, c) for i, c in enumerate(self.chars))

    def encode(self, C, num_rows):
        x = np.zeros((num_rows, len(self.chars)))
        for i, c in enumerate(C):
            x[i, self.char_indices[c]] = 1
        return x


DIGITS = 1
MAXLEN = DIGITS + 1 + DIGITS
chars = "0123456789+ "
ctable = CharacterTable(chars)
rng = np.random.RandomState(0)
questions, expected = [], []
for _ in range(400):
    a, b = rng.randint(0, 10), rng.randint(0, 10)
    q = f"{a}+{b}"
    questions.append(q + " " * (MAXLEN - len(q)))
    ans = str(a + b)
    expected.append(ans + " " * (DIGITS + 1 - len(ans)))
x = np.zeros((len(questions), MAXLEN, len(chars)), dtype=np.bool_)
y = np.zeros((len(questions), DIGITS + 1, len(chars)), dtype=np.bool_)
for i, sentence in enumerate(questions):
    x[i] = ctable.encode(sentence, MAXLEN)
for i, sentence in enumerate(expected):
    y[i] = ctable.encode(sentence, DIGITS + 1)
RNN = layers.LSTM
model = Sequential()
model.add(RNN(64, input_shape=(MAXLEN, len(chars))))
model.add(layers.RepeatVector(DIGITS + 1))
model.add(RNN(64, return_sequences=True))
model.add(layers.TimeDistributed(layers.Dense(len(chars))))
model.add(layers.Activation("softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x, y, batch_size=32, epochs=40, verbose=0)
predicted = model.predict_classes(x, verbose=0)
char_accuracy = float((predicted == y.argmax(axis=-1)).mean())
print("character accuracy", char_accuracy)
