"""Weight initialisers with Keras 3's defaults, formulas and fan rules.

``init(shape, dtype)`` returns a new tensor of that shape. ``seed=None`` draws from PyTorch's
global generator (which :func:`lstmkit.utils.set_random_seed` and ``torch.manual_seed`` seed); an
integer seed gives a private generator seeded afresh on every call, so a seeded initialiser returns
the same values every time, as Keras 3 documents.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
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

# The standard deviation of a unit normal truncated to [-2, 2]; Keras divides by it so that a
# truncated draw keeps the intended variance.
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(shape: Shape) -> tuple[int, int]:
    """Keras's ``(fan_in, fan_out)``: ``(1, 1)`` for a scalar, ``(n, n)`` for a vector of ``n``,
    ``(rows, cols)`` for a matrix, and for ``k`` ≥ 3 dimensions (convolution kernels) the last two
    dimensions times the receptive field ``prod(shape[:-2])``."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class Initializer:
    """Base class: ``init(shape, dtype) -> tensor``; ``get_config()`` gives the constructor's
    arguments and ``from_config(config)`` rebuilds the initialiser from them."""

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define __call__(shape, dtype)")

    def get_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """The initialiser that ``get_config`` describes."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Seeded(Initializer):
    """An initialiser that draws random numbers, reproducibly when given an integer ``seed``."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise ValueError(f"seed must be an integer or None; got seed={seed!r}")
        self.seed = None if seed is None else int(seed)

    def _generator(self) -> torch.Generator | None:
        # A fresh generator per call: the same seed gives the same values on every call.
        return None if self.seed is None else torch.Generator().manual_seed(self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


def _check_shape(shape: Shape) -> Shape:
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"an initializer needs non-negative dimensions; got shape {shape}")
    return shape


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.zeros(_check_shape(shape), dtype=dtype)


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.ones(_check_shape(shape), dtype=dtype)


class Constant(Initializer):
    """Every element equal to ``value`` (Keras default 0.0)."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = float(value)

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.full(_check_shape(shape), self.value, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class RandomUniform(_Seeded):
    """Uniform on ``[minval, maxval)``; Keras defaults ``-0.05`` and ``0.05``."""

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        out = torch.empty(_check_shape(shape), dtype=dtype)
        return out.uniform_(self.minval, self.maxval, generator=self._generator())

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class RandomNormal(_Seeded):
    """Normal with ``mean`` and ``stddev``; Keras defaults 0.0 and 0.05."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        out = torch.empty(_check_shape(shape), dtype=dtype)
        return out.normal_(self.mean, self.stddev, generator=self._generator())

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


def _truncated_normal(
    shape: Shape, mean: float, stddev: float, dtype: torch.dtype, generator: torch.Generator | None
) -> torch.Tensor:
    """Normal values, those more than two standard deviations from the mean redrawn (Keras's
    ``random.truncated_normal``)."""
    out = torch.empty(_check_shape(shape), dtype=dtype)
    torch.nn.init.trunc_normal_(out, 0.0, 1.0, -2.0, 2.0, generator=generator)
    return out.mul_(stddev).add_(mean)


class TruncatedNormal(_Seeded):
    """Normal with ``mean`` and ``stddev`` truncated to ``mean ± 2 stddev``; Keras defaults 0.0
    and 0.05."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return _truncated_normal(shape, self.mean, self.stddev, dtype, self._generator())

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class VarianceScaling(_Seeded):
    """Keras's family: variance ``scale / fan`` with ``fan`` chosen by ``mode`` (``fan_in``,
    ``fan_out`` or ``fan_avg``, each at least 1). ``uniform`` draws within
    ``± sqrt(3 * scale / fan)``; ``untruncated_normal`` has stddev ``sqrt(scale / fan)``;
    ``truncated_normal`` (also spelt ``normal``) that stddev divided by 0.8796, truncated at two
    of its deviations."""

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
        if not scale > 0:
            raise ValueError(f"VarianceScaling expects scale > 0; got scale={scale!r}")
        if mode not in self.modes:
            raise ValueError(f"VarianceScaling mode must be one of {self.modes}; got {mode!r}")
        distribution = str(distribution).lower()
        if distribution == "normal":  # Keras's alias
            distribution = "truncated_normal"
        if distribution not in self.distributions:
            raise ValueError(
                f"VarianceScaling distribution must be one of {self.distributions}; "
                f"got {distribution!r}"
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        shape = _check_shape(shape)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        generator = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return torch.empty(shape, dtype=dtype).uniform_(-limit, limit, generator=generator)
        if self.distribution == "untruncated_normal":
            stddev = math.sqrt(variance)
            return torch.empty(shape, dtype=dtype).normal_(0.0, stddev, generator=generator)
        stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
        return _truncated_normal(shape, 0.0, stddev, dtype, generator)

    def get_config(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
        }


class _FixedVarianceScaling(VarianceScaling):
    """A named member of the family: only ``seed`` is an argument."""

    scale_mode_distribution: ClassVar[tuple[float, str, str]]

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(*self.scale_mode_distribution, seed=seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: within ``± sqrt(6 / (fan_in + fan_out))``. Keras's default
    kernel initialiser."""

    scale_mode_distribution = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) truncated normal: stddev ``sqrt(2 / (fan_in + fan_out))``."""

    scale_mode_distribution = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: within ``± sqrt(6 / fan_in)``."""

    scale_mode_distribution = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """He truncated normal: stddev ``sqrt(2 / fan_in)``."""

    scale_mode_distribution = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: within ``± sqrt(3 / fan_in)``."""

    scale_mode_distribution = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun truncated normal: stddev ``sqrt(1 / fan_in)``."""

    scale_mode_distribution = (1.0, "fan_in", "truncated_normal")


class Orthogonal(_Seeded):
    """Keras 3's orthogonal initialiser (the default recurrent kernel initialiser).

    The shape is flattened to ``(rows, cols) = (prod(shape[:-1]), shape[-1])``; a normal matrix of
    shape ``(max(rows, cols), min(rows, cols))`` is drawn, its QR decomposition taken, Q's columns
    multiplied by the signs of ``diag(R)`` (so the result is uniformly distributed), Q transposed
    back when ``rows < cols``, and the result scaled by ``gain``. An LSTM recurrent kernel
    ``(u, 4u)`` therefore has orthonormal rows: ``W @ W.T = gain² I``.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        shape = _check_shape(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal needs a shape of at least 2 dimensions; got {shape} of rank "
                f"{len(shape)}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        # Drawn and decomposed in float64 so that float32 results are orthonormal to rounding.
        a = torch.empty((max(rows, cols), min(rows, cols)), dtype=torch.float64)
        a.normal_(generator=self._generator())
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).to(dtype).contiguous()

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; ones on the main diagonal of a
    rectangular one)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        shape = _check_shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape; got {shape} of rank {len(shape)}")
        return self.gain * torch.eye(*shape, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


_CLASSES: tuple[type[Initializer], ...] = (
    Zeros,
    Ones,
    Constant,
    RandomUniform,
    RandomNormal,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LecunUniform,
    LecunNormal,
    Orthogonal,
    Identity,
)
_BY_CLASS_NAME: dict[str, type[Initializer]] = {cls.__name__: cls for cls in _CLASSES}
# Keras 3's snake-case names and its aliases (``normal``, ``uniform``, ``one``, ``zero``, and the
# legacy ``OrthogonalInitializer`` / ``IdentityInitializer`` class names).
_BY_NAME: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "zero": Zeros,
    "ones": Ones,
    "one": Ones,
    "constant": Constant,
    "random_uniform": RandomUniform,
    "uniform": RandomUniform,
    "random_normal": RandomNormal,
    "normal": RandomNormal,
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
_ALL_NAMES: dict[str, type[Initializer]] = {
    **_BY_NAME,
    **_BY_CLASS_NAME,
    "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
}


def _from_value(value: Any) -> InitializerFunction:
    """An initialiser that returns a copy of ``value`` (a tensor or array of the exact shape)."""
    tensor = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)

    def initialize(shape: Shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        if tuple(shape) != tuple(tensor.shape):
            raise ValueError(
                f"a tensor used as an initializer has shape {tuple(tensor.shape)}; "
                f"the weight needs shape {tuple(shape)}"
            )
        return tensor.detach().to(dtype).clone()

    return initialize


def get(
    identifier: str | Initializer | type[Initializer] | dict[str, Any] | InitializerFunction | None,
) -> Initializer | InitializerFunction:
    """An initialiser from a name (``'glorot_uniform'``, ``'GlorotUniform'``, any case), a config
    ``{"class_name": ..., "config": {...}}`` as :func:`serialize` writes it, an instance (returned
    as is), a class (instantiated with its defaults), a function ``f(shape, dtype)`` (returned as
    is), or a tensor/array of the weight's exact shape. ``None`` gives :class:`Zeros`."""
    if identifier is None:
        return Zeros()
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return lookup("initializer", identifier, _ALL_NAMES)()
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError(
                f"an initializer config needs 'class_name' and 'config' keys; got {identifier!r}"
            )
        cls = lookup("initializer", str(identifier["class_name"]), _ALL_NAMES)
        return cls.from_config(dict(identifier.get("config") or {}))
    if inspect.isclass(identifier) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, torch.Tensor | np.ndarray | np.generic):
        return _from_value(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        "an initializer must be a name, an Initializer, a config dict or a function "
        f"f(shape, dtype); got {type(identifier).__name__}"
    )


def serialize(
    initializer: Initializer | InitializerFunction,
) -> dict[str, Any] | InitializerFunction:
    """``{"class_name": ..., "config": {...}}`` for an :class:`Initializer` (JSON-safe, and
    :func:`get` rebuilds a built-in one from it); a plain function is returned as it is."""
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    if callable(initializer):
        return initializer
    raise TypeError(
        f"serialize expects an Initializer or a function; got {type(initializer).__name__}"
    )
