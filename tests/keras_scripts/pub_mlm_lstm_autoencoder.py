# machinelearningmastery "A Gentle Introduction to LSTM Autoencoders" (Brownlee): the
# reconstruction autoencoder (LSTM(100, activation='relu'), RepeatVector(n_in),
# LSTM(..., return_sequences=True), TimeDistributed(Dense(1))), plot_model(show_shapes=True,
# to_file=...), then keeping the encoder with Model(inputs=model.inputs,
# outputs=model.layers[0].output) and the composite model with two decoders.
# check: recon_err < 0.05 and encoded.shape == (1, 100) and abs(yhat[1][0, 0, 0] - 0.2) < 0.1
from numpy import array
from keras.models import Sequential
from keras.models import Model
from keras.layers import Input
from keras.layers import LSTM
from keras.layers import Dense
from keras.layers import RepeatVector
from keras.layers import TimeDistributed
from keras.utils import plot_model

# define input sequence
sequence = array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
# reshape input into [samples, timesteps, features]
n_in = len(sequence)
sequence = sequence.reshape((1, n_in, 1))
# define model
model = Sequential()
model.add(LSTM(100, activation="relu", input_shape=(n_in, 1)))
model.add(RepeatVector(n_in))
model.add(LSTM(100, activation="relu", return_sequences=True))
model.add(TimeDistributed(Dense(1)))
model.compile(optimizer="adam", loss="mse")
# fit model
model.fit(sequence, sequence, epochs=300, verbose=0)
plot_model(model, show_shapes=True, to_file="reconstruct_lstm_autoencoder.png")
# demonstrate recreation
yhat = model.predict(sequence, verbose=0)
print(yhat[0, :, 0])
recon_err = float(abs(yhat - sequence).max())
# connect the encoder LSTM as the output layer
model = Model(inputs=model.inputs, outputs=model.layers[0].output)
encoded = model.predict(sequence)
print(encoded.shape)

# composite: reconstruct and predict
seq_in = array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]).reshape((1, n_in, 1))
seq_out = seq_in[:, 1:, :]
n_out = n_in - 1
visible = Input(shape=(n_in, 1))
encoder = LSTM(100, activation="relu")(visible)
# define reconstruct decoder
decoder1 = RepeatVector(n_in)(encoder)
decoder1 = LSTM(100, activation="relu", return_sequences=True)(decoder1)
decoder1 = TimeDistributed(Dense(1))(decoder1)
# define predict decoder
decoder2 = RepeatVector(n_out)(encoder)
decoder2 = LSTM(100, activation="relu", return_sequences=True)(decoder2)
decoder2 = TimeDistributed(Dense(1))(decoder2)
# tie it together
model = Model(inputs=visible, outputs=[decoder1, decoder2])
model.compile(optimizer="adam", loss="mse")
plot_model(model, show_shapes=True, to_file="composite_lstm_autoencoder.png")
model.fit(seq_in, [seq_in, seq_out], epochs=300, verbose=0)
yhat = model.predict(seq_in, verbose=0)
print(yhat)
