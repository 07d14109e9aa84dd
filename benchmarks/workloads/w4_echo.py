"""W4: echo the previous random integer with a stateful LSTM, one short sequence per ``fit``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads.keras_api import keras_api, lstmkit_api

TITLE = (
    "W4 — echo the previous random integer: stateful LSTM(50) with batch_input_shape (5, 5, 100), "
    "Dense(100, softmax), categorical cross-entropy, adam; 2000 × {new sequence; fit one epoch; "
    "reset_states()}. Quality: accuracy on 100 fresh sequences (higher is better)."
)
QUALITY_NAME = "accuracy"
LENGTH, FEATURES, LOOK_BACK, BATCH, UNITS = 25, 100, 5, 5, 50


def echo_sequence(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One tutorial sequence: X (20, 5, 100), y (20, 100), float32.

    25 integers in [0, 99], one-hot. For each step t = 5, ..., 24, X holds the five frames
    t - 4, ..., t and y the frame of the previous integer, t - 1 (the tutorial's
    ``values[5:]`` of the lagged frames and ``encoded[4:-1]``).
    """
    integers = rng.integers(0, FEATURES, LENGTH)
    one_hot = np.eye(FEATURES, dtype=np.float32)[integers]
    steps = range(LOOK_BACK, LENGTH)
    X = np.stack([one_hot[t - LOOK_BACK + 1 : t + 1] for t in steps])
    y = np.stack([one_hot[t - 1] for t in steps])
    return X, y


def sequences(quick: bool) -> tuple[int, int]:
    """(training sequences, evaluation sequences): the specified 2000 and 100, or a smoke run's."""
    return (4, 2) if quick else (2000, 100)


def _tutorial(api_factory: Callable[[], Any], seed: int, quick: bool) -> dict:
    """W4 written as the tutorial writes it, on lstmkit's or Keras's API (Keras 3 has no
    ``model.reset_states()``, so the stateful layer's own ``reset_states`` is called)."""
    started = time.perf_counter()
    api = api_factory()
    rng = np.random.default_rng(seed)
    training, evaluation = sequences(quick)
    api.set_random_seed(seed)
    model = api.Sequential()
    model.add(api.Input(batch_shape=(BATCH, LOOK_BACK, FEATURES)))
    # Keras 3.15.1 on torch cannot train a stateful LSTM on its optimised path (the state is
    # updated in place before backward: keras-team/keras#20875, #23462, fixed after 3.15.1);
    # use_cudnn=False is the documented workaround, the step-by-step path.
    workaround = {"use_cudnn": False} if api.name == "keras" else {}
    model.add(api.LSTM(UNITS, stateful=True, **workaround))
    model.add(api.Dense(FEATURES, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    recurrent = model.layers[0]
    fit_started = time.perf_counter()
    for _ in range(training):
        X, y = echo_sequence(rng)
        model.fit(X, y, epochs=1, batch_size=BATCH, verbose=0, shuffle=False)
        recurrent.reset_states()
    train_s = time.perf_counter() - fit_started
    correct = total = 0
    for _ in range(evaluation):
        X, y = echo_sequence(rng)
        prediction = np.asarray(model.predict(X, batch_size=BATCH, verbose=0))
        recurrent.reset_states()
        correct += int((prediction.argmax(-1) == y.argmax(-1)).sum())
        total += len(y)
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": correct / total,
        "quality_name": QUALITY_NAME,
    }


def run_lstmkit(seed: int, quick: bool = False) -> dict:
    return _tutorial(lstmkit_api, seed, quick)


def run_keras(seed: int, quick: bool = False) -> dict:
    return _tutorial(keras_api, seed, quick)


def run_torch(seed: int, quick: bool = False) -> dict:
    """W4 as a competent PyTorch user writes it: the state is carried, detached, from batch to
    batch of one sequence and zeroed for the next, as a stateful Keras layer does."""
    started = time.perf_counter()
    import torch
    import torch.nn.functional as F

    from benchmarks.workloads.torch_peer import keras_adam, keras_init_linear, keras_init_lstm

    rng = np.random.default_rng(seed)
    training, evaluation = sequences(quick)
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(input_size=FEATURES, hidden_size=UNITS, batch_first=True)
    dense = torch.nn.Linear(UNITS, FEATURES)
    keras_init_lstm(lstm)
    keras_init_linear(dense)
    optimizer = keras_adam([*lstm.parameters(), *dense.parameters()])

    def zero_state() -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(1, BATCH, UNITS), torch.zeros(1, BATCH, UNITS)

    fit_started = time.perf_counter()
    for _ in range(training):
        X, y = echo_sequence(rng)
        X, labels = torch.from_numpy(X), torch.from_numpy(y.argmax(-1))
        state = zero_state()
        for start in range(0, len(X), BATCH):
            rows = slice(start, start + BATCH)
            optimizer.zero_grad()
            output, (h, c) = lstm(X[rows], state)
            state = (h.detach(), c.detach())
            # Softmax plus categorical cross-entropy on one-hot targets, in its stable form.
            log_probabilities = F.log_softmax(dense(output[:, -1]), dim=-1)
            loss = F.nll_loss(log_probabilities, labels[rows])
            loss.backward()
            optimizer.step()
    train_s = time.perf_counter() - fit_started
    correct = total = 0
    with torch.no_grad():
        for _ in range(evaluation):
            X, y = echo_sequence(rng)
            X = torch.from_numpy(X)
            state = zero_state()
            for start in range(0, len(X), BATCH):
                output, state = lstm(X[start : start + BATCH], state)
                # The softmax keeps the argmax, so the logits' argmax is the prediction.
                guess = dense(output[:, -1]).argmax(-1).numpy()
                correct += int((guess == y[start : start + BATCH].argmax(-1)).sum())
                total += len(guess)
    return {
        "train_s": train_s,
        "total_s": time.perf_counter() - started,
        "quality": correct / total,
        "quality_name": QUALITY_NAME,
    }
