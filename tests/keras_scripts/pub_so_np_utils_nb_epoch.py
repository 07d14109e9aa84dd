# A common Stack Overflow / Kaggle classification script of the Keras 1 era:
# keras.utils.np_utils.to_categorical, LSTM(output_dim=..., input_shape=...), fit(nb_epoch=...,
# batch_size=..., verbose=2, validation_split=0.33), model.get_weights() shapes printed,
# model.predict_classes, and K.clear_session() between two runs of a build function.
# check: acc > 0.8 and [w.shape for w in weights[:3]] == [(3, 128), (32, 128), (128,)] and second_acc > 0.8
import numpy as np
from keras import backend as K
from keras.layers import LSTM, Activation, Dense, Dropout
from keras.models import Sequential
from keras.utils import np_utils

np.random.seed(1337)
n, steps, features, classes = 900, 12, 3, 3
X = np.random.normal(size=(n, steps, features)).astype("float32")
labels = np.argmax(X[:, -4:, :].mean(axis=1), axis=1)
Y = np_utils.to_categorical(labels, classes)


def build():
    model = Sequential()
    model.add(LSTM(output_dim=32, input_shape=(steps, features)))
    model.add(Dropout(0.2))
    model.add(Dense(classes))
    model.add(Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


model = build()
model.fit(X, Y, nb_epoch=15, batch_size=32, verbose=2, validation_split=0.33)
weights = model.get_weights()
for w in weights:
    print(w.shape)
pred = model.predict_classes(X, verbose=0)
acc = float(np.mean(pred == labels))
print("accuracy:", acc)

K.clear_session()
model = build()
model.fit(X, Y, nb_epoch=15, batch_size=32, verbose=2, validation_split=0.33)
second_acc = model.evaluate(X, Y, verbose=0)[1]
