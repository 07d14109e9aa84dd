# Keras 2 hand-made attention over LSTM outputs (a common blog recipe): Dense(1, tanh) scores,
# Flatten, softmax, RepeatVector, Permute([2, 1]), multiply, Lambda(lambda x: K.sum(x, axis=1)).
# check: acc > 0.85
import numpy as np
from keras import backend as K
from keras.layers import (LSTM, Activation, Dense, Flatten, Input, Lambda, Permute, RepeatVector,
                          multiply)
from keras.models import Model

np.random.seed(1)
TIME_STEPS, INPUT_DIM, UNITS = 10, 2, 16
x = np.random.normal(size=(500, TIME_STEPS, INPUT_DIM)).astype("float32")
y = (x[:, :, 0].sum(axis=1) > 0).astype("float32")

inputs = Input(shape=(TIME_STEPS, INPUT_DIM))
lstm_out = LSTM(UNITS, return_sequences=True)(inputs)
attention = Dense(1, activation="tanh")(lstm_out)
attention = Flatten()(attention)
attention = Activation("softmax")(attention)
attention = RepeatVector(UNITS)(attention)
attention = Permute([2, 1])(attention)
sent_representation = multiply([lstm_out, attention])
sent_representation = Lambda(lambda xin: K.sum(xin, axis=1), output_shape=(UNITS,))(sent_representation)
output = Dense(1, activation="sigmoid")(sent_representation)
model = Model(inputs=[inputs], outputs=output)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=40, batch_size=32, validation_split=0.1, verbose=0)
loss, acc = model.evaluate(x, y, verbose=0)
print("accuracy", acc)
