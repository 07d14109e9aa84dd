"""The Keras-style backend functions used in user metrics and losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lstmkit.backend as K


def r2(y_true, y_pred):
    ss_res = K.sum(K.square(y_true - y_pred))
    ss_tot = K.sum(K.square(y_true - K.mean(y_true)))
    return 1 - ss_res / (ss_tot + K.epsilon())


def test_user_r2_equals_numpy_and_is_differentiable() -> None:
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(20, 1))
    y_pred = y_true + rng.normal(scale=0.3, size=(20, 1))
    expected = 1 - np.sum((y_true - y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2)
    pred = torch.tensor(y_pred, requires_grad=True)
    value = r2(torch.tensor(y_true), pred)
    assert value.item() == pytest.approx(expected, rel=1e-6)
    value.backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all()


def test_reductions_take_axis_and_keepdims() -> None:
    x = torch.arange(6.0).reshape(2, 3)
    assert K.sum(x).item() == 15
    assert K.mean(x, axis=0).tolist() == [1.5, 2.5, 3.5]
    assert K.max(x, axis=1, keepdims=True).shape == (2, 1)
    assert K.min(x).item() == 0
    assert K.var(x).item() == pytest.approx(np.var(np.arange(6.0)))
    assert K.std(x, axis=1).tolist() == pytest.approx(
        np.std(np.arange(6.0).reshape(2, 3), axis=1).tolist()
    )
    assert K.prod(x + 1, axis=(0, 1)).item() == 720


def test_elementwise_and_logic() -> None:
    x = torch.tensor([-2.0, 0.5, 3.0])
    assert K.clip(x, 0, 1).tolist() == [0, 0.5, 1]
    assert K.sqrt(torch.tensor([-1.0, 4.0])).tolist() == [0, 2]
    assert K.abs(x).tolist() == [2, 0.5, 3]
    assert K.switch(K.greater(x, 0), x, K.zeros_like(x)).tolist() == [0, 0.5, 3]
    assert K.cast(K.equal(x, 0.5), "float32").tolist() == [0, 1, 0]
    assert K.argmax(torch.tensor([[1.0, 3.0, 2.0]])).tolist() == [1]
    assert K.epsilon() == 1e-7
    assert K.floatx() == "float32"
    assert K.int_shape(np.zeros((2, 3))) == (2, 3)
