# TensorFlow 2 style stateful training loop: train_on_batch per batch, reset_states per epoch,
# predict_on_batch; a stateful layer given batch_size through keras.Input(batch_size=...).
# check: final_loss < first_loss and final_loss < 0.05
import numpy as np
from tensorflow import keras

batch_size, steps = 4, 10
t = np.linspace(0, 8 * np.pi, batch_size * steps * 5 + 1).astype("float32")
wave = np.sin(t)
x = wave[:-1].reshape(batch_size, -1, 1)
y = wave[1:].reshape(batch_size, -1, 1)
model = keras.Sequential(
    [
        keras.Input(shape=(None, 1), batch_size=batch_size),
        keras.layers.LSTM(16, return_sequences=True, stateful=True),
        keras.layers.TimeDistributed(keras.layers.Dense(1)),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
losses = []
for epoch in range(12):
    epoch_losses = []
    for start in range(0, x.shape[1], 5):
        epoch_losses.append(model.train_on_batch(x[:, start : start + 5], y[:, start : start + 5]))
    model.reset_states()
    losses.append(float(np.mean(epoch_losses)))
first_loss, final_loss = losses[0], losses[-1]
prediction = model.predict_on_batch(x[:, :5])
print("losses", first_loss, final_loss, prediction.shape)
