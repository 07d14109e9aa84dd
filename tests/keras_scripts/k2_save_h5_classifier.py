# Keras 2: np_utils.to_categorical labels, a GRU classifier, model.save('model.h5'), load_model
# and the same predictions; save_weights/load_weights on an .h5 name.
# check: acc > 0.9 and same == 0.0 and same_weights == 0.0
import numpy as np
from keras.layers import GRU, Dense, Dropout
from keras.models import Sequential, load_model
from keras.utils import np_utils

rng = np.random.RandomState(5)
X = rng.normal(size=(300, 8, 3)).astype("float32")
labels = X[:, :, 0].mean(axis=1).argsort().argsort() * 3 // 300  # three balanced classes
Y = np_utils.to_categorical(labels, 3)
model = Sequential()
model.add(GRU(24, input_shape=(8, 3)))
model.add(Dropout(0.2))
model.add(Dense(3, activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X, Y, epochs=40, batch_size=32, verbose=0)
loss, acc = model.evaluate(X, Y, verbose=0)
model.save("model.h5")
restored = load_model("model.h5")
same = float(np.abs(restored.predict(X) - model.predict(X)).max())
model.save_weights("weights.h5")
restored.set_weights([np.zeros_like(w) for w in restored.get_weights()])
restored.load_weights("weights.h5")
same_weights = float(np.abs(restored.predict(X) - model.predict(X)).max())
print("accuracy", acc)
