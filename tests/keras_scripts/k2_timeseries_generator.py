# Keras 2: keras.preprocessing.sequence.TimeseriesGenerator fed to fit_generator, with
# steps_per_epoch, and predict_generator.
# check: mae < 0.1
import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential
from keras.preprocessing.sequence import TimeseriesGenerator

series = np.sin(np.arange(300) * 0.1).reshape(-1, 1)
n_input = 10
generator = TimeseriesGenerator(series, series, length=n_input, batch_size=16)
print("Samples: %d" % len(generator))
model = Sequential()
model.add(LSTM(24, activation="tanh", input_shape=(n_input, 1)))
model.add(Dense(1))
model.compile(optimizer="adam", loss="mse")
model.fit_generator(generator, steps_per_epoch=len(generator), epochs=25, verbose=0)
predictions = model.predict_generator(generator)
mae = float(np.mean(np.abs(predictions[:, 0] - series[n_input:, 0])))
print("mae", mae)
