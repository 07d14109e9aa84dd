# machinelearningmastery "Sequence Classification with LSTM Recurrent Neural Networks in Python
# with Keras" (Brownlee), with generated reviews in place of imdb.load_data(num_words=top_words):
# from keras.preprocessing import sequence, Embedding(top_words, embedding_vecor_length,
# input_length=max_review_length), Conv1D(filters=32, kernel_size=3, padding='same',
# activation='relu'), MaxPooling1D(pool_size=2), LSTM(100), print(model.summary()),
# "Accuracy: %.2f%%" % (scores[1]*100).
# check: scores[1] > 0.8
import numpy
import tensorflow as tf
from keras.models import Sequential
from keras.layers import Dense
from keras.layers import LSTM
from keras.layers.convolutional import Conv1D
from keras.layers.convolutional import MaxPooling1D
from keras.layers.embeddings import Embedding
from keras.preprocessing import sequence

# fix random seed for reproducibility
tf.random.set_seed(7)
numpy.random.seed(7)
# load the dataset but only keep the top n words, zero the rest
top_words = 500
X, y = [], []
for _ in range(800):
    label = numpy.random.randint(0, 2)
    review = list(numpy.random.randint(40, top_words, size=numpy.random.randint(20, 80)))
    review[numpy.random.randint(0, len(review))] = 7 if label else 8
    review[numpy.random.randint(0, len(review))] = 9 if label else 11
    X.append(review)
    y.append(label)
X_train, X_test = X[:600], X[600:]
y_train, y_test = numpy.array(y[:600]), numpy.array(y[600:])
# truncate and pad input sequences
max_review_length = 60
X_train = sequence.pad_sequences(X_train, maxlen=max_review_length)
X_test = sequence.pad_sequences(X_test, maxlen=max_review_length)
# create the model
embedding_vecor_length = 32
model = Sequential()
model.add(Embedding(top_words, embedding_vecor_length, input_length=max_review_length))
model.add(Conv1D(filters=32, kernel_size=3, padding="same", activation="relu"))
model.add(MaxPooling1D(pool_size=2))
model.add(LSTM(100))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
print(model.summary())
model.fit(X_train, y_train, epochs=4, batch_size=64)
# Final evaluation of the model
scores = model.evaluate(X_test, y_test, verbose=0)
print("Accuracy: %.2f%%" % (scores[1] * 100))
