# machinelearningmastery "Understand the Difference Between Return Sequences and Return States
# for LSTMs in Keras" (Brownlee): Input(shape=(3, 1)), LSTM(1, return_sequences=True,
# return_state=True), Model(inputs=inputs1, outputs=[lstm1, state_h, state_c]), predict on one
# sequence: the last step of the sequence output is the hidden state.
# check: lstm1.shape == (1, 3, 1) and abs(float(lstm1[0, -1, 0]) - float(state_h[0, 0])) < 1e-6 and state_c.shape == (1, 1)
from keras.models import Model
from keras.layers import Input
from keras.layers import LSTM
from numpy import array

# define model
inputs1 = Input(shape=(3, 1))
lstm1, state_h, state_c = LSTM(1, return_sequences=True, return_state=True)(inputs1)
model = Model(inputs=inputs1, outputs=[lstm1, state_h, state_c])
# define input data
data = array([0.1, 0.2, 0.3]).reshape((1, 3, 1))
# make and show prediction
print(model.predict(data))
lstm1, state_h, state_c = model.predict(data)
