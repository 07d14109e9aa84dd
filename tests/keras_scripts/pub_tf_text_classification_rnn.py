# TensorFlow tutorial "Text classification with an RNN", with token ids generated here in place of
# TextVectorization on the IMDB tf.data set: tf.keras.Sequential([Embedding(input_dim, 64,
# mask_zero=True), Bidirectional(LSTM(64)), Dense(64, 'relu'), Dense(1)]), BinaryCrossentropy
# (from_logits=True), Adam(1e-4), validation_data, evaluate, predict on padded and unpadded ids
# (masking makes them agree), then the stacked variant with return_sequences=True and Dropout.
# check: test_acc > 0.8 and abs(float(padded[0, 0]) - float(unpadded[0, 0])) < 1e-4 and stacked_acc > 0.7
import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
VOCAB_SIZE = 500
rng = np.random.default_rng(0)


def make_split(n):
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        ids = list(rng.integers(30, VOCAB_SIZE, size=int(rng.integers(8, 25))))
        for _ in range(2):
            ids.insert(int(rng.integers(0, len(ids))), int(rng.integers(2, 15) + 14 * label))
        texts.append(ids)
        labels.append(label)
    padded = tf.keras.preprocessing.sequence.pad_sequences(texts, padding="post")
    return padded, np.array(labels)


train_x, train_y = make_split(400)
test_x, test_y = make_split(200)

model = tf.keras.Sequential(
    [
        tf.keras.layers.Embedding(input_dim=VOCAB_SIZE, output_dim=64, mask_zero=True),
        tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(64)),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dense(1),
    ]
)
print([layer.supports_masking for layer in model.layers])
model.compile(
    loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
    optimizer=tf.keras.optimizers.Adam(1e-3),
    metrics=["accuracy"],
)
history = model.fit(
    train_x, train_y, epochs=4, validation_data=(test_x, test_y), validation_steps=30
)
test_loss, test_acc = model.evaluate(test_x, test_y)
print("Test Loss:", test_loss)
print("Test Accuracy:", test_acc)
sample_ids = [int(i) for i in test_x[0] if i != 0]
unpadded = model.predict(np.array([sample_ids]))
padded = model.predict(np.array([sample_ids + [0] * 100]))
print(padded[0], unpadded[0])

model = tf.keras.Sequential(
    [
        tf.keras.layers.Embedding(VOCAB_SIZE, 64, mask_zero=True),
        tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(64, return_sequences=True)),
        tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(32)),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dropout(0.5),
        tf.keras.layers.Dense(1),
    ]
)
model.compile(
    loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
    optimizer=tf.keras.optimizers.Adam(1e-3),
    metrics=["accuracy"],
)
model.fit(train_x, train_y, epochs=4, validation_data=(test_x, test_y), validation_steps=30)
stacked_loss, stacked_acc = model.evaluate(test_x, test_y)
