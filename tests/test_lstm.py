"""The LSTM layer against the independent NumPy implementation in tests/reference.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import reference
from lstmkit import activations
from lstmkit.layers import LSTM, Dense
from lstmkit.models import Sequential
from lstmkit.ops import native
from lstmkit.ops import recurrent as ops

RNG = np.random.default_rng(1234)


def random_weights(features: int, units: int, scale: float = 0.5) -> list[np.ndarray]:
    return [
        RNG.uniform(-scale, scale, (features, 4 * units)).astype(np.float32),
        RNG.uniform(-scale, scale, (units, 4 * units)).astype(np.float32),
        RNG.uniform(-scale, scale, (4 * units,)).astype(np.float32),
    ]


def built_lstm(features: int, units: int, **kwargs: object) -> tuple[LSTM, list[np.ndarray]]:
    layer = LSTM(units, **kwargs)
    layer.build_for((None, 4, features))
    weights = random_weights(features, units)
    if not layer.use_bias:
        weights = weights[:2]
    layer.set_weights(weights)
    return layer, weights


ACTIVATION_PAIRS = [
    ("tanh", "sigmoid"),
    ("relu", "sigmoid"),
    ("tanh", "hard_sigmoid"),
    ("linear", "sigmoid"),
    ("softsign", "sigmoid"),
    ("elu", "hard_sigmoid"),
]


@pytest.mark.parametrize(("activation", "recurrent_activation"), ACTIVATION_PAIRS)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_forward_matches_numpy(
    activation: str, recurrent_activation: str, go_backwards: bool, return_sequences: bool
) -> None:
    layer, (kernel, recurrent, bias) = built_lstm(
        3,
        5,
        activation=activation,
        recurrent_activation=recurrent_activation,
        go_backwards=go_backwards,
        return_sequences=return_sequences,
    )
    x = RNG.normal(size=(4, 6, 3)).astype(np.float32)
    expected, _, _ = reference.lstm(
        x,
        kernel,
        recurrent,
        bias,
        activation=activation,
        recurrent_activation=recurrent_activation,
        go_backwards=go_backwards,
        return_sequences=return_sequences,
    )
    got = layer(x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("activation", "recurrent_activation"), ACTIVATION_PAIRS)
def test_the_path_that_ran_is_native_for_a_small_model_else_fused_only_for_tanh_sigmoid(
    activation: str, recurrent_activation: str
) -> None:
    layer, _ = built_lstm(2, 3, activation=activation, recurrent_activation=recurrent_activation)
    layer(np.zeros((1, 2, 2), np.float32))
    fused = (activation, recurrent_activation) == ("tanh", "sigmoid")
    # The native kernel when it is built (every pair here is one it computes); see
    # tests/test_native.py for the shapes that keep PyTorch's paths.
    expected = "native" if native.available() else ("fused" if fused else "loop")
    assert layer.kernel_path == expected


def test_recurrent_dropout_takes_the_loop_and_input_dropout_keeps_the_fast_path() -> None:
    fast = "native" if native.available() else "fused"
    x = torch.ones(2, 3, 2)
    with_recurrent, _ = built_lstm(2, 3, recurrent_dropout=0.5)
    with_recurrent.call(x, training=True)
    assert with_recurrent.kernel_path == "loop"
    with_recurrent.call(x, training=False)
    assert with_recurrent.kernel_path == fast
    with_input, _ = built_lstm(2, 3, dropout=0.5)
    with_input.call(x, training=True)
    assert with_input.kernel_path == fast


def test_the_two_paths_agree_forward_and_backward() -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 7, 4, dtype=torch.float64)
    h0, c0 = torch.randn(3, 5, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    weights = [
        torch.randn(4, 20, dtype=torch.float64, requires_grad=True),
        torch.randn(5, 20, dtype=torch.float64, requires_grad=True),
        torch.randn(20, dtype=torch.float64, requires_grad=True),
    ]
    results = {}
    for path in ("fused", "loop"):
        out, h, c = ops.lstm(x, h0, c0, *weights, path=path, go_backwards=True)
        grads = torch.autograd.grad((out * out).sum() + h.sum() + c.sum(), weights)
        results[path] = (out.detach(), c.detach(), grads)
    for fused, loop in zip(results["fused"], results["loop"], strict=True):
        for a, b in zip(
            fused if isinstance(fused, tuple) else [fused],
            loop if isinstance(loop, tuple) else [loop],
            strict=True,
        ):
            torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("path", ["fused", "loop"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_gradients_match_finite_differences(path: str, use_bias: bool) -> None:
    torch.manual_seed(1)
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    kernel = torch.randn(3, 12, dtype=torch.float64, requires_grad=True)
    recurrent = torch.randn(3, 12, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(12, dtype=torch.float64, requires_grad=True) if use_bias else None
    act = activations.get("tanh" if path == "fused" else "relu")

    def run(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        b = tensors[5] if use_bias else None
        return ops.lstm(*tensors[:5], b, activation=act, path=path)

    inputs = (x, h0, c0, kernel, recurrent) + ((bias,) if use_bias else ())
    assert torch.autograd.gradcheck(run, inputs, eps=1e-6, atol=1e-6)


LOOP_PAIRS = [*ACTIVATION_PAIRS, ("selu", "sigmoid"), ("tanh", "tanh")]


@pytest.mark.parametrize(("activation", "recurrent_activation"), LOOP_PAIRS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_hand_derived_loop_backward_equals_autograd_through_the_steps(
    activation: str, recurrent_activation: str, return_sequences: bool
) -> None:
    # The loop path's one-node backward (ops._LoopLSTM) against autograd through every step, on
    # every input: the sequence, both initial states and the three weights, float64.
    torch.manual_seed(2)
    act, rec = activations.get(activation), activations.get(recurrent_activation)

    def leaves() -> list[torch.Tensor]:
        torch.manual_seed(3)
        shapes = [(3, 6, 4), (3, 5), (3, 5), (4, 20), (5, 20), (20,)]
        return [torch.randn(*s, dtype=torch.float64, requires_grad=True) for s in shapes]

    results = []
    for hand in (True, False):
        x, h0, c0, kernel, recurrent, bias = tensors = leaves()
        out, h, c = ops._lstm_loop(
            x, h0, c0, kernel, recurrent, bias, act, rec, return_sequences, None, None, hand
        )
        weight = torch.linspace(-1.0, 1.0, out.numel(), dtype=torch.float64).view(out.shape)
        loss = (out * weight).sum() + (h * h).sum() + c.sum()
        results.append((out, h, c, *torch.autograd.grad(loss, tensors)))
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32 (0.16666667163...),
    # even in float64; the hand-derived one by 1/6: 3e-8 relative per step, compounding.
    tolerance = 1e-6 if "hard_sigmoid" in (activation, recurrent_activation) else 1e-10
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, atol=tolerance, rtol=tolerance)


@pytest.mark.parametrize(("activation", "recurrent_activation"), LOOP_PAIRS)
def test_hand_derived_loop_backward_matches_finite_differences(
    activation: str, recurrent_activation: str
) -> None:
    torch.manual_seed(4)
    act, rec = activations.get(activation), activations.get(recurrent_activation)
    tensors = [
        torch.randn(*s, dtype=torch.float64, requires_grad=True)
        for s in [(2, 3, 3), (2, 4), (2, 4), (3, 16), (4, 16), (16,)]
    ]

    def run(*t: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return ops._lstm_loop(*t, act, rec, True, None, None, True)

    assert torch.autograd.gradcheck(run, tuple(tensors), eps=1e-6, atol=1e-6)


def test_the_loop_path_records_one_node_for_the_whole_sequence() -> None:
    x = torch.randn(2, 5, 3, requires_grad=True)
    weights = [torch.randn(3, 8), torch.randn(2, 8), torch.randn(8)]
    out, _, _ = ops.lstm(
        x, torch.zeros(2, 2), torch.zeros(2, 2), *weights, activation=activations.relu, path="loop"
    )
    assert type(out.grad_fn).__name__ == "_LoopLSTMBackward"
    # Recurrent dropout needs autograd through the steps.
    out, _, _ = ops.lstm(
        x,
        torch.zeros(2, 2),
        torch.zeros(2, 2),
        *weights,
        activation=activations.relu,
        recurrent_mask=torch.ones(2, 2),
        path="loop",
    )
    assert type(out.grad_fn).__name__ != "_LoopLSTMBackward"


def test_layer_gradient_in_float32_matches_central_differences() -> None:
    # softsign: smooth, so central differences do not straddle a kink as relu would.
    layer, _ = built_lstm(2, 3, activation="softsign", return_sequences=True)
    x = torch.from_numpy(RNG.normal(size=(2, 5, 2)).astype(np.float32))
    weights = torch.from_numpy(RNG.normal(size=(2, 5, 3)).astype(np.float32))
    analytic = torch.autograd.grad((layer.call(x) * weights).sum(), layer.kernel)[0]
    kernel = layer.kernel
    eps = 1e-2
    numeric = torch.zeros_like(kernel)
    with torch.no_grad():
        for index in np.ndindex(*kernel.shape):
            original = kernel[index].item()
            kernel[index] = original + eps
            up = (layer.call(x) * weights).sum().item()
            kernel[index] = original - eps
            down = (layer.call(x) * weights).sum().item()
            kernel[index] = original
            numeric[index] = (up - down) / (2 * eps)
    torch.testing.assert_close(analytic, numeric, atol=2e-3, rtol=2e-2)


def test_initial_state_and_return_state_match_numpy() -> None:
    layer, (kernel, recurrent, bias) = built_lstm(3, 4, return_state=True)
    x = RNG.normal(size=(2, 5, 3)).astype(np.float32)
    h0 = RNG.normal(size=(2, 4)).astype(np.float32)
    c0 = RNG.normal(size=(2, 4)).astype(np.float32)
    output, h, c = layer(x, initial_state=[h0, c0])
    ref_output, ref_h, ref_c = reference.lstm(x, kernel, recurrent, bias, h0=h0, c0=c0)
    np.testing.assert_allclose(output, ref_output, atol=1e-5)
    np.testing.assert_allclose(h, ref_h, atol=1e-5)
    np.testing.assert_allclose(c, ref_c, atol=1e-5)


def test_initial_state_of_the_wrong_shape_is_a_clear_error() -> None:
    layer, _ = built_lstm(3, 4)
    with pytest.raises(ValueError, match=r"initial state h must have shape \(2, 4\); got \(2, 5\)"):
        layer(np.zeros((2, 5, 3), np.float32), initial_state=[np.zeros((2, 5)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"initial_state=\[h, c\]"):
        layer(np.zeros((2, 5, 3), np.float32), initial_state=[np.zeros((2, 4))])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_use_bias_false_matches_numpy(activation: str) -> None:
    layer, (kernel, recurrent) = built_lstm(3, 4, use_bias=False, activation=activation)
    assert [w.shape for w in layer.get_weights()] == [(3, 16), (4, 16)]
    x = RNG.normal(size=(2, 5, 3)).astype(np.float32)
    expected, _, _ = reference.lstm(x, kernel, recurrent, None, activation=activation)
    np.testing.assert_allclose(layer(x), expected, atol=1e-5)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_stateful_layer_carries_state_across_calls_until_reset(activation: str) -> None:
    layer = LSTM(4, stateful=True, batch_input_shape=(2, 3, 3), activation=activation)
    layer.build_for((2, 3, 3))
    kernel, recurrent, bias = random_weights(3, 4)
    layer.set_weights([kernel, recurrent, bias])
    x1, x2 = (RNG.normal(size=(2, 3, 3)).astype(np.float32) for _ in range(2))
    layer(x1)
    second = layer(x2)
    whole, _, _ = reference.lstm(
        np.concatenate([x1, x2], axis=1), kernel, recurrent, bias, activation=activation
    )
    np.testing.assert_allclose(second, whole, atol=1e-5)
    layer.reset_states()
    fresh, _, _ = reference.lstm(x2, kernel, recurrent, bias, activation=activation)
    np.testing.assert_allclose(layer(x2), fresh, atol=1e-5)


def test_stateful_model_carries_state_across_predict_calls_and_reset_states() -> None:
    model = Sequential([LSTM(4, stateful=True, batch_input_shape=(1, 2, 1)), Dense(1)])
    x = RNG.normal(size=(3, 2, 1)).astype(np.float32)
    first = model.predict(x, batch_size=1)
    second = model.predict(x, batch_size=1)
    assert not np.allclose(first, second)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, batch_size=1), first, atol=1e-6)


@pytest.mark.parametrize("unit_forget_bias", [True, False])
def test_initialisation_follows_keras(unit_forget_bias: bool) -> None:
    layer = LSTM(
        64,
        unit_forget_bias=unit_forget_bias,
        bias_initializer="ones" if not unit_forget_bias else "zeros",
    )
    layer.build_for((None, 5, 10))
    kernel, recurrent, bias = layer.get_weights()
    limit = np.sqrt(6.0 / (10 + 4 * 64))  # glorot_uniform, fan_in=10, fan_out=256
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(64), atol=1e-5)  # orthogonal rows
    if unit_forget_bias:
        expected = np.concatenate([np.zeros(64), np.ones(64), np.zeros(128)])
    else:
        expected = np.ones(256)
    np.testing.assert_array_equal(bias, expected)


def test_unit_forget_bias_combines_with_a_bias_initializer() -> None:
    layer = LSTM(3, bias_initializer="ones")
    layer.build_for((None, 2, 2))
    np.testing.assert_array_equal(layer.get_weights()[2], np.ones(12))
    layer = LSTM(3, bias_initializer=lstm_constant(0.5))
    layer.build_for((None, 2, 2))
    np.testing.assert_array_equal(
        layer.get_weights()[2], np.r_[np.full(3, 0.5), np.ones(3), np.full(6, 0.5)]
    )


def lstm_constant(value: float) -> object:
    from lstmkit.initializers import Constant

    return Constant(value)


@pytest.mark.parametrize(("units", "features"), [(10, 1), (50, 1), (50, 100), (256, 3), (7, 13)])
def test_parameter_count_is_4u_d_plus_u_plus_1(units: int, features: int) -> None:
    layer = LSTM(units)
    layer.build_for((None, 4, features))
    assert layer.count_params() == 4 * units * (features + units + 1)
    assert [w.shape for w in layer.get_weights()] == [
        (features, 4 * units),
        (units, 4 * units),
        (4 * units,),
    ]


def test_dropout_changes_training_outputs_only() -> None:
    layer, _ = built_lstm(3, 4, dropout=0.5, recurrent_dropout=0.3, seed=3)
    x = torch.from_numpy(RNG.normal(size=(8, 5, 3)).astype(np.float32))
    inference = layer.call(x, training=False)
    training = layer.call(x, training=True)
    assert not torch.allclose(inference, training)
    plain, _ = built_lstm(3, 4)
    plain.set_weights(layer.get_weights())
    torch.testing.assert_close(plain.call(x, training=True), inference)


def test_eager_call_on_two_d_input_names_the_expected_layout() -> None:
    layer = LSTM(4)
    with pytest.raises(
        ValueError,
        match=r"LSTM expects 3-D input \[samples, timesteps, features\]; got shape \(148, 15\)",
    ):
        layer(np.zeros((148, 15), np.float32))


@pytest.mark.parametrize("units", [0, -1, 2.5, "8"])
def test_non_positive_units_are_rejected(units: object) -> None:
    with pytest.raises(ValueError, match=r"units to be a positive integer; got units="):
        LSTM(units)  # type: ignore[arg-type]
