# Keras 1 functional API: Model(input=..., output=...), Input(shape=), nb_epoch.
# check: loss < 0.02
import numpy as np
from keras.layers import LSTM, Dense, Input
from keras.models import Model

np.random.seed(3)
x = np.random.uniform(0, 1, size=(300, 6, 1)).astype("float32")
y = x.mean(axis=1)
inputs = Input(shape=(6, 1))
hidden = LSTM(8)(inputs)
outputs = Dense(1)(hidden)
model = Model(input=inputs, output=outputs)
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, nb_epoch=40, batch_size=32, verbose=0)
loss = model.evaluate(x, y, verbose=0)
print("loss", loss)
