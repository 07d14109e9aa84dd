"""Weight initialisers with Keras 3's defaults, formulas and fan rules.

``init(shape, dtype)`` returns a new tensor. ``seed=None`` draws from PyTorch's global generator
(which :func:`lstmkit.utils.set_random_seed` seeds); an integer seed gives a private generator, so
the same initialiser gives the same values on every call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import torch

from lstmkit._registry import lookup

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "get",
    "serialize",
]

Shape = tuple[int, ...]
InitializerFunction = Callable[..., torch.Tensor]


def compute_fans(shape: Shape) -> tuple[int, int]:
    """Keras's fan-in and fan-out: ``(rows, cols)`` for a matrix, the receptive field times the
    last two dimensions for convolution kernels, the size itself for a vector."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: ``__call__(shape, dtype) -> tensor``, ``get_config()``, ``from_config()``."""

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} does not define __call__")

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Seeded(Initializer):
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def _generator(self) -> torch.Generator | None:
        return None if self.seed is None else torch.Generator().manual_seed(int(self.seed))

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class Zeros(Initializer):
    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.zeros(shape, dtype=dtype)


class Ones(Initializer):
    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.ones(shape, dtype=dtype)


class Constant(Initializer):
    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.full(shape, float(self.value), dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class RandomUniform(_Seeded):
    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        out = torch.empty(shape, dtype=dtype)
        return out.uniform_(self.minval, self.maxval, generator=self._generator())

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class RandomNormal(_Seeded):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        out = torch.empty(shape, dtype=dtype)
        return out.normal_(self.mean, self.stddev, generator=self._generator())

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


def _truncated_normal(
    shape: Shape, mean: float, stddev: float, dtype: torch.dtype, generator: torch.Generator | None
) -> torch.Tensor:
    """Normal values redrawn until within two standard deviations, as Keras's does."""
    out = torch.empty(shape, dtype=dtype)
    torch.nn.init.trunc_normal_(out, 0.0, 1.0, -2.0, 2.0, generator=generator)
    return out.mul_(stddev).add_(mean)


class TruncatedNormal(_Seeded):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return _truncated_normal(shape, self.mean, self.stddev, dtype, self._generator())

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class VarianceScaling(_Seeded):
    """Keras's family: ``scale / fan`` with ``fan`` from ``mode`` (fan_in, fan_out, fan_avg);
    uniform within ``sqrt(3 * scale / fan)``, normal with ``sqrt(scale / fan)``, or truncated
    normal with that divided by 0.8796 (the stddev of a unit normal truncated at ±2)."""

    modes: ClassVar[tuple[str, ...]] = ("fan_in", "fan_out", "fan_avg")
    distributions: ClassVar[tuple[str, ...]] = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"VarianceScaling expects scale > 0; got scale={scale!r}")
        if mode not in self.modes:
            raise ValueError(f"VarianceScaling mode must be one of {self.modes}; got {mode!r}")
        if distribution not in self.distributions:
            raise ValueError(
                f"VarianceScaling distribution must be one of {self.distributions}; "
                f"got {distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        fan_in, fan_out = compute_fans(tuple(shape))
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        generator = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return torch.empty(shape, dtype=dtype).uniform_(-limit, limit, generator=generator)
        if self.distribution == "untruncated_normal":
            stddev = math.sqrt(variance)
            return torch.empty(shape, dtype=dtype).normal_(0.0, stddev, generator=generator)
        stddev = math.sqrt(variance) / 0.87962566103423978
        return _truncated_normal(shape, 0.0, stddev, dtype, generator)

    def get_config(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
        }


class GlorotUniform(VarianceScaling):
    """Glorot (Xavier) uniform: limit ``sqrt(6 / (fan_in + fan_out))``."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class GlorotNormal(VarianceScaling):
    """Glorot (Xavier) truncated normal: stddev ``sqrt(2 / (fan_in + fan_out))``."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class HeUniform(VarianceScaling):
    """He uniform: limit ``sqrt(6 / fan_in)``."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(2.0, "fan_in", "uniform", seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class HeNormal(VarianceScaling):
    """He truncated normal: stddev ``sqrt(2 / fan_in)``."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal", seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class LecunUniform(VarianceScaling):
    """LeCun uniform: limit ``sqrt(3 / fan_in)``."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(1.0, "fan_in", "uniform", seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class LecunNormal(VarianceScaling):
    """LeCun truncated normal: stddev ``sqrt(1 / fan_in)``."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(1.0, "fan_in", "truncated_normal", seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class Orthogonal(_Seeded):
    """Keras's orthogonal initialiser: flatten to ``(prod(shape[:-1]), shape[-1])``, take the Q of
    the QR decomposition of a normal matrix (drawn transposed when there are fewer rows than
    columns), fix its signs by ``diag(R)``, and scale by ``gain``. An LSTM recurrent kernel
    ``(u, 4u)`` gets orthonormal rows."""

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of at least 2 dimensions; got {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = torch.empty(flat, dtype=torch.float64).normal_(generator=self._generator())
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).to(dtype).contiguous()

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape; got {shape}")
        return self.gain * torch.eye(*shape, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


_INITIALIZERS: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_uniform": RandomUniform,
    "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    "identity": Identity,
}
_BY_CLASS_NAME = {cls.__name__.lower(): cls for cls in _INITIALIZERS.values()}


def get(identifier: str | Initializer | dict[str, Any] | InitializerFunction | None) -> Any:
    """An initialiser from a name (``'glorot_uniform'``), a class name (``'GlorotUniform'``), a
    config ``{"class_name": ..., "config": {...}}``, an instance, or a function
    ``f(shape, dtype)``. ``None`` means zeros."""
    if identifier is None:
        return Zeros()
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        table = {**_INITIALIZERS, **_BY_CLASS_NAME}
        return lookup("initializer", identifier, table)()
    if isinstance(identifier, dict):
        cls = lookup("initializer", str(identifier.get("class_name", "")), _BY_CLASS_NAME)
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(
        f"an initializer must be a name, an Initializer or a function f(shape, dtype); "
        f"got {type(identifier).__name__}"
    )


def serialize(initializer: Any) -> dict[str, Any]:
    """``{"class_name": ..., "config": {...}}`` for a built-in initialiser."""
    if (
        not isinstance(initializer, Initializer)
        or type(initializer).__name__.lower() not in _BY_CLASS_NAME
    ):
        raise ValueError(
            f"initializer {initializer!r} is not a built-in one, so it cannot be saved by name"
        )
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
