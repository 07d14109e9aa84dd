"""Callbacks against Keras's documented behaviour, and fit interrupted by Ctrl-C."""

from __future__ import annotations

import csv
import os
import signal

import numpy as np
import pytest

import lstmkit
from lstmkit import LSTM, Dense, Sequential, optimizers
from lstmkit.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from lstmkit.models import load_model


class Scripted(Callback):
    """Puts ``values[epoch]`` into the logs as ``score`` (callbacks run in order, so the ones
    after it see it) and keeps each epoch's weights."""

    def __init__(self, values):
        super().__init__()
        self.values = values
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def _tiny(optimizer="sgd"):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer=optimizer, loss="mse")
    return model


X = np.random.default_rng(0).random((8, 2)).astype("float32")
Y = X.sum(axis=1, keepdims=True)


def test_early_stopping_keras_documented_example():
    # keras.io: EarlyStopping(monitor='loss', patience=3) on a diverging SGD model:
    # "Only 4 epochs are run."
    lstmkit.set_random_seed(0)
    model = Sequential([Dense(10, input_shape=(20,))])
    model.compile(optimizers.SGD(), loss="mse")
    history = model.fit(
        np.arange(100).reshape(5, 20),
        np.zeros((5, 10)),
        epochs=10,
        batch_size=1,
        callbacks=[EarlyStopping(monitor="loss", patience=3)],
        verbose=0,
    )
    assert len(history.history["loss"]) == 4


@pytest.mark.parametrize(
    ("values", "kwargs", "epochs_run", "best_epoch"),
    [
        ([5, 4, 4.5, 4.2, 4.1, 3, 2], {"patience": 3}, 5, 1),
        ([5, 4, 4.5, 4.2, 4.1, 3, 2], {"patience": 5}, 7, 6),
        # An improvement smaller than min_delta does not count.
        ([5, 4.95, 4.9, 4.85, 1], {"patience": 2, "min_delta": 0.1}, 3, 0),
        ([0.5, 0.7, 0.6, 0.65, 0.9], {"patience": 2, "mode": "max"}, 4, 1),
        # With a baseline, a best value that doesn't beat it doesn't reset patience...
        ([5, 5.5, 6, 7, 8], {"patience": 2, "baseline": 3.0}, 2, 0),
        # ...but, as in Keras, an improvement on the best still stops the count for that epoch.
        ([5, 4, 3.5, 3.2, 1], {"patience": 3, "baseline": 3.0}, 5, 4),
        # Epochs before start_from_epoch are ignored.
        ([1, 2, 3, 4, 5, 6], {"patience": 1, "start_from_epoch": 3}, 5, 3),
    ],
)
def test_early_stopping_counts_patience_as_keras(values, kwargs, epochs_run, best_epoch):
    kwargs.setdefault("mode", "min")
    stopper = EarlyStopping(monitor="score", restore_best_weights=True, **kwargs)
    scripted = Scripted(values)
    model = _tiny()
    history = model.fit(
        X, Y, epochs=len(values), verbose=0, callbacks=[scripted, stopper], shuffle=False
    )
    assert len(history.epoch) == epochs_run
    assert stopper.best_epoch == best_epoch
    assert stopper.stopped_epoch == (epochs_run - 1 if epochs_run < len(values) else 0)
    for restored, kept in zip(model.get_weights(), scripted.weights[best_epoch], strict=True):
        np.testing.assert_array_equal(restored, kept)


def test_monitor_direction_comes_from_the_metric():
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "mae"])
    y = (X[:, :1] > 0.5).astype("float32")
    for monitor, lower in (("val_loss", True), ("accuracy", False), ("val_mae", True)):
        stopper = EarlyStopping(monitor=monitor, patience=100)
        model.fit(X, y, epochs=1, verbose=0, validation_split=0.25, callbacks=[stopper])
        assert stopper._direction() is lower
    model.compile(optimizer="adam", loss="mse", metrics=[lambda t, p: (t - p) ** 2])
    with pytest.raises(ValueError, match=r"pass mode='max'.*or mode='min'"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[EarlyStopping(monitor="<lambda>")])


def test_a_missing_monitor_warns_and_changes_nothing():
    model = _tiny()
    with pytest.warns(RuntimeWarning, match=r"'val_loss', which is not in the logs"):
        history = model.fit(X, Y, epochs=3, verbose=0, callbacks=[EarlyStopping(patience=0)])
    assert len(history.epoch) == 3


def test_reduce_lr_on_plateau_as_keras():
    values = [5, 4, 4, 4, 4, 4, 4, 4, 3.99995, 4]
    reducer = ReduceLROnPlateau(
        monitor="score", mode="min", factor=0.5, patience=2, cooldown=1, min_lr=0.002
    )
    model = _tiny(optimizers.SGD(learning_rate=0.01))
    history = model.fit(X, Y, epochs=len(values), verbose=0, callbacks=[Scripted(values), reducer])
    # The rate each epoch ran with: halved after two epochs without improvement (> 1e-4); the
    # cooldown epoch resets the count and itself counts as one (Keras's order); never below
    # min_lr.
    expected = [0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025, 0.002, 0.002]
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-12)
    assert model.optimizer.learning_rate == pytest.approx(0.002)
    with pytest.raises(ValueError, match=r"factor"):
        ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler_keras_documented_example():
    # keras.io: lr kept for 10 epochs, then times exp(-0.1); after 15 epochs of SGD (0.01):
    # round(model.optimizer.learning_rate, 5) == 0.00607.
    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * np.exp(-0.1)

    model = Sequential([Dense(10, input_shape=(20,))])
    model.compile(optimizers.SGD(), loss="mse")
    assert round(model.optimizer.learning_rate, 5) == 0.01
    history = model.fit(
        np.arange(100).reshape(5, 20) / 100.0,
        np.zeros((5, 10)),
        epochs=15,
        callbacks=[LearningRateScheduler(scheduler)],
        verbose=0,
    )
    assert round(model.optimizer.learning_rate, 5) == 0.00607
    assert len(history.history["loss"]) == 15
    assert history.history["learning_rate"][9] == pytest.approx(0.01)
    one_argument = LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    model.fit(
        X[:, :1].repeat(20, axis=1),
        np.zeros((8, 10)),
        epochs=3,
        verbose=0,
        callbacks=[one_argument],
    )
    assert model.optimizer.learning_rate == pytest.approx(0.1 / 3)


def test_csv_logger_writes_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    model = _tiny()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(
        X, Y, epochs=3, verbose=0, validation_split=0.25, callbacks=[CSVLogger(path)]
    )
    model.fit(
        X,
        Y,
        epochs=5,
        initial_epoch=3,
        verbose=0,
        validation_split=0.25,
        callbacks=[CSVLogger(path, append=True)],
    )
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(
        [float(row["loss"]) for row in rows[:3]], history.history["loss"], rtol=1e-12
    )
    CSVLogger(path, separator=";").set_model(model)
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    assert path.read_text().splitlines()[0] == "epoch;loss;mae"


def test_terminate_on_nan_stops_at_the_batch():
    model = _tiny(optimizers.SGD(learning_rate=1e18))
    batches = []
    history = model.fit(
        np.ones((64, 2), "float32") * 100,
        np.ones((64, 1), "float32"),
        epochs=5,
        batch_size=4,
        verbose=0,
        callbacks=[
            TerminateOnNaN(),
            LambdaCallback(on_batch_end=lambda b, logs: batches.append(b)),
        ],
    )
    assert len(history.epoch) == 1
    assert len(batches) < 16
    assert not np.isfinite(history.history["loss"][0])


def test_lambda_callback_calls_what_it_is_given():
    seen = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: seen.append("begin"),
        on_epoch_begin=lambda epoch, logs: seen.append(f"epoch {epoch}"),
        on_train_batch_end=lambda batch, logs: seen.append(f"batch {batch} {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: seen.append(f"end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: seen.append("finish"),
    )
    _tiny().fit(X, Y, epochs=2, batch_size=4, verbose=0, callbacks=[callback])
    assert seen == [
        "begin",
        "epoch 0",
        "batch 0 ['loss']",
        "batch 1 ['loss']",
        "end 0 ['loss']",
        "epoch 1",
        "batch 0 ['loss']",
        "batch 1 ['loss']",
        "end 1 ['loss']",
        "finish",
    ]
    with pytest.raises(TypeError, match=r"unknown hook"):
        LambdaCallback(on_epoch_ending=print)


def test_model_checkpoint_best_only_weights_only_and_per_batch(tmp_path):
    values = [3.0, 2.0, 2.5, 1.0, 1.5]
    model = _tiny()
    scripted = Scripted(values)
    best = ModelCheckpoint(
        str(tmp_path / "best.lstmkit"), monitor="score", mode="min", save_best_only=True
    )
    every = ModelCheckpoint(
        str(tmp_path / "w-{epoch:02d}-{score:.1f}.weights.safetensors"),
        monitor="score",
        mode="min",
        save_weights_only=True,
    )
    model.fit(X, Y, epochs=5, verbose=0, callbacks=[scripted, best, every])
    assert best.best == 1.0
    np.testing.assert_array_equal(
        load_model(tmp_path / "best.lstmkit").get_weights()[0], scripted.weights[3][0]
    )
    assert sorted(os.listdir(tmp_path)) == [
        "best.lstmkit",
        "w-01-3.0.weights.safetensors",
        "w-02-2.0.weights.safetensors",
        "w-03-2.5.weights.safetensors",
        "w-04-1.0.weights.safetensors",
        "w-05-1.5.weights.safetensors",
    ]
    per_batch = ModelCheckpoint(str(tmp_path / "b-{epoch}-{batch}.lstmkit"), save_freq=3)
    model.fit(X, Y, epochs=2, batch_size=2, verbose=0, callbacks=[per_batch])
    assert sorted(p for p in os.listdir(tmp_path) if p.startswith("b-")) == [
        "b-1-3.lstmkit",
        "b-2-2.lstmkit",
    ]
    with pytest.raises(ValueError, match=r"cannot fill in filepath"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "{nope}"))])


def test_callbacks_run_before_the_history_so_it_keeps_what_they_add():
    class AddsKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["custom"] = epoch * 2.0

    history = _tiny().fit(X, Y, epochs=3, verbose=0, callbacks=[AddsKey()])
    assert history.history["custom"] == [0.0, 2.0, 4.0]


def test_stop_training_set_in_a_batch_ends_the_epoch_there():
    class StopAtBatch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    model = _tiny()
    history = model.fit(X, Y, epochs=3, batch_size=2, verbose=0, callbacks=[StopAtBatch()])
    assert history.epoch == [0]
    assert model.optimizer.iterations == 2


def test_ctrl_c_returns_cleanly_with_the_last_finished_batch(tmp_path):
    lstmkit.set_random_seed(0)
    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(1).random((32, 5, 2)).astype("float32")
    y = x.mean(axis=(1, 2))[:, None]
    kept = {}

    class PressCtrlC(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.params and batch == 2 and len(kept) == 0 and self.model.epochs_done == 1:
                kept["weights"] = self.model.get_weights()
                os.kill(os.getpid(), signal.SIGINT)

    checkpoint = ModelCheckpoint(str(tmp_path / "last.lstmkit"), monitor="loss")
    with pytest.warns(RuntimeWarning, match=r"interrupted \(Ctrl-C\): stopped after batch 3/4 of"):
        history = model.fit(
            x, y, epochs=5, batch_size=8, verbose=0, callbacks=[PressCtrlC(), checkpoint]
        )
    assert history.epoch == [0]  # the finished epoch; the interrupted one is not logged
    assert model.optimizer.iterations == 4 + 3
    for now, then in zip(model.get_weights(), kept["weights"], strict=True):
        np.testing.assert_array_equal(now, then)
    assert load_model(tmp_path / "last.lstmkit").epochs_done == 1
    # The program's own Ctrl-C handling is back.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        signal.sigtimedwait([], 0.1) if hasattr(signal, "sigtimedwait") else None


def test_clipnorm_keeps_a_relu_lstm_from_diverging():
    # A relu LSTM with a large learning rate: unclipped gradients blow it up; clipnorm=1 trains.
    x = np.random.default_rng(2).random((64, 20, 1)).astype("float32") * 10
    y = x.sum(axis=1)
    histories = {}
    for clip in (None, 1.0):
        lstmkit.set_random_seed(3)
        model = Sequential([LSTM(16, activation="relu", input_shape=(20, 1)), Dense(1)])
        model.compile(optimizer=optimizers.SGD(learning_rate=0.01, clipnorm=clip), loss="mse")
        histories[clip] = model.fit(x, y, epochs=20, batch_size=16, verbose=0).history["loss"]
    assert not np.isfinite(histories[None][-1])
    assert np.isfinite(histories[1.0]).all()
    assert histories[1.0][-1] < 0.05 * histories[1.0][0]
