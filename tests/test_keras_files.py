"""Against Keras itself (a test-only dependency, on its PyTorch backend): files Keras made load
with Keras's predictions, and on the same weights lstmkit computes and trains as Keras does."""

from __future__ import annotations

import json
import os
import warnings
import zipfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import lstmkit  # noqa: E402
from lstmkit.models import load_keras_model  # noqa: E402

L = keras.layers
RNG = np.random.default_rng(0)
X = RNG.random((4, 6, 3)).astype("float32")
TOKENS = RNG.integers(1, 9, (4, 6))
TOKENS[:, :2] = 0
PADDED = X.copy()
PADDED[:, :2] = 0.0


def _keras_models():
    return {
        "lstm_stack": (
            [
                keras.Input((6, 3)),
                L.LSTM(5, return_sequences=True),
                L.Dropout(0.2),
                L.LSTM(4, go_backwards=True, activation="relu"),
                L.Dense(2, activation="softmax"),
            ],
            X,
        ),
        "gru_reset_after": ([keras.Input((6, 3)), L.GRU(4), L.Dense(1)], X),
        "gru_keras2_and_simple_rnn": (
            [
                keras.Input((6, 3)),
                L.GRU(4, reset_after=False, return_sequences=True),
                L.SimpleRNN(3, activation="relu"),
            ],
            X,
        ),
        "bidirectional": (
            [
                keras.Input((6, 3)),
                L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="sum"),
                L.Bidirectional(L.GRU(2)),
                L.Dense(1),
            ],
            X,
        ),
        "time_distributed": (
            [
                keras.Input((6, 3)),
                L.LSTM(4, return_sequences=True),
                L.TimeDistributed(L.Dense(2)),
            ],
            X,
        ),
        "cnn_lstm": (
            [
                keras.Input((6, 3)),
                L.Conv1D(4, 2, activation="relu"),
                L.MaxPooling1D(2),
                L.LSTM(3),
                L.Dense(1),
            ],
            X,
        ),
        "embedding_mask_zero": (
            [keras.Input((6,)), L.Embedding(9, 4, mask_zero=True), L.LSTM(3)],
            TOKENS,
        ),
        "masking": (
            [keras.Input((6, 3)), L.Masking(0.0), L.LSTM(3, return_sequences=True)],
            PADDED,
        ),
        "repeat_vector_seq2seq": (
            [
                keras.Input((6, 3)),
                L.LSTM(4),
                L.RepeatVector(3),
                L.LSTM(2, return_sequences=True),
                L.Flatten(),
                L.Activation("sigmoid"),
            ],
            X,
        ),
    }


def _save(model, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras calls .h5 legacy
        model.save(path)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", sorted(_keras_models()))
def test_keras_made_files_load_with_keras_predictions(tmp_path, name, suffix):
    layers, x = _keras_models()[name]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="mse", metrics=["mae"])
    expected = model.predict(x, verbose=0)
    path = tmp_path / f"model{suffix}"
    _save(model, path)
    imported = load_keras_model(path)
    np.testing.assert_allclose(imported.predict(x), expected, atol=1e-5, rtol=0)
    assert imported.count_params() == model.count_params()
    assert type(imported.optimizer).__name__ == "RMSprop"
    assert imported.optimizer.learning_rate == pytest.approx(0.01)
    assert [m for m in imported._trainer._metric_ids] == ["mae"]


def _kernel_regularized():
    return keras.Sequential([keras.Input((6, 3)), L.LSTM(2, kernel_regularizer="l2")])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: keras.Sequential([keras.Input((6, 3)), L.Lambda(lambda t: t * 2), L.LSTM(2)]),
            r"is a Lambda, which lstmkit does not have",
        ),
        (_kernel_regularized, r"sets kernel_regularizer=.*not support"),
        (
            lambda: keras.Model(*(lambda i: (i, L.Dense(1)(L.LSTM(2)(i))))(keras.Input((6, 3)))),
            r"only Sequential models can be imported; this is a Functional",
        ),
    ],
)
def test_what_cannot_be_imported_faithfully_is_refused(tmp_path, make, message):
    path = tmp_path / "model.keras"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            make().save(path)
        except Exception as error:  # Keras refuses to save some models itself
            pytest.skip(f"Keras cannot save this model: {error}")
    with pytest.raises(ValueError, match=message):
        load_keras_model(path)


def test_broken_keras_files_are_refused(tmp_path):
    model = keras.Sequential([keras.Input((6, 3)), L.LSTM(2), L.Dense(1)])
    path = tmp_path / "model.keras"
    _save(model, path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}

    def rewrite(name, **changes):
        target = tmp_path / name
        with zipfile.ZipFile(target, "w") as archive:
            for member, data in {**members, **changes}.items():
                if data is not None:
                    archive.writestr(member, data)
        return target

    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["class_name"] = "os.system"
    with pytest.raises(ValueError, match=r"is a os.system, which lstmkit does not have"):
        load_keras_model(rewrite("hostile.keras", **{"config.json": json.dumps(config)}))
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 3
    with pytest.raises(ValueError, match=r"has weights of shapes \[\(3, 8\).*needs \[\(3, 12\)"):
        load_keras_model(rewrite("shapes.keras", **{"config.json": json.dumps(config)}))
    with pytest.raises(ValueError, match=r"needs config.json and model.weights.h5"):
        load_keras_model(rewrite("empty.keras", **{"config.json": None}))
    (tmp_path / "text.keras").write_text("not a model")
    with pytest.raises(ValueError, match=r"not a Keras file"):
        load_keras_model(tmp_path / "text.keras")
    model.save_weights(tmp_path / "only.weights.h5")
    with pytest.raises(ValueError, match=r"holds no model_config"):
        load_keras_model(tmp_path / "only.weights.h5")


# -- the same weights in both libraries -----------------------------------------------------------


def _pair(kind: str, return_sequences: bool = False, go_backwards: bool = False, **kwargs):
    lstmkit.set_random_seed(4)
    recurrent = {"lstm": lstmkit.LSTM, "gru": lstmkit.GRU}[kind]
    ours = lstmkit.Sequential(
        [
            recurrent(5, return_sequences=True, input_shape=(6, 3), **kwargs),
            recurrent(4, return_sequences=return_sequences, go_backwards=go_backwards),
            lstmkit.Dense(2, activation="sigmoid"),
        ]
    )
    keras_recurrent = {"lstm": L.LSTM, "gru": L.GRU}[kind]
    theirs = keras.Sequential(
        [
            keras.Input((6, 3)),
            keras_recurrent(5, return_sequences=True, **kwargs),
            keras_recurrent(4, return_sequences=return_sequences, go_backwards=go_backwards),
            L.Dense(2, activation="sigmoid"),
        ]
    )
    theirs.set_weights(ours.get_weights())
    return ours, theirs


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize(
    "options",
    [{}, {"return_sequences": True}, {"go_backwards": True}, {"activation": "relu"}],
)
def test_forward_outputs_agree_with_keras(kind, options):
    ours, theirs = _pair(kind, **options)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X, verbose=0), atol=1e-5, rtol=0)


def test_stateful_outputs_agree_with_keras_over_two_calls():
    lstmkit.set_random_seed(5)
    ours = lstmkit.Sequential(
        [lstmkit.LSTM(3, stateful=True, batch_input_shape=(4, 6, 3)), lstmkit.Dense(1)]
    )
    theirs = keras.Sequential(
        [keras.Input(batch_shape=(4, 6, 3)), L.LSTM(3, stateful=True), L.Dense(1)]
    )
    theirs.set_weights(ours.get_weights())
    for _ in range(2):
        np.testing.assert_allclose(
            ours.predict(X, batch_size=4), theirs.predict(X, batch_size=4, verbose=0), atol=1e-5
        )


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy"])
def test_one_training_step_agrees_with_keras(kind, optimizer, loss):
    ours, theirs = _pair(kind)
    y = (RNG.random((4, 2)) > 0.5).astype("float32")
    ours.compile(optimizer=optimizer, loss=loss)
    theirs.compile(optimizer=optimizer, loss=loss)
    keras_loss = float(theirs.train_on_batch(X, y))
    history = ours.fit(X, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(keras_loss, abs=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
