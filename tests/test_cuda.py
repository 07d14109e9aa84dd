"""Whole fits on a CUDA GPU against the same fits on the CPU (issue 18's GPU evidence).

Every case trains the same model twice from the same seed: once with ``set_device("cpu")`` (the
reference: on the CPU the native kernel and whole step take most of these models), once with
``set_device("cuda")`` (cuDNN's fused LSTM and GRU, PyTorch's loop for other activations). The
initial weights, the shuffles and the dropout masks are drawn on the host in both runs, so the
two see the same numbers and must end within 1e-4: weights, History, evaluate and predict.
TF32 is switched off for the comparison (PyTorch lets cuDNN's float32 RNNs use it by default on
recent GPUs, which is a precision choice, not an error; see the README).

Marked ``cuda`` and skipped where PyTorch sees no GPU; ``pytest -m cuda`` runs these alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import lstmkit
from lstmkit import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Input,
    Masking,
    Sequential,
    SimpleRNN,
    devices,
)
from lstmkit.models import load_model

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

TOLERANCE = {"rtol": 1e-4, "atol": 1e-4}


@pytest.fixture(autouse=True)
def float32_and_the_automatic_device(monkeypatch):
    """IEEE float32 in cuDNN's RNNs and cuBLAS's products for the comparison; afterwards the
    automatic device again (set_device(None)), whatever the test set."""
    monkeypatch.delenv(devices.ENVIRONMENT_VARIABLE, raising=False)
    rnn, matmul = torch.backends.cudnn.rnn, torch.backends.cuda.matmul
    saved = (rnn.fp32_precision, matmul.fp32_precision)
    rnn.fp32_precision = "ieee"
    matmul.fp32_precision = "ieee"
    yield
    rnn.fp32_precision, matmul.fp32_precision = saved
    lstmkit.set_device(None)


@dataclass
class Run:
    model: Any
    history: dict[str, list[float]]
    evaluation: Any
    prediction: np.ndarray
    weights: list[np.ndarray]


def train(
    device: str,
    make: Callable[[], Sequential],
    x: np.ndarray,
    y: np.ndarray,
    *,
    loss: str = "mse",
    metrics: tuple[str, ...] = (),
    batch_size: int = 8,
    epochs: int = 5,
    shuffle: bool = True,
    seed: int = 0,
) -> Run:
    """The five steps on ``device``: build, compile, fit (with validation data), evaluate,
    predict."""
    lstmkit.set_device(device)
    lstmkit.set_random_seed(seed)
    model = make()
    model.compile(optimizer="adam", loss=loss, metrics=list(metrics))
    history = model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        verbose=0,
        validation_data=(x[:batch_size], y[:batch_size]),
    )
    evaluation = model.evaluate(x, y, batch_size=batch_size, verbose=0)
    prediction = model.predict(x, batch_size=batch_size, verbose=0)
    return Run(model, history.history, evaluation, prediction, model.get_weights())


def assert_same(gpu: Run, cpu: Run) -> None:
    assert gpu.history.keys() == cpu.history.keys()
    for key in cpu.history:
        np.testing.assert_allclose(gpu.history[key], cpu.history[key], **TOLERANCE, err_msg=key)
    np.testing.assert_allclose(gpu.evaluation, cpu.evaluation, **TOLERANCE)
    assert isinstance(gpu.prediction, np.ndarray)  # on the host
    np.testing.assert_allclose(gpu.prediction, cpu.prediction, **TOLERANCE)
    assert len(gpu.weights) == len(cpu.weights)
    for a, b in zip(gpu.weights, cpu.weights, strict=True):
        np.testing.assert_allclose(a, b, **TOLERANCE)


def assert_on_the_gpu(run: Run) -> None:
    """Weights, optimizer slots and accumulators on the GPU; the autograd step, not the CPU's
    native one."""
    model = run.model
    trainer = model._trainer
    assert model.device.type == "cuda"
    assert {w.device.type for w in model.weights} == {"cuda"}
    slots, _ = trainer.optimizer.get_state()
    assert {t.device.type for t in slots.values()} == {"cuda"}
    assert trainer._loss_total.device.type == "cuda"
    assert {m.total.device.type for m in trainer.metrics} <= {"cuda"}
    assert trainer.step_path == "autograd"
    for layer in model.layers:
        path = getattr(layer, "kernel_path", None)
        assert path != "native", layer.name


def regression_data(n: int = 48, timesteps: int = 6, features: int = 3, outputs: int = 2):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, timesteps, features)).astype(np.float32)
    y = np.tanh(x.sum(axis=1)[:, :outputs]).astype(np.float32)
    return x, y


# -- the five steps -------------------------------------------------------------------------------


MODELS: dict[str, Callable[[], Sequential]] = {
    "lstm_dense": lambda: Sequential([Input((6, 3)), LSTM(16), Dense(2)]),
    "stacked_dropout": lambda: Sequential(
        [
            Input((6, 3)),
            LSTM(16, return_sequences=True),
            # Seeded: on the CPU an unseeded Dropout in the autograd step draws its mask in the
            # memory layout of its input (torch.nn.functional.dropout), which is the LSTM's
            # time-major one; on a GPU, and in the CPU's native step, masks are drawn
            # contiguous (see lstmkit.utils.dropout_mask). A seeded one is drawn contiguous
            # everywhere.
            Dropout(0.3, seed=4),
            LSTM(8, dropout=0.2, recurrent_dropout=0.2),
            Dropout(0.2, seed=5),
            Dense(2),
        ]
    ),
    "gru": lambda: Sequential([Input((6, 3)), GRU(12), Dense(2)]),
    "simple_rnn": lambda: Sequential([Input((6, 3)), SimpleRNN(12), Dense(2)]),
    "relu_lstm": lambda: Sequential([Input((6, 3)), LSTM(16, activation="relu"), Dense(2)]),
    "masked_bidirectional": lambda: Sequential(
        [Input((6, 3)), Masking(0.0), Bidirectional(LSTM(8)), Dense(2)]
    ),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_five_step_fit_on_the_gpu_matches_the_cpu(name) -> None:
    x, y = regression_data()
    if name == "masked_bidirectional":
        x[::3, :2] = 0.0  # padding at the start of every third sequence
    cpu = train("cpu", MODELS[name], x, y, metrics=("mae",))
    gpu = train("cuda", MODELS[name], x, y, metrics=("mae",))
    assert_on_the_gpu(gpu)
    assert_same(gpu, cpu)
    first = gpu.model.layers[0]
    if name in ("lstm_dense", "stacked_dropout", "gru", "simple_rnn"):
        assert first.kernel_path == "fused"  # cuDNN


# -- the models the native whole step takes on the CPU --------------------------------------------


def test_w0_lifecycle_on_the_gpu_matches_the_native_cpu_step() -> None:
    sequence = np.arange(0.0, 1.0, 0.1, dtype=np.float32)
    x, y = sequence[:-1].reshape(9, 1, 1), sequence[1:]

    def make() -> Sequential:
        return Sequential([Input((1, 1)), LSTM(10), Dense(1)])

    cpu = train("cpu", make, x, y, batch_size=9, epochs=50)
    gpu = train("cuda", make, x, y, batch_size=9, epochs=50)
    assert_on_the_gpu(gpu)
    assert_same(gpu, cpu)


def test_w2_relu_stack_with_dropout_on_the_gpu_matches_the_native_cpu_step() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(0, 2, size=(64, 10, 1)).astype(np.float32)
    y = (x[:, -1, 0] == x[:, -2, 0]).astype(np.float32)

    def make() -> Sequential:
        return Sequential(
            [
                Input((10, 1)),
                LSTM(20, activation="relu", return_sequences=True),
                Dropout(0.2),
                LSTM(20, activation="relu"),
                Dropout(0.2),
                Dense(1, activation="sigmoid"),
            ]
        )

    cpu = train("cpu", make, x, y, loss="binary_crossentropy", metrics=("accuracy",), batch_size=16)
    gpu = train(
        "cuda", make, x, y, loss="binary_crossentropy", metrics=("accuracy",), batch_size=16
    )
    assert_on_the_gpu(gpu)
    assert_same(gpu, cpu)


def test_w3_batch_of_one_on_the_gpu_matches_the_native_cpu_step() -> None:
    t = np.arange(40, dtype=np.float32)
    series = np.sin(t / 3.0)
    x = np.stack([series[i : i + 4] for i in range(30)])[:, :, None]
    y = series[4:34]

    def make() -> Sequential:
        return Sequential([Input((4, 1)), LSTM(8), Dense(1)])

    cpu = train("cpu", make, x, y, batch_size=1, epochs=3)
    gpu = train("cuda", make, x, y, batch_size=1, epochs=3)
    assert_same(gpu, cpu)


# -- a stateful model ------------------------------------------------------------------------------


def stateful_run(device: str, x: np.ndarray, y: np.ndarray) -> tuple[Any, list[float], np.ndarray]:
    """W4's pattern: a stateful LSTM trained one epoch per fit call, states reset between."""
    lstmkit.set_device(device)
    lstmkit.set_random_seed(3)
    model = Sequential(
        [Input(batch_shape=(5, 5, 10)), LSTM(12, stateful=True), Dense(10, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    losses = []
    for _ in range(5):
        history = model.fit(x, y, epochs=1, batch_size=5, shuffle=False, verbose=0)
        losses += history.history["loss"]
        model.reset_states()
    prediction = model.predict(x, batch_size=5, verbose=0)
    return model, losses, prediction


def test_a_stateful_lstm_on_the_gpu_matches_the_cpu() -> None:
    rng = np.random.default_rng(4)
    one_hot = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 29)]
    x = np.stack([one_hot[t - 4 : t + 1] for t in range(4, 24)])
    y = one_hot[3:23]
    cpu_model, cpu_losses, cpu_prediction = stateful_run("cpu", x, y)
    gpu_model, gpu_losses, gpu_prediction = stateful_run("cuda", x, y)
    layer = gpu_model.layers[0]
    assert {s.device.type for s in layer.states} == {"cuda"}
    np.testing.assert_allclose(gpu_losses, cpu_losses, **TOLERANCE)
    np.testing.assert_allclose(gpu_prediction, cpu_prediction, **TOLERANCE)
    for a, b in zip(gpu_model.get_weights(), cpu_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, **TOLERANCE)
    # States carried across predict calls, then reset to zeros on the GPU.
    layer.reset_states()
    assert all(float(s.abs().sum()) == 0.0 and s.device.type == "cuda" for s in layer.states)


# -- saved files hold no device --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["model.lstmkit", "model.keras", "model.h5"])
def test_a_model_saved_on_the_gpu_loads_on_the_cpu_and_back(tmp_path, name) -> None:
    x, y = regression_data()
    gpu = train("cuda", MODELS["stacked_dropout"], x, y, epochs=2)
    gpu.model.save(tmp_path / name)

    lstmkit.set_device("cpu")
    on_cpu = load_model(tmp_path / name)
    assert {w.device.type for w in on_cpu.weights} == {"cpu"}
    np.testing.assert_allclose(on_cpu.predict(x, verbose=0), gpu.prediction, **TOLERANCE)
    on_cpu.save(tmp_path / f"again-{name}")

    lstmkit.set_device("cuda")
    back = load_model(tmp_path / f"again-{name}")
    assert {w.device.type for w in back.weights} == {"cuda"}
    np.testing.assert_allclose(back.predict(x, verbose=0), gpu.prediction, **TOLERANCE)
    if name.endswith(".lstmkit"):
        # The optimizer's slots and the training stream came along: one more epoch from the
        # file on the CPU and on the GPU ends in the same place.
        assert {t.device.type for t in back._trainer.optimizer.get_state()[0].values()} == {"cuda"}
        lstmkit.set_device("cpu")
        again_cpu = load_model(tmp_path / f"again-{name}")
        for model in (back, again_cpu):
            model.fit(
                x,
                y,
                epochs=model.epochs_done + 1,
                initial_epoch=model.epochs_done,
                batch_size=8,
                verbose=0,
            )
        for a, b in zip(back.get_weights(), again_cpu.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, **TOLERANCE)


@pytest.mark.parametrize("n_models", [1, 2])
def test_a_forecaster_fitted_on_the_gpu_matches_the_cpu_and_loads_on_either(
    tmp_path, n_models
) -> None:
    from lstmkit.data import load_dataset
    from lstmkit.forecast import Forecaster, load_forecaster

    train_frame = load_dataset("airline")[:-12]

    def fitted(device: str) -> Forecaster:
        lstmkit.set_device(device)
        params = {"look_back": 4, "units": 8, "epochs": 3, "batch_size": 16, "seed": 0}
        return Forecaster(**params, n_models=n_models).fit(train_frame)

    cpu, gpu = fitted("cpu"), fitted("cuda")
    assert gpu.model_.device.type == "cuda"
    np.testing.assert_allclose(gpu.predict(6), cpu.predict(6), rtol=1e-4)
    gpu.save(tmp_path / "f.lstmkit")
    lstmkit.set_device("cpu")
    loaded = load_forecaster(tmp_path / "f.lstmkit")
    assert loaded.model_.device.type == "cpu"
    np.testing.assert_allclose(loaded.predict(6), gpu.predict(6), rtol=1e-4)
    lstmkit.set_device("cuda")
    back = load_forecaster(tmp_path / "f.lstmkit")
    assert back.model_.device.type == "cuda"
    np.testing.assert_allclose(back.predict(6), gpu.predict(6), rtol=1e-4)
