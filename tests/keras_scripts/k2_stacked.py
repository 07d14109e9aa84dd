# Keras 2: stacked LSTMs with return_sequences=True, Dropout between them.
# check: mse < 0.01
import numpy as np
from keras.layers import LSTM, Dense, Dropout
from keras.models import Sequential

np.random.seed(0)
t = np.linspace(0, 20, 400)
series = np.sin(t) * 0.5 + 0.5
window = 8
X = np.array([series[i : i + window] for i in range(len(series) - window)])[..., None]
y = series[window:]
model = Sequential()
model.add(LSTM(16, return_sequences=True, input_shape=(window, 1)))
model.add(Dropout(0.1))
model.add(LSTM(16))
model.add(Dense(1))
model.compile(loss="mean_squared_error", optimizer="adam")
model.fit(X, y, epochs=25, batch_size=32, verbose=0)
mse = float(np.mean((model.predict(X)[:, 0] - y) ** 2))
print("mse", mse)
