"""Activations by name, against NumPy forms of Keras 3's definitions (keras/src/activations and
the PyTorch backend's keras/src/backend/torch/nn.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lstmkit import activations

X = np.linspace(-7, 7, 57)
ERF = np.vectorize(math.erf)
SOFTPLUS = np.log1p(np.exp(X))
# SELU's constants, as in Keras's docstring.
SELU_ALPHA, SELU_SCALE = 1.67326324, 1.05070098


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("linear", X),
        ("relu", np.maximum(X, 0)),
        ("sigmoid", 1 / (1 + np.exp(-X))),
        ("tanh", np.tanh(X)),
        # Keras 3: relu6(x + 3) / 6 (Keras 2's was clip(0.2 x + 0.5, 0, 1)).
        ("hard_sigmoid", np.clip(X + 3, 0, 6) / 6),
        ("hard_silu", X * np.clip(X + 3, 0, 6) / 6),
        ("hard_swish", X * np.clip(X + 3, 0, 6) / 6),
        ("hard_tanh", np.clip(X, -1, 1)),
        ("softsign", X / (1 + np.abs(X))),
        ("softplus", SOFTPLUS),
        ("elu", np.where(X > 0, X, np.expm1(X))),
        ("celu", np.maximum(X, 0) + np.minimum(0, np.expm1(X))),
        ("selu", SELU_SCALE * np.where(X > 0, X, SELU_ALPHA * np.expm1(X))),
        ("exponential", np.exp(X)),
        ("swish", X / (1 + np.exp(-X))),
        ("silu", X / (1 + np.exp(-X))),
        ("gelu", 0.5 * X * (1 + ERF(X / np.sqrt(2)))),  # Keras 3's default: approximate=False
        ("relu6", np.clip(X, 0, 6)),
        ("leaky_relu", np.where(X > 0, X, 0.2 * X)),  # Keras 3's default negative_slope=0.2
        ("log_sigmoid", -np.log1p(np.exp(-X))),
        ("mish", X * np.tanh(SOFTPLUS)),
    ],
)
def test_values_match_numpy(name: str, expected: np.ndarray) -> None:
    got = activations.get(name)(torch.tensor(X, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


def test_gelu_tanh_approximation_and_keras_relu_options() -> None:
    x = torch.tensor(X, dtype=torch.float64)
    tanh_gelu = 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X**3)))
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(), tanh_gelu, 1e-7)
    # Keras 3's ReLU.static_call: x above threshold (else 0), clipped to max_value, minus
    # negative_slope * relu(threshold - x).
    got = activations.relu(x, negative_slope=0.1, max_value=4.0, threshold=1.0).numpy()
    expected = np.clip(np.where(X > 1, X, 0), 0, 4) - 0.1 * np.maximum(1 - X, 0)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(activations.relu(x, max_value=6).numpy(), np.clip(X, 0, 6))
    np.testing.assert_allclose(
        activations.relu(x, negative_slope=0.3).numpy(), np.where(X > 0, X, 0.3 * X)
    )


def test_softmax_and_log_softmax_normalise_over_the_given_axis() -> None:
    x = torch.randn(3, 4, dtype=torch.float64)
    expected = np.exp(x.numpy()) / np.exp(x.numpy()).sum(-1, keepdims=True)
    np.testing.assert_allclose(activations.softmax(x).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(activations.log_softmax(x).numpy(), np.log(expected), rtol=1e-12)
    columns = activations.get("softmax")(x, axis=0).sum(0)
    torch.testing.assert_close(columns, torch.ones(4, dtype=torch.float64))


def test_gradients_flow() -> None:
    x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    activations.get("tanh")(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh([-1.0, 0.5, 2.0]) ** 2, rtol=1e-6)


def test_get_resolves_none_callables_and_any_case() -> None:
    assert activations.get(None) is activations.linear
    assert activations.get(torch.sin) is torch.sin
    assert activations.get("ReLU") is activations.relu
    assert activations.get("swish") is activations.silu


def test_unknown_names_are_listed() -> None:
    with pytest.raises(ValueError, match=r"Unknown activation: 'rleu'\. Known activations: .*relu"):
        activations.get("rleu")
    with pytest.raises(TypeError, match="activation must be a name"):
        activations.get(3)  # type: ignore[arg-type]


def test_serialize_gives_registered_names_and_round_trips() -> None:
    for name in ("tanh", "sigmoid", "relu", "hard_sigmoid", "linear", "softmax"):
        assert activations.serialize(activations.get(name)) == name
    # Keras 3 registers swish as an alias of silu, so silu is the saved name.
    assert activations.serialize(activations.get("swish")) == "silu"

    def custom(x: torch.Tensor) -> torch.Tensor:
        return x * 2

    assert activations.serialize(custom) is custom
    assert activations.get(activations.serialize(custom)) is custom
