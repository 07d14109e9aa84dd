# The Kaggle/Udemy "Google stock price" LSTM regressor (iloc[:, 0:1].values, MinMaxScaler, a
# 60-step window loop, four-space `units = 50` keyword style, Dropout(0.2)) with the callbacks
# Stack Overflow answers add: EarlyStopping, ModelCheckpoint('best_model.h5', save_best_only),
# ReduceLROnPlateau, CSVLogger; then regressor.history.history, load_model of the checkpoint,
# plt.title/xlabel/legend/show, and K.get_value / K.set_value(regressor.optimizer.lr, ...).
# check: len(regressor.history.history["loss"]) == 3 and float(regressor.optimizer.lr) == 0.0005 and predicted.shape == (5, 1) and log_text.startswith("epoch,")
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from keras.models import Sequential, load_model
from keras.layers import Dense, LSTM, Dropout
from keras.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger
from sklearn.preprocessing import MinMaxScaler
np.random.seed(0)
dataset_train = pd.DataFrame({"Open": 300 + np.cumsum(np.random.normal(0, 3, 600))})
training_set = dataset_train.iloc[:, 0:1].values
sc = MinMaxScaler(feature_range = (0, 1))
training_set_scaled = sc.fit_transform(training_set)
X_train = []
y_train = []
for i in range(60, 600):
    X_train.append(training_set_scaled[i-60:i, 0])
    y_train.append(training_set_scaled[i, 0])
X_train, y_train = np.array(X_train), np.array(y_train)
X_train = np.reshape(X_train, (X_train.shape[0], X_train.shape[1], 1))
regressor = Sequential()
regressor.add(LSTM(units = 50, return_sequences = True, input_shape = (X_train.shape[1], 1)))
regressor.add(Dropout(0.2))
regressor.add(LSTM(units = 50))
regressor.add(Dropout(0.2))
regressor.add(Dense(units = 1))
regressor.compile(optimizer = 'adam', loss = 'mean_squared_error')
cbs = [EarlyStopping(monitor='val_loss', patience=3, verbose=1, mode='min'),
       ModelCheckpoint('best_model.h5', monitor='val_loss', save_best_only=True, verbose=1),
       ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=2, min_lr=1e-5),
       CSVLogger('training.log')]
regressor.fit(X_train, y_train, epochs = 3, batch_size = 32, validation_split=0.1, callbacks=cbs)
print(regressor.history.history['loss'])
best = load_model('best_model.h5')
predicted = sc.inverse_transform(best.predict(X_train[:5]))
plt.figure(figsize=(10, 6))
plt.plot(training_set[60:65], color = 'red', label = 'Real Google Stock Price')
plt.plot(predicted, color = 'blue', label = 'Predicted Google Stock Price')
plt.title('Google Stock Price Prediction')
plt.xlabel('Time'); plt.ylabel('Google Stock Price'); plt.legend(); plt.show()
print(regressor.optimizer.lr, float(regressor.optimizer.learning_rate))
import keras.backend as K
print(K.get_value(regressor.optimizer.lr))
K.set_value(regressor.optimizer.lr, 0.0005)
log_text = open('training.log').read()
print(log_text[:80])
