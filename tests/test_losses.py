"""Loss functions against NumPy formulas and values from Keras's documentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import losses

RNG = np.random.default_rng(3)


def t(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64)


Y = RNG.normal(size=(6, 3))
P = RNG.normal(size=(6, 3))
PROBS = RNG.uniform(0.01, 0.99, size=(6, 3))
LABELS = RNG.integers(0, 2, size=(6, 3)).astype(float)


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "expected"),
    [
        ("mse", Y, P, ((Y - P) ** 2).mean(-1)),
        ("mae", Y, P, np.abs(Y - P).mean(-1)),
        ("mape", Y, P, 100 * np.abs((Y - P) / np.abs(Y)).mean(-1)),
        ("msle", np.abs(Y), np.abs(P), ((np.log1p(np.abs(P)) - np.log1p(np.abs(Y))) ** 2).mean(-1)),
        (
            "binary_crossentropy",
            LABELS,
            PROBS,
            -(LABELS * np.log(PROBS) + (1 - LABELS) * np.log(1 - PROBS)).mean(-1),
        ),
        (
            "huber",
            Y,
            P,
            np.where(np.abs(Y - P) <= 1, 0.5 * (Y - P) ** 2, np.abs(Y - P) - 0.5).mean(-1),
        ),
        ("log_cosh", Y, P, np.log(np.cosh(P - Y)).mean(-1)),
    ],
)
def test_per_sample_values_match_numpy(name, y_true, y_pred, expected) -> None:
    fn = losses.get(name).fn
    np.testing.assert_allclose(fn(t(y_true), t(y_pred)).numpy(), expected, rtol=1e-10)
    assert losses.get(name)(t(y_true), t(y_pred)).item() == pytest.approx(expected.mean())


def test_categorical_crossentropy_normalises_and_clips_as_keras() -> None:
    one_hot = np.eye(3)[[0, 2, 1]]
    probs = np.array([[0.5, 0.3, 0.2], [2.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    normalised = probs / probs.sum(-1, keepdims=True)
    clipped = np.clip(normalised, 1e-7, 1 - 1e-7)
    expected = -(one_hot * np.log(clipped)).sum(-1)
    got = losses.categorical_crossentropy(t(one_hot), t(probs)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_sparse_categorical_crossentropy_equals_categorical_on_one_hot() -> None:
    probs = torch.softmax(t(RNG.normal(size=(5, 4))), -1)
    labels = torch.tensor([0, 3, 1, 1, 2])
    one_hot = torch.eye(4, dtype=torch.float64)[labels]
    dense = losses.categorical_crossentropy(one_hot, probs)
    torch.testing.assert_close(losses.sparse_categorical_crossentropy(labels, probs), dense)
    column = labels[:, None].double()
    torch.testing.assert_close(losses.sparse_categorical_crossentropy(column, probs), dense)


def test_keras_documented_binary_crossentropy_value() -> None:
    # keras.losses.binary_crossentropy docstring: [[0, 1], [0, 0]] vs [[0.6, 0.4], [0.4, 0.6]]
    # gives [0.916, 0.714].
    got = losses.binary_crossentropy(
        t(np.array([[0, 1], [0, 0]])), t(np.array([[0.6, 0.4], [0.4, 0.6]]))
    )
    np.testing.assert_allclose(got.numpy(), [0.916, 0.714], atol=1e-3)


def test_binary_crossentropy_clips_certain_wrong_predictions() -> None:
    value = losses.binary_crossentropy(t(np.array([[1.0]])), t(np.array([[0.0]]))).item()
    assert value == pytest.approx(-np.log(1e-7), rel=1e-6)


def test_user_function_keeps_its_name_and_a_scalar_is_used_as_is() -> None:
    def my_loss(y_true, y_pred):
        return torch.sum((y_true - y_pred) ** 2)

    loss = losses.get(my_loss)
    assert loss.name == "my_loss"
    assert loss(t(Y), t(P)).item() == pytest.approx(((Y - P) ** 2).sum())


def test_unknown_loss_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown loss: 'mean_sq'\. Known losses: .*mse"):
        losses.get("mean_sq")
