"""The GRU and SimpleRNN equations of lstmkit.ops.recurrent against the independent NumPy
implementations in tests/reference.py, both paths, and gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import reference
from lstmkit import activations
from lstmkit.ops import recurrent as ops

PAIRS = [("tanh", "sigmoid"), ("relu", "hard_sigmoid"), ("softsign", "sigmoid"), ("elu", "tanh")]


def _weights(rng, d, u, gates, bias_shape):
    kernel = rng.normal(0, 0.4, size=(d, gates * u))
    recurrent = rng.normal(0, 0.4, size=(u, gates * u))
    bias = None if bias_shape is None else rng.normal(0, 0.3, size=bias_shape)
    return kernel, recurrent, bias


def _t(a, dtype=torch.float64):
    return None if a is None else torch.tensor(a, dtype=dtype)


@pytest.mark.parametrize(("act", "rec"), PAIRS)
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("use_bias", [True, False])
def test_gru_matches_reference(act, rec, reset_after, go_backwards, use_bias):
    rng = np.random.default_rng(7)
    d, u, batch, steps = 3, 4, 5, 6
    bias_shape = ((2, 3 * u) if reset_after else (3 * u,)) if use_bias else None
    kernel, recurrent, bias = _weights(rng, d, u, 3, bias_shape)
    x = rng.normal(size=(batch, steps, d))
    h0 = rng.normal(0, 0.5, size=(batch, u))
    expected, expected_h = reference.gru(
        x,
        kernel,
        recurrent,
        bias,
        h0=h0,
        activation=act,
        recurrent_activation=rec,
        reset_after=reset_after,
        go_backwards=go_backwards,
        return_sequences=True,
    )
    paths = ["loop"]
    if (
        ops.select_gru_path(activations.get(act), activations.get(rec), reset_after, False)
        == "fused"
    ):
        paths.append("fused")
    assert ("fused" in paths) == (act == "tanh" and rec == "sigmoid" and reset_after)
    for path in paths:
        for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 1e-5)):
            out, h = ops.gru(
                _t(x, dtype),
                _t(h0, dtype),
                _t(kernel, dtype),
                _t(recurrent, dtype),
                _t(bias, dtype),
                activation=activations.get(act),
                recurrent_activation=activations.get(rec),
                reset_after=reset_after,
                go_backwards=go_backwards,
                return_sequences=True,
                path=path,
            )
            np.testing.assert_allclose(out.numpy(), expected, atol=tol, err_msg=f"{path} {dtype}")
            np.testing.assert_allclose(h.numpy(), expected_h, atol=tol)


@pytest.mark.parametrize("act", ["tanh", "relu", "softsign"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_simple_rnn_matches_reference(act, go_backwards):
    rng = np.random.default_rng(3)
    d, u, batch, steps = 2, 5, 3, 7
    kernel, recurrent, bias = _weights(rng, d, u, 1, (u,))
    x = rng.normal(size=(batch, steps, d))
    h0 = rng.normal(0, 0.5, size=(batch, u))
    expected, expected_h = reference.simple_rnn(
        x,
        kernel,
        recurrent,
        bias,
        h0=h0,
        activation=act,
        go_backwards=go_backwards,
        return_sequences=True,
    )
    fn = activations.get(act)
    paths = ["loop", "fused"] if act in ("tanh", "relu") else ["loop"]
    assert ops.select_simple_rnn_path(fn, False) == paths[-1]
    for path in paths:
        out, h = ops.simple_rnn(
            _t(x),
            _t(h0),
            _t(kernel),
            _t(recurrent),
            _t(bias),
            activation=fn,
            go_backwards=go_backwards,
            return_sequences=True,
            path=path,
        )
        np.testing.assert_allclose(out.numpy(), expected, atol=1e-10)
        np.testing.assert_allclose(h.numpy(), expected_h, atol=1e-10)


# The fused kernel computes reset_after=True only.
@pytest.mark.parametrize(
    ("path", "reset_after"), [("loop", True), ("loop", False), ("fused", True)]
)
def test_gru_gradients_match_finite_differences(path, reset_after):
    rng = np.random.default_rng(11)
    d, u = 2, 3
    bias_shape = (2, 3 * u) if reset_after else (3 * u,)
    arrays = [
        rng.normal(size=(2, 4, d)),
        rng.normal(size=(2, u)),
        *_weights(rng, d, u, 3, bias_shape),
    ]
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]

    def run(x, h0, kernel, recurrent, bias):
        return ops.gru(
            x,
            h0,
            kernel,
            recurrent,
            bias,
            reset_after=reset_after,
            path=path,
            return_sequences=True,
        )[0]

    assert torch.autograd.gradcheck(run, tensors)


def test_recurrent_dropout_chooses_the_loop_and_masks_the_state():
    rng = np.random.default_rng(5)
    u = 3
    kernel, recurrent, bias = _weights(rng, 2, u, 3, (2, 3 * u))
    x = torch.tensor(rng.normal(size=(2, 3, 2)))
    h0 = torch.tensor(rng.normal(size=(2, u)))
    mask = torch.ones(2, u, dtype=torch.float64)
    args = (x, h0, _t(kernel), _t(recurrent), _t(bias))
    assert ops.select_gru_path(activations.tanh, activations.sigmoid, True, True) == "loop"
    plain, _ = ops.gru(*args)
    ones, _ = ops.gru(*args, recurrent_mask=mask)
    torch.testing.assert_close(plain, ones)
    zeroed, _ = ops.gru(*args, recurrent_mask=torch.zeros(2, u, dtype=torch.float64))
    # A zero mask removes h from every recurrent product, but not from z * h_{t-1}.
    no_state, _ = ops.gru(x, torch.zeros_like(h0), *args[2:], return_sequences=True)
    assert not torch.allclose(zeroed[:, 0], no_state[:, 0])
    with pytest.raises(ValueError, match="fused GRU path needs reset_after=True"):
        ops.gru(*args, recurrent_mask=mask, path="fused")


@pytest.mark.parametrize("path", ["loop", "fused"])
def test_simple_rnn_gradients_match_finite_differences(path):
    rng = np.random.default_rng(12)
    arrays = [rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 3)), *_weights(rng, 2, 3, 1, (3,))]
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]

    def run(x, h0, kernel, recurrent, bias):
        return ops.simple_rnn(x, h0, kernel, recurrent, bias, path=path)[0]

    assert torch.autograd.gradcheck(run, tensors)
