# machinelearningmastery "Save and Load Your Keras Deep Learning Models" (Brownlee) / the Stack
# Overflow answer it comes from, on an LSTM: model.to_json() written to model.json,
# model.save_weights("model.h5"), then json_file.read(), model_from_json, load_weights,
# compile and evaluate, printing "%s: %.2f%%" % (loaded_model.metrics_names[1], score[1]*100).
# check: abs(score[1] - original[1]) < 1e-6 and score[1] > 0.85
import numpy
from keras.models import Sequential
from keras.models import model_from_json
from keras.layers import Dense
from keras.layers import LSTM

numpy.random.seed(7)
# sequences of 8 values; class 1 when their sum is positive
X = numpy.random.uniform(-1, 1, size=(500, 8, 1))
Y = (X.sum(axis=(1, 2)) > 0).astype("float32")
model = Sequential()
model.add(LSTM(12, input_shape=(8, 1)))
model.add(Dense(8, activation="relu"))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X, Y, epochs=20, batch_size=10, verbose=0)
original = model.evaluate(X, Y, verbose=0)
print("%s: %.2f%%" % (model.metrics_names[1], original[1] * 100))

# serialize model to JSON
model_json = model.to_json()
with open("model.json", "w") as json_file:
    json_file.write(model_json)
# serialize weights to HDF5
model.save_weights("model.h5")
print("Saved model to disk")

# later...

# load json and create model
json_file = open("model.json", "r")
loaded_model_json = json_file.read()
json_file.close()
loaded_model = model_from_json(loaded_model_json)
# load weights into new model
loaded_model.load_weights("model.h5")
print("Loaded model from disk")

# evaluate loaded model on test data
loaded_model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
score = loaded_model.evaluate(X, Y, verbose=0)
print("%s: %.2f%%" % (loaded_model.metrics_names[1], score[1] * 100))
