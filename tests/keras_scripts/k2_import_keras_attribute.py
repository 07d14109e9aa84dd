# "import keras" then keras.layers.X / keras.models.X / keras.callbacks.X throughout (Keras 2.x
# tutorials), with LambdaCallback and History.
# check: len(epochs_seen) == 10 and history.history["loss"][-1] < history.history["loss"][0]
import keras
import numpy as np

epochs_seen = []
x = np.random.RandomState(14).normal(size=(200, 7, 3)).astype("float32")
y = x[:, :, 2].sum(axis=1, keepdims=True)
model = keras.models.Sequential()
model.add(keras.layers.LSTM(20, input_shape=(7, 3)))
model.add(keras.layers.Dense(1))
model.compile(loss=keras.losses.mean_squared_error, optimizer=keras.optimizers.RMSprop(lr=0.005))
log_epochs = keras.callbacks.LambdaCallback(
    on_epoch_end=lambda epoch, logs: epochs_seen.append(epoch)
)
history = model.fit(x, y, epochs=10, batch_size=20, verbose=0, callbacks=[log_epochs])
print(history.history["loss"][0], history.history["loss"][-1])
