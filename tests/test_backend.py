"""The Keras-style backend functions used in user metrics and losses, against NumPy and the
Keras 2 backend's documented behaviour."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lstmkit.backend as K

RNG = np.random.default_rng(0)


def r2(y_true, y_pred):
    ss_res = K.sum(K.square(y_true - y_pred))
    ss_tot = K.sum(K.square(y_true - K.mean(y_true)))
    return 1 - ss_res / (ss_tot + K.epsilon())


def test_user_r2_equals_numpy_and_its_gradient_flows() -> None:
    y_true = RNG.normal(size=(20, 1))
    y_pred = y_true + RNG.normal(scale=0.3, size=(20, 1))
    ss_tot = np.sum((y_true - y_true.mean()) ** 2) + 1e-7
    expected = 1 - np.sum((y_true - y_pred) ** 2) / ss_tot
    pred = torch.tensor(y_pred, requires_grad=True)
    value = r2(torch.tensor(y_true), pred)
    assert value.shape == ()
    assert value.item() == pytest.approx(expected, rel=1e-12)
    value.backward()
    # d R² / d y_pred = 2 (y_true - y_pred) / ss_tot.
    np.testing.assert_allclose(pred.grad.numpy(), 2 * (y_true - y_pred) / ss_tot, rtol=1e-10)
    in_float32 = r2(torch.tensor(y_true, dtype=torch.float32), torch.tensor(y_pred).float())
    assert in_float32.dtype == torch.float32
    assert in_float32.item() == pytest.approx(expected, rel=1e-5)


def test_a_precision_recall_f1_metric_written_with_k() -> None:
    # The classic Keras 2 snippet for binary precision, recall and F1.
    def f1(y_true, y_pred):
        true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
        predicted = K.sum(K.round(K.clip(y_pred, 0, 1)))
        possible = K.sum(K.round(K.clip(y_true, 0, 1)))
        precision = true_positives / (predicted + K.epsilon())
        recall = true_positives / (possible + K.epsilon())
        return 2 * (precision * recall) / (precision + recall + K.epsilon())

    y_true = torch.tensor([[1.0], [1.0], [0.0], [1.0], [0.0]])
    y_pred = torch.tensor([[0.9], [0.2], [0.7], [0.6], [0.1]])
    # 2 true positives, 3 predicted positives, 3 actual positives: precision = recall = 2/3.
    assert f1(y_true, y_pred).item() == pytest.approx(2 / 3, rel=1e-5)


def test_reductions_take_axis_and_keepdims() -> None:
    array = RNG.normal(size=(2, 3, 4))
    x = torch.tensor(array)
    for name, reference in [
        ("sum", np.sum),
        ("mean", np.mean),
        ("max", np.max),
        ("min", np.min),
        ("prod", np.prod),
        ("var", np.var),
        ("std", np.std),
    ]:
        fn = getattr(K, name)
        for axis in (None, 0, -1, (0, 2), [1, 2]):
            for keepdims in (False, True):
                numpy_axis = tuple(axis) if isinstance(axis, list) else axis
                expected = reference(array, axis=numpy_axis, keepdims=keepdims)
                got = fn(x, axis=axis, keepdims=keepdims)
                assert got.shape == np.shape(expected), (name, axis, keepdims)
                np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    assert K.mean(torch.tensor([True, False, True, True])).item() == 0.75  # booleans average
    assert K.any(torch.tensor([0.0, 2.0])).item() and not K.all(torch.tensor([0.0, 2.0])).item()
    assert K.cumsum(torch.tensor([[1, 2], [3, 4]])).tolist() == [[1, 2], [4, 6]]
    assert K.argmax(torch.tensor([[1.0, 3.0, 2.0]])).tolist() == [1]
    assert K.argmin(torch.tensor([[1.0, 3.0, 0.5]]), axis=-1).tolist() == [2]


def test_elementwise_functions() -> None:
    x = torch.tensor([-2.0, 0.5, 3.0])
    assert K.clip(x, 0, 1).tolist() == [0, 0.5, 1]
    assert K.clip(x, 1, 0).tolist() == [1, 1, 1]  # max below min is raised to min, as Keras
    assert K.clip(x, None, 1).tolist() == [-2, 0.5, 1]
    assert K.sqrt(torch.tensor([-1.0, 4.0])).tolist() == [0, 2]  # Keras clips at 0 first
    assert K.abs(x).tolist() == [2, 0.5, 3]
    assert K.square(x).tolist() == [4, 0.25, 9]
    assert K.pow(x, 2).tolist() == [4, 0.25, 9]
    assert K.sign(x).tolist() == [-1, 1, 1]
    assert K.round(torch.tensor([0.5, 1.5, 2.4])).tolist() == [0, 2, 2]  # halves to even
    np.testing.assert_allclose(K.exp(K.log(torch.tensor([2.0]))).numpy(), [2.0], rtol=1e-6)
    np.testing.assert_allclose(K.sigmoid(torch.tensor([0.0])).numpy(), [0.5])
    np.testing.assert_allclose(K.tanh(torch.tensor([0.0])).numpy(), [0.0])
    assert K.relu(x).tolist() == [0, 0.5, 3]
    assert K.relu(x, alpha=0.5, max_value=2.0).tolist() == [-1, 0.5, 2]
    assert K.maximum(x, 0.0).tolist() == [0, 0.5, 3]
    assert K.minimum(1.0, x).tolist() == [-2, 0.5, 1]
    np.testing.assert_allclose(K.softmax(torch.zeros(2, 4)).numpy(), np.full((2, 4), 0.25))
    normalised = K.l2_normalize(torch.tensor([[3.0, 4.0]]), axis=-1)
    np.testing.assert_allclose(normalised.numpy(), [[0.6, 0.8]], rtol=1e-6)


def test_comparisons_and_switch() -> None:
    x = torch.tensor([-2.0, 0.5, 3.0])
    assert K.switch(K.greater(x, 0), x, K.zeros_like(x)).tolist() == [0, 0.5, 3]
    assert K.cast(K.equal(x, 0.5), "float32").tolist() == [0, 1, 0]
    assert K.not_equal(x, 0.5).tolist() == [True, False, True]
    assert K.greater_equal(x, 0.5).tolist() == [False, True, True]
    assert K.less(x, 0.5).tolist() == [True, False, False]
    assert K.less_equal(x, 0.5).tolist() == [True, True, False]
    # A Python number takes the tensor's precision: 0.1 equals a float64 0.1.
    assert K.equal(torch.tensor([0.1], dtype=torch.float64), 0.1).item()
    # A per-sample condition picks whole rows, as Keras 2's switch.
    rows = K.switch(torch.tensor([True, False]), torch.ones(2, 3), torch.zeros(2, 3))
    assert rows.tolist() == [[1, 1, 1], [0, 0, 0]]
    assert K.switch(True, lambda: torch.ones(2), lambda: torch.zeros(2)).tolist() == [1, 1]


def test_shapes_and_products() -> None:
    a, b = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4, 5))
    np.testing.assert_allclose(K.dot(torch.tensor(a), torch.tensor(b)).numpy(), np.dot(a, b))
    c, d = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3, 5))
    np.testing.assert_allclose(K.dot(torch.tensor(c), torch.tensor(d)).numpy(), np.dot(c, d))
    np.testing.assert_allclose(K.dot(torch.tensor(c), torch.tensor(c.T)).numpy(), c @ c.T)
    x = torch.arange(6.0).reshape(2, 3)
    assert K.transpose(x).shape == (3, 2)
    assert K.reshape(x, (3, -1)).shape == (3, 2)
    assert K.flatten(x).shape == (6,)
    assert K.expand_dims(x).shape == (2, 3, 1)
    assert K.squeeze(K.expand_dims(x, 0), 0).shape == (2, 3)
    assert K.concatenate([x, x]).shape == (2, 6)
    assert K.concatenate([x, x], axis=0).shape == (4, 3)
    assert K.stack([x, x]).shape == (2, 2, 3)
    assert K.shape(x) == (2, 3)
    assert K.shape(x)[0] == 2
    assert K.int_shape(np.zeros((2, 3))) == (2, 3)
    assert K.ndim(x) == 2


def test_constants_dtypes_and_numpy_inputs() -> None:
    assert K.epsilon() == 1e-7
    assert K.floatx() == "float32"
    assert K.constant(3).dtype == torch.float32  # floatx by default, as Keras
    assert K.constant(2.0, shape=(2, 2)).tolist() == [[2, 2], [2, 2]]
    assert K.constant([1, 2], dtype="int64").dtype == torch.int64
    assert K.constant(torch.tensor([1.5], requires_grad=True)).tolist() == [1.5]
    assert K.ones((2,)).dtype == torch.float32 and K.zeros((1, 2)).shape == (1, 2)
    assert K.cast(torch.tensor([1.7]), torch.int32).tolist() == [1]
    assert K.ones_like(np.zeros(3)).dtype == torch.float32  # NumPy float64 becomes floatx
    assert K.sum(np.array([1.0, 2.0])).item() == 3.0
    assert K.sum([1, 2, 3]).item() == 6
    np.testing.assert_array_equal(K.get_value(torch.ones(2)), np.ones(2))
    with pytest.raises(ValueError, match="unknown dtype 'float8'"):
        K.cast(torch.ones(1), "float8")


def test_set_epsilon_reaches_the_builtin_losses() -> None:
    from lstmkit import losses

    try:
        K.set_epsilon(1e-3)
        value = losses.binary_crossentropy(torch.tensor([[1.0]]), torch.tensor([[0.0]]))
        assert value.item() == pytest.approx(-np.log(1e-3), rel=1e-5)
    finally:
        K.set_epsilon(1e-7)
    assert K.epsilon() == 1e-7


def test_crossentropies() -> None:
    target, output = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.8, 0.3]])
    expected = -np.log([0.8, 0.7])
    np.testing.assert_allclose(K.binary_crossentropy(target, output).numpy()[0], expected, 1e-6)
    np.testing.assert_allclose(
        K.categorical_crossentropy(target, output).numpy(), -np.log([0.8 / 1.1]), rtol=1e-6
    )
    np.testing.assert_allclose(
        K.sparse_categorical_crossentropy(torch.tensor([0]), output).numpy(),
        -np.log([0.8 / 1.1]),
        rtol=1e-6,
    )
