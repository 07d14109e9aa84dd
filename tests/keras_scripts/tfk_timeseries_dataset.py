# TensorFlow 2.x style: tf.keras.utils.timeseries_dataset_from_array for training and validation
# windows, fit(dataset, validation_data=dataset), iterating the dataset's batches.
# check: val_mae < 0.1
import numpy as np
import tensorflow as tf

series = (np.sin(np.arange(500) * 0.05) + 0.1 * np.cos(np.arange(500) * 0.3)).astype("float32")
features = series[:, None]
sequence_length = 12
train = tf.keras.utils.timeseries_dataset_from_array(
    features[:-sequence_length],
    series[sequence_length:],
    sequence_length=sequence_length,
    batch_size=32,
    end_index=380,
)
val = tf.keras.utils.timeseries_dataset_from_array(
    features[:-sequence_length],
    series[sequence_length:],
    sequence_length=sequence_length,
    batch_size=32,
    start_index=380,
)
for batch in train:
    inputs, targets = batch
    print("Input shape:", inputs.shape, "Target shape:", targets.shape)
    break
inputs = tf.keras.Input(shape=(sequence_length, 1))
lstm_out = tf.keras.layers.LSTM(32)(inputs)
outputs = tf.keras.layers.Dense(1)(lstm_out)
model = tf.keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.005), loss="mse", metrics=["mae"])
history = model.fit(train, epochs=12, validation_data=val, verbose=0)
val_mae = history.history["val_mae"][-1]
print("val mae", val_mae)
