"""The five-step LSTM life-cycle: define, compile, fit, evaluate, predict, and its variants.

The model learns the next value of the sequence 0.0, 0.1, ..., 0.9 (X[t] = s[t], y[t] = s[t+1],
9 patterns shaped [samples, timesteps, features] = (9, 1, 1)) with ``LSTM(10)`` and ``Dense(1)``,
adam and mean squared error, 1000 epochs with the 9 patterns as one batch. It prints every
prediction beside its target and the largest error (a working engine gets well under 0.05).

Then the variants the tutorial lists:

* compiling with an optimizer object instead of its name: ``SGD(lr=0.1, momentum=0.3)``. Its
  step is a hundred times adam's default (0.001), and on this tiny smooth problem it gets lower
  sooner; the loss curves of both are plotted on a log scale;
* the output layer of a binary classifier, ``Dense(1, activation='sigmoid')`` with
  ``binary_crossentropy`` and the ``accuracy`` metric, on made-up data whose answer is obvious
  (is the value at least 0.5?);
* the output layer of a multiclass classifier, ``Dense(3, activation='softmax')`` with
  ``categorical_crossentropy`` (one-hot targets) and ``accuracy`` (is the value low, middle or
  high?);

both classifiers answering with ``predict_classes``. Expect accuracy 1.0 for both.

Writes ``loss.png`` (adam against SGD). ``--quick`` trains 60 epochs instead of 1000.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import lstmkit
from lstmkit.cli.examples import example_arguments
from lstmkit.layers import LSTM, Dense
from lstmkit.models import Sequential
from lstmkit.optimizers import SGD
from lstmkit.plotting import save_png
from lstmkit.utils import to_categorical

NAME = "lifecycle"


def next_value_data() -> tuple[np.ndarray, np.ndarray]:
    """X (9, 1, 1) holds s[t], y (9,) holds s[t + 1] for s = 0.0, 0.1, ..., 0.9."""
    sequence = np.arange(0.0, 1.0, 0.1)
    X = sequence[:-1].reshape(len(sequence) - 1, 1, 1)  # [samples, timesteps, features]
    return X, sequence[1:]


def regression_model() -> Sequential:
    model = Sequential()
    model.add(LSTM(10, input_shape=(1, 1)))
    model.add(Dense(1))
    return model


def classifier(outputs: int, activation: str) -> Sequential:
    """The same network with a classifier's output layer."""
    model = Sequential()
    model.add(LSTM(10, input_shape=(1, 1)))
    model.add(Dense(outputs, activation=activation))
    return model


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = example_arguments(argv, NAME, __doc__, quick="fewer epochs: seconds, same code")
    epochs = 60 if args.quick else 1000
    X, y = next_value_data()

    # -- The five steps --------------------------------------------------------------------------
    lstmkit.set_random_seed(args.seed)
    # 1. define
    model = regression_model()
    model.summary()
    # 2. compile
    model.compile(optimizer="adam", loss="mean_squared_error")
    # 3. fit
    started = time.perf_counter()
    history = model.fit(X, y, epochs=epochs, batch_size=len(X), verbose=0)
    seconds = time.perf_counter() - started
    # 4. evaluate
    loss = model.evaluate(X, y, verbose=0)
    # 5. predict
    predictions = model.predict(X, verbose=0)[:, 0]

    final_loss = history.history["loss"][-1]
    print(f"\ntrained {epochs} epochs in {seconds:.2f} s; final loss {final_loss:.6f}")
    print(f"evaluate: mse {loss:.6f}\n")
    print("input  target  predicted")
    for value, target, predicted in zip(X[:, 0, 0], y, predictions, strict=True):
        print(f"{value:5.1f}  {target:6.1f}  {predicted:9.3f}")
    largest_error = float(np.max(np.abs(predictions - y)))
    print(f"\nlargest error: {largest_error:.4f}")

    # -- Compile with an optimizer object: SGD with momentum -------------------------------------
    # Keras 2 spelled the learning rate ``lr``; lstmkit accepts it beside ``learning_rate``.
    lstmkit.set_random_seed(args.seed)
    sgd_model = regression_model()
    sgd_model.compile(optimizer=SGD(lr=0.1, momentum=0.3), loss="mean_squared_error")
    sgd_history = sgd_model.fit(X, y, epochs=epochs, batch_size=len(X), verbose=0)
    sgd_error = float(np.max(np.abs(sgd_model.predict(X, verbose=0)[:, 0] - y)))
    print(
        f"\nSGD(lr=0.1, momentum=0.3): final loss {sgd_history.history['loss'][-1]:.6f}, "
        f"largest error {sgd_error:.4f}"
    )

    # -- Output layers for classification --------------------------------------------------------
    values = np.arange(0.0, 1.0, 0.1)
    X_class = values.reshape(len(values), 1, 1)

    # Binary: is the value at least 0.5? One sigmoid unit, binary cross-entropy.
    binary_labels = (values.round(1) >= 0.5).astype(np.float32)
    lstmkit.set_random_seed(args.seed)
    binary = classifier(1, "sigmoid")
    binary.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    binary.fit(X_class, binary_labels, epochs=epochs, batch_size=len(values), verbose=0)
    _, binary_accuracy = binary.evaluate(X_class, binary_labels, verbose=0)
    binary_classes = binary.predict_classes(X_class)[:, 0]  # (p > 0.5) as 0/1
    print(f"\nbinary classifier (value >= 0.5): predict_classes {binary_classes.tolist()}")
    print(f"binary accuracy: {binary_accuracy:.3f}")

    # Multiclass: low (< 0.35), middle, or high (> 0.65)? Three softmax units, one-hot targets.
    class_labels = np.digitize(values, [0.35, 0.65])  # 0, 1, 2
    lstmkit.set_random_seed(args.seed)
    multiclass = classifier(3, "softmax")
    multiclass.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    multiclass.fit(
        X_class, to_categorical(class_labels, 3), epochs=epochs, batch_size=len(values), verbose=0
    )
    _, multiclass_accuracy = multiclass.evaluate(
        X_class, to_categorical(class_labels, 3), verbose=0
    )
    multiclass_classes = multiclass.predict_classes(X_class)  # argmax of the probabilities
    print(f"\nmulticlass classifier (low/middle/high): expected {class_labels.tolist()}")
    print(f"                         predict_classes {multiclass_classes.tolist()}")
    print(f"multiclass accuracy: {multiclass_accuracy:.3f}")

    # -- The loss curves -------------------------------------------------------------------------
    figure = Figure(figsize=(7, 4))
    axes = figure.add_subplot()
    epoch_numbers = np.arange(1, epochs + 1)
    axes.plot(epoch_numbers, history.history["loss"], label="adam")
    axes.plot(epoch_numbers, sgd_history.history["loss"], label="SGD(lr=0.1, momentum=0.3)")
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("training loss (mse)")
    axes.set_title("Learning the next value of 0.0, 0.1, ..., 0.9")
    axes.legend()
    figure.tight_layout()
    loss_png = save_png(figure, args.out / "loss.png")
    print(f"\nwrote {loss_png}")

    return {
        "epochs": epochs,
        "largest_error": largest_error,
        "final_loss": float(final_loss),
        "sgd_largest_error": sgd_error,
        "binary_accuracy": float(binary_accuracy),
        "multiclass_accuracy": float(multiclass_accuracy),
        "files": [str(loss_png)],
    }


if __name__ == "__main__":
    main()
