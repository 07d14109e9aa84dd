"""Sequential: define, compile, fit, evaluate, predict, as Keras users know them."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout

import numpy as np
import pytest
import torch

import lstmkit
import reference
from lstmkit import backend as K
from lstmkit.callbacks import Callback, History
from lstmkit.layers import LSTM, Activation, Dense, Dropout, Input, InputLayer
from lstmkit.models import Sequential
from lstmkit.optimizers import SGD, Adam

RNG = np.random.default_rng(7)


def small_regression(n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    x = RNG.normal(size=(n, 4, 2)).astype(np.float32)
    y = x[:, -1, :1] * 0.5 + 0.1
    return x, y


def r2(y_true, y_pred):  # the classic user-written metric, as tutorials spell it
    ss_res = K.sum(K.square(y_true - y_pred))
    ss_tot = K.sum(K.square(y_true - K.mean(y_true)))
    return 1 - ss_res / (ss_tot + K.epsilon())


# -- define ---------------------------------------------------------------------------------------


def test_public_api_is_importable_from_the_package_and_the_keras_like_modules() -> None:
    assert lstmkit.Sequential is lstmkit.models.Sequential
    assert lstmkit.LSTM is lstmkit.layers.LSTM
    assert lstmkit.History is lstmkit.callbacks.History
    for name in ("SGD", "Adam", "RMSprop", "Adagrad", "Adadelta"):
        assert getattr(lstmkit, name) is getattr(lstmkit.optimizers, name)
    for name in ("Constant", "Zeros", "Ones", "GlorotUniform", "Orthogonal", "RandomUniform"):
        assert hasattr(lstmkit.initializers, name)
    assert callable(lstmkit.utils.set_random_seed)


def test_summary_prints_keras_names_shapes_and_parameter_counts() -> None:
    lstmkit.utils.clear_session()
    model = Sequential()
    model.add(LSTM(50, activation="relu", return_sequences=True, input_shape=(3, 1)))
    model.add(Dropout(0.2))
    model.add(LSTM(50, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(1, activation="sigmoid"))
    out = io.StringIO()
    with redirect_stdout(out):
        model.summary()
    text = out.getvalue()
    assert 'Model: "sequential"' in text
    assert re.search(r"lstm \(LSTM\)\s+\(None, 3, 50\)\s+10400", text)
    assert re.search(r"dropout \(Dropout\)\s+\(None, 3, 50\)\s+0", text)
    assert re.search(r"lstm_1 \(LSTM\)\s+\(None, 50\)\s+20200", text)
    assert re.search(r"dense \(Dense\)\s+\(None, 1\)\s+51", text)
    assert "Total params: 30,651 (119.73 KB)" in text
    assert "Non-trainable params: 0 (0.00 B)" in text


@pytest.mark.parametrize(
    "first",
    [
        lambda: [Input(shape=(5, 3)), LSTM(8)],
        lambda: [InputLayer(shape=(5, 3)), LSTM(8)],
        lambda: [InputLayer(input_shape=(5, 3)), LSTM(8)],
        lambda: [LSTM(8, input_shape=(5, 3))],
        lambda: [LSTM(8, batch_input_shape=(None, 5, 3))],
        lambda: [LSTM(8, input_dim=3, input_length=5)],
    ],
)
def test_every_way_of_giving_the_input_shape_builds_the_model(first) -> None:
    model = Sequential([*first(), Dense(2)])
    assert model.input_shape == (None, 5, 3)
    assert model.output_shape == (None, 2)
    assert model.count_params() == 4 * 8 * (3 + 8 + 1) + 8 * 2 + 2


def test_a_model_without_input_shape_builds_on_first_fit() -> None:
    model = Sequential([LSTM(4), Dense(1)])
    with pytest.raises(ValueError, match="has not been built yet"):
        model.summary()
    x, y = small_regression()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    # Built from data, the time axis stays free (Keras takes other lengths too).
    assert model.input_shape == (None, None, 2)


@pytest.mark.parametrize(
    ("layers", "shape"),
    [
        ([LSTM(6, input_shape=(4, 2))], (None, 6)),
        ([LSTM(6, return_sequences=True, input_shape=(4, 2))], (None, 4, 6)),
        ([LSTM(6, return_sequences=True, input_shape=(4, 2)), LSTM(3)], (None, 3)),
        (
            [LSTM(6, return_sequences=True, input_shape=(4, 2)), LSTM(3, return_sequences=True)],
            (None, 4, 3),
        ),
        ([LSTM(6, return_sequences=True, input_shape=(4, 2)), Dense(5)], (None, 4, 5)),
        ([LSTM(6, batch_input_shape=(7, 4, 2), stateful=True), Dense(5)], (7, 5)),
    ],
)
def test_stacking_shapes(layers, shape) -> None:
    model = Sequential(layers)
    assert model.output_shape == shape
    batch = shape[0] or 7
    assert model.predict(np.zeros((batch, 4, 2), np.float32)).shape == (batch, *shape[1:])


def test_stacked_model_matches_numpy() -> None:
    model = Sequential(
        [
            LSTM(5, return_sequences=True, input_shape=(6, 3)),
            LSTM(4, activation="relu"),
            Dense(2, activation="sigmoid"),
        ]
    )
    x = RNG.normal(size=(9, 6, 3)).astype(np.float32)
    k1, r1, b1, k2, r2_, b2, kd, bd = model.get_weights()
    seq, _, _ = reference.lstm(x, k1, r1, b1, return_sequences=True)
    last, _, _ = reference.lstm(seq, k2, r2_, b2, activation="relu")
    expected = reference.dense(last, kd, bd, "sigmoid")
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-5)
    np.testing.assert_allclose(model(x), expected, atol=1e-5)


def test_get_and_set_weights_round_trip_and_check_shapes() -> None:
    model = Sequential([LSTM(3, input_shape=(2, 2)), Dense(1)])
    weights = [w + 1.0 for w in model.get_weights()]
    model.set_weights(weights)
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(
        ValueError, match=r"weight 'kernel' has shape \(2, 12\); got an array of shape \(3, 12\)"
    ):
        model.set_weights([np.zeros((3, 12)), *weights[1:]])
    with pytest.raises(ValueError, match="expects 5 weight arrays; got 4"):
        model.set_weights(weights[:4])


def test_activation_layer_applies_the_named_function() -> None:
    model = Sequential([Dense(3, input_shape=(2,)), Activation("softmax")])
    probabilities = model.predict(RNG.normal(size=(4, 2)))
    np.testing.assert_allclose(probabilities.sum(axis=1), np.ones(4), atol=1e-6)


# -- compile --------------------------------------------------------------------------------------


def test_compile_resolves_names_and_objects_with_keras_defaults() -> None:
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile()
    assert type(model.optimizer).__name__ == "RMSprop"
    model.compile(optimizer="adam", loss="mean_squared_error")
    assert model.optimizer.learning_rate == pytest.approx(0.001)
    assert model.optimizer.epsilon == pytest.approx(1e-7)
    sgd = SGD(lr=0.1, momentum=0.3)
    model.compile(optimizer=sgd, loss="mae")
    assert model.optimizer is sgd
    assert sgd.learning_rate == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"optimizer": "adamw2", "loss": "mse"},
            r"Unknown optimizer: 'adamw2'\. Known optimizers: .*adam",
        ),
        (
            {"optimizer": "adam", "loss": "mean_sq"},
            r"Unknown loss: 'mean_sq'\. Known losses: .*mse",
        ),
        (
            {"optimizer": "adam", "loss": "mse", "metrics": ["acuracy"]},
            r"Unknown metric: 'acuracy'",
        ),
    ],
)
def test_unknown_names_list_the_known_ones(kwargs, message) -> None:
    model = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match=message):
        model.compile(**kwargs)


# -- fit -----------------------------------------------------------------------------------------


def test_fit_before_compile_is_a_clear_error() -> None:
    model = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(RuntimeError, match=r"You must call compile\(\) before fit\(\)"):
        model.fit(np.zeros((4, 2)), np.zeros(4))


def test_history_has_keras_keys_one_value_per_epoch() -> None:
    x, y = small_regression()
    model = Sequential([LSTM(4, input_shape=(4, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae", r2])
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_split=0.25)
    assert isinstance(history, History)
    assert model.history is history
    assert list(history.history) == ["loss", "mae", "r2", "val_loss", "val_mae", "val_r2"]
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert all(isinstance(v, float) for v in history.history["loss"])


def test_accuracy_key_follows_the_spelling_given() -> None:
    x = RNG.normal(size=(20, 3, 1)).astype(np.float32)
    y = (x[:, -1, 0] > 0).astype(np.float32)
    for spelling in ("acc", "accuracy"):
        model = Sequential([LSTM(3, input_shape=(3, 1)), Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=[spelling])
        history = model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
        assert list(history.history) == ["loss", spelling, "val_loss", f"val_{spelling}"]


def test_a_flat_target_is_aligned_so_the_user_r2_metric_is_right() -> None:
    # Keras 3 broadcasts y (n,) against y_pred (n, 1) to (n, n), and r2 is then silently wrong.
    x, y2d = small_regression(40)
    y = y2d[:, 0]
    model = Sequential([LSTM(4, input_shape=(4, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=[r2])
    model.fit(x, y, epochs=2, batch_size=40, verbose=0)
    loss, reported = model.evaluate(x, y, batch_size=40, verbose=0)
    prediction = model.predict(x)[:, 0]
    expected = 1 - np.sum((y - prediction) ** 2) / np.sum((y - y.mean()) ** 2)
    assert reported == pytest.approx(expected, abs=1e-4)
    assert loss == pytest.approx(np.mean((y - prediction) ** 2), rel=1e-4)


def test_epoch_loss_is_the_batch_size_weighted_mean_of_batch_losses() -> None:
    x, y = small_regression(10)
    model = Sequential([Dense(1, input_shape=(4, 2)), lstmkit.layers.Activation("linear")])
    model = Sequential([LSTM(2, input_shape=(4, 2)), Dense(1)])
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    assert history.history["loss"][0] == pytest.approx(
        float(np.mean((model.predict(x) - y) ** 2)), rel=1e-5
    )


def test_validation_split_takes_the_last_samples_before_shuffling() -> None:
    x, y = small_regression(20)
    seen: list[torch.Tensor] = []

    class Spy(Callback):
        pass

    model = Sequential([LSTM(2, input_shape=(4, 2)), Dense(1)])
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")
    original = model._trainer.train_step

    def spying_step(xb, yb):
        seen.append(xb.clone())
        original(xb, yb)

    model._trainer.train_step = spying_step
    history = model.fit(
        x, y, epochs=1, batch_size=5, validation_split=0.25, verbose=0, callbacks=[Spy()]
    )
    trained = torch.cat(seen).numpy()
    assert trained.shape[0] == 15
    np.testing.assert_array_equal(np.sort(trained, axis=0), np.sort(x[:15], axis=0))
    val_loss = np.mean((model.predict(x[15:]) - y[15:]) ** 2)
    assert history.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-5)


def test_shuffle_false_keeps_the_order_and_a_seed_repeats_a_run() -> None:
    x, y = small_regression(24)

    def run() -> list[np.ndarray]:
        lstmkit.set_random_seed(11)
        model = Sequential([LSTM(3, input_shape=(4, 2)), Dropout(0.3), Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=True)
        return model.get_weights()

    for a, b in zip(run(), run(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_verbose_modes_print_what_keras_prints() -> None:
    x, y = small_regression(16)
    model = Sequential([LSTM(2, input_shape=(4, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    for verbose, pattern in [
        (0, r"^$"),
        (2, r"Epoch 1/2\n2/2 - \d+s - \d+ms/step - loss: [\d.]+ - mae: [\d.]+\nEpoch 2/2\n"),
        (1, r"Epoch 1/2\n.*2/2 .*loss: [\d.]+ - mae: [\d.]+"),
    ]:
        out = io.StringIO()
        with redirect_stdout(out):
            model.fit(x, y, epochs=2, batch_size=8, verbose=verbose)
        assert re.search(pattern, out.getvalue(), re.S), out.getvalue()


def test_callbacks_see_epochs_and_batches_and_can_stop_training() -> None:
    x, y = small_regression(16)
    events: list[str] = []

    class Recorder(Callback):
        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch {epoch} {sorted(logs)}")
            if epoch == 1:
                self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            events.append(f"batch {batch} {sorted(logs)}")

    model = Sequential([LSTM(2, input_shape=(4, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[Recorder()])
    assert history.epoch == [0, 1]
    assert events[:3] == ["batch 0 ['loss']", "batch 1 ['loss']", "epoch 0 ['loss']"]


# -- evaluate and predict -------------------------------------------------------------------------


def test_evaluate_returns_the_loss_or_a_list_with_the_metrics() -> None:
    x, y = small_regression()
    model = Sequential([LSTM(3, input_shape=(4, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    loss, mae = model.evaluate(x, y, verbose=0)
    prediction = model.predict(x)
    assert loss == pytest.approx(float(np.mean((prediction - y) ** 2)), rel=1e-5)
    assert mae == pytest.approx(float(np.mean(np.abs(prediction - y))), rel=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss, "mae": mae}


def test_predict_classes_as_keras_2_returned_them() -> None:
    x = RNG.normal(size=(6, 2, 3)).astype(np.float32)
    softmax = Sequential([LSTM(4, input_shape=(2, 3)), Dense(5, activation="softmax")])
    classes = softmax.predict_classes(x)
    np.testing.assert_array_equal(classes, softmax.predict(x).argmax(axis=-1))
    assert classes.shape == (6,)
    sigmoid = Sequential([LSTM(4, input_shape=(2, 3)), Dense(1, activation="sigmoid")])
    binary = sigmoid.predict_classes(x)
    assert binary.shape == (6, 1)
    assert binary.dtype == np.int32
    np.testing.assert_array_equal(binary, (sigmoid.predict(x) > 0.5).astype(np.int32))


def test_predict_batches_give_the_same_result_as_one_batch() -> None:
    x = RNG.normal(size=(70, 4, 2)).astype(np.float32)
    model = Sequential([LSTM(3, input_shape=(4, 2)), Dense(1)])
    np.testing.assert_allclose(
        model.predict(x, batch_size=8), model.predict(x, batch_size=100), atol=1e-6
    )


# -- stateful -------------------------------------------------------------------------------------


def test_stateful_fit_carries_state_between_batches_without_gradient_across_them() -> None:
    model = Sequential([LSTM(3, batch_input_shape=(2, 4, 1), stateful=True), Dense(1)])
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")
    x = RNG.normal(size=(4, 4, 1)).astype(np.float32)
    y = np.zeros((4, 1), np.float32)
    model.fit(x, y, epochs=1, batch_size=2, shuffle=False, verbose=0)
    h_after_fit = model.layers[0].states[0].clone()
    assert not h_after_fit.requires_grad
    assert float(h_after_fit.abs().sum()) > 0
    model.reset_states()
    assert float(model.layers[0].states[0].abs().sum()) == 0.0
    # The same two batches run through predict reach the same state.
    model.predict(x, batch_size=2)
    torch.testing.assert_close(model.layers[0].states[0], h_after_fit)


def test_stateful_model_rejects_other_batch_sizes_and_ragged_sample_counts() -> None:
    model = Sequential([LSTM(3, batch_input_shape=(5, 5, 100), stateful=True), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros((20, 5, 100), np.float32)
    y = np.zeros((20, 1), np.float32)
    with pytest.raises(
        ValueError, match=r"fixed batch size of 5 \(batch_input_shape\); got batch_size=4"
    ):
        model.fit(x, y, batch_size=4, verbose=0, shuffle=False)
    with pytest.raises(ValueError, match="multiple of 5; got 18 samples"):
        model.fit(x[:18], y[:18], batch_size=5, verbose=0, shuffle=False)
    assert model.predict(x).shape == (20, 1)  # batch_size defaults to the fixed one


def test_stateful_without_a_fixed_batch_size_is_a_clear_error() -> None:
    with pytest.raises(
        ValueError, match=r"stateful LSTM needs a fixed batch size.*batch_input_shape"
    ):
        Sequential([LSTM(3, input_shape=(5, 1), stateful=True)])


def test_shuffling_a_stateful_model_warns() -> None:
    model = Sequential([LSTM(3, batch_input_shape=(2, 4, 1), stateful=True), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    with pytest.warns(UserWarning, match="shuffle=False"):
        model.fit(np.zeros((4, 4, 1)), np.zeros(4), batch_size=2, verbose=0)


# -- bad input ------------------------------------------------------------------------------------


@pytest.fixture
def compiled() -> Sequential:
    model = Sequential([LSTM(3, input_shape=(5, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "message"),
    [
        (
            np.zeros((148, 15)),
            np.zeros(148),
            {},
            r"LSTM expects 3-D input \[samples, timesteps, features\]; got shape \(148, 15\)",
        ),
        (np.zeros((8, 5, 3)), np.zeros(8), {}, r"axis 2 should be 2; got shape \(8, 5, 3\)"),
        (np.zeros((8, 5, 2)), np.zeros(9), {}, "same number of samples; got 8 in x and 9 in y"),
        (
            np.full((8, 5, 2), np.nan),
            np.zeros(8),
            {},
            r"x contains NaN or inf \(first at index \(0, 0, 0\)\)",
        ),
        (
            np.zeros((8, 5, 2)),
            np.r_[np.zeros(7), np.inf],
            {},
            r"y contains NaN or inf \(first at index \(7,\)\)",
        ),
        (np.array([["a"] * 2] * 5 * 8).reshape(8, 5, 2), np.zeros(8), {}, "x must be numeric"),
        (
            np.zeros((8, 5, 2)),
            np.zeros(8),
            {"batch_size": 0},
            "batch_size must be a positive integer; got batch_size=0",
        ),
        (
            np.zeros((8, 5, 2)),
            np.zeros(8),
            {"epochs": -1},
            "epochs must be a non-negative integer; got epochs=-1",
        ),
        (
            np.zeros((8, 5, 2)),
            np.zeros(8),
            {"verbose": 3},
            "verbose must be 'auto', 0, 1 or 2; got verbose=3",
        ),
        (
            np.zeros((8, 5, 2)),
            np.zeros(8),
            {"validation_split": 1.5},
            r"validation_split must be in \[0, 1\)",
        ),
    ],
)
def test_bad_input_names_the_argument_the_expectation_and_what_came(
    compiled, x, y, kwargs, message
) -> None:
    with pytest.raises(ValueError, match=message):
        compiled.fit(x, y, **{"verbose": 0, **kwargs})


def test_adam_state_survives_repeated_fit_calls() -> None:
    x, y = small_regression(8)
    model = Sequential([LSTM(2, input_shape=(4, 2)), Dense(1)])
    optimizer = Adam()
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert optimizer.iterations == 4


def test_integer_labels_with_categorical_crossentropy_get_a_hint() -> None:
    model = Sequential([LSTM(3, input_shape=(5, 2)), Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x, labels = np.zeros((8, 5, 2)), np.arange(8) % 4
    with pytest.raises(
        ValueError,
        match=r"y has shape \(8,\) but the model's output has shape \(None, 4\); for integer "
        r"class labels, one-hot encode y or use loss='sparse_categorical_crossentropy'",
    ):
        model.fit(x, labels, verbose=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, labels, epochs=1, verbose=0)
    assert list(history.history) == ["loss", "accuracy"]


def test_read_only_arrays_from_pandas_train_without_a_warning(recwarn):
    import pandas as pd

    frame = pd.DataFrame({"a": np.linspace(0, 1, 8), "b": np.linspace(1, 0, 8)})
    X = frame.to_numpy(dtype=np.float32).reshape(8, 1, 2)
    X.flags.writeable = False
    model = Sequential([LSTM(3, input_shape=(1, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, frame["a"], epochs=1, verbose=0)
    assert model.predict(X).shape == (8, 1)
    assert not [w for w in recwarn if "not writable" in str(w.message)]
    assert not X.flags.writeable  # the caller's array is left alone


def test_a_model_built_from_data_takes_sequences_of_any_length_when_its_layers_can():
    # As in Keras (the TensorFlow text-classification tutorial predicts on an unpadded text).
    from lstmkit.layers import Embedding, Flatten

    rng = np.random.default_rng(0)
    model = Sequential([LSTM(4, return_sequences=True), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(rng.normal(size=(8, 6, 3)), rng.normal(size=(8, 6, 1)), epochs=1, verbose=0)
    assert (model.input_shape, model.output_shape) == ((None, None, 3), (None, None, 1))
    assert model.predict(rng.normal(size=(2, 9, 3))).shape == (2, 9, 1)
    tokens = Sequential([Embedding(20, 4), LSTM(3), Dense(1)])
    assert tokens.predict(rng.integers(0, 20, size=(2, 5))).shape == (2, 1)
    assert tokens.predict(rng.integers(0, 20, size=(1, 11))).shape == (1, 1)
    # Flatten then Dense needs the length: it stays fixed, and other lengths are refused.
    flat = Sequential([LSTM(2, return_sequences=True), Flatten(), Dense(1)])
    flat.predict(rng.normal(size=(2, 6, 3)))
    assert flat.input_shape == (None, 6, 3)
    with pytest.raises(ValueError, match="axis 1 should be 6"):
        flat.predict(rng.normal(size=(2, 7, 3)))
    # Features (2-D input to Dense) are never freed.
    dense = Sequential([Dense(2)])
    dense.predict(rng.normal(size=(2, 3)))
    assert dense.input_shape == (None, 3)
