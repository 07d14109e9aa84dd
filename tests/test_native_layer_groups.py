"""The native LSTM layer kernel with ``groups``: G LSTMs side by side in one wide layer with a
block-diagonal recurrent kernel (``lstmkit.forecast.ensemble``'s layout), of which the kernel
reads only the diagonal blocks. Forward and backward against the ungrouped native kernel and the
fused kernel on the same block-diagonal weights; the exact zeros of the recurrent gradient
between the LSTMs; the layer attribute ``LSTM.native_groups`` and the path choice; what
``groups`` refuses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import activations
from lstmkit.forecast.one_step import OneStepNetwork
from lstmkit.layers import LSTM, Dense
from lstmkit.models import Sequential
from lstmkit.ops import native
from lstmkit.ops import recurrent as ops
from lstmkit.optimizers import Adam

pytestmark = pytest.mark.skipif(not native.available(), reason="native LSTM extension not built")


def block_mask(units: int, groups: int) -> torch.Tensor:
    """``(units, 4 units)``: 1 where LSTM ``g`` reads its own units (rows ``g·u …``) into its own
    gate columns (``q·units + g·u …``), 0 between LSTMs."""
    u = units // groups
    mask = torch.zeros(units, 4 * units)
    for g in range(groups):
        for q in range(4):
            mask[g * u : (g + 1) * u, q * units + g * u : q * units + (g + 1) * u] = 1.0
    return mask


def _problem(batch: int, timesteps: int, features: int, units: int, groups: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, timesteps, features, generator=gen)
    kernel = torch.randn(features, 4 * units, generator=gen) * 0.4
    recurrent = torch.randn(units, 4 * units, generator=gen) * 0.4 * block_mask(units, groups)
    bias = torch.randn(4 * units, generator=gen) * 0.2
    h0 = torch.randn(batch, units, generator=gen) * 0.5
    c0 = torch.randn(batch, units, generator=gen) * 0.5
    return x, h0, c0, kernel, recurrent, bias


def _run(problem, *, path: str, groups: int, return_sequences: bool, go_backwards: bool, acts):
    """Outputs and the gradients of a fixed random weighting of output, h_T and c_T."""
    leaves = [t.clone().requires_grad_() for t in problem]
    output, h_t, c_t = ops.lstm(
        *leaves,
        activation=acts[0],
        recurrent_activation=acts[1],
        go_backwards=go_backwards,
        return_sequences=return_sequences,
        path=path,
        groups=groups,
    )
    gen = torch.Generator().manual_seed(7)
    loss = (
        (output * torch.randn(output.shape, generator=gen)).sum()
        + (h_t * torch.randn(h_t.shape, generator=gen)).sum()
        + (c_t * torch.randn(c_t.shape, generator=gen)).sum()
    )
    loss.backward()
    return [output, h_t, c_t], [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize(
    "acts",
    [(activations.tanh, activations.sigmoid), (activations.relu, activations.hard_sigmoid)],
    ids=["tanh-sigmoid", "relu-hard_sigmoid"],
)
def test_grouped_kernel_matches_the_whole_products(return_sequences, go_backwards, acts):
    # Batch 5: a block of four rows and a padded one; 3 LSTMs of 6 units (not a multiple of 8).
    units, groups = 18, 3
    problem = _problem(5, 7, 4, units, groups)
    settings = {"return_sequences": return_sequences, "go_backwards": go_backwards, "acts": acts}
    outs, grads = _run(problem, path="native", groups=groups, **settings)
    ref_outs, ref_grads = _run(problem, path="native", groups=1, **settings)
    for got, want in zip(outs, ref_outs, strict=True):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-5)
    mask = block_mask(units, groups).bool()
    names = ["dx", "dh0", "dc0", "dkernel", "drecurrent", "dbias"]
    for name, got, want in zip(names, grads, ref_grads, strict=True):
        if name == "drecurrent":
            # The diagonal blocks as the whole product has them; exactly zero between LSTMs
            # (where the whole product's gradient is not: the test can tell).
            np.testing.assert_allclose(got[mask].numpy(), want[mask].numpy(), atol=1e-5)
            assert torch.count_nonzero(got[~mask]) == 0
            assert want[~mask].abs().max() > 1e-2
        else:
            np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5, err_msg=name)
    if acts[0] is activations.tanh:  # PyTorch's fused kernel agrees too
        fused_outs, fused_grads = _run(problem, path="fused", groups=groups, **settings)
        for got, want in zip(outs, fused_outs, strict=True):
            np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-5)
        np.testing.assert_allclose(grads[3].numpy(), fused_grads[3].numpy(), atol=1e-5)
        np.testing.assert_allclose(grads[4][mask].numpy(), fused_grads[4][mask].numpy(), atol=1e-5)


def test_grouped_kernel_without_gradients_and_from_zero_states():
    # No autograd node (predict): the same numbers; zero initial states (the kernel skips the
    # zero rows of the first recurrent product).
    x, _, _, kernel, recurrent, bias = _problem(6, 4, 3, 12, 4, seed=3)
    zeros = torch.zeros(6, 12)
    with torch.no_grad():
        grouped = native.lstm(x, zeros, zeros, kernel, recurrent, bias, groups=4)
        whole = native.lstm(x, zeros, zeros, kernel, recurrent, bias, groups=1)
    for got, want in zip(grouped, whole, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5)


def test_grouped_kernel_does_not_read_between_the_groups():
    x, h0, c0, kernel, recurrent, bias = _problem(4, 5, 3, 8, 2, seed=1)
    noise = torch.randn(recurrent.shape) * (1.0 - block_mask(8, 2))
    with torch.no_grad():
        grouped = native.lstm(x, h0, c0, kernel, recurrent + noise, bias, groups=2)
        whole = native.lstm(x, h0, c0, kernel, recurrent, bias, groups=1)
        whole_noisy = native.lstm(x, h0, c0, kernel, recurrent + noise, bias, groups=1)
    np.testing.assert_allclose(grouped[0].numpy(), whole[0].numpy(), atol=1e-5)
    assert (grouped[0] - whole_noisy[0]).abs().max() > 1e-2


@pytest.mark.parametrize("groups", [3, 0, -2, 2.0, True])
def test_bad_groups_are_refused_naming_the_argument(groups):
    x, h0, c0, kernel, recurrent, bias = _problem(2, 3, 2, 8, 1)
    expected = "groups=3: the units must be a multiple" if groups == 3 else "groups must be a"
    with pytest.raises(ValueError, match=expected):
        native.lstm(x, h0, c0, kernel, recurrent, bias, groups=groups)
    with pytest.raises(ValueError, match=expected):
        ops.lstm(x, h0, c0, kernel, recurrent, bias, groups=groups)


def test_the_binding_refuses_bad_groups_before_reading_anything():
    # Null pointers: the check comes before any memory is read.
    with pytest.raises(ValueError, match="forward: groups must be a positive divisor of the units"):
        native._lstm.forward(*[0] * 6, 2, 3, 2, 8, 0, 1, 0, 1, *[0] * 4, 3)
    with pytest.raises(ValueError, match="got groups=0 with units=8"):
        native._lstm.backward(*[0] * 5, 2, 3, 2, 8, 0, 1, 0, 1, *[0] * 10, 0)


def test_layer_native_groups_is_checked_and_not_config():
    layer = LSTM(12)
    assert layer.native_groups == 1
    layer.native_groups = 4
    assert layer.native_groups == 4 and "native_groups" not in layer.get_config()
    with pytest.raises(ValueError, match="native_groups=5 needs units that are a multiple"):
        layer.native_groups = 5
    with pytest.raises(ValueError, match="native_groups must be a positive integer; got 0"):
        layer.native_groups = 0
    assert layer.native_groups == 4


def test_path_choice_weighs_the_grouped_work():
    # The one-step network's shape: five members of 20 units, batch 16, 20 steps, 14 inputs.
    x = torch.zeros(16, 20, 14)
    tanh, sigmoid = activations.tanh, activations.sigmoid
    assert ops.select_lstm_path(tanh, sigmoid, False, inputs=x, units=100) == "fused"
    assert ops.select_lstm_path(tanh, sigmoid, False, inputs=x, units=100, groups=5) == "native"
    # Four times the batch: the fused kernel's products win again; masks take the loop anyway.
    big = torch.zeros(64, 20, 14)
    assert ops.select_lstm_path(tanh, sigmoid, False, inputs=big, units=100, groups=5) == "fused"
    assert ops.select_lstm_path(tanh, sigmoid, False, True, inputs=x, units=100, groups=5) == "loop"
    assert ops.select_lstm_path(tanh, sigmoid, False, inputs=x.double(), units=100, groups=5) == (
        "fused"
    )


def _wide_model(units: int, groups: int, seed: int) -> Sequential:
    torch.manual_seed(seed)
    model = Sequential()
    model.add(LSTM(units, return_sequences=True, input_shape=(None, 3)))
    model.add(Dense(groups))
    model.compile(optimizer=Adam(learning_rate=0.01), loss="mse")
    with torch.no_grad():
        model.layers[0].recurrent_kernel.mul_(block_mask(units, groups))
    return model


def test_a_grouped_layer_trains_on_the_native_path_and_keeps_zeros_between_groups():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 6, 3)).astype(np.float32)
    y = rng.normal(size=(16, 6, 3)).astype(np.float32)
    grouped, whole = _wide_model(12, 3, seed=2), _wide_model(12, 3, seed=2)
    grouped.layers[0].native_groups = 3
    for model in (grouped, whole):
        model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    assert grouped.layers[0].kernel_path == "native" == whole.layers[0].kernel_path
    between = ~block_mask(12, 3).bool()
    # Adam never moved the weights between the LSTMs (their gradient is exactly zero) ...
    assert torch.count_nonzero(grouped.layers[0].recurrent_kernel.detach()[between]) == 0
    # ... where the whole products move them (no BlockDiagonal callback here).
    assert whole.layers[0].recurrent_kernel.detach()[between].abs().max() > 1e-3
    # The diagonal blocks trained alike until then: only the whole product's leak differs.
    diagonal = grouped.layers[0].recurrent_kernel.detach()[~between]
    np.testing.assert_allclose(
        diagonal.numpy(), whole.layers[0].recurrent_kernel.detach()[~between].numpy(), atol=0.05
    )


def test_the_one_step_network_declares_its_members():
    rng = np.random.default_rng(1)
    inputs, targets = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    torch.manual_seed(0)
    wide = OneStepNetwork(units=4, steps=4, n_models=3).fit(inputs, targets)
    layer = wide.model.layers[0]
    assert layer.native_groups == 3 and layer.kernel_path == "native"
    torch.manual_seed(0)
    alone = OneStepNetwork(units=4, steps=4, n_models=1).fit(inputs, targets)
    assert alone.model.layers[0].native_groups == 1
