# Keras 2: Sequential.predict_classes and predict_proba on a sigmoid output, metrics=['acc'],
# history.history['acc'].
# check: history.history["acc"][-1] > 0.85 and classes.shape == (200, 1) and set(np.unique(classes)) <= {0, 1}
import numpy as np
from keras.layers import Dense, SimpleRNN
from keras.models import Sequential

rng = np.random.RandomState(9)
X = rng.normal(size=(200, 5, 1)).astype("float32")
y = (X[:, -1, 0] > 0).astype("int32")
model = Sequential()
model.add(SimpleRNN(8, input_shape=(5, 1)))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["acc"])
history = model.fit(X, y, epochs=60, batch_size=20, verbose=0)
classes = model.predict_classes(X)
probabilities = model.predict_proba(X)
print(classes[:5].ravel(), probabilities[:5].ravel())
