"""The current device (lstmkit.set_device, LSTMKIT_DEVICE, the CUDA default), the errors for bad
devices, and the device-dependent choices, on a machine without a GPU.

Where a GPU would be needed, the tests either make the decision with a ``torch.device("cuda")``
argument (nothing is allocated there) or put the model on PyTorch's ``meta`` device, which has
shapes and no data: it shows where tensors go without a GPU. tests/test_cuda.py runs the real
thing when a GPU is present.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lstmkit
from lstmkit import LSTM, Dense, Dropout, Input, Sequential, activations, devices
from lstmkit.metrics import Mean
from lstmkit.ops import native
from lstmkit.ops.recurrent import select_lstm_path
from lstmkit.saving.model_file import load_model
from lstmkit.training import native_step
from lstmkit.training.batches import sample_weights
from lstmkit.training.data import Aligned
from lstmkit.training.loop import Trainer, _on_device
from lstmkit.utils import dropout_mask

META = torch.device("meta")


@pytest.fixture(autouse=True)
def automatic_device(monkeypatch):
    """Each test starts from the automatic choice, without LSTMKIT_DEVICE (which tests/conftest.py
    sets), and leaves things as they were; a test that builds a model on the CPU says so."""
    monkeypatch.delenv(devices.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(devices, "_chosen", None)
    yield


def pretend_gpus(monkeypatch, count: int) -> None:
    """Make torch report ``count`` CUDA devices (the checks read only these two functions)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


def on_meta(monkeypatch) -> None:
    """Make ``meta`` the current device: models built now put their weights there."""
    monkeypatch.setattr(devices, "_chosen", META)


def lifecycle_model() -> Sequential:
    model = Sequential([Input((1, 1)), LSTM(10), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


# -- the current device ---------------------------------------------------------------------------


def test_the_default_is_the_cpu_without_cuda_and_the_first_gpu_with_it(monkeypatch) -> None:
    pretend_gpus(monkeypatch, 0)
    assert lstmkit.get_device() == torch.device("cpu")
    pretend_gpus(monkeypatch, 2)
    assert lstmkit.get_device() == torch.device("cuda", 0)


def test_set_device_resolves_and_wins_over_the_environment(monkeypatch) -> None:
    pretend_gpus(monkeypatch, 2)
    monkeypatch.setenv("LSTMKIT_DEVICE", "cuda:1")
    assert lstmkit.get_device() == torch.device("cuda", 1)
    assert lstmkit.set_device("cpu") == torch.device("cpu")
    assert lstmkit.get_device() == torch.device("cpu")
    assert lstmkit.set_device("cuda") == torch.device("cuda", 0)
    assert lstmkit.set_device(" CUDA:1 ") == torch.device("cuda", 1)
    assert lstmkit.set_device(torch.device("cuda", 1)) == torch.device("cuda", 1)
    # None: back to the automatic choice, which reads the environment again.
    monkeypatch.setenv("LSTMKIT_DEVICE", "cpu")
    assert lstmkit.set_device(None) == torch.device("cpu")
    monkeypatch.delenv("LSTMKIT_DEVICE")
    assert lstmkit.get_device() == torch.device("cuda", 0)


def test_the_environment_variable_chooses_when_set_device_was_not_called(monkeypatch) -> None:
    pretend_gpus(monkeypatch, 1)
    monkeypatch.setenv("LSTMKIT_DEVICE", "cpu")
    assert lstmkit.get_device() == torch.device("cpu")
    monkeypatch.setenv("LSTMKIT_DEVICE", "")  # empty: as if unset
    assert lstmkit.get_device() == torch.device("cuda", 0)


@pytest.mark.parametrize("value", ["gpu", "cuda:x", "cuda:", "tpu", "cuda:-1", ""])
def test_a_spelling_lstmkit_does_not_take_is_refused_with_what_it_takes(value) -> None:
    with pytest.raises(ValueError) as error:
        lstmkit.set_device(value)
    assert str(error.value) == (
        "device must be 'cpu', 'cuda', 'cuda:N' (N a GPU index), 'mps' or a torch.device; "
        f"got {value!r}"
    )
    assert devices._chosen is None  # nothing changed


def test_other_kinds_of_value_are_refused() -> None:
    with pytest.raises(ValueError, match=r"got int 0$"):
        lstmkit.set_device(0)
    with pytest.raises(ValueError, match=r"got torch.device\('meta'\)$"):
        lstmkit.set_device(torch.device("meta"))
    with pytest.raises(ValueError, match=r"the CPU has no index; got 'cpu:1', expected 'cpu'"):
        lstmkit.set_device("cpu:1")


def test_a_bad_environment_variable_is_named_in_the_error(monkeypatch) -> None:
    monkeypatch.setenv("LSTMKIT_DEVICE", "gpu")
    with pytest.raises(ValueError, match=r"^LSTMKIT_DEVICE must be 'cpu', .* got 'gpu'$"):
        lstmkit.get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_on_a_machine_without_it_says_so() -> None:
    with pytest.raises(ValueError) as error:
        lstmkit.set_device("cuda")
    message = str(error.value)
    assert message.startswith("device='cuda' needs a CUDA GPU, but ")
    assert message.endswith("; use 'cpu'")
    if torch.version.cuda is None:
        assert "this PyTorch is built without CUDA (torch.version.cuda is None)" in message
    else:
        assert "sees no GPU (torch.cuda.is_available() is False)" in message
    assert devices._chosen is None


def test_a_gpu_index_past_the_last_names_the_devices_there_are(monkeypatch) -> None:
    pretend_gpus(monkeypatch, 2)
    with pytest.raises(ValueError) as error:
        lstmkit.set_device("cuda:2")
    assert str(error.value) == (
        "device='cuda:2': this machine has 2 CUDA devices (cuda:0 to cuda:1)"
    )
    pretend_gpus(monkeypatch, 1)
    with pytest.raises(ValueError, match=r"has 1 CUDA device \(cuda:0 to cuda:0\)$"):
        lstmkit.set_device(torch.device("cuda", 3))


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_mps_off_apple_silicon_says_so() -> None:
    with pytest.raises(ValueError, match=r"^device='mps' needs Apple's Metal \(MPS\) backend"):
        lstmkit.set_device("mps")


# -- where models, data and state go ------------------------------------------------------------


def test_on_the_cpu_nothing_moves_and_the_native_paths_run() -> None:
    lstmkit.set_device("cpu")
    lstmkit.set_random_seed(0)
    model = lifecycle_model()
    assert model.device == torch.device("cpu")
    x = np.arange(0.0, 0.9, 0.1, dtype=np.float32).reshape(9, 1, 1)
    xt, _ = model._trainer._data(x, x[:, 0])
    # The tensors from_numpy made, not copies: they share the array's memory.
    assert xt.data_ptr() == x.__array_interface__["data"][0]
    model.fit(x, x[:, 0] + 0.1, epochs=2, batch_size=9, verbose=0)
    assert model._trainer.step_path == ("native" if native.available() else "autograd")
    prediction = model.predict(x, verbose=0)
    assert isinstance(prediction, np.ndarray) and prediction.shape == (9, 1)
    expected = "native" if native.available() else "fused"
    assert model.layers[0].kernel_path == expected


def test_a_model_is_built_on_the_current_device_and_stays_there(monkeypatch) -> None:
    on_meta(monkeypatch)
    model = lifecycle_model()
    assert all(w.device == META for w in model.weights)
    assert model.device == META
    # Set later, the current device does not move a built model; a new one goes there.
    monkeypatch.setattr(devices, "_chosen", torch.device("cpu"))
    assert model.device == META
    assert lifecycle_model().device == torch.device("cpu")


def test_fit_data_go_to_the_models_device_in_one_place(monkeypatch) -> None:
    on_meta(monkeypatch)
    model = lifecycle_model()
    x = np.zeros((6, 1, 1), dtype=np.float32)
    xt, yt = model._trainer._data(x, np.zeros(6))
    assert (xt.device, yt.device, tuple(yt.shape)) == (META, META, (6, 1))
    # Weights go beside the targets.
    assert sample_weights(np.ones(6), None, torch.zeros(6, 1), 6).device == torch.device("cpu")
    assert sample_weights(np.ones(6), None, yt, 6).device == META
    both = _on_device(Aligned((torch.zeros(2), torch.ones(2))), META)
    assert isinstance(both, Aligned) and [t.device for t in both] == [META, META]
    assert _on_device(None, META) is None


def test_fit_moves_the_data_once_per_call_not_per_batch(monkeypatch) -> None:
    calls = []
    original = Trainer._data

    def counting(self, x, y, prefix=""):
        calls.append(prefix)
        return original(self, x, y, prefix)

    monkeypatch.setattr(Trainer, "_data", counting)
    lstmkit.set_device("cpu")  # a GPU machine would default to its GPU
    lstmkit.set_random_seed(0)
    model = lifecycle_model()
    x = np.random.default_rng(0).normal(size=(40, 1, 1)).astype(np.float32)
    model.fit(x, x[:, 0], epochs=3, batch_size=4, verbose=0, validation_data=(x, x[:, 0]))
    assert calls == ["", "validation_data "]  # 30 batches, 2 conversions
    calls.clear()
    model.predict(x, batch_size=4, verbose=0)
    model.evaluate(x, x[:, 0], batch_size=4, verbose=0)
    assert calls == ["", ""]


def test_loading_puts_the_weights_on_the_current_device(tmp_path, monkeypatch) -> None:
    lstmkit.set_device("cpu")
    lstmkit.set_random_seed(0)
    model = lifecycle_model()
    x = np.zeros((9, 1, 1), dtype=np.float32)
    model.fit(x, x[:, 0], epochs=1, batch_size=9, verbose=0)
    model.save(tmp_path / "m.lstmkit")
    on_meta(monkeypatch)
    loaded = load_model(tmp_path / "m.lstmkit")
    assert [w.device for w in loaded.weights] == [META] * 5
    # The optimizer's slots are built beside the weights they update.
    assert {t.device for t in loaded._trainer.optimizer.get_state()[0].values()} == {META}
    monkeypatch.setattr(devices, "_chosen", torch.device("cpu"))
    again = load_model(tmp_path / "m.lstmkit")
    for a, b in zip(again.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_dropout_masks_are_drawn_on_the_host_for_any_device() -> None:
    cpu = dropout_mask((3, 4), 0.5, torch.Generator().manual_seed(7))
    moved = dropout_mask((3, 4), 0.5, torch.Generator().manual_seed(7), META)
    assert cpu.device == torch.device("cpu") and moved.device == META
    expected = torch.empty(3, 4).bernoulli_(0.5, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(cpu, expected * 2.0, rtol=0, atol=0)
    layer = Dropout(0.5, seed=7)
    out = layer.call(torch.ones(3, 4, device=META), training=True)
    assert out.device == META


def test_metric_accumulators_follow_the_values_to_their_device() -> None:
    metric = Mean()
    metric.update_state(torch.tensor([1.0, 2.0, 6.0]))
    assert float(metric.result()) == 3.0 and metric.total.dtype == torch.float64
    metric.reset_state()
    metric.update_state(torch.ones(3, device=META))
    assert (metric.total.device, metric.weight.device) == (META, META)


# -- which kernel runs where ----------------------------------------------------------------------


@pytest.mark.skipif(not native.available(), reason="the native extension is not built")
def test_the_lstm_path_never_takes_the_native_kernel_off_the_cpu() -> None:
    x = torch.zeros(4, 3, 2)
    tanh, sigmoid, relu = activations.tanh, activations.sigmoid, activations.relu
    assert select_lstm_path(tanh, sigmoid, False, inputs=x, units=8) == "native"
    assert select_lstm_path(
        tanh, sigmoid, False, inputs=x, units=8, device=torch.device("cpu")
    ) == ("native")
    # The same shape for a GPU: cuDNN's fused kernel, or the loop for other activations.
    cuda = torch.device("cuda")
    assert select_lstm_path(tanh, sigmoid, False, inputs=x, units=8, device=cuda) == "fused"
    assert select_lstm_path(relu, sigmoid, False, inputs=x, units=8, device=cuda) == "loop"
    assert select_lstm_path(relu, sigmoid, False, inputs=x, units=8, device=META) == "loop"
    assert select_lstm_path(tanh, sigmoid, False, inputs=x.to(META), units=8) == "fused"


@pytest.mark.skipif(not native.available(), reason="the native extension is not built")
def test_the_native_whole_step_is_planned_for_the_cpu_only() -> None:
    lstmkit.set_device("cpu")
    lstmkit.set_random_seed(0)
    model = lifecycle_model()
    trainer = model._trainer
    trainer.build_optimizer()
    args = (model, trainer.loss, trainer.optimizer, [], 9)
    assert isinstance(native_step.plan(*args), native_step.NativeTrainStep)
    assert isinstance(
        native_step.plan(*args, device=torch.device("cpu")), native_step.NativeTrainStep
    )
    assert native_step.plan(*args, device=torch.device("cuda")) is None
    assert native_step.plan(*args, device=torch.device("cuda", 1)) is None
    assert native_step.plan(*args, device=torch.device("mps")) is None


@pytest.mark.skipif(not native.available(), reason="the native extension is not built")
def test_a_model_off_the_cpu_gets_the_autograd_step(monkeypatch) -> None:
    on_meta(monkeypatch)
    model = lifecycle_model()
    trainer = model._trainer
    trainer._data(np.zeros((9, 1, 1), np.float32), np.zeros(9))
    trainer._prepare_training(torch.zeros(9, 1, device=META), batch_size=9)
    assert trainer.step_path == "autograd" and trainer._native_step is None


def test_the_fused_kernels_get_what_cudnn_needs_off_the_cpu_only(monkeypatch) -> None:
    """Off the CPU: contiguous weights and states, and train=True while autograd records
    (cuDNN refuses a backward pass otherwise); on the CPU: the transposed views and False."""
    from lstmkit.ops import recurrent as ops

    seen = []
    real = torch.lstm

    def spy(inputs, states, weights, *args):
        # args: has_biases, num_layers, dropout, train, bidirectional, batch_first
        seen.append(([w.is_contiguous() for w in weights], states[0].is_contiguous(), args[3]))
        return real(inputs, states, weights, *args)

    monkeypatch.setattr(torch, "lstm", spy)
    for device in ("cpu", META):
        kernel = torch.zeros(3, 16, device=device, requires_grad=True)
        recurrent = torch.zeros(4, 16, device=device, requires_grad=True)
        bias = torch.zeros(16, device=device, requires_grad=True)
        h0 = torch.zeros(4, 2, device=device).t()  # a view, as a user's initial_state may be
        x = torch.zeros(2, 5, 3, device=device)
        ops.lstm(x, h0, h0, kernel, recurrent, bias, path="fused")
        with torch.no_grad():
            ops.lstm(x, h0, h0, kernel, recurrent, bias, path="fused")
    cpu_grad, cpu_no_grad, meta_grad, meta_no_grad = seen
    assert cpu_grad == cpu_no_grad == ([False, False, True, True], False, False)
    assert meta_grad == ([True] * 4, True, True)
    assert meta_no_grad == ([True] * 4, True, False)


TRAINED_OFF_THE_CPU = {
    "lstm": lambda: Sequential([Input((6, 3)), LSTM(8), Dense(2)]),
    "stack_dropout": lambda: Sequential(
        [
            Input((6, 3)),
            LSTM(8, return_sequences=True),
            Dropout(0.3),
            LSTM(4, dropout=0.2, recurrent_dropout=0.2),
            Dropout(0.2, seed=1),
            Dense(2),
        ]
    ),
    "gru": lambda: Sequential([Input((6, 3)), lstmkit.GRU(5), Dense(2)]),
    "simple_rnn": lambda: Sequential([Input((6, 3)), lstmkit.SimpleRNN(5), Dense(2)]),
    "relu_lstm": lambda: Sequential([Input((6, 3)), LSTM(5, activation="relu"), Dense(2)]),
    "masked_bidirectional": lambda: Sequential(
        [Input((6, 3)), lstmkit.Masking(0.0), lstmkit.Bidirectional(LSTM(4)), Dense(2)]
    ),
    "stateful": lambda: Sequential([LSTM(4, stateful=True, batch_input_shape=(8, 6, 3)), Dense(2)]),
}


@pytest.mark.parametrize("name", sorted(TRAINED_OFF_THE_CPU))
def test_training_steps_off_the_cpu_leave_nothing_on_it(monkeypatch, name) -> None:
    """On the meta device (no data, but any tensor left on the CPU makes an operation fail):
    forward, loss, backward, the optimizer's update and the accumulators, with and without
    sample weights, and an evaluation step."""
    on_meta(monkeypatch)
    model = TRAINED_OFF_THE_CPU[name]()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    trainer = model._trainer
    x = np.random.default_rng(0).normal(size=(8, 6, 3)).astype(np.float32)
    xt, yt = trainer._data(x, np.zeros((8, 2), np.float32))
    trainer._prepare_training(yt, 8)
    trainer._reset_trackers()
    trainer.train_step(xt, yt)
    trainer.train_step(xt, yt, torch.ones(8, device=META))
    with torch.no_grad():
        trainer.test_step(xt, yt)
    assert trainer.step_path == "autograd"
    assert trainer._loss_total.device == META
    assert {t.device for t in trainer.optimizer.get_state()[0].values()} == {META}
    assert {m.total.device for m in trainer.metrics} == {META}
    paths = [getattr(layer, "kernel_path", None) for layer in model.layers]
    assert "native" not in str(paths)
