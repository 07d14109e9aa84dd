"""Keras files lstmkit writes (``model.save('x.keras'|'x.h5')``, ``save_weights('x.weights.h5'|
'x.h5')``, ``ModelCheckpoint('best.h5')``) loaded by Keras 3.15.1 itself, which must predict
what lstmkit predicts; and models with no Keras equivalent refused with the reason.

Keras is a test-only dependency, on its PyTorch backend."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

from lstmkit import (  # noqa: E402
    GRU,
    LSTM,
    Activation,
    Bidirectional,
    Conv1D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Input,
    Masking,
    MaxPooling1D,
    Model,
    RepeatVector,
    Sequential,
    SimpleRNN,
    TimeDistributed,
    set_random_seed,
)
from lstmkit.callbacks import ModelCheckpoint  # noqa: E402
from lstmkit.layers import (  # noqa: E402
    BatchNormalization,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    LeakyReLU,
    Reshape,
)
from lstmkit.models import load_model  # noqa: E402
from lstmkit.optimizers import SGD  # noqa: E402
from lstmkit.saving.keras_export import KerasExportError  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.normal(size=(6, 8, 2)).astype("float32")
TOKENS = RNG.integers(0, 9, size=(6, 8)).astype("float32")


def _models():
    return {
        "everything": (
            lambda: Sequential(
                [
                    LSTM(3, input_shape=(8, 2), return_sequences=True),
                    Conv1D(4, 3, padding="same", activation="relu"),
                    MaxPooling1D(),
                    Bidirectional(GRU(2, return_sequences=True, reset_after=False)),
                    TimeDistributed(Dense(2)),
                    Flatten(),
                    RepeatVector(2),
                    Masking(),
                    SimpleRNN(2),
                    Dropout(0.1),
                    Activation("relu"),
                    Dense(1),
                ]
            ),
            X,
        ),
        "stateful": (
            lambda: Sequential(
                [LSTM(4, batch_input_shape=(6, 8, 2), stateful=True), Dense(1, "tanh")]
            ),
            X,
        ),
        "pooling": (
            lambda: Sequential(
                [
                    Embedding(9, 4, input_length=8),
                    Dropout(0.2, noise_shape=(None, 1, None)),  # SpatialDropout1D
                    LSTM(6, return_sequences=True),
                    Reshape((12, 4)),
                    GlobalMaxPooling1D(),
                    Reshape((2, 2)),
                    GlobalAveragePooling1D(),
                    Dense(1),
                ]
            ),
            TOKENS,
        ),
        "batchnorm": (
            lambda: Sequential(
                [
                    LSTM(5, input_shape=(8, 2), return_sequences=True),
                    BatchNormalization(),
                    LSTM(3),
                    BatchNormalization(momentum=0.9, epsilon=0.01),
                    LeakyReLU(0.2),
                    Dense(1),
                ]
            ),
            X,
        ),
        "embedding": (
            lambda: Sequential(
                [Embedding(9, 4, input_length=8, mask_zero=True), LSTM(3), Dense(1, "sigmoid")]
            ),
            TOKENS,
        ),
    }


@pytest.mark.parametrize("name", sorted(_models()))
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_loads_what_lstmkit_saves_and_predicts_the_same(tmp_path, name, suffix):
    set_random_seed(4)
    make, x = _models()[name]
    model = make()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    # Trained weights (not fresh ones): the file must carry what training changed.
    model.fit(
        x,
        RNG.normal(size=(6, 1)).astype("float32"),
        epochs=2,
        batch_size=6,
        verbose=0,
        shuffle=False,
    )
    expected = model.predict(x, batch_size=6)
    if model.fixed_batch_size is not None:
        model.reset_states()
        expected = model.predict(x, batch_size=6)
    model.reset_states()
    path = tmp_path / f"model{suffix}"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras: the optimizer's state is not in the file
        loaded = keras.models.load_model(path)
    assert loaded.loss in ("mse", "mean_squared_error") or "mean_squared_error" in str(loaded.loss)
    got = np.asarray(loaded.predict(x, batch_size=6, verbose=0))
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-6
    # lstmkit reads its own Keras file back (load_model on a Keras name).
    again = load_model(path)
    again.reset_states()
    assert np.abs(again.predict(x, batch_size=6) - expected).max() == 0.0


@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5"])
def test_keras_loads_weights_lstmkit_saves(tmp_path, name):
    make, x = _models()["everything"]
    model = make()
    expected = model.predict(x)
    model.save(tmp_path / "arch.keras")
    model.save_weights(tmp_path / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = keras.models.load_model(tmp_path / "arch.keras")
    loaded.set_weights([np.zeros_like(w) for w in loaded.get_weights()])
    loaded.load_weights(tmp_path / name)
    assert np.abs(np.asarray(loaded.predict(x, verbose=0)) - expected).max() < 1e-6
    fresh = make()
    fresh.load_weights(tmp_path / name)
    assert np.abs(fresh.predict(x) - expected).max() == 0.0


def test_model_checkpoint_writes_the_best_keras_file(tmp_path):
    set_random_seed(0)
    model = Sequential([LSTM(4, input_shape=(8, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    y = X.sum(axis=(1, 2))[:, None]
    path = tmp_path / "best.h5"
    checkpoint = ModelCheckpoint(str(path), monitor="loss", save_best_only=True)
    history = model.fit(X, y, epochs=5, verbose=0, callbacks=[checkpoint])
    best = int(np.argmin(history.history["loss"]))
    assert checkpoint.best == pytest.approx(history.history["loss"][best])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = keras.models.load_model(path)
    assert len(loaded.layers) == 2
    if best == 4:  # the last epoch was the best: the file holds the final weights
        assert np.abs(np.asarray(loaded.predict(X, verbose=0)) - model.predict(X)).max() < 1e-6


def test_models_without_a_keras_equivalent_are_refused_with_the_reason(tmp_path):
    inputs = Input(shape=(8, 2))
    functional = Model(inputs, Dense(1)(LSTM(2)(inputs)))
    with pytest.raises(KerasExportError, match=r"Sequential models; this is a functional Model"):
        functional.save(tmp_path / "f.keras")
    custom = Sequential([LSTM(2, input_shape=(8, 2), activation=lambda t: t), Dense(1)])
    with pytest.raises(KerasExportError, match=r"activation .* not a Keras one"):
        custom.save(tmp_path / "c.h5")
    unbuilt = Sequential([LSTM(2), Dense(1)])
    with pytest.raises(KerasExportError, match=r"not been built"):
        unbuilt.save(tmp_path / "u.keras")
    assert sorted(os.listdir(tmp_path)) == []


def test_tokenizer_matches_keras_2s():
    from keras.src.legacy.preprocessing.text import Tokenizer as KerasTokenizer

    from lstmkit.keras.preprocessing.text import Tokenizer, tokenizer_from_json

    texts = ["The cat sat on the mat.", "The dog ate my homework!", "Cat, dog; the END", "zebra"]
    new = ["the cat and the zebra ate", "unknown words here"]
    for options in (
        {},
        {"num_words": 5},
        {"oov_token": "<OOV>", "num_words": 6},
        {"char_level": True},
    ):
        theirs, ours = KerasTokenizer(**options), Tokenizer(**options)
        theirs.fit_on_texts(texts)
        ours.fit_on_texts(texts)
        assert ours.word_index == theirs.word_index, options
        assert ours.texts_to_sequences(new) == theirs.texts_to_sequences(new), options
        sequences = ours.texts_to_sequences(texts)
        assert ours.sequences_to_texts(sequences) == theirs.sequences_to_texts(sequences)
        assert (
            ours.texts_to_matrix(texts, "count") == theirs.texts_to_matrix(texts, "count")
        ).all()
        again = tokenizer_from_json(ours.to_json())
        assert again.texts_to_sequences(new) == ours.texts_to_sequences(new)


def test_batch_normalization_trains_as_keras():
    # One SGD step from the same weights: batch statistics in training, moving ones updated.
    set_random_seed(5)
    model = Sequential(
        [LSTM(4, input_shape=(8, 2), return_sequences=True), BatchNormalization(), Dense(1)]
    )
    y = RNG.normal(size=(6, 8, 1)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin = keras.Sequential(
            [
                keras.Input((8, 2)),
                keras.layers.LSTM(4, return_sequences=True),
                keras.layers.BatchNormalization(),
                keras.layers.Dense(1),
            ]
        )
    twin.set_weights(model.get_weights())
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    twin.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(X, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    twin.fit(X, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), twin.get_weights(), strict=True):
        assert np.abs(ours - np.asarray(theirs)).max() < 1e-5
    assert np.abs(model.predict(X) - np.asarray(twin.predict(X, verbose=0))).max() < 1e-5


def test_regularizers_add_keras_penalties_and_travel_in_keras_files(tmp_path):
    import lstmkit.keras as K

    x = RNG.normal(size=(16, 6, 2)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]
    model = K.models.Sequential(
        [
            K.layers.LSTM(
                4,
                input_shape=(6, 2),
                kernel_regularizer=K.regularizers.l2(0.01),
                recurrent_regularizer=K.regularizers.L1L2(l1=0.001, l2=0.002),
            ),
            K.layers.Dense(1, kernel_regularizer="l1"),
        ]
    )
    model.compile(K.optimizers.SGD(lr=0.01), "mse")
    kernel, recurrent, _, dense, _ = model.get_weights()
    penalty = float(
        0.01 * (kernel**2).sum()
        + 0.001 * np.abs(recurrent).sum()
        + 0.002 * (recurrent**2).sum()
        + 0.01 * np.abs(dense).sum()
    )
    mse = float(((model.predict(x) - y) ** 2).mean())
    assert model.evaluate(x, y, verbose=0) == pytest.approx(mse + penalty, rel=1e-5)
    model.save(tmp_path / "r.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin = keras.models.load_model(tmp_path / "r.keras")
    assert twin.evaluate(x, y, verbose=0) == pytest.approx(mse + penalty, rel=1e-5)
    twin.compile(keras.optimizers.SGD(0.01), "mse")
    twin.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), twin.get_weights(), strict=True):
        assert np.abs(ours - np.asarray(theirs)).max() < 1e-6
    # lstmkit reads the penalties back from the Keras file (saved before training).
    assert load_model(tmp_path / "r.keras").evaluate(x, y, verbose=0) == pytest.approx(
        mse + penalty, rel=1e-5
    )
    with pytest.warns(UserWarning, match=r"does not keep the layers' weight regularizers"):
        model.save(tmp_path / "r.lstmkit")


def test_to_json_and_model_from_json_both_ways_with_keras(tmp_path):
    # The common save pattern: to_json() to model.json, save_weights("model.h5"), then
    # model_from_json + load_weights, on either side.
    import lstmkit.keras as lk

    set_random_seed(0)
    model = lk.Sequential([lk.layers.LSTM(4, input_shape=(8, 2)), lk.layers.Dense(1)])
    model.save_weights(str(tmp_path / "model.h5"))
    theirs = keras.models.model_from_json(model.to_json())
    theirs.load_weights(str(tmp_path / "model.h5"))
    np.testing.assert_allclose(theirs.predict(X, verbose=0), model.predict(X), atol=1e-6)

    rebuilt = lk.models.model_from_json(theirs.to_json())
    assert [type(layer).__name__ for layer in rebuilt.layers] == ["LSTM", "Dense"]
    assert rebuilt.count_params() == model.count_params()
    # Fresh weights, drawn by the initializers (not zeros, not the saved ones) until loaded.
    assert float(np.abs(rebuilt.get_weights()[0]).sum()) > 0
    assert not np.allclose(rebuilt.predict(X), model.predict(X), atol=1e-4)
    rebuilt.load_weights(str(tmp_path / "model.h5"))
    np.testing.assert_allclose(rebuilt.predict(X), model.predict(X), atol=1e-6)
    with pytest.raises(ValueError, match="cannot build a model from this JSON: it is not valid"):
        lk.models.model_from_json("{not json")


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_a_custom_loss_and_metric_travel_by_name_and_load_with_custom_objects(tmp_path, suffix):
    import lstmkit.backend as K
    from lstmkit.keras.models import load_model as keras_namespace_load_model

    def root_mean_squared_error(y_true, y_pred):
        return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))

    def rmse(y_true, y_pred):
        return K.sqrt(K.mean(K.square(y_pred - y_true)))

    set_random_seed(0)
    y = RNG.normal(size=(6, 1)).astype("float32")
    model = Sequential([LSTM(3, input_shape=(8, 2)), Dense(1)])
    model.compile(optimizer="adam", loss=root_mean_squared_error, metrics=[rmse, "mae"])
    expected = model.evaluate(X, y, verbose=0)
    path = str(tmp_path / f"model{suffix}")
    model.save(path)
    custom = {"root_mean_squared_error": root_mean_squared_error, "rmse": rmse}
    # lstmkit: compiled again with the user's functions, so evaluate gives the same numbers.
    again = keras_namespace_load_model(path, custom_objects=custom)
    np.testing.assert_allclose(again.evaluate(X, y, verbose=0), expected, rtol=1e-5)
    assert again.metrics_names == ["loss", "rmse", "mae"]
    # Keras: its loss, evaluated on the same data, is the same number.
    import keras.ops as ops

    def keras_rmse_loss(y_true, y_pred):
        return ops.sqrt(ops.mean(ops.square(y_pred - y_true), axis=-1))

    def keras_rmse(y_true, y_pred):
        return ops.sqrt(ops.mean(ops.square(y_pred - y_true)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = keras.models.load_model(
            path, custom_objects={"root_mean_squared_error": keras_rmse_loss, "rmse": keras_rmse}
        )
    got = theirs.evaluate(X, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(got["loss"], expected[0], rtol=1e-5)
    # Without the functions the model still loads, uncompiled, saying why.
    with pytest.warns(RuntimeWarning, match="uncompiled"):
        keras_namespace_load_model(path)
