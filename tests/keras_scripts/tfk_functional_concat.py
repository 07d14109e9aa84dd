# TensorFlow 2 functional model with two inputs: token ids (Input(dtype='int32') into an
# Embedding) and numeric features, merged with concatenate; Model.input / Model.output.
# check: acc > 0.85 and len(model.input) == 2 and tuple(model.output.shape) == (None, 1)
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras.models import Model

tf.random.set_seed(0)
rng = np.random.RandomState(11)
tokens = rng.randint(1, 20, size=(400, 8))
numbers = rng.normal(size=(400, 8, 1)).astype("float32")
labels = ((tokens == 7).any(axis=1) | (numbers[:, :, 0].mean(axis=1) > 0.5)).astype("float32")
token_input = layers.Input(shape=(8,), dtype="int32", name="tokens")
number_input = layers.Input(shape=(8, 1), name="numbers")
embedded = layers.Embedding(input_dim=20, output_dim=8)(token_input)
text_features = layers.LSTM(16)(embedded)
number_features = layers.LSTM(8)(number_input)
merged = layers.concatenate([text_features, number_features])
output = layers.Dense(1, activation="sigmoid")(layers.Dense(16, activation="relu")(merged))
model = Model(inputs=[token_input, number_input], outputs=output)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit([tokens, numbers], labels, epochs=20, batch_size=32, verbose=0)
loss, acc = model.evaluate([tokens, numbers], labels, verbose=0)
print("accuracy", acc)
