# Keras 2: an endless Python generator of batches for fit_generator (steps_per_epoch,
# validation_data as a generator with validation_steps) and evaluate_generator.
# check: val_loss < 0.02
import numpy as np
from keras.layers import GRU, Dense
from keras.models import Sequential


def batch_generator(batch_size=32, seed=0):
    rng = np.random.RandomState(seed)
    while True:
        x = rng.uniform(-1, 1, size=(batch_size, 5, 1))
        y = x[:, -1, :] * 0.5 + x[:, 0, :] * 0.5
        yield x, y


model = Sequential()
model.add(GRU(16, input_shape=(5, 1)))
model.add(Dense(1))
model.compile(loss="mse", optimizer="adam")
history = model.fit_generator(
    batch_generator(),
    steps_per_epoch=20,
    epochs=15,
    validation_data=batch_generator(seed=1),
    validation_steps=4,
    verbose=0,
    workers=1,
    use_multiprocessing=False,
)
val_loss = model.evaluate_generator(batch_generator(seed=2), steps=5)
print("val_loss", val_loss, history.history["val_loss"][-1])
