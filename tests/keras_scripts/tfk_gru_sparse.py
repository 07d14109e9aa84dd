# TensorFlow 2 style: from tensorflow.keras.layers import GRU, Dense, Dropout; integer labels
# with sparse_categorical_crossentropy; evaluate returns [loss, accuracy].
# check: accuracy > 0.85
import numpy as np
from tensorflow.keras.layers import GRU, Dense, Dropout
from tensorflow.keras.models import Sequential
from tensorflow.keras.optimizers import Adam

rng = np.random.RandomState(10)
X = rng.normal(size=(360, 6, 2)).astype("float32")
y = np.digitize(X[:, :, 1].mean(axis=1), [-0.2, 0.2])  # three classes
model = Sequential()
model.add(GRU(32, input_shape=(6, 2), return_sequences=True))
model.add(Dropout(0.1))
model.add(GRU(16))
model.add(Dense(3, activation="softmax"))
model.compile(optimizer=Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X, y, epochs=25, batch_size=32, verbose=0)
loss, accuracy = model.evaluate(X, y, verbose=0)
print("accuracy", accuracy)
