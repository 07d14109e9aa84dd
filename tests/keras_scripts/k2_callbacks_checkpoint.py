# Keras 2: EarlyStopping, ModelCheckpoint('best_model.h5', save_best_only=True), ReduceLROnPlateau,
# CSVLogger, validation_split; load_model('best_model.h5') afterwards.
# check: os.path.exists("best_model.h5") and os.path.exists("training.log") and best_loss < 0.05
import os

import numpy as np
from keras.callbacks import CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from keras.layers import LSTM, Dense
from keras.models import Sequential, load_model

rng = np.random.RandomState(4)
X = rng.uniform(0, 1, size=(300, 5, 1))
y = X[:, -1] * 0.8 + 0.1
model = Sequential()
model.add(LSTM(12, input_shape=(5, 1)))
model.add(Dense(1))
model.compile(loss="mse", optimizer="adam")
callbacks = [
    EarlyStopping(monitor="val_loss", patience=5, verbose=0),
    ModelCheckpoint("best_model.h5", monitor="val_loss", save_best_only=True, verbose=0),
    ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5),
    CSVLogger("training.log"),
]
model.fit(X, y, epochs=30, batch_size=16, validation_split=0.2, callbacks=callbacks, verbose=0)
saved_model = load_model("best_model.h5")
best_loss = saved_model.evaluate(X, y, verbose=0)
print("best model loss", best_loss)
