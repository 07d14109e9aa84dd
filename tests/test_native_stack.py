"""The native whole training step of stacks (``lstmkit.training.native_step.NativeTrainStep``,
``lstmkit_stack_train_step`` in _native/stack_step.cpp): LSTM layers, then Dense layers, each
optionally followed by a Dropout, against the regular step (forward, loss, ``torch.autograd.grad``,
``optimizer.apply``) — losses, predictions, weights and Adam's slots to 1e-5 — with the dropout
masks drawn from the same random numbers; what the plan refuses; and W2 learned through ``fit``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from lstmkit import activations, losses
from lstmkit.layers import GRU, LSTM, Dense, Dropout, Masking
from lstmkit.models import Sequential
from lstmkit.ops import native
from lstmkit.optimizers import SGD, Adam
from lstmkit.training import loop, native_step
from lstmkit.utils import dropout_mask, set_random_seed

pytestmark = pytest.mark.skipif(
    not native.available(),
    reason="native LSTM extension not built (pip install -e . or python setup.py build_ext "
    "--inplace, with a C++ compiler)",
)


def _w2(seed: int | None = None) -> Sequential:
    """W2's model (benchmarks/workloads/w2_binary.py); ``seed`` seeds its Dropout layers."""
    return Sequential(
        [
            LSTM(50, activation="relu", return_sequences=True, input_shape=(3, 1)),
            Dropout(0.2, seed=seed),
            LSTM(50, activation="relu"),
            Dropout(0.2, seed=None if seed is None else seed + 1),
            Dense(1, activation="sigmoid"),
        ]
    )


def _three_lstms() -> Sequential:
    return Sequential(
        [
            LSTM(6, return_sequences=True, input_shape=(4, 3)),
            Dropout(0.3, seed=5),
            LSTM(5, return_sequences=True, go_backwards=True),
            LSTM(7, activation="hard_sigmoid"),
            Dense(2),
        ]
    )


def _hidden_dense() -> Sequential:
    return Sequential(
        [
            LSTM(8, input_shape=(5, 2)),
            Dropout(0.25, seed=7),
            Dense(6, activation="relu"),
            Dropout(0.5, seed=8),
            Dense(4, activation="tanh"),
            Dense(3, activation="sigmoid"),
        ]
    )


def _softmax() -> Sequential:
    return Sequential(
        [
            LSTM(9, activation="relu", return_sequences=True, input_shape=(3, 4)),
            LSTM(9, go_backwards=True),
            Dropout(0.1, seed=9),
            Dense(10, activation="sigmoid"),
            Dense(5, activation="softmax"),
        ]
    )


def _one_lstm_dropout() -> Sequential:
    return Sequential([LSTM(5, input_shape=(2, 3)), Dropout(0.4, seed=1), Dense(2)])


def _stateful(batch: int, timesteps: int) -> Callable[[], Sequential]:
    def make() -> Sequential:
        return Sequential(
            [
                LSTM(
                    16,
                    return_sequences=True,
                    stateful=True,
                    batch_input_shape=(batch, timesteps, 3),
                ),
                Dropout(0.2, seed=3),
                LSTM(16, stateful=True, go_backwards=True),
                Dense(2, activation="sigmoid"),
            ]
        )

    return make


#: name: (make model, loss, batch, global seeding). A model with unseeded Dropout layers draws
#: from the global generator, restored to the same state before each side's step.
STACK_CASES: dict[str, tuple[Callable[[], Sequential], str, int]] = {
    "W2 global rng": (_w2, "binary_crossentropy", 64),
    "W2 seeded": (lambda: _w2(seed=11), "binary_crossentropy", 64),
    "W2 batch 1": (_w2, "binary_crossentropy", 1),
    "three LSTMs, go_backwards": (_three_lstms, "mean_squared_error", 1),
    "three LSTMs, batch 64": (_three_lstms, "mean_absolute_error", 64),
    "hidden Dense + Dropout": (_hidden_dense, "binary_crossentropy", 7),
    "softmax": (_softmax, "categorical_crossentropy", 13),
    "one LSTM + Dropout, mse": (_one_lstm_dropout, "mean_squared_error", 64),
    "stateful stack": (_stateful(4, 3), "binary_crossentropy", 4),
    # Enough work that the batch is split over two threads, each half with its own states.
    "stateful stack, two threads": (_stateful(32, 8), "binary_crossentropy", 32),
}


def _regular_step(
    model: Sequential, loss: losses.Loss, optimizer: Adam, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """What ``Trainer.train_step`` does without the native step."""
    prediction = model.forward(x, training=True)
    value = loss(y, prediction)
    grads = torch.autograd.grad(value, optimizer._params)
    optimizer.apply(list(grads))
    return value.detach(), prediction.detach()


def _batch(
    rng: np.random.Generator, loss: str, batch: int, shape: tuple, outputs: int
) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor(rng.normal(size=(batch, *shape)), dtype=torch.float32)
    if loss == "categorical_crossentropy":
        y = np.eye(outputs)[rng.integers(0, outputs, batch)]
    elif loss == "binary_crossentropy":
        y = rng.random((batch, outputs)) > 0.5
    else:
        y = rng.normal(size=(batch, outputs))
    return x, torch.tensor(y, dtype=torch.float32)


def _pair(
    make: Callable[[], Sequential], loss: str, learning_rate: float = 0.01
) -> tuple[list[Sequential], list[Adam], losses.Loss]:
    models = []
    for _ in range(2):
        set_random_seed(0)
        models.append(make())
    optimizers = [Adam(learning_rate=learning_rate), Adam(learning_rate=learning_rate)]
    for model, optimizer in zip(models, optimizers, strict=True):
        optimizer.build(model.trainable_weights)
    return models, optimizers, losses.get(loss)


def _assert_same_training(
    models: list[Sequential], optimizers: list[Adam], iterations: int
) -> None:
    for got, expected in zip(models[0].get_weights(), models[1].get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    got_state, expected_state = optimizers[0].get_state(), optimizers[1].get_state()
    assert got_state[1] == expected_state[1] == {"iterations": iterations}
    for key, tensor in expected_state[0].items():
        # 1e-5 of the slot's own scale: single elements near zero come out of cancellations.
        scale = float(tensor.abs().max())
        torch.testing.assert_close(got_state[0][key], tensor, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("case", sorted(STACK_CASES))
def test_native_stack_step_equals_the_regular_step(case: str) -> None:
    make, loss_name, batch = STACK_CASES[case]
    models, optimizers, loss = _pair(make, loss_name)
    step = native_step.plan(models[0], loss, optimizers[0], ["accuracy"], batch_size=batch)
    assert isinstance(step, native_step.NativeTrainStep)
    shape = models[0].input_shape[1:]
    outputs = models[0].output_shape[-1]
    rng = np.random.default_rng(1)
    torch.manual_seed(123)
    for i in range(5):
        x, y = _batch(rng, loss_name, batch, shape, outputs)
        if i == 3:
            optimizers[0].learning_rate = optimizers[1].learning_rate = 0.003  # a callback's
        rng_state = torch.get_rng_state()
        got = step(x, y)
        after_native = torch.get_rng_state()
        torch.set_rng_state(rng_state)
        expected, prediction = _regular_step(models[1], loss, optimizers[1], x, y)
        # Both drew as many numbers from the global generator (none, with seeded Dropouts).
        assert torch.equal(after_native, torch.get_rng_state())
        assert got.shape == () and got.dtype == torch.float32
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(step.prediction, prediction, rtol=1e-5, atol=1e-6)
    _assert_same_training(models, optimizers, 5)
    for native_layer, regular_layer in zip(models[0].layers, models[1].layers, strict=True):
        if getattr(native_layer, "stateful", False):
            assert native_layer.states[0].any()
            for got, expected in zip(native_layer.states, regular_layer.states, strict=True):
                torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_a_reused_buffer_draws_what_a_new_mask_and_functional_dropout_draw() -> None:
    shape, rate = (64, 3, 50), 0.2
    keep = 1.0 - rate
    buffer = torch.empty(shape)
    # A private generator: dropout_mask's fresh tensor and the kept buffer, twice in a row (the
    # second draw overwrites the first's numbers).
    fresh_generator = torch.Generator().manual_seed(4)
    kept_generator = torch.Generator().manual_seed(4)
    for _ in range(2):
        expected = dropout_mask(shape, rate, fresh_generator)
        buffer.bernoulli_(keep, generator=kept_generator).div_(keep)
        assert torch.equal(buffer, expected)
        assert 0 < int((buffer == 0).sum()) < buffer.numel()
    # The global generator: Dropout without a seed calls torch.nn.functional.dropout.
    x = torch.randn(shape)
    for _ in range(2):
        state = torch.get_rng_state()
        expected = torch.nn.functional.dropout(x, rate, training=True)
        torch.set_rng_state(state)
        buffer.bernoulli_(keep).div_(keep)
        assert torch.equal(x * buffer, expected)


@pytest.mark.parametrize("seeded", [False, True])
def test_fit_natively_and_by_autograd_draws_the_same_dropout(
    seeded: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    x = rng.random((96, 3, 1)).astype(np.float32)
    y = (x[:, 0, 0] > x[:, 1, 0]).astype(np.float32)
    results = {}
    for path in ("native", "autograd"):
        with monkeypatch.context() as patch:
            if path == "autograd":
                patch.setattr(loop.native_step, "plan", lambda *args, **kwargs: None)
            set_random_seed(5)
            model = _w2(seed=21 if seeded else None)
            model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
            history = model.fit(
                x, y, batch_size=32, epochs=3, shuffle=True, validation_split=0.25, verbose=0
            )
            assert model.step_path == path
            results[path] = (model.get_weights(), history.history)
    # Loss and accuracy (per epoch, after the native step's once-per-epoch metric update) and
    # their validation values agree.
    assert results["native"][1].keys() == results["autograd"][1].keys()
    for key, values in results["autograd"][1].items():
        np.testing.assert_allclose(results["native"][1][key], values, rtol=1e-5, err_msg=key)
    for got, expected in zip(results["native"][0], results["autograd"][0], strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_different_dropout_draws_would_have_been_noticed() -> None:
    # The check above can fail: another seed gives other weights after the same steps.
    weights = []
    for seed in (21, 22):
        set_random_seed(5)
        model = _w2(seed=seed)
        model.compile(loss="binary_crossentropy", optimizer="adam")
        model.fit(np.ones((32, 3, 1), np.float32), np.ones(32), batch_size=32, verbose=0)
        assert model.step_path == "native"
        weights.append(model.get_weights()[0])
    assert np.abs(weights[0] - weights[1]).max() > 1e-6


def test_a_batch_too_big_for_the_native_kernel_takes_the_regular_step() -> None:
    def big() -> Sequential:
        return Sequential(
            [
                LSTM(256, activation="relu", return_sequences=True, input_shape=(5, 3)),
                LSTM(256, activation="relu"),
                Dense(1),
            ]
        )

    models, optimizers, loss = _pair(big, "mean_squared_error", learning_rate=0.001)
    # W1's model at its batch size: not planned; planned without a batch size, its step runs the
    # regular one for a batch of 151 and the kernel for a batch of 2.
    assert native_step.plan(models[0], loss, optimizers[0], [], batch_size=151) is None
    step = native_step.plan(models[0], loss, optimizers[0], [])
    assert isinstance(step, native_step.NativeTrainStep)
    rng = np.random.default_rng(4)
    for batch in (151, 2):
        x, y = _batch(rng, "mean_squared_error", batch, (5, 3), 1)
        got = step(x, y)
        expected, _ = _regular_step(models[1], loss, optimizers[1], x, y)
        assert step._wins[(batch, 5)] is (batch == 2)
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    _assert_same_training(models, optimizers, 2)


def test_targets_of_shape_batch_are_taken_and_others_get_the_regular_step() -> None:
    models, optimizers, loss = _pair(_one_lstm_dropout, "mean_squared_error")
    step = native_step.plan(models[0], loss, optimizers[0], [])
    x = torch.ones(4, 2, 3)
    # (batch, 1) targets for two outputs: the regular loss broadcasts them.
    got = step(x, torch.ones(4, 1))
    expected, _ = _regular_step(models[1], loss, optimizers[1], x, torch.ones(4, 1))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    _assert_same_training(models, optimizers, 1)
    models, optimizers, loss = _pair(_w2, "binary_crossentropy")
    step = native_step.plan(models[0], loss, optimizers[0], [])
    x, y = torch.rand(6, 3, 1), torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    state = torch.get_rng_state()
    got = step(x, y)
    torch.set_rng_state(state)
    expected, _ = _regular_step(models[1], loss, optimizers[1], x, y)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def _unplannable() -> dict[str, tuple[Callable[[], Sequential], object, Callable[[], object]]]:
    def stack(*layers: object) -> Callable[[], Sequential]:
        return lambda: Sequential(list(layers))

    def first(**kwargs: object) -> LSTM:
        return LSTM(4, return_sequences=True, input_shape=(3, 2), **kwargs)

    w2 = _w2
    return {
        "big units": (
            stack(LSTM(256, return_sequences=True, input_shape=(5, 3)), LSTM(256), Dense(1)),
            "mse",
            Adam,
        ),
        "mask": (stack(Masking(input_shape=(3, 2)), LSTM(4), Dense(1)), "mse", Adam),
        "LSTM dropout": (stack(first(dropout=0.1), LSTM(4), Dense(1)), "mse", Adam),
        "recurrent dropout": (stack(first(recurrent_dropout=0.1), LSTM(4), Dense(1)), "mse", Adam),
        "last LSTM returning sequences": (
            stack(first(), LSTM(4, return_sequences=True), Dense(1)),
            "mse",
            Adam,
        ),
        "gelu Dense": (stack(first(), LSTM(4), Dense(1, activation="gelu")), "mse", Adam),
        "gelu LSTM": (stack(first(activation="gelu"), LSTM(4), Dense(1)), "mse", Adam),
        "Dense without bias": (stack(first(), LSTM(4), Dense(1, use_bias=False)), "mse", Adam),
        "LSTM without bias": (stack(first(use_bias=False), LSTM(4), Dense(1)), "mse", Adam),
        "GRU": (
            stack(GRU(4, return_sequences=True, input_shape=(3, 2)), LSTM(4), Dense(1)),
            "mse",
            Adam,
        ),
        "Dense before LSTM": (stack(Dense(3, input_shape=(3, 2)), LSTM(4), Dense(1)), "mse", Adam),
        "LSTM after Dense": (stack(first(), Dense(3), LSTM(4), Dense(1)), "mse", Adam),
        "two Dropouts": (
            stack(first(), Dropout(0.1), Dropout(0.1), LSTM(4), Dense(1)),
            "mse",
            Adam,
        ),
        "noise_shape": (
            stack(first(), Dropout(0.2, noise_shape=(None, 1, None)), LSTM(4), Dense(1)),
            "mse",
            Adam,
        ),
        "no Dense": (stack(first(), LSTM(4)), "mse", Adam),
        "mape": (w2, "mean_absolute_percentage_error", Adam),
        "from logits": (w2, losses.Loss(losses.binary_crossentropy, from_logits=True), Adam),
        "label smoothing": (
            w2,
            losses.Loss(losses.binary_crossentropy, label_smoothing=0.1),
            Adam,
        ),
        "sgd": (w2, "binary_crossentropy", SGD),
        "amsgrad": (w2, "binary_crossentropy", lambda: Adam(amsgrad=True)),
        "clipvalue": (w2, "binary_crossentropy", lambda: Adam(clipvalue=1.0)),
        "weight decay": (w2, "binary_crossentropy", lambda: Adam(weight_decay=0.01)),
    }


UNPLANNABLE = _unplannable()


@pytest.mark.parametrize("case", sorted(UNPLANNABLE))
def test_what_the_stack_step_does_not_fit_gets_none(case: str) -> None:
    make_model, loss, make_optimizer = UNPLANNABLE[case]
    model = make_model()
    optimizer = make_optimizer()
    optimizer.build(model.trainable_weights)
    assert native_step.plan(model, losses.get(loss), optimizer, [], batch_size=151) is None


def test_a_frozen_layer_or_unbuilt_optimizer_gets_none() -> None:
    model = _w2()
    assert native_step.plan(model, losses.get("binary_crossentropy"), Adam(), []) is None
    model.layers[2].trainable = False
    optimizer = Adam()
    optimizer.build(model.trainable_weights)
    assert native_step.plan(model, losses.get("binary_crossentropy"), optimizer, []) is None


def test_the_stack_engine_names_the_argument_and_what_came() -> None:
    lstms = [native.StackLSTM(4)]
    denses = [native.StackDense(2)]
    shapes = [(3, 16), (4, 16), (16,), (4, 2), (2,)]
    zeros = [torch.zeros(s) for s in shapes]
    engine = native.LSTMStackStep(3, lstms, denses, loss="mean_squared_error", m=zeros, v=zeros)
    assert engine.shapes == shapes
    with pytest.raises(ValueError, match=r"loss must be one of .*; got 'hinge'"):
        native.LSTMStackStep(3, lstms, denses, loss="hinge", m=zeros, v=zeros)
    with pytest.raises(ValueError, match=r"denses\[0\]: the kernel cannot compute"):
        native.LSTMStackStep(
            3,
            lstms,
            [native.StackDense(2, activations.gelu)],
            loss="mean_squared_error",
            m=zeros,
            v=zeros,
        )
    with pytest.raises(ValueError, match=r"m\[1\] must have shape \(4, 16\); got \(4, 12\)"):
        native.LSTMStackStep(
            3,
            lstms,
            denses,
            loss="mean_squared_error",
            m=[zeros[0], torch.zeros(4, 12), *zeros[2:]],
            v=zeros,
        )
    with pytest.raises(ValueError, match=r"v\[4\] must be float32 on the CPU; got torch.float64"):
        engine.use_moments(zeros, [*zeros[:4], torch.zeros(2, dtype=torch.float64)])
    with pytest.raises(ValueError, match=r"at least one layer; got 1 LSTM and 0 Dense"):
        native.LSTMStackStep(3, lstms, [], loss="mean_squared_error", m=zeros, v=zeros)
    # The kernel's own checks: the argument count for the spec, and the spec's codes.
    fixed = (1, 1, 0, 1, 1, 1, 0.1, 0.9, 0.999, 1e-7)
    with pytest.raises(TypeError, match="expects 20 arguments for 1 LSTM and 1 Dense layers"):
        native._lstm.stack_train_step(engine._spec_pointer, *fixed, *[0] * 4)
    bad = engine._spec.clone()
    bad[2] = 9
    with pytest.raises(ValueError, match="unknown loss code"):
        native._lstm.stack_train_step(bad.data_ptr(), *fixed)
    with pytest.raises(ValueError, match="B and T must be positive; got B=0, T=1"):
        native._lstm.stack_train_step(engine._spec_pointer, 1, 1, 0, 0, 1, 1, 0.1, 0.9, 0.999, 1e-7)


def test_fit_trains_w2_natively() -> None:
    from benchmarks.workloads.w2_binary import binary_sequences

    rng = np.random.default_rng(0)
    x, y = binary_sequences(rng, 1000)
    set_random_seed(0)
    model = _w2()
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    assert model.step_path is None
    history = model.fit(
        x, y, batch_size=64, validation_split=0.2, epochs=100, shuffle=False, verbose=0
    )
    assert model.step_path == "native"
    assert len(history.history["val_accuracy"]) == 100
    x_fresh, y_fresh = binary_sequences(rng, 2000)
    prediction = np.asarray(model.predict(x_fresh, verbose=0))[:, 0]
    assert ((prediction > 0.5) == (y_fresh > 0.5)).mean() >= 0.95


@pytest.mark.parametrize("batch", [64, 33])
def test_a_batch_split_over_two_threads_equals_one_thread(batch: int) -> None:
    # From two torch threads the kernel computes each half of a big enough batch on its own
    # thread and sums the gradients: the same training as on one thread, to float rounding.
    results = []
    threads = torch.get_num_threads()
    try:
        for count in (1, 2):
            torch.set_num_threads(count)
            models, optimizers, loss = _pair(lambda: _w2(seed=3), "binary_crossentropy")
            step = native_step.plan(models[0], loss, optimizers[0], [], batch_size=batch)
            rng = np.random.default_rng(4)
            values = []
            for _ in range(4):
                x, y = _batch(rng, "binary_crossentropy", batch, (3, 1), 1)
                values.append(float(step(x, y)))
            results.append((values, models[0].get_weights(), step.prediction.clone()))
    finally:
        torch.set_num_threads(threads)
    (loss_1, weights_1, prediction_1), (loss_2, weights_2, prediction_2) = results
    np.testing.assert_allclose(loss_2, loss_1, rtol=1e-6)
    torch.testing.assert_close(prediction_2, prediction_1, rtol=1e-6, atol=1e-7)
    for got, expected in zip(weights_2, weights_1, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_the_kernel_leaves_the_callers_denormal_handling_as_it_was() -> None:
    # The kernel flushes denormals to zero while it runs and restores the thread's setting.
    tiny = torch.tensor([1e-39])
    assert float(tiny * 1.0) != 0.0
    models, optimizers, loss = _pair(_w2, "binary_crossentropy")
    step = native_step.plan(models[0], loss, optimizers[0], [], batch_size=64)
    step(*_batch(np.random.default_rng(0), "binary_crossentropy", 64, (3, 1), 1))
    assert float(tiny * 1.0) != 0.0


def test_evaluating_all_batches_at_once_equals_batch_by_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # evaluate (and fit's validation) takes the built-in loss and per-sample metrics once over
    # every batch's predictions; Keras's per-batch weighting gives the same numbers.
    rng = np.random.default_rng(6)
    x = rng.random((150, 3, 1)).astype(np.float32)
    y = (x[:, 0, 0] > x[:, 1, 0]).astype(np.float32)
    set_random_seed(1)
    model = _w2()
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy", "mse"])
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert model._trainer._evaluates_whole(torch.from_numpy(y))
    whole = model.evaluate(x, y, batch_size=32, verbose=0)
    monkeypatch.setattr(loop.Trainer, "_evaluates_whole", lambda self, y: False)
    by_batch = model.evaluate(x, y, batch_size=32, verbose=0)
    np.testing.assert_allclose(whole, by_batch, rtol=1e-6)


def test_a_metric_of_the_users_is_taken_batch_by_batch() -> None:
    # A user's metric may return one value per batch (Keras averages those per batch): no
    # once-per-epoch update and no whole evaluation for it.
    def batch_mean_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return torch.mean(torch.abs(y_true - y_pred))

    model = _w2()
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=[batch_mean_error])
    x, y = np.ones((8, 3, 1), np.float32), np.ones(8, np.float32)
    model.fit(x, y, batch_size=4, verbose=0)
    assert model.step_path == "native"
    assert not model._trainer._defer_metrics
    assert not model._trainer._evaluates_whole(torch.from_numpy(y))


@pytest.mark.parametrize("case", ["W2 seeded", "three LSTMs, batch 64"])
def test_the_avx512_and_portable_products_train_identically(case: str) -> None:
    # On a CPU with AVX-512 the products take 16-lane registers; each element still sums over k
    # in the same order with the same fused multiply-adds, so the results are the same bits.
    from lstmkit._native import _lstm

    if not _lstm.set_avx512(1):
        pytest.skip("this CPU has no AVX-512: only the portable kernel runs")
    make, loss_name, batch = STACK_CASES[case]
    results = []
    try:
        for allowed in (1, 0):
            _lstm.set_avx512(allowed)
            models, optimizers, loss = _pair(make, loss_name)
            step = native_step.plan(models[0], loss, optimizers[0], [], batch_size=batch)
            shape, outputs = models[0].input_shape[1:], models[0].output_shape[-1]
            rng = np.random.default_rng(9)
            values = [float(step(*_batch(rng, loss_name, batch, shape, outputs))) for _ in range(3)]
            results.append((values, models[0].get_weights()))
    finally:
        _lstm.set_avx512(1)
    assert results[0][0] == results[1][0]
    for got, expected in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_array_equal(got, expected)
