# machinelearningmastery "Multivariate Time Series Forecasting with LSTMs in Keras" (Brownlee):
# a pollution-like DataFrame (generated here in place of pollution.csv), LabelEncoder on wind
# direction, series_to_supervised(n_in, n_out, dropnan) written inline, drop columns,
# LSTM(50, input_shape=(train_X.shape[1], train_X.shape[2])), fit(validation_data=...,
# shuffle=False, verbose=2), history.history['val_loss'] plotted, concatenate for the inverse.
# check: rmse < 0.6 * float(numpy.std(inv_y)) and len(history.history["val_loss"]) == 8
from math import sqrt

import numpy
from keras.layers import LSTM, Dense
from keras.models import Sequential
from matplotlib import pyplot
from numpy import concatenate
from pandas import DataFrame, concat
from sklearn.metrics import mean_squared_error
from sklearn.preprocessing import LabelEncoder, MinMaxScaler

# the data: hourly pollution, dew point, temperature, pressure, wind direction and speed
rng = numpy.random.default_rng(1)
hours = numpy.arange(2000)
dew = 10 * numpy.sin(2 * numpy.pi * hours / 24) + rng.normal(0, 1, len(hours))
temp = 15 + 8 * numpy.sin(2 * numpy.pi * (hours - 3) / 24) + rng.normal(0, 1, len(hours))
press = 1015 + rng.normal(0, 2, len(hours)).cumsum() * 0.1
wnd_dir = rng.choice(["NE", "NW", "SE", "cv"], size=len(hours))
wnd_spd = numpy.abs(rng.normal(5, 3, len(hours)))
pollution = numpy.zeros(len(hours))
for t in range(1, len(hours)):
    pollution[t] = 0.8 * pollution[t - 1] + 3 * dew[t] + 20 - 2 * wnd_spd[t] + rng.normal(0, 4)
dataset = DataFrame(
    {
        "pollution": pollution,
        "dew": dew,
        "temp": temp,
        "press": press,
        "wnd_dir": wnd_dir,
        "wnd_spd": wnd_spd,
        "snow": rng.integers(0, 2, len(hours)),
        "rain": rng.integers(0, 2, len(hours)),
    }
)


# convert series to supervised learning
def series_to_supervised(data, n_in=1, n_out=1, dropnan=True):
    n_vars = 1 if type(data) is list else data.shape[1]
    df = DataFrame(data)
    cols, names = list(), list()
    # input sequence (t-n, ... t-1)
    for i in range(n_in, 0, -1):
        cols.append(df.shift(i))
        names += [("var%d(t-%d)" % (j + 1, i)) for j in range(n_vars)]
    # forecast sequence (t, t+1, ... t+n)
    for i in range(0, n_out):
        cols.append(df.shift(-i))
        if i == 0:
            names += [("var%d(t)" % (j + 1)) for j in range(n_vars)]
        else:
            names += [("var%d(t+%d)" % (j + 1, i)) for j in range(n_vars)]
    agg = concat(cols, axis=1)
    agg.columns = names
    if dropnan:
        agg.dropna(inplace=True)
    return agg


values = dataset.values
# integer encode direction
encoder = LabelEncoder()
values[:, 4] = encoder.fit_transform(values[:, 4])
values = values.astype("float32")
scaler = MinMaxScaler(feature_range=(0, 1))
scaled = scaler.fit_transform(values)
reframed = series_to_supervised(scaled, 1, 1)
# drop columns we don't want to predict
reframed.drop(reframed.columns[[9, 10, 11, 12, 13, 14, 15]], axis=1, inplace=True)
print(reframed.head())

values = reframed.values
n_train_hours = 1500
train = values[:n_train_hours, :]
test = values[n_train_hours:, :]
train_X, train_y = train[:, :-1], train[:, -1]
test_X, test_y = test[:, :-1], test[:, -1]
train_X = train_X.reshape((train_X.shape[0], 1, train_X.shape[1]))
test_X = test_X.reshape((test_X.shape[0], 1, test_X.shape[1]))
print(train_X.shape, train_y.shape, test_X.shape, test_y.shape)

model = Sequential()
model.add(LSTM(50, input_shape=(train_X.shape[1], train_X.shape[2])))
model.add(Dense(1))
model.compile(loss="mae", optimizer="adam")
history = model.fit(
    train_X,
    train_y,
    epochs=8,
    batch_size=72,
    validation_data=(test_X, test_y),
    verbose=2,
    shuffle=False,
)
pyplot.plot(history.history["loss"], label="train")
pyplot.plot(history.history["val_loss"], label="test")
pyplot.legend()
pyplot.show()

yhat = model.predict(test_X)
test_X = test_X.reshape((test_X.shape[0], test_X.shape[2]))
# invert scaling for forecast
inv_yhat = concatenate((yhat, test_X[:, 1:]), axis=1)
inv_yhat = scaler.inverse_transform(inv_yhat)
inv_yhat = inv_yhat[:, 0]
# invert scaling for actual
test_y = test_y.reshape((len(test_y), 1))
inv_y = concatenate((test_y, test_X[:, 1:]), axis=1)
inv_y = scaler.inverse_transform(inv_y)
inv_y = inv_y[:, 0]
rmse = sqrt(mean_squared_error(inv_y, inv_yhat))
print("Test RMSE: %.3f" % rmse)
