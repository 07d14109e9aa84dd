# Keras 1 examples/stateful_lstm.py: batch_input_shape, stateful=True, a manual epoch loop with
# reset_states(), nb_epoch=1 and shuffle=False.
# check: mse < 0.05
import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential

tsteps, batch_size, epochs, lahead = 1, 25, 40, 1


def gen_cosine_amp(amp=100, period=25, x0=0, xn=500, step=1, k=0.0001):
    cos = np.zeros(((xn - x0) * step, 1, 1))
    for i in range(len(cos)):
        idx = x0 + i * step
        cos[i, 0, 0] = amp * np.cos(idx / (2 * np.pi * period))
        cos[i, 0, 0] = cos[i, 0, 0] * np.exp(-k * idx)
    return cos


cos = gen_cosine_amp(xn=250) / 100.0
expected_output = np.zeros((len(cos), 1))
for i in range(len(cos) - lahead):
    expected_output[i, 0] = np.mean(cos[i + 1 : i + lahead + 1])

model = Sequential()
model.add(LSTM(20, batch_input_shape=(batch_size, tsteps, 1), return_sequences=True, stateful=True))
model.add(LSTM(20, return_sequences=False, stateful=True))
model.add(Dense(1))
model.compile(loss="mse", optimizer="rmsprop")
for i in range(epochs):
    model.fit(cos, expected_output, batch_size=batch_size, verbose=0, nb_epoch=1, shuffle=False)
    model.reset_states()
predicted_output = model.predict(cos, batch_size=batch_size)
mse = float(np.mean((predicted_output - expected_output) ** 2))
print("mse", mse)
