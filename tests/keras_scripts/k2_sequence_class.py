# Keras 2: a keras.utils.Sequence subclass (__len__, __getitem__, on_epoch_end) passed to fit,
# with validation data from another Sequence.
# check: acc >= 0.8 and data.epochs_seen == 20
import keras
import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential


class DataGenerator(keras.utils.Sequence):
    def __init__(self, n, batch_size=32, seed=0):
        rng = np.random.RandomState(seed)
        self.x = rng.normal(size=(n, 6, 2)).astype("float32")
        self.y = (self.x[:, :, 0].sum(axis=1) > 0).astype("float32")
        self.batch_size = batch_size
        self.epochs_seen = 0

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.x[batch], self.y[batch]

    def on_epoch_end(self):
        self.epochs_seen += 1


data = DataGenerator(320)
validation = DataGenerator(96, seed=1)
model = Sequential([LSTM(16, input_shape=(6, 2)), Dense(1, activation="sigmoid")])
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["acc"])
model.fit(data, validation_data=validation, epochs=20, verbose=0)
loss, acc = model.evaluate(validation, verbose=0)
print("accuracy", acc)
