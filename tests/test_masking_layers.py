"""Masks through layers: Masking and Embedding(mask_zero) make them, recurrent layers and
Bidirectional skip masked steps as the ops do, Dense/Dropout pass them, the last output ends
them; bad masks get clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit.layers import GRU, LSTM, Bidirectional, Dense, Masking
from lstmkit.ops import native
from lstmkit.ops import recurrent as ops

RNG = np.random.default_rng(4)


def _padded(value=0.0):
    x = RNG.normal(size=(3, 5, 2)).astype(np.float32)
    x[1, :2] = value  # left padding
    x[2, 3:] = value  # right padding
    return torch.tensor(x)


def test_masking_marks_padded_steps_and_zeroes_them():
    x = _padded(-1.0)
    out, mask = Masking(-1.0).call_masked(x, None)
    assert mask.tolist() == [[True] * 5, [False, False, True, True, True], [True] * 3 + [False] * 2]
    np.testing.assert_array_equal(out[1, :2].numpy(), 0.0)
    np.testing.assert_array_equal(out[0].numpy(), x[0].numpy())


@pytest.mark.parametrize("layer_class", [LSTM, GRU])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_recurrent_layer_with_a_mask_equals_the_masked_ops(layer_class, return_sequences):
    x = _padded()
    masking = Masking()
    layer = layer_class(4, return_sequences=return_sequences)
    layer.build_for((None, 5, 2))
    hidden, mask = masking.call_masked(x, None)
    out, out_mask = layer.call_masked(hidden, mask)
    assert layer.kernel_path == "loop"
    weights = [w.detach() for w in layer.weights]
    h0 = torch.zeros(3, 4)
    if layer_class is LSTM:
        expected = ops.lstm(hidden, h0, h0, *weights, mask=mask, return_sequences=return_sequences)[
            0
        ]
    else:
        expected = ops.gru(hidden, h0, *weights, mask=mask, return_sequences=return_sequences)[0]
    torch.testing.assert_close(out, expected)
    assert (out_mask is mask) == return_sequences and (out_mask is None) != return_sequences
    out_unmasked, _ = layer.call_masked(hidden, None)
    fast_lstm = "native" if native.available() else "fused"
    assert layer.kernel_path == (fast_lstm if layer_class is LSTM else "fused")
    assert not torch.allclose(out_unmasked, out)


def test_dense_passes_the_mask_and_the_last_output_ends_it():
    x = _padded()
    _, mask = Masking().call_masked(x, None)
    dense = Dense(3)
    dense.build_for((None, 5, 2))
    _, passed = dense.call_masked(x, mask)
    assert passed is mask


def test_bidirectional_masked_sequences_are_zero_at_padding():
    x = _padded()
    hidden, mask = Masking().call_masked(x, None)
    layer = Bidirectional(LSTM(3, return_sequences=True))
    layer.build_for((None, 5, 2))
    out, out_mask = layer.call_masked(hidden, mask)
    assert out_mask is mask
    np.testing.assert_array_equal(out[1, :2].detach().numpy(), 0.0)
    np.testing.assert_array_equal(out[2, 3:].detach().numpy(), 0.0)
    assert layer.kernel_path == ("loop", "loop")


def test_a_mask_of_the_wrong_shape_is_a_clear_error():
    layer = LSTM(2)
    layer.build_for((None, 5, 2))
    with pytest.raises(
        ValueError,
        match=r"mask of shape \(samples, timesteps\) = \(3, 5\).*got mask shape \(3, 4\)",
    ):
        layer.call(_padded(), mask=torch.ones(3, 4, dtype=torch.bool))
