# Keras 2 examples/lstm_seq2seq.py, shrunk: an encoder LSTM's states start a decoder LSTM
# (teacher forcing), then inference models built from the same layers decode step by step.
# check: exact > 0.6
import numpy as np
from keras.layers import LSTM, Dense, Input
from keras.models import Model

rng = np.random.RandomState(1)
num_tokens, length, latent_dim = 5, 3, 48
START = num_tokens  # one extra token: "start"
sources = rng.randint(0, num_tokens, size=(300, length))
targets = sources[:, ::-1]  # learn to reverse the sequence
encoder_input_data = np.eye(num_tokens + 1)[sources]
decoder_input_data = np.eye(num_tokens + 1)[
    np.concatenate([np.full((300, 1), START), targets[:, :-1]], axis=1)
]
decoder_target_data = np.eye(num_tokens + 1)[targets]

encoder_inputs = Input(shape=(None, num_tokens + 1))
encoder = LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)
encoder_states = [state_h, state_c]
decoder_inputs = Input(shape=(None, num_tokens + 1))
decoder_lstm = LSTM(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = Dense(num_tokens + 1, activation="softmax")
decoder_outputs = decoder_dense(decoder_outputs)
model = Model([encoder_inputs, decoder_inputs], decoder_outputs)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(
    [encoder_input_data, decoder_input_data],
    decoder_target_data,
    batch_size=32,
    epochs=60,
    validation_split=0.2,
    verbose=0,
)

encoder_model = Model(encoder_inputs, encoder_states)
decoder_state_input_h = Input(shape=(latent_dim,))
decoder_state_input_c = Input(shape=(latent_dim,))
decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
decoder_outputs, state_h, state_c = decoder_lstm(
    decoder_inputs, initial_state=decoder_states_inputs
)
decoder_outputs = decoder_dense(decoder_outputs)
decoder_model = Model([decoder_inputs] + decoder_states_inputs, [decoder_outputs, state_h, state_c])


def decode_sequence(input_seq):
    states_value = encoder_model.predict(input_seq)
    target_seq = np.zeros((1, 1, num_tokens + 1))
    target_seq[0, 0, START] = 1.0
    decoded = []
    for _ in range(length):
        output_tokens, h, c = decoder_model.predict([target_seq] + states_value)
        sampled = int(np.argmax(output_tokens[0, -1, :]))
        decoded.append(sampled)
        target_seq = np.zeros((1, 1, num_tokens + 1))
        target_seq[0, 0, sampled] = 1.0
        states_value = [h, c]
    return decoded


exact = np.mean(
    [decode_sequence(encoder_input_data[i : i + 1]) == list(targets[i]) for i in range(20)]
)
print("exact reversals", exact)
