# Keras 3: keras.utils.pad_sequences for variable-length sequences, Masking(mask_value=0.0) so the
# padding is skipped, an LSTM summing the real steps.
# check: mse < 0.02
import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(2)
rng = np.random.default_rng(12)
sequences = [rng.uniform(0.1, 1.0, size=(rng.integers(2, 9), 1)) for _ in range(400)]
targets = np.array([s.sum() / 8.0 for s in sequences], dtype="float32")
padded = keras.utils.pad_sequences(sequences, maxlen=8, dtype="float32", padding="post")
model = keras.Sequential(
    [
        keras.Input(shape=(8, 1)),
        layers.Masking(mask_value=0.0),
        layers.LSTM(16),
        layers.Dense(1),
    ]
)
model.compile(optimizer="adam", loss="mse")
model.fit(padded, targets, epochs=25, batch_size=32, verbose=0)
mse = float(model.evaluate(padded, targets, verbose=0))
print("mse", mse)
