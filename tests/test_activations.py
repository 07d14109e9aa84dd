"""Activations by name, as Keras 3 defines them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import activations

X = np.linspace(-4, 4, 17)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("linear", X),
        ("relu", np.maximum(X, 0)),
        ("sigmoid", 1 / (1 + np.exp(-X))),
        ("tanh", np.tanh(X)),
        ("hard_sigmoid", np.clip(X / 6 + 0.5, 0, 1)),  # Keras 3: relu6(x + 3) / 6
        ("softsign", X / (1 + np.abs(X))),
        ("softplus", np.log1p(np.exp(X))),
        ("elu", np.where(X > 0, X, np.expm1(X))),
        ("exponential", np.exp(X)),
        ("swish", X / (1 + np.exp(-X))),
        ("relu6", np.clip(X, 0, 6)),
        ("leaky_relu", np.where(X > 0, X, 0.2 * X)),
    ],
)
def test_values(name, expected) -> None:
    got = activations.get(name)(torch.tensor(X, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    assert activations.serialize(activations.get(name)) in (name, "swish")


def test_softmax_is_over_the_last_axis() -> None:
    x = torch.randn(3, 4, dtype=torch.float64)
    torch.testing.assert_close(activations.softmax(x).sum(-1), torch.ones(3, dtype=torch.float64))


def test_none_is_linear_callables_pass_and_unknown_names_are_listed() -> None:
    assert activations.get(None) is activations.linear
    assert activations.get(torch.sin) is torch.sin
    with pytest.raises(ValueError, match=r"Unknown activation: 'rleu'\. Known activations: .*relu"):
        activations.get("rleu")
