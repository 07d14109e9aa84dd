"""RepeatVector, Flatten, Conv1D, MaxPooling1D and Embedding against direct NumPy loops, with
Keras's parameter counts and output lengths."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import Sequential
from lstmkit.layers import (
    LSTM,
    Conv1D,
    Dense,
    Embedding,
    Flatten,
    MaxPooling1D,
    RepeatVector,
)
from lstmkit.utils import set_random_seed


def _same_pad(steps: int, window: int, strides: int) -> tuple[int, int]:
    out = int(np.ceil(steps / strides))
    total = max((out - 1) * strides + window - steps, 0)
    return total // 2, total - total // 2


def conv1d_reference(x, kernel, bias, strides, padding, dilation):
    """Direct loops over ``out[b, t, f] = bias[f] + Σ_k Σ_c x[b, t*s + k*d, c] kernel[k, c, f]``."""
    k = kernel.shape[0]
    window = dilation * (k - 1) + 1
    if padding == "causal":
        x = np.pad(x, ((0, 0), (window - 1, 0), (0, 0)))
    elif padding == "same":
        x = np.pad(x, ((0, 0), _same_pad(x.shape[1], window, strides), (0, 0)))
    steps = (x.shape[1] - window) // strides + 1
    out = np.zeros((x.shape[0], steps, kernel.shape[2]))
    for b in range(x.shape[0]):
        for t in range(steps):
            for j in range(k):
                out[b, t] += x[b, t * strides + j * dilation] @ kernel[j]
    return out + bias


@pytest.mark.parametrize(
    ("steps", "kernel_size", "strides", "padding", "dilation"),
    [
        (10, 3, 1, "valid", 1),
        (10, 3, 2, "valid", 1),
        (10, 4, 3, "same", 1),
        (9, 2, 2, "same", 1),
        (10, 3, 1, "causal", 2),
        (7, 3, 1, "same", 3),
        (5, 5, 1, "valid", 1),
    ],
)
def test_conv1d_matches_loops(steps, kernel_size, strides, padding, dilation):
    rng = np.random.default_rng(steps * 100 + kernel_size)
    x = rng.normal(size=(3, steps, 4)).astype(np.float32)
    layer = Conv1D(
        5, kernel_size, strides=strides, padding=padding, dilation_rate=dilation, use_bias=True
    )
    out = layer(x)
    kernel, bias = layer.get_weights()
    bias = rng.normal(size=bias.shape).astype(np.float32)
    layer.set_weights([kernel, bias])
    out = layer(x)
    expected = conv1d_reference(x, kernel, bias, strides, padding, dilation)
    assert out.shape == expected.shape
    assert layer.compute_output_shape((None, steps, 4)) == (None, expected.shape[1], 5)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert kernel.shape == (kernel_size, 4, 5)
    assert layer.count_params() == kernel_size * 4 * 5 + 5


def test_conv1d_causal_output_never_sees_the_future():
    x = np.zeros((1, 8, 1), np.float32)
    layer = Conv1D(1, 3, padding="causal", kernel_initializer="ones")
    before = layer(x)
    x[0, 5, 0] = 1.0
    after = layer(x)
    changed = np.nonzero(after[0, :, 0] != before[0, :, 0])[0]
    assert list(changed) == [5, 6, 7]


@pytest.mark.parametrize(
    ("steps", "pool", "strides", "padding", "expected_steps"),
    [
        (10, 2, None, "valid", 5),
        (11, 3, 2, "valid", 5),
        (11, 3, 2, "same", 6),
        (5, 2, 1, "same", 5),
    ],
)
def test_max_pooling_matches_loops(steps, pool, strides, padding, expected_steps):
    rng = np.random.default_rng(steps)
    x = rng.normal(size=(2, steps, 3)).astype(np.float32)
    out = MaxPooling1D(pool, strides=strides, padding=padding)(x)
    s = strides or pool
    left, right = _same_pad(steps, pool, s) if padding == "same" else (0, 0)
    padded = np.pad(x, ((0, 0), (left, right), (0, 0)), constant_values=-np.inf)
    expected = np.stack(
        [padded[:, t * s : t * s + pool].max(axis=1) for t in range(expected_steps)], axis=1
    )
    assert out.shape == (2, expected_steps, 3)
    np.testing.assert_array_equal(out, expected)


def test_repeat_vector_and_flatten():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    repeated = RepeatVector(4)(x)
    assert repeated.shape == (2, 4, 3)
    np.testing.assert_array_equal(repeated[:, 2], x)
    y = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(Flatten()(y), y.reshape(2, 12))


def test_embedding_looks_up_rows():
    layer = Embedding(10, 4)
    tokens = np.array([[0, 3, 9], [1, 1, 2]])
    out = layer(tokens)
    (table,) = layer.get_weights()
    np.testing.assert_array_equal(out, table[tokens])
    assert table.shape == (10, 4) and np.abs(table).max() <= 0.05  # Keras's 'uniform' ±0.05
    assert layer.count_params() == 40


@pytest.mark.parametrize("bad", [10, -1, 2.5])
def test_embedding_rejects_tokens_outside_the_vocabulary(bad):
    with pytest.raises(ValueError, match=r"integer tokens in \[0, 10\) \(input_dim\); got"):
        Embedding(10, 4)(np.array([[1, bad]]))


def test_embedding_mask_zero_gives_the_mask_of_nonzero_tokens():
    layer = Embedding(10, 4, mask_zero=True)
    layer.build_for((None, 3))
    tokens = torch.tensor([[0.0, 3.0, 0.0], [1.0, 1.0, 2.0]])
    out, mask = layer.call_masked(tokens, None)
    assert out.shape == (2, 3, 4)
    assert mask.tolist() == [[False, True, False], [True, True, True]]
    assert Embedding(10, 4).compute_mask(tokens, None) is None


@pytest.mark.parametrize(
    ("layer", "shape", "message"),
    [
        (RepeatVector(3), (None, 5, 2), r"RepeatVector expects 2-D input .* got shape"),
        (Conv1D(2, 3), (None, 8), r"Conv1D expects 3-D input \[samples, timesteps, channels\]"),
        (Conv1D(2, 5), (None, 4, 1), r"needs at least 5 timesteps; got shape"),
        (MaxPooling1D(4), (None, 3, 2), r"needs at least 4 timesteps"),
        (Embedding(5, 2), (None, 3, 1), r"Embedding expects 2-D input"),
        (Flatten(), (None, None, 3), r"Flatten needs every dimension but the batch"),
    ],
)
def test_bad_shapes(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer.build_for(shape)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filters": 0, "kernel_size": 3}, "filters to be a positive integer"),
        ({"filters": 2, "kernel_size": 3, "padding": "full"}, "padding to be one of"),
        ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "cannot combine"),
    ],
)
def test_conv1d_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv1D(**kwargs)


def test_cnn_lstm_stack_summary_and_learning():
    """A CNN-LSTM of the tutorials: parameter counts as Keras's formulas, and it learns to
    tell rising from falling sequences."""
    set_random_seed(0)
    model = Sequential(
        [
            Conv1D(8, 3, activation="relu", input_shape=(12, 1)),
            MaxPooling1D(2),
            LSTM(10),
            Dense(1, activation="sigmoid"),
        ]
    )
    assert model.output_shape == (None, 1)
    assert model.count_params() == (3 * 1 * 8 + 8) + 4 * 10 * (8 + 10 + 1) + 11
    rng = np.random.default_rng(0)
    start = rng.uniform(0, 1, size=(400, 1))
    direction = rng.integers(0, 2, size=(400, 1)) * 2 - 1
    x = (start + direction * 0.05 * np.arange(12))[..., None].astype(np.float32)
    x += rng.normal(0, 0.02, size=x.shape).astype(np.float32)
    y = (direction > 0).astype(np.float32)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:300], y[:300], epochs=30, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x[300:], y[300:], verbose=0)
    assert accuracy >= 0.95


def test_encoder_decoder_shapes_in_sequential():
    model = Sequential(
        [LSTM(6, input_shape=(5, 2)), RepeatVector(3), LSTM(4, return_sequences=True)]
    )
    assert model.output_shape == (None, 3, 4)
    out = model.predict(np.zeros((2, 5, 2), np.float32))
    assert out.shape == (2, 3, 4)
    assert torch.is_tensor(model.layers[1].call(torch.zeros(2, 6)))


def test_configs_round_trip():
    for layer in [
        Conv1D(3, 2, strides=1, padding="causal", dilation_rate=2, activation="relu"),
        MaxPooling1D(3, strides=2, padding="same"),
        RepeatVector(4),
        Flatten(),
        Embedding(7, 3),
    ]:
        config = layer.get_config()
        again = type(layer).from_config(config)
        assert again.get_config() == config
