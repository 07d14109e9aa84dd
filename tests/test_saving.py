"""Saving and loading: round trips of every layer and optimizer, resuming, custom objects."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import lstmkit
from lstmkit import (
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
    optimizers,
)
from lstmkit.callbacks import ModelCheckpoint
from lstmkit.models import load_model
from lstmkit.saving import ModelFileError


def _models() -> dict[str, tuple[Sequential, np.ndarray]]:
    rng = np.random.default_rng(0)
    x = rng.random((6, 7, 3)).astype("float32")
    padded = x.copy()
    padded[:, :2] = 0.0
    tokens = rng.integers(0, 9, (6, 7)).astype("float32")
    tokens[:, :3] = 0
    return {
        "lstm_stack": (
            Sequential(
                [
                    LSTM(5, return_sequences=True, input_shape=(7, 3), activation="relu"),
                    Dropout(0.3, seed=2),
                    LSTM(4, go_backwards=True, unit_forget_bias=False),
                    Dense(2, activation="softmax"),
                ]
            ),
            x,
        ),
        "gru_reset_after": (Sequential([GRU(4, input_shape=(7, 3)), Dense(1)]), x),
        "gru_keras2": (
            Sequential([GRU(4, reset_after=False, input_shape=(7, 3)), Activation("tanh")]),
            x,
        ),
        "simple_rnn": (Sequential([SimpleRNN(6, input_shape=(7, 3), use_bias=False)]), x),
        "bidirectional_concat": (
            Sequential([Bidirectional(LSTM(3), input_shape=(7, 3)), Dense(1)]),
            x,
        ),
        "bidirectional_ave": (
            Sequential(
                [
                    Bidirectional(
                        GRU(3, return_sequences=True), merge_mode="ave", input_shape=(7, 3)
                    ),
                    TimeDistributed(Dense(2)),
                ]
            ),
            x,
        ),
        "cnn_lstm": (
            Sequential(
                [
                    Conv1D(4, 2, activation="relu", input_shape=(7, 3)),
                    MaxPooling1D(2),
                    LSTM(3),
                    Dense(1),
                ]
            ),
            x,
        ),
        "flatten_repeat": (
            Sequential([Flatten(input_shape=(7, 3)), Dense(4), RepeatVector(3), SimpleRNN(2)]),
            x,
        ),
        "masking": (
            Sequential([Masking(0.0, input_shape=(7, 3)), LSTM(3, return_sequences=True)]),
            padded,
        ),
        "embedding": (
            Sequential([Embedding(9, 4, mask_zero=True, input_shape=(7,)), GRU(3)]),
            tokens,
        ),
        "stateful": (
            Sequential([LSTM(3, stateful=True, batch_input_shape=(6, 7, 3)), Dense(1)]),
            x,
        ),
    }


@pytest.mark.parametrize("name", sorted(_models()))
def test_every_layer_round_trips_to_identical_predictions(tmp_path, name):
    model, x = _models()[name]
    path = tmp_path / "model.lstmkit"
    model.save(path)
    again = load_model(path)
    assert type(again) is type(model)
    assert again.get_config() == model.get_config()
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    if name == "stateful":
        model.reset_states()
    np.testing.assert_array_equal(model.predict(x, batch_size=6), again.predict(x, batch_size=6))
    assert again.count_params() == model.count_params()


def _encoder_decoder() -> Model:
    encoder_inputs = Input(shape=(None, 4), name="source")
    _, h, c = LSTM(5, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = Input(shape=(None, 5), name="target")
    decoder = LSTM(5, return_sequences=True, name="decoder")
    sequence = decoder(decoder_inputs, initial_state=[h, c])
    again = decoder(sequence, initial_state=[h, c])  # a layer called twice
    outputs = TimeDistributed(Dense(4, activation="softmax"), name="head")(again)
    return Model([encoder_inputs, decoder_inputs], outputs)


def test_functional_model_round_trips(tmp_path):
    model = _encoder_decoder()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x = [rng.random((8, 6, 4)).astype("float32"), rng.random((8, 3, 5)).astype("float32")]
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, (8, 3))]
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "seq2seq.lstmkit")
    again = load_model(tmp_path / "seq2seq.lstmkit")
    assert isinstance(again, Model)
    assert again.get_config() == model.get_config()
    np.testing.assert_array_equal(model.predict(x), again.predict(x))
    assert again.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


OPTIMIZERS = {
    "sgd_nesterov": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.5, nesterov=True),
    "sgd_plain": lambda: optimizers.SGD(lr=0.1),
    "adam_amsgrad": lambda: optimizers.Adam(amsgrad=True, clipnorm=1.0),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "rmsprop_centered": lambda: optimizers.RMSprop(centered=True, momentum=0.2, clipvalue=0.5),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.05),
    "adadelta": lambda: optimizers.Adadelta(learning_rate=1.0),
    "adamax": lambda: optimizers.Adamax(global_clipnorm=2.0),
    "nadam": lambda: optimizers.Nadam(weight_decay=0.01),
}


def _data(n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.random((n, 5, 2)).astype("float32")
    return x, x.mean(axis=(1, 2))[:, None] * 2.0


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_round_trips_its_state(tmp_path, name):
    x, y = _data()
    lstmkit.set_random_seed(1)
    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    model.compile(optimizer=OPTIMIZERS[name](), loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    model.save(tmp_path / "m.lstmkit")
    again = load_model(tmp_path / "m.lstmkit")
    assert type(again.optimizer) is type(model.optimizer)
    assert again.optimizer.get_config() == model.optimizer.get_config()
    saved_tensors, saved_numbers = model.optimizer.get_state()
    loaded_tensors, loaded_numbers = again.optimizer.get_state()
    assert loaded_numbers == saved_numbers and saved_numbers["iterations"] == 6
    assert set(loaded_tensors) == set(saved_tensors)
    for key, value in saved_tensors.items():
        assert torch.equal(value, loaded_tensors[key]), key
    # Both go on to the same weights, bit for bit.
    model.fit(x, y, epochs=4, batch_size=16, verbose=0, initial_epoch=2)
    again.fit(x, y, epochs=4, batch_size=16, verbose=0, initial_epoch=2)
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _resumable_model() -> Sequential:
    model = Sequential(
        [
            LSTM(6, return_sequences=True, dropout=0.2, recurrent_dropout=0.1, input_shape=(5, 2)),
            Dropout(0.25),
            GRU(4),
            Dropout(0.1, seed=7),  # a private stream, saved beside the shared one
            Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def test_resuming_from_a_checkpoint_equals_the_uninterrupted_run(tmp_path):
    x, y = _data(64)
    lstmkit.set_random_seed(11)
    full = _resumable_model()
    checkpoints = ModelCheckpoint(str(tmp_path / "ckpt-{epoch}.lstmkit"), monitor="loss")
    full.fit(x, y, epochs=7, batch_size=16, shuffle=True, verbose=0, callbacks=[checkpoints])
    # Another process would start with whatever global seed it has.
    lstmkit.set_random_seed(12345)
    resumed = load_model(tmp_path / "ckpt-3.lstmkit")
    assert resumed.epochs_done == 3
    history = resumed.fit(
        x, y, epochs=7, batch_size=16, shuffle=True, verbose=0, initial_epoch=resumed.epochs_done
    )
    assert history.epoch == [3, 4, 5, 6]
    for a, b in zip(full.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert history.history["loss"] == full.history.history["loss"][3:]


def test_the_training_stream_leaves_the_global_generator_alone():
    x, y = _data(32)
    lstmkit.set_random_seed(5)
    model = _resumable_model()
    after_build = torch.get_rng_state()
    model.fit(x, y, epochs=2, verbose=0)
    # One draw seeds the model's stream; shuffles and dropout masks come from that stream.
    expected = torch.Generator().set_state(after_build)
    torch.randint(0, 2**62, (1,), generator=expected)
    assert torch.equal(torch.get_rng_state(), expected.get_state())


def _my_loss(y_true, y_pred):
    return torch.mean(torch.abs(y_true - y_pred) ** 3, dim=-1)


def _my_metric(y_true, y_pred):
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


def _my_activation(x):
    return torch.tanh(x) * 0.5


def test_custom_objects_come_back_only_through_custom_objects(tmp_path):
    x, y = _data(16)
    model = Sequential([LSTM(3, activation=_my_activation, input_shape=(5, 2)), Dense(1)])
    model.compile(optimizer="adam", loss=_my_loss, metrics=[_my_metric, "mse"])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "custom.lstmkit")
    with pytest.raises(ModelFileError, match=r"custom object '_my_activation'.*custom_objects="):
        load_model(tmp_path / "custom.lstmkit")
    with pytest.raises(ModelFileError, match=r"custom object '_my_loss'"):
        load_model(tmp_path / "custom.lstmkit", custom_objects={"_my_activation": _my_activation})
    objects = {"_my_activation": _my_activation, "_my_loss": _my_loss, "_my_metric": _my_metric}
    again = load_model(tmp_path / "custom.lstmkit", custom_objects=objects)
    np.testing.assert_array_equal(model.predict(x), again.predict(x))
    assert again.evaluate(x, y, verbose=0, return_dict=True) == model.evaluate(
        x, y, verbose=0, return_dict=True
    )
    # compile=False needs only the architecture's objects.
    bare = load_model(
        tmp_path / "custom.lstmkit",
        custom_objects={"_my_activation": _my_activation},
        compile=False,
    )
    assert bare._trainer is None


def test_keras_file_names_write_keras_files_and_broken_ones_get_a_clear_message(tmp_path):
    # Keras names write Keras's formats (tests/test_keras_export.py checks Keras loads them);
    # an HDF5 file that is not a Keras model is refused naming the file.
    model = Sequential([LSTM(2, input_shape=(3, 1)), Dense(1)])
    for name in ("model.h5", "model.keras"):
        model.save(tmp_path / name)
        assert load_model(tmp_path / name).count_params() == model.count_params()
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        ModelCheckpoint("model.keras", save_weights_only=True)
    (tmp_path / "keras_made.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    with pytest.raises(ValueError, match=r"keras_made\.h5.*corrupted or not written by Keras"):
        load_model(tmp_path / "keras_made.h5")


def test_weights_alone_round_trip_and_refuse_other_shapes(tmp_path):
    x, _ = _data(8)
    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    model.save_weights(tmp_path / "w.weights.safetensors")
    other = Sequential([LSTM(4, input_shape=(5, 2), name="renamed"), Dense(1)])
    other.load_weights(tmp_path / "w.weights.safetensors")
    np.testing.assert_array_equal(model.predict(x), other.predict(x))
    model.save(tmp_path / "whole.lstmkit")
    third = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    third.load_weights(tmp_path / "whole.lstmkit")
    np.testing.assert_array_equal(model.predict(x), third.predict(x))
    wrong = Sequential([LSTM(5, input_shape=(5, 2)), Dense(1)])
    before = wrong.get_weights()
    with pytest.raises(ModelFileError, match=r"'0/kernel' should have shape \(2, 20\)"):
        wrong.load_weights(tmp_path / "w.weights.safetensors")
    for a, b in zip(before, wrong.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # nothing changed


def test_saving_an_unbuilt_model_or_over_a_kept_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"has not been built"):
        Sequential([LSTM(2), Dense(1)]).save(tmp_path / "m.lstmkit")
    model = Sequential([Dense(1, input_shape=(2,))])
    model.save(tmp_path / "m.lstmkit")
    with pytest.raises(FileExistsError, match=r"overwrite=False"):
        model.save(tmp_path / "m.lstmkit", overwrite=False)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    x, _ = _data(4)
    old = Sequential([Dense(1, input_shape=(5, 2))])
    path = tmp_path / "m.lstmkit"
    old.save(path)
    new = Sequential([Dense(3, input_shape=(5, 2))])

    from lstmkit.saving import files

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "_fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        new.save(path)
    assert os.listdir(tmp_path) == ["m.lstmkit"]
    np.testing.assert_array_equal(load_model(path).predict(x), old.predict(x))


class DoubleDense(Dense):
    """A user's layer: Dense with its output doubled."""

    def call(self, inputs, training=False):
        return 2.0 * super().call(inputs, training=training)


def test_a_custom_layer_inside_a_wrapper_comes_back_through_custom_objects(tmp_path):
    x, _ = _data(4)
    model = Sequential(
        [LSTM(3, return_sequences=True, input_shape=(5, 2)), TimeDistributed(DoubleDense(2))]
    )
    model.save(tmp_path / "custom_layer.lstmkit")
    with pytest.raises(ModelFileError, match=r"unknown layer class 'DoubleDense'"):
        load_model(tmp_path / "custom_layer.lstmkit")
    again = load_model(
        tmp_path / "custom_layer.lstmkit", custom_objects={"DoubleDense": DoubleDense}
    )
    np.testing.assert_array_equal(model.predict(x), again.predict(x))
