# Keras 2: Bidirectional(LSTM(50, activation='relu'), input_shape=(n_steps, n_features)).
# check: abs(float(yhat[0, 0]) - 100.0) < 10.0
from keras.layers import LSTM, Bidirectional, Dense
from keras.models import Sequential
from numpy import array

X = array([[10, 20, 30], [20, 30, 40], [30, 40, 50], [40, 50, 60], [50, 60, 70], [60, 70, 80]])
y = array([40, 50, 60, 70, 80, 90])
X = X.reshape((X.shape[0], X.shape[1], 1))
model = Sequential()
model.add(Bidirectional(LSTM(50, activation="relu"), input_shape=(3, 1)))
model.add(Dense(1))
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=200, verbose=0)
yhat = model.predict(array([70, 80, 90]).reshape((1, 3, 1)), verbose=0)
print(yhat)
