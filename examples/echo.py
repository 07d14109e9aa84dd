"""Echo random integers with a stateful LSTM: the beginner's mistake and the working version.

Each training sequence is 25 random integers in [0, 99], one-hot encoded (100 features). The
model is always ``LSTM(50, stateful=True)`` and ``Dense(100, softmax)`` with categorical
cross-entropy and adam, trained on 2000 sequences, one ``fit(epochs=1, batch_size=5,
shuffle=False)`` per sequence and ``reset_states()`` between them, then scored by the argmax
accuracy on 100 fresh sequences. Three tasks:

(a) Echo the current integer: X = the one-hot of the integer at step t, one per sample
    (``batch_input_shape=(5, 1, 100)``), y = the same integer. The answer is in the input, and
    the model learns it: expect 1.00.

(b) The beginner's mistake: the same model and the same one-integer samples, asked for the
    PREVIOUS integer, hoping that the stateful LSTM remembers it. It does not: expect chance
    (about 0.01). A stateful layer carries the state of row i of one batch to row i of the next
    batch. With ``batch_size=5`` and no shuffling, the samples t = 0..4 form the first batch,
    5..9 the second, and so on, so the state that meets sample t comes from sample t - 5 (and
    t - 10, ...), never from t - 1. The previous integer is never in the state that needs it.
    (Only ``batch_size=1`` carries the state from each sample to the next one.)

(c) The working version, the tutorial's: each sample holds the last 5 one-hot frames (t - 4 ... t)
    as its timesteps (``batch_input_shape=(5, 5, 100)``), so the previous integer is part of the
    input context, and the LSTM learns to pick it out: expect 1.00 (0.99 and up).

Writes ``accuracy.png``, the three accuracies beside chance. ``--quick`` trains on 4 sequences
and scores 2: the same code in seconds, the accuracies meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import lstmkit
from lstmkit.cli.examples import example_arguments
from lstmkit.layers import LSTM, Dense
from lstmkit.models import Sequential
from lstmkit.plotting import save_png

NAME = "echo"
LENGTH, VALUES, BATCH, UNITS, CONTEXT = 25, 100, 5, 50, 5

Sequence = Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]


def one_hot(integers: np.ndarray) -> np.ndarray:
    return np.eye(VALUES, dtype=np.float32)[integers]


def echo_current(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(a) X (25, 1, 100): one integer per sample; y (25, 100): the same integer."""
    encoded = one_hot(rng.integers(0, VALUES, LENGTH))
    return encoded[:, None, :], encoded


def echo_previous_one_step(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(b) X (25, 1, 100): the integer at step t; y (25, 100): the integer at step t - 1.
    (26 integers, so that every one of the 25 samples has a previous integer.)"""
    encoded = one_hot(rng.integers(0, VALUES, LENGTH + 1))
    return encoded[1:, None, :], encoded[:-1]


def echo_previous_in_context(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(c) The tutorial's framing: X (20, 5, 100) holds the frames t - 4 ... t for t = 5 ... 24
    (the first 5 steps have no full context and are dropped), y (20, 100) the frame t - 1."""
    encoded = one_hot(rng.integers(0, VALUES, LENGTH))
    steps = range(CONTEXT, LENGTH)
    X = np.stack([encoded[t - CONTEXT + 1 : t + 1] for t in steps])
    return X, encoded[[t - 1 for t in steps]]


def train_and_score(
    make_sequence: Sequence, timesteps: int, training: int, scoring: int, seed: int
) -> float:
    """A stateful LSTM fitted on ``training`` fresh sequences, one ``fit`` each with the state
    reset between them; the argmax accuracy on ``scoring`` further sequences."""
    rng = np.random.default_rng(seed)
    lstmkit.set_random_seed(seed)
    model = Sequential()
    model.add(LSTM(UNITS, batch_input_shape=(BATCH, timesteps, VALUES), stateful=True))
    model.add(Dense(VALUES, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    for _ in range(training):
        X, y = make_sequence(rng)
        model.fit(X, y, epochs=1, batch_size=BATCH, verbose=0, shuffle=False)
        model.reset_states()
    correct = total = 0
    for _ in range(scoring):
        X, y = make_sequence(rng)
        predicted = model.predict(X, batch_size=BATCH, verbose=0).argmax(axis=-1)
        model.reset_states()
        correct += int((predicted == y.argmax(axis=-1)).sum())
        total += len(y)
    return correct / total


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = example_arguments(argv, NAME, __doc__, quick="4 training sequences: seconds")
    training, scoring = (4, 2) if args.quick else (2000, 100)
    print(f"stateful LSTM({UNITS}), batch size {BATCH}, {training} training sequences each")

    current = train_and_score(echo_current, 1, training, scoring, args.seed)
    print(f"(a) echo the current integer, one per step:            accuracy {current:.3f}")
    one_step = train_and_score(echo_previous_one_step, 1, training, scoring, args.seed)
    print(f"(b) echo the previous integer, one per step (mistake): accuracy {one_step:.3f}")
    context = train_and_score(echo_previous_in_context, CONTEXT, training, scoring, args.seed)
    print(f"(c) echo the previous integer, 5 steps of context:     accuracy {context:.3f}")
    print(f"chance: {1 / VALUES:.3f}")

    figure = Figure(figsize=(7, 3.5))
    axes = figure.add_subplot()
    labels = ["(a) current,\none per step", "(b) previous,\none per step", "(c) previous,\ncontext"]
    bars = axes.bar(labels, [current, one_step, context], color=["C0", "C3", "C2"])
    axes.bar_label(bars, fmt="%.3f")
    axes.axhline(1 / VALUES, color="grey", linestyle="--", linewidth=1, label="chance")
    axes.set_ylim(0, 1.15)
    axes.set_ylabel("accuracy on fresh sequences")
    axes.set_title(f"Echo with a stateful LSTM, batch size {BATCH}")
    axes.legend(loc="center")
    figure.tight_layout()
    accuracy_png = str(save_png(figure, args.out / "accuracy.png"))
    print(f"wrote {accuracy_png}")
    return {
        "sequences": training,
        "current_accuracy": current,
        "one_step_accuracy": one_step,
        "context_accuracy": context,
        "files": [accuracy_png],
    }


if __name__ == "__main__":
    main()
