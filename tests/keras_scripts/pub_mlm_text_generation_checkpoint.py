# machinelearningmastery "Text Generation With LSTM Recurrent Neural Networks in Python with
# Keras" (Brownlee): characters scaled to [0, 1] as input, np_utils.to_categorical targets,
# LSTM(256) + Dropout(0.2), ModelCheckpoint("weights-improvement-{epoch:02d}-{loss:.4f}.hdf5",
# monitor='loss', save_best_only=True, mode='min'), then load_weights of the best file and
# greedy generation with sys.stdout.write.
# check: len(checkpoints) >= 1 and final_loss < first_loss and len(generated) == 40
import glob
import sys

import numpy
from keras.callbacks import ModelCheckpoint
from keras.layers import LSTM, Dense, Dropout
from keras.models import Sequential
from keras.utils import np_utils

raw_text = (
    "alice was beginning to get very tired of sitting by her sister on the bank, and of "
    "having nothing to do: once or twice she had peeped into the book her sister was reading, "
    "but it had no pictures or conversations in it, and what is the use of a book, thought "
    "alice without pictures or conversations? "
) * 3
raw_text = raw_text.lower()
chars = sorted(list(set(raw_text)))
char_to_int = dict((c, i) for i, c in enumerate(chars))
int_to_char = dict((i, c) for i, c in enumerate(chars))
n_chars = len(raw_text)
n_vocab = len(chars)
print("Total Characters: ", n_chars)
print("Total Vocab: ", n_vocab)
seq_length = 20
dataX = []
dataY = []
for i in range(0, n_chars - seq_length, 1):
    seq_in = raw_text[i : i + seq_length]
    seq_out = raw_text[i + seq_length]
    dataX.append([char_to_int[char] for char in seq_in])
    dataY.append(char_to_int[seq_out])
n_patterns = len(dataX)
print("Total Patterns: ", n_patterns)
X = numpy.reshape(dataX, (n_patterns, seq_length, 1))
X = X / float(n_vocab)
y = np_utils.to_categorical(dataY)
model = Sequential()
model.add(LSTM(64, input_shape=(X.shape[1], X.shape[2])))
model.add(Dropout(0.2))
model.add(Dense(y.shape[1], activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam")
filepath = "weights-improvement-{epoch:02d}-{loss:.4f}.hdf5"
checkpoint = ModelCheckpoint(filepath, monitor="loss", verbose=1, save_best_only=True, mode="min")
callbacks_list = [checkpoint]
history = model.fit(X, y, epochs=6, batch_size=128, callbacks=callbacks_list)
first_loss, final_loss = history.history["loss"][0], history.history["loss"][-1]
checkpoints = sorted(glob.glob("weights-improvement-*.hdf5"))
filename = checkpoints[-1]
model.load_weights(filename)
model.compile(loss="categorical_crossentropy", optimizer="adam")
start = numpy.random.randint(0, len(dataX) - 1)
pattern = dataX[start]
print("Seed:")
print('"', "".join([int_to_char[value] for value in pattern]), '"')
generated = ""
for i in range(40):
    x = numpy.reshape(pattern, (1, len(pattern), 1))
    x = x / float(n_vocab)
    prediction = model.predict(x, verbose=0)
    index = numpy.argmax(prediction)
    result = int_to_char[index]
    seq_in = [int_to_char[value] for value in pattern]
    sys.stdout.write(result)
    generated += result
    pattern.append(index)
    pattern = pattern[1 : len(pattern)]
print("\nDone.")
