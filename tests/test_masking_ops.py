"""Masked steps in the recurrent equations, against Keras's rule applied step by step to the
NumPy references: a masked step keeps the states and repeats the previous output (zeros before
the first; always zeros with zero_output_for_mask)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import reference
from lstmkit import activations
from lstmkit.ops import recurrent as ops

RNG = np.random.default_rng(21)
BATCH, STEPS, D, U = 4, 6, 3, 5
MASKS = {
    "right": np.array([[1] * 6, [1] * 4 + [0] * 2, [1] * 1 + [0] * 5, [1] * 6], bool),
    "left": np.array([[1] * 6, [0] * 2 + [1] * 4, [0] * 5 + [1], [0] * 3 + [1] * 3], bool),
    "holes": np.array([[1, 0, 1, 0, 1, 0], [0] * 6, [1, 1, 0, 0, 1, 1], [0, 1, 1, 1, 1, 0]], bool),
}


def masked_reference(kind, x, weights, mask, go_backwards, zero_output):
    """Keras's masked stepping over single-step calls of the reference implementation."""
    states = [np.zeros((BATCH, U)) for _ in range(2 if kind == "lstm" else 1)]
    previous = np.zeros((BATCH, U))
    outputs = []
    order = range(STEPS - 1, -1, -1) if go_backwards else range(STEPS)
    for t in order:
        step = x[:, t : t + 1]
        if kind == "lstm":
            h, _, c = reference.lstm(step, *weights, h0=states[0], c0=states[1])
            new = [h, c]
        elif kind == "gru":
            h, _ = reference.gru(step, *weights, h0=states[0])
            new = [h]
        else:
            h, _ = reference.simple_rnn(step, *weights, h0=states[0])
            new = [h]
        keep = mask[:, t : t + 1]
        states = [np.where(keep, n, o) for n, o in zip(new, states, strict=True)]
        previous = np.where(keep, new[0], 0.0 if zero_output else previous)
        outputs.append(previous)
    return np.stack(outputs, axis=1), states


def _weights(kind):
    gates = {"lstm": 4, "gru": 3, "simple_rnn": 1}[kind]
    bias_shape = (2, 3 * U) if kind == "gru" else (gates * U,)
    return [
        RNG.normal(0, 0.5, size=(D, gates * U)),
        RNG.normal(0, 0.5, size=(U, gates * U)),
        RNG.normal(0, 0.3, size=bias_shape),
    ]


def run(kind, x, weights, mask, **kwargs):
    t = [torch.tensor(a) for a in (x, *weights)]
    h0 = torch.zeros(BATCH, U, dtype=torch.float64)
    if kind == "lstm":
        out, h, c = ops.lstm(t[0], h0, h0, *t[1:], mask=torch.tensor(mask), **kwargs)
        return out, [h, c]
    fn = ops.gru if kind == "gru" else ops.simple_rnn
    out, h = fn(t[0], h0, *t[1:], mask=torch.tensor(mask), **kwargs)
    return out, [h]


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("zero_output", [False, True])
def test_masked_steps_follow_keras(kind, mask_name, go_backwards, zero_output):
    x = RNG.normal(size=(BATCH, STEPS, D))
    weights = _weights(kind)
    mask = MASKS[mask_name]
    expected, expected_states = masked_reference(kind, x, weights, mask, go_backwards, zero_output)
    out, states = run(
        kind, x, weights, mask, go_backwards=go_backwards, zero_output_for_mask=zero_output
    )
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-10)
    for got, want in zip(states, expected_states, strict=True):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-10)
    last, _ = run(kind, x, weights, mask, go_backwards=go_backwards, return_sequences=False)
    if not zero_output:
        np.testing.assert_allclose(last.numpy(), expected[:, -1], atol=1e-10)


def test_a_mask_selects_the_loop_and_the_fused_kernel_refuses_one():
    tanh, sigmoid = activations.tanh, activations.sigmoid
    assert ops.select_lstm_path(tanh, sigmoid, False, masked=True) == "loop"
    assert ops.select_gru_path(tanh, sigmoid, True, False, masked=True) == "loop"
    assert ops.select_simple_rnn_path(tanh, False, masked=True) == "loop"
    x = RNG.normal(size=(BATCH, STEPS, D))
    with pytest.raises(ValueError, match="cannot apply recurrent dropout or a mask"):
        run("lstm", x, _weights("lstm"), MASKS["right"], path="fused")


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_padding_does_not_change_the_result(kind):
    """The last state of a left-padded, masked sequence equals that of the sequence alone."""
    weights = _weights(kind)
    x = RNG.normal(size=(BATCH, STEPS, D))
    mask = MASKS["left"]
    _, states = run(kind, x * mask[..., None], weights, mask, return_sequences=False)
    for row in range(BATCH):
        kept = x[row : row + 1, mask[row]]
        if kept.shape[1] == 0:
            continue
        t = [torch.tensor(a) for a in (kept, *weights)]
        h0 = torch.zeros(1, U, dtype=torch.float64)
        if kind == "lstm":
            _, h, _ = ops.lstm(t[0], h0, h0, *t[1:])
        else:
            _, h = (ops.gru if kind == "gru" else ops.simple_rnn)(t[0], h0, *t[1:])
        np.testing.assert_allclose(states[0][row].numpy(), h[0].numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_masked_gradients_match_finite_differences(kind):
    rng = np.random.default_rng(8)
    gates = {"lstm": 4, "gru": 3, "simple_rnn": 1}[kind]
    bias_shape = (2, 3 * 2) if kind == "gru" else (gates * 2,)
    arrays = [
        rng.normal(size=(2, 4, 3)),
        rng.normal(0, 0.5, size=(3, gates * 2)),
        rng.normal(0, 0.5, size=(2, gates * 2)),
        rng.normal(0, 0.3, size=bias_shape),
    ]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    mask = torch.tensor([[True, False, True, True], [False, False, True, False]])

    def run(x, kernel, recurrent, bias):
        h0 = torch.zeros(2, 2, dtype=torch.float64)
        if kind == "lstm":
            return ops.lstm(x, h0, h0, kernel, recurrent, bias, mask=mask)[0]
        fn = ops.gru if kind == "gru" else ops.simple_rnn
        return fn(x, h0, kernel, recurrent, bias, mask=mask)[0]

    assert torch.autograd.gradcheck(run, tensors)
