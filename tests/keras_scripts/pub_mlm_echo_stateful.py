# machinelearningmastery "How to Learn to Echo Random Integers with LSTMs in Keras" (Brownlee):
# one_hot_encode/one_hot_decode written by hand, a stateful LSTM(batch_input_shape=(1, 1, n)),
# an epoch loop of fit(shuffle=False) and reset_states(), evaluated on a fresh sequence.
# check: accuracy >= 0.8
from random import randint, seed
from numpy import array
from numpy import argmax
from keras.models import Sequential
from keras.layers import Dense
from keras.layers import LSTM

seed(1)


def generate_sequence(length=25):
    return [randint(0, 99) for _ in range(length)]


def one_hot_encode(sequence, n_unique=100):
    encoding = list()
    for value in sequence:
        vector = [0 for _ in range(n_unique)]
        vector[value] = 1
        encoding.append(vector)
    return array(encoding)


def one_hot_decode(encoded_seq):
    return [argmax(vector) for vector in encoded_seq]


def generate_data():
    sequence = generate_sequence()
    encoded = one_hot_encode(sequence)
    X = encoded.reshape(encoded.shape[0], 1, encoded.shape[1])
    return X, encoded


model = Sequential()
model.add(LSTM(15, batch_input_shape=(1, 1, 100), return_sequences=False, stateful=True))
model.add(Dense(100, activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
for i in range(150):
    X, y = generate_data()
    model.fit(X, y, epochs=1, batch_size=1, verbose=0, shuffle=False)
    model.reset_states()
X, y = generate_data()
yhat = model.predict(X, batch_size=1)
expected, predicted = one_hot_decode(y), one_hot_decode(yhat)
print("Expected:  %s" % expected)
print("Predicted: %s" % predicted)
accuracy = sum(int(a == b) for a, b in zip(expected, predicted)) / len(expected)
