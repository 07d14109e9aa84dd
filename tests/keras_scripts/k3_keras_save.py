# Keras 3 style: import keras; keras.utils.set_random_seed; keras.Input; model.save('model.keras');
# keras.models.load_model; keras.saving-era names.
# check: mae < 0.1 and same == 0.0
import keras
import numpy as np

keras.utils.set_random_seed(1)
x = np.random.uniform(-1, 1, size=(300, 6, 2)).astype("float32")
y = np.stack([x[:, :, 0].mean(axis=1), x[:, :, 1].max(axis=1)], axis=1)
model = keras.Sequential(
    [
        keras.Input(shape=(6, 2)),
        keras.layers.LSTM(24, return_sequences=True),
        keras.layers.LSTM(12),
        keras.layers.Dense(2),
    ]
)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.summary()
history = model.fit(x, y, epochs=30, batch_size=32, validation_split=0.1, verbose=0)
mae = history.history["mae"][-1]
model.save("model.keras")
reloaded = keras.models.load_model("model.keras")
same = float(np.abs(reloaded.predict(x, verbose=0) - model.predict(x, verbose=0)).max())
print("mae", mae)
