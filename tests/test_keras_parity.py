"""On the same weights, lstmkit computes and trains as Keras 3.15.1 does (its PyTorch backend, a
test-only dependency): forward outputs of recurrent/Dense stacks, stateful state carried across
calls, and one training step of SGD, Adam and RMSprop on MSE and binary cross-entropy."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

import lstmkit  # noqa: E402

L = keras.layers
RNG = np.random.default_rng(11)
X = RNG.normal(size=(4, 7, 3)).astype("float32")
Y = (RNG.random((4, 2)) > 0.5).astype("float32")

OURS = {"lstm": lstmkit.LSTM, "gru": lstmkit.GRU, "simple_rnn": lstmkit.SimpleRNN}
THEIRS = {"lstm": L.LSTM, "gru": L.GRU, "simple_rnn": L.SimpleRNN}


def _pair(kind: str, first: dict | None = None, second: dict | None = None, seed: int = 3):
    """The same stack in both libraries, ``recurrent(5, sequences) -> recurrent(4) ->
    Dense(2, sigmoid)``, with lstmkit's random weights copied into the Keras model."""
    first, second = dict(first or {}), dict(second or {})
    lstmkit.set_random_seed(seed)
    ours = lstmkit.Sequential(
        [
            OURS[kind](5, return_sequences=True, input_shape=(7, 3), **first),
            OURS[kind](4, **second),
            lstmkit.Dense(2, activation="sigmoid"),
        ]
    )
    theirs = keras.Sequential(
        [
            keras.Input((7, 3)),
            THEIRS[kind](5, return_sequences=True, **first),
            THEIRS[kind](4, **second),
            L.Dense(2, activation="sigmoid"),
        ]
    )
    theirs.set_weights(ours.get_weights())
    return ours, theirs


@pytest.mark.parametrize(
    ("kind", "first", "second"),
    [
        ("lstm", {}, {}),
        ("lstm", {}, {"return_sequences": True}),
        ("lstm", {"go_backwards": True}, {"go_backwards": True}),
        ("lstm", {"activation": "relu"}, {"recurrent_activation": "hard_sigmoid"}),
        ("lstm", {"use_bias": False}, {"unit_forget_bias": False}),
        ("gru", {}, {}),
        ("gru", {}, {"return_sequences": True, "go_backwards": True}),
        ("gru", {"reset_after": False}, {"reset_after": False}),
        ("simple_rnn", {"activation": "relu"}, {"go_backwards": True}),
    ],
)
def test_forward_outputs_agree_with_keras(kind, first, second):
    ours, theirs = _pair(kind, first, second)
    expected = theirs.predict(X, verbose=0)
    assert expected.shape == ours.predict(X).shape
    np.testing.assert_allclose(ours.predict(X), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_stateful_outputs_agree_with_keras_over_two_calls(kind):
    lstmkit.set_random_seed(5)
    ours = lstmkit.Sequential(
        [OURS[kind](3, stateful=True, batch_input_shape=(4, 7, 3)), lstmkit.Dense(1)]
    )
    theirs = keras.Sequential(
        [keras.Input(batch_shape=(4, 7, 3)), THEIRS[kind](3, stateful=True), L.Dense(1)]
    )
    theirs.set_weights(ours.get_weights())
    first = ours.predict(X, batch_size=4)
    second = ours.predict(X, batch_size=4)
    assert np.abs(first - second).max() > 1e-4  # the second call starts from the kept state
    np.testing.assert_allclose(first, theirs.predict(X, batch_size=4, verbose=0), atol=1e-5)
    np.testing.assert_allclose(second, theirs.predict(X, batch_size=4, verbose=0), atol=1e-5)
    ours.reset_states()
    for layer in theirs.layers:  # Keras 3's Sequential has no reset_states
        if hasattr(layer, "reset_states"):
            layer.reset_states()
    np.testing.assert_allclose(
        ours.predict(X, batch_size=4), theirs.predict(X, batch_size=4, verbose=0), atol=1e-5
    )


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy"])
def test_one_training_step_agrees_with_keras(kind, optimizer, loss):
    ours, theirs = _pair(kind)
    ours.compile(optimizer=optimizer, loss=loss)
    theirs.compile(optimizer=optimizer, loss=loss)
    keras_loss = float(theirs.train_on_batch(X, Y))
    history = ours.fit(X, Y, epochs=1, batch_size=len(X), shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(keras_loss, abs=1e-5)
    changed = False
    for after, keras_after, before in zip(
        ours.get_weights(), theirs.get_weights(), _pair(kind)[0].get_weights(), strict=True
    ):
        np.testing.assert_allclose(after, keras_after, rtol=0, atol=1e-5)
        changed = changed or not np.allclose(after, before)
    assert changed  # the step moved the weights, so agreeing after it means something
