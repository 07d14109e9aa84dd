# Keras 1 style (Jason Brownlee's airline-passengers tutorial, 2016): LSTM(4, input_dim=look_back),
# nb_epoch, keras.layers.core / keras.layers.recurrent module paths, MinMax scaling by hand.
# check: test_rmse < 0.15 * (dataset.max() - dataset.min())
import math

import numpy
from keras.layers.core import Dense
from keras.layers.recurrent import LSTM
from keras.models import Sequential

numpy.random.seed(7)
months = numpy.arange(96)
dataset = (120 + 0.5 * months + 30 * numpy.sin(2 * numpy.pi * months / 12)).astype("float32")
dataset = dataset.reshape(-1, 1)
low, high = dataset.min(), dataset.max()
scaled = (dataset - low) / (high - low)
train_size = int(len(scaled) * 0.67)
train, test = scaled[0:train_size, :], scaled[train_size : len(scaled), :]


def create_dataset(dataset, look_back=1):
    dataX, dataY = [], []
    for i in range(len(dataset) - look_back - 1):
        a = dataset[i : (i + look_back), 0]
        dataX.append(a)
        dataY.append(dataset[i + look_back, 0])
    return numpy.array(dataX), numpy.array(dataY)


look_back = 3
trainX, trainY = create_dataset(train, look_back)
testX, testY = create_dataset(test, look_back)
trainX = numpy.reshape(trainX, (trainX.shape[0], 1, trainX.shape[1]))
testX = numpy.reshape(testX, (testX.shape[0], 1, testX.shape[1]))
model = Sequential()
model.add(LSTM(4, input_dim=look_back))
model.add(Dense(1))
model.compile(loss="mean_squared_error", optimizer="adam")
model.fit(trainX, trainY, nb_epoch=100, batch_size=4, verbose=0)
testPredict = model.predict(testX) * (high - low) + low
test_rmse = math.sqrt(numpy.mean((testPredict[:, 0] - (testY * (high - low) + low)) ** 2))
print("Test Score: %.2f RMSE" % (test_rmse))
