# Keras 2: an imbalanced binary problem trained with class_weight, judged by the minority
# class's recall.
# check: recall > 0.7
import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential

rng = np.random.RandomState(6)
X = rng.normal(size=(400, 6, 1)).astype("float32")
y = (X[:, :, 0].max(axis=1) > 1.9).astype("float32")
print("positives", int(y.sum()), "of", len(y))
model = Sequential()
model.add(LSTM(16, input_shape=(6, 1)))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
weight_for_1 = float((y == 0).sum() / max((y == 1).sum(), 1))
model.fit(X, y, epochs=25, batch_size=32, class_weight={0: 1.0, 1: weight_for_1}, verbose=0)
predicted = (model.predict(X)[:, 0] > 0.5).astype("float32")
recall = float((predicted * y).sum() / y.sum())
print("recall", recall)
