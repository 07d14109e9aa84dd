"""Binary sequence classification: did a random walk keep its direction? (stacked relu LSTM)

A generator draws random numbers in [0, 1); each sample holds three timesteps,
[current value, previous value, whether the previous step went up], and its label is 1 when the
current step goes the same way (up or down) as the previous one. To answer, the model must compare
the first two timesteps and match the result with the third.

The model: ``LSTM(50, relu, return_sequences)``, ``Dropout(0.2)``, ``LSTM(50, relu)``,
``Dropout(0.2)``, ``Dense(1, sigmoid)``; binary cross-entropy, adam, accuracy; 1000 samples,
batch 64, the last 20 % held out for validation (``validation_split=0.2``), 200 epochs, no
shuffling. It prints the accuracy on 10,000 freshly generated samples: expect about 0.99.
Writes ``history.png`` (loss and accuracy curves, training and validation). ``--quick`` trains
3 epochs on 200 samples and tests on 500.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import lstmkit
from lstmkit.cli.examples import example_arguments
from lstmkit.layers import LSTM, Dense, Dropout
from lstmkit.models import Sequential
from lstmkit.plotting import plot_history

NAME = "binary"


def binary_sequences(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's generator: X (n, 3, 1) holds [cur, prev, prev_state], y (n,) is 1.0 when the
    current rise-or-fall state equals the previous one."""
    cur, prev_state = rng.random(), False
    X, y = [], []
    for _ in range(n):
        prev, cur = cur, rng.random()
        cur_state = cur > prev
        y.append(float(cur_state == prev_state))
        X.append([cur, prev, float(prev_state)])
        prev_state = cur_state
    return np.asarray(X, np.float32).reshape(n, 3, 1), np.asarray(y, np.float32)


def build_model() -> Sequential:
    model = Sequential()
    model.add(LSTM(50, activation="relu", return_sequences=True, input_shape=(3, 1)))
    model.add(Dropout(0.2))
    model.add(LSTM(50, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = example_arguments(argv, NAME, __doc__, quick="few epochs and samples: seconds")
    samples, epochs, fresh = (200, 3, 500) if args.quick else (1000, 200, 10_000)

    rng = np.random.default_rng(args.seed)
    X, y = binary_sequences(rng, samples)
    print(f"X {X.shape} [samples, timesteps, features]; {y.mean():.0%} of the labels are 1")
    print("  [current, previous, previous step went up] -> same direction")
    for row in range(3):
        current, previous, went_up = X[row, :, 0]
        print(f"  [{current:.3f}, {previous:.3f}, {went_up:.0f}] -> {y[row]:.0f}")

    lstmkit.set_random_seed(args.seed)
    model = build_model()
    history = model.fit(
        X, y, batch_size=64, validation_split=0.2, epochs=epochs, shuffle=False, verbose=0
    )
    logs = history.history
    print(
        f"after {epochs} epochs: accuracy {logs['accuracy'][-1]:.3f}, "
        f"validation accuracy {logs['val_accuracy'][-1]:.3f}"
    )

    X_fresh, y_fresh = binary_sequences(rng, fresh)
    predicted = model.predict_classes(X_fresh)[:, 0]
    accuracy = float((predicted == y_fresh).mean())
    print(f"accuracy on {fresh:,} fresh samples: {accuracy:.4f}")

    files = [str(args.out / "history.png")]
    plot_history(
        history,
        metrics=("loss", "accuracy"),
        path=files[0],
        title="Binary sequence classification (validation = last 20 %)",
    )
    print(f"wrote {files[0]}")
    return {
        "epochs": epochs,
        "accuracy": accuracy,
        "val_accuracy": float(logs["val_accuracy"][-1]),
        "files": files,
    }


if __name__ == "__main__":
    main()
