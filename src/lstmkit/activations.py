"""Activation functions by name, as Keras 3 defines them; each maps a tensor to a tensor of the
same shape (``softmax`` and ``log_softmax`` over the last axis)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from lstmkit._registry import lookup

__all__ = [
    "elu",
    "exponential",
    "gelu",
    "get",
    "hard_sigmoid",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
]

Activation = Callable[[torch.Tensor], torch.Tensor]


def linear(x: torch.Tensor) -> torch.Tensor:
    return x


def relu(x: torch.Tensor) -> torch.Tensor:
    return torch.relu(x)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x)


def softmax(x: torch.Tensor) -> torch.Tensor:
    return torch.softmax(x, dim=-1)


def log_softmax(x: torch.Tensor) -> torch.Tensor:
    return torch.log_softmax(x, dim=-1)


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Keras 3's definition, ``relu6(x + 3) / 6`` (Keras 2 used ``clip(0.2 x + 0.5, 0, 1)``)."""
    return F.relu6(x + 3.0) / 6.0


def elu(x: torch.Tensor) -> torch.Tensor:
    return F.elu(x)


def selu(x: torch.Tensor) -> torch.Tensor:
    return F.selu(x)


def softplus(x: torch.Tensor) -> torch.Tensor:
    return F.softplus(x)


def softsign(x: torch.Tensor) -> torch.Tensor:
    return F.softsign(x)


def exponential(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(x)


def swish(x: torch.Tensor) -> torch.Tensor:
    return F.silu(x)


silu = swish


def gelu(x: torch.Tensor) -> torch.Tensor:
    """Keras 3's default is the exact (erf) form."""
    return F.gelu(x)


def leaky_relu(x: torch.Tensor) -> torch.Tensor:
    """Keras 3's default ``negative_slope=0.2``."""
    return F.leaky_relu(x, 0.2)


def relu6(x: torch.Tensor) -> torch.Tensor:
    return F.relu6(x)


def mish(x: torch.Tensor) -> torch.Tensor:
    return F.mish(x)


_ACTIVATIONS: dict[str, Activation] = {
    "linear": linear,
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "hard_sigmoid": hard_sigmoid,
    "elu": elu,
    "selu": selu,
    "softplus": softplus,
    "softsign": softsign,
    "exponential": exponential,
    "swish": swish,
    "silu": silu,
    "gelu": gelu,
    "leaky_relu": leaky_relu,
    "relu6": relu6,
    "mish": mish,
}
_NAMES = {fn: name for name, fn in _ACTIVATIONS.items() if name != "silu"}


def get(identifier: str | Activation | None) -> Activation:
    """The activation called ``identifier`` (``None`` means linear); a callable is returned as
    it is."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return lookup("activation", identifier, _ACTIVATIONS)
    if callable(identifier):
        return identifier
    raise TypeError(
        f"activation must be a name such as 'tanh' or a callable; got {type(identifier).__name__}"
    )


def serialize(activation: Activation) -> str:
    """The registered name of a built-in activation, for JSON configs."""
    name = _NAMES.get(activation)
    if name is None:
        raise ValueError(
            f"activation {activation!r} is not a built-in one, so it cannot be saved by name"
        )
    return name
