"""Activation functions by name, as Keras 3 defines them.

Each maps a tensor to a tensor of the same shape (``softmax`` and ``log_softmax`` normalise over
``axis``, the last one by default). The optional arguments and their defaults are Keras 3's
(``keras.activations``), which differ from Keras 2 in two places: ``hard_sigmoid`` is
``relu6(x + 3) / 6`` (Keras 2: ``clip(0.2 x + 0.5, 0, 1)``) and ``leaky_relu`` has
``negative_slope=0.2`` (Keras 2's ``LeakyReLU`` layer: ``alpha=0.3``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from lstmkit._registry import lookup

__all__ = [
    "celu",
    "elu",
    "exponential",
    "gelu",
    "get",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
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
    """The identity: ``x`` unchanged."""
    return x


def relu(
    x: torch.Tensor,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> torch.Tensor:
    """``max(x, 0)``; with Keras's options, ``negative_slope * (x - threshold)`` below
    ``threshold`` and at most ``max_value``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return torch.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return F.leaky_relu(x, negative_slope)
    # Keras 3's ReLU.static_call: the positive part, clipped, minus the scaled negative part.
    positive = torch.where(x > threshold, x, torch.zeros_like(x)) if threshold else torch.relu(x)
    if max_value is not None:
        positive = torch.clamp(positive, 0.0, float(max_value))
    if negative_slope != 0.0:
        positive = positive - negative_slope * torch.relu(threshold - x)
    return positive


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """``1 / (1 + exp(-x))``."""
    return torch.sigmoid(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """The hyperbolic tangent."""
    return torch.tanh(x)


def softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """``exp(x) / sum(exp(x))`` over ``axis``."""
    return torch.softmax(x, dim=axis)


def log_softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """``log(softmax(x))`` over ``axis``, computed stably."""
    return torch.log_softmax(x, dim=axis)


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Keras 3's piecewise-linear sigmoid, ``relu6(x + 3) / 6``: 0 below -3, 1 above 3."""
    return F.hardsigmoid(x)


def hard_silu(x: torch.Tensor) -> torch.Tensor:
    """``x * hard_sigmoid(x)`` (also called ``hard_swish``)."""
    return F.hardswish(x)


hard_swish = hard_silu


def hard_tanh(x: torch.Tensor) -> torch.Tensor:
    """``clip(x, -1, 1)``."""
    return F.hardtanh(x)


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return F.elu(x, alpha)


def celu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return F.celu(x, alpha)


def selu(x: torch.Tensor) -> torch.Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return F.selu(x)


def softplus(x: torch.Tensor) -> torch.Tensor:
    """``log(1 + exp(x))``."""
    return F.softplus(x)


def softsign(x: torch.Tensor) -> torch.Tensor:
    """``x / (1 + |x|)``."""
    return F.softsign(x)


def exponential(x: torch.Tensor) -> torch.Tensor:
    """``exp(x)``."""
    return torch.exp(x)


def silu(x: torch.Tensor) -> torch.Tensor:
    """``x * sigmoid(x)`` (also called ``swish``)."""
    return F.silu(x)


swish = silu


def gelu(x: torch.Tensor, approximate: bool = False) -> torch.Tensor:
    """Gaussian error linear unit; Keras's default is the exact (erf) form, ``approximate=True``
    the tanh one."""
    return F.gelu(x, approximate="tanh" if approximate else "none")


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.2) -> torch.Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x`` (Keras 3's default slope, 0.2)."""
    return F.leaky_relu(x, negative_slope)


def relu6(x: torch.Tensor) -> torch.Tensor:
    """``min(max(x, 0), 6)``."""
    return F.relu6(x)


def log_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """``log(sigmoid(x))``, computed stably."""
    return F.logsigmoid(x)


def mish(x: torch.Tensor) -> torch.Tensor:
    """``x * tanh(softplus(x))``."""
    return F.mish(x)


# Keras 3's registry: every function under its own name, plus the aliases ``swish`` and
# ``hard_swish``. The canonical name comes first so that ``serialize`` returns it.
_ACTIVATIONS: dict[str, Activation] = {
    "linear": linear,
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_swish,
    "hard_tanh": hard_tanh,
    "elu": elu,
    "celu": celu,
    "selu": selu,
    "softplus": softplus,
    "softsign": softsign,
    "exponential": exponential,
    "silu": silu,
    "swish": swish,
    "gelu": gelu,
    "leaky_relu": leaky_relu,
    "relu6": relu6,
    "log_sigmoid": log_sigmoid,
    "mish": mish,
}
_NAMES: dict[Activation, str] = {}
for _name, _fn in _ACTIVATIONS.items():
    _NAMES.setdefault(_fn, _name)
del _name, _fn


def get(identifier: str | Activation | None) -> Activation:
    """The activation called ``identifier`` (any case); ``None`` means :func:`linear`; a callable
    is returned as it is. An unknown name raises ``ValueError`` listing the known ones."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return lookup("activation", identifier, _ACTIVATIONS)
    if callable(identifier):
        return identifier
    raise TypeError(
        f"activation must be a name such as 'tanh', a callable or None; "
        f"got {type(identifier).__name__}"
    )


def serialize(activation: Activation) -> str | Activation:
    """The registered name of a built-in activation (``silu`` for ``swish``, as Keras 3), so a
    layer's config is JSON-safe; any other callable is returned as it is, which :func:`get`
    accepts back."""
    try:
        return _NAMES.get(activation, activation)
    except TypeError:  # an unhashable callable object cannot be a built-in
        return activation
