# Keras 2: sample_weight in fit, zero for samples whose targets are corrupted, so the model
# learns the clean rule.
# check: clean_mse < 0.01
import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential

rng = np.random.RandomState(8)
X = rng.uniform(0, 1, size=(400, 4, 1)).astype("float32")
y = X.mean(axis=1)
corrupted = rng.rand(400) < 0.3
y_noisy = y.copy()
y_noisy[corrupted] = 5.0
weights = np.where(corrupted, 0.0, 1.0)
model = Sequential([LSTM(12, input_shape=(4, 1)), Dense(1)])
model.compile(loss="mse", optimizer="adam")
model.fit(X, y_noisy, sample_weight=weights, epochs=30, batch_size=32, verbose=0)
clean_mse = float(np.mean((model.predict(X) - y) ** 2))
print("clean mse", clean_mse)
