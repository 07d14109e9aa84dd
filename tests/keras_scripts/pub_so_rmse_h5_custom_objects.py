# A Stack Overflow pattern ("Unknown loss function: root_mean_squared_error" on load_model): a
# custom RMSE written with keras.backend (K.sqrt(K.mean(K.square(y_pred - y_true)))), used as
# loss and metric, model.save('model.h5'), load_model('model.h5', custom_objects={...}), then
# predictions compared with the original model.
# check: numpy.allclose(before, after, atol=1e-6) and reloaded_rmse < 0.1
import numpy
from keras import backend as K
from keras.layers import LSTM, Dense, Dropout
from keras.models import Sequential, load_model


def root_mean_squared_error(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))


def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true)))


numpy.random.seed(0)
t = numpy.arange(0, 400)
data = numpy.sin(0.1 * t) * 0.4 + 0.5
n_steps = 10
X = numpy.array([data[i : i + n_steps] for i in range(len(data) - n_steps)])
y = data[n_steps:]
X = X.reshape(X.shape[0], X.shape[1], 1)

model = Sequential()
model.add(LSTM(32, return_sequences=True, input_shape=(n_steps, 1)))
model.add(Dropout(0.2))
model.add(LSTM(16))
model.add(Dense(1))
model.compile(loss=root_mean_squared_error, optimizer="adam", metrics=[rmse, "mae"])
model.fit(X, y, epochs=20, batch_size=16, verbose=2, validation_split=0.33)
before = model.predict(X[:20])
model.save("model.h5")
del model

model = load_model(
    "model.h5", custom_objects={"root_mean_squared_error": root_mean_squared_error, "rmse": rmse}
)
after = model.predict(X[:20])
loss, reloaded_rmse, mae = model.evaluate(X, y, verbose=0)
print("rmse: %.4f" % reloaded_rmse)
