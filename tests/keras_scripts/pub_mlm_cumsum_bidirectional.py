# machinelearningmastery "How to Develop a Bidirectional LSTM For Sequence Classification in
# Python with Keras" (Brownlee): the cumulative-sum problem, a new random sequence each epoch,
# Bidirectional(LSTM(20, return_sequences=True)), TimeDistributed(Dense(1, 'sigmoid')),
# predict_classes on a fresh sequence.
# check: correct >= 8
from random import random
from numpy import array
from numpy import cumsum
from keras.models import Sequential
from keras.layers import LSTM
from keras.layers import Dense
from keras.layers import TimeDistributed
from keras.layers import Bidirectional
import numpy

numpy.random.seed(1)


# create a sequence classification instance
def get_sequence(n_timesteps):
    # create a sequence of random numbers in [0,1]
    X = array([random() for _ in range(n_timesteps)])
    # calculate cut-off value to change class values
    limit = n_timesteps / 4.0
    # determine the class outcome for each item in cumulative sequence
    y = array([0 if x < limit else 1 for x in cumsum(X)])
    # reshape input and output data to be suitable for LSTMs
    X = X.reshape(1, n_timesteps, 1)
    y = y.reshape(1, n_timesteps, 1)
    return X, y


import random as _random

_random.seed(1)
n_timesteps = 10
model = Sequential()
model.add(Bidirectional(LSTM(20, return_sequences=True), input_shape=(n_timesteps, 1)))
model.add(TimeDistributed(Dense(1, activation="sigmoid")))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
for epoch in range(300):
    X, y = get_sequence(n_timesteps)
    model.fit(X, y, epochs=1, batch_size=1, verbose=0)
correct = 0
X, y = get_sequence(n_timesteps)
yhat = model.predict_classes(X, verbose=0)
for i in range(n_timesteps):
    print("Expected:", y[0, i], "Predicted", yhat[0, i])
    correct += int(y[0, i, 0] == yhat[0, i, 0])
