"""Optimizers with Keras 3's defaults and update formulas, stepping all weights at once.

Each ``apply`` updates every parameter with a handful of multi-tensor ``torch._foreach_*`` calls
(one kernel launch per operation for all weights, not a Python loop over them), because on the
small models lstmkit's users train the optimizer step runs thousands of times a second.

The formulas are Keras's, not ``torch.optim``'s: for example Keras's Adam adds ``epsilon`` to
``sqrt(v)`` before the bias correction of the step size, and Keras's RMSprop puts ``epsilon``
inside the square root. ``lr=`` (Keras 2) is accepted beside ``learning_rate=``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from lstmkit._registry import lookup

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Adamax",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "serialize",
]

Tensors = list[torch.Tensor]


class Optimizer:
    """Base class. Subclasses declare their hyper-parameters in ``hyperparameters`` (with Keras's
    defaults in their ``__init__``), allocate slots in :meth:`build_slots` and update in
    :meth:`update`.

    Args:
        learning_rate: step size; ``lr`` is the Keras 2 spelling of the same.
        clipnorm: clip each gradient tensor to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
    """

    hyperparameters: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        learning_rate: float,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "lr" in kwargs:
            lr = kwargs.pop("lr")
            if learning_rate is not _DEFAULT and learning_rate != lr:
                raise ValueError(
                    f"{type(self).__name__} got both lr={lr!r} and "
                    f"learning_rate={learning_rate!r}; lr is the Keras 2 spelling: give one"
                )
            learning_rate = lr
        if "decay" in kwargs:
            raise TypeError(
                f"{type(self).__name__} does not take decay= (Keras 2's time-based decay, removed "
                "in Keras 3); lower the learning rate with a LearningRateScheduler callback"
            )
        if kwargs:
            accepted = [
                "learning_rate",
                "lr",
                *self.hyperparameters,
                "clipnorm",
                "clipvalue",
                "global_clipnorm",
                "name",
            ]
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) "
                f"{', '.join(sorted(kwargs))}; it accepts {', '.join(accepted)}"
            )
        if learning_rate is _DEFAULT:
            learning_rate = self.default_learning_rate
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("give clipnorm or global_clipnorm, not both")
        self.learning_rate = learning_rate
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.name = name or _snake(type(self).__name__)
        self.iterations = 0
        self._params: Tensors = []

    default_learning_rate: ClassVar[float] = 0.001

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(
                f"{type(self).__name__} expects a non-negative learning_rate; got {value!r}"
            )
        self._learning_rate = float(value)

    # Keras 2 code reads and sets ``optimizer.lr``.
    lr = learning_rate

    def build(self, params: Tensors) -> None:
        """Take the parameters to update and allocate the optimizer's state for them."""
        self._params = list(params)
        self.iterations = 0
        with torch.no_grad():
            self.build_slots(self._params)

    def build_slots(self, params: Tensors) -> None:
        """Allocate per-parameter state; nothing by default."""

    def apply(self, grads: Tensors) -> None:
        """Update the built parameters in place with ``grads`` (same order and shapes)."""
        with torch.no_grad():
            grads = self._clip(grads)
            self.iterations += 1
            self.update(self._params, grads)

    def update(self, params: Tensors, grads: Tensors) -> None:
        """Apply one step of the optimizer's formula; every subclass defines it."""
        raise TypeError(f"{type(self).__name__} does not define update()")

    def get_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments."""
        config: dict[str, Any] = {"name": self.name, "learning_rate": self.learning_rate}
        for key in self.hyperparameters:
            config[key] = getattr(self, key)
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate:g})"

    def _clip(self, grads: Tensors) -> Tensors:
        if self.clipvalue is not None:
            grads = [g.clamp(-self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            norms = torch._foreach_norm(grads)
            grads = [
                g * (self.clipnorm / torch.clamp(n, min=self.clipnorm))
                for g, n in zip(grads, norms, strict=True)
            ]
        if self.global_clipnorm is not None:
            total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            scale = self.global_clipnorm / torch.clamp(total, min=self.global_clipnorm)
            grads = torch._foreach_mul(grads, scale)
        return grads


class _Default:
    def __repr__(self) -> str:
        return "default"


_DEFAULT: Any = _Default()


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


class SGD(Optimizer):
    """Keras's SGD: ``m = momentum * m - lr * g``; ``w += m`` (Nesterov:
    ``w += momentum * m - lr * g``); plain ``w -= lr * g`` without momentum."""

    hyperparameters = ("momentum", "nesterov")
    default_learning_rate = 0.01

    def __init__(
        self,
        learning_rate: float = _DEFAULT,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD expects 0 <= momentum <= 1; got momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def build_slots(self, params: Tensors) -> None:
        self.velocities = [torch.zeros_like(p) for p in params] if self.momentum else []

    def update(self, params: Tensors, grads: Tensors) -> None:
        lr = self.learning_rate
        if not self.momentum:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        torch._foreach_mul_(self.velocities, self.momentum)
        torch._foreach_add_(self.velocities, grads, alpha=-lr)
        if self.nesterov:
            torch._foreach_add_(params, self.velocities, alpha=self.momentum)
            torch._foreach_add_(params, grads, alpha=-lr)
        else:
            torch._foreach_add_(params, self.velocities)


class _Moments(Optimizer):
    """The Adam family's hyper-parameters, with Keras's defaults."""

    hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        learning_rate: float = _DEFAULT,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon


class Adam(_Moments):
    """Keras's Adam: ``m += (1 - beta_1) * (g - m)``; ``v += (1 - beta_2) * (g² - v)``;
    ``w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)``
    (AMSGrad divides by the running maximum of ``v``)."""

    hyperparameters = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(
        self,
        learning_rate: float = _DEFAULT,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = amsgrad

    def build_slots(self, params: Tensors) -> None:
        self.momentums = [torch.zeros_like(p) for p in params]
        self.velocities = [torch.zeros_like(p) for p in params]
        self.velocity_hats = [torch.zeros_like(p) for p in params] if self.amsgrad else []

    def update(self, params: Tensors, grads: Tensors) -> None:
        t = self.iterations
        alpha = self.learning_rate * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        torch._foreach_lerp_(self.momentums, grads, 1 - self.beta_1)
        torch._foreach_mul_(self.velocities, self.beta_2)
        torch._foreach_addcmul_(self.velocities, grads, grads, value=1 - self.beta_2)
        velocities = self.velocities
        if self.amsgrad:
            torch._foreach_maximum_(self.velocity_hats, self.velocities)
            velocities = self.velocity_hats
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(params, self.momentums, denominators, value=-alpha)


class RMSprop(Optimizer):
    """Keras's RMSprop: ``v = rho * v + (1 - rho) * g²``;
    ``w -= lr * g / sqrt(v + epsilon)`` (centered: ``v - mean_g²`` under the root; with momentum
    the increment feeds a velocity)."""

    hyperparameters = ("rho", "momentum", "epsilon", "centered")

    def __init__(
        self,
        learning_rate: float = _DEFAULT,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build_slots(self, params: Tensors) -> None:
        self.velocities = [torch.zeros_like(p) for p in params]
        self.average_gradients = [torch.zeros_like(p) for p in params] if self.centered else []
        self.momentums = [torch.zeros_like(p) for p in params] if self.momentum else []

    def update(self, params: Tensors, grads: Tensors) -> None:
        lr, rho = self.learning_rate, self.rho
        torch._foreach_mul_(self.velocities, rho)
        torch._foreach_addcmul_(self.velocities, grads, grads, value=1 - rho)
        if self.centered:
            torch._foreach_lerp_(self.average_gradients, grads, 1 - rho)
            denominators = torch._foreach_addcmul(
                self.velocities, self.average_gradients, self.average_gradients, value=-1
            )
            torch._foreach_add_(denominators, self.epsilon)
        else:
            denominators = torch._foreach_add(self.velocities, self.epsilon)
        torch._foreach_sqrt_(denominators)
        if self.momentum:
            torch._foreach_mul_(self.momentums, self.momentum)
            torch._foreach_addcdiv_(self.momentums, grads, denominators, value=lr)
            torch._foreach_sub_(params, self.momentums)
        else:
            torch._foreach_addcdiv_(params, grads, denominators, value=-lr)


class Adagrad(Optimizer):
    """Keras's Adagrad: ``a += g²``; ``w -= lr * g / sqrt(a + epsilon)``, ``a`` starting at
    ``initial_accumulator_value``."""

    hyperparameters = ("initial_accumulator_value", "epsilon")

    def __init__(
        self,
        learning_rate: float = _DEFAULT,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def build_slots(self, params: Tensors) -> None:
        self.accumulators = [torch.full_like(p, self.initial_accumulator_value) for p in params]

    def update(self, params: Tensors, grads: Tensors) -> None:
        torch._foreach_addcmul_(self.accumulators, grads, grads)
        denominators = torch._foreach_add(self.accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_addcdiv_(params, grads, denominators, value=-self.learning_rate)


class Adadelta(Optimizer):
    """Keras's Adadelta: ``a = rho * a + (1 - rho) * g²``;
    ``d = -sqrt(s + epsilon) / sqrt(a + epsilon) * g``; ``s = rho * s + (1 - rho) * d²``;
    ``w += lr * d``."""

    hyperparameters = ("rho", "epsilon")

    def __init__(
        self,
        learning_rate: float = _DEFAULT,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def build_slots(self, params: Tensors) -> None:
        self.accumulated_grads = [torch.zeros_like(p) for p in params]
        self.accumulated_deltas = [torch.zeros_like(p) for p in params]

    def update(self, params: Tensors, grads: Tensors) -> None:
        rho, eps = self.rho, self.epsilon
        torch._foreach_mul_(self.accumulated_grads, rho)
        torch._foreach_addcmul_(self.accumulated_grads, grads, grads, value=1 - rho)
        numerators = torch._foreach_add(self.accumulated_deltas, eps)
        torch._foreach_sqrt_(numerators)
        denominators = torch._foreach_add(self.accumulated_grads, eps)
        torch._foreach_sqrt_(denominators)
        deltas = torch._foreach_mul(grads, numerators)
        torch._foreach_div_(deltas, denominators)
        torch._foreach_neg_(deltas)
        torch._foreach_mul_(self.accumulated_deltas, rho)
        torch._foreach_addcmul_(self.accumulated_deltas, deltas, deltas, value=1 - rho)
        torch._foreach_add_(params, deltas, alpha=self.learning_rate)


class Adamax(_Moments):
    """Keras's Adamax: ``m += (1 - beta_1) * (g - m)``; ``u = max(beta_2 * u, |g|)``;
    ``w -= lr / (1 - beta_1^t) * m / (u + epsilon)``."""

    def build_slots(self, params: Tensors) -> None:
        self.momentums = [torch.zeros_like(p) for p in params]
        self.norms = [torch.zeros_like(p) for p in params]

    def update(self, params: Tensors, grads: Tensors) -> None:
        t = self.iterations
        torch._foreach_lerp_(self.momentums, grads, 1 - self.beta_1)
        torch._foreach_mul_(self.norms, self.beta_2)
        torch._foreach_maximum_(self.norms, torch._foreach_abs(grads))
        denominators = torch._foreach_add(self.norms, self.epsilon)
        step = self.learning_rate / (1 - self.beta_1**t)
        torch._foreach_addcdiv_(params, self.momentums, denominators, value=-step)


class Nadam(_Moments):
    """Keras 3's Nadam: Adam with Nesterov momentum and the momentum schedule
    ``u_t = beta_1 * (1 - 0.5 * 0.96^t)`` (Keras 2 used ``0.96^(0.004 t)``)."""

    def build_slots(self, params: Tensors) -> None:
        self.momentums = [torch.zeros_like(p) for p in params]
        self.velocities = [torch.zeros_like(p) for p in params]
        self.u_product = 1.0

    def update(self, params: Tensors, grads: Tensors) -> None:
        t, beta_1, beta_2 = self.iterations, self.beta_1, self.beta_2
        u_t = beta_1 * (1.0 - 0.5 * 0.96**t)
        u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product_t = self.u_product * u_t
        u_product_t_1 = u_product_t * u_t_1
        self.u_product = u_product_t
        torch._foreach_lerp_(self.momentums, grads, 1 - beta_1)
        torch._foreach_mul_(self.velocities, beta_2)
        torch._foreach_addcmul_(self.velocities, grads, grads, value=1 - beta_2)
        m_hat = torch._foreach_mul(self.momentums, u_t_1 / (1 - u_product_t_1))
        torch._foreach_add_(m_hat, grads, alpha=(1 - u_t) / (1 - u_product_t))
        denominators = torch._foreach_div(self.velocities, 1 - beta_2**t)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(params, m_hat, denominators, value=-self.learning_rate)


_OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adamax": Adamax,
    "nadam": Nadam,
}


def get(identifier: str | Optimizer | dict[str, Any]) -> Optimizer:
    """An optimizer from a name (a fresh instance with Keras's defaults), a config dict
    ``{"class_name": ..., "config": {...}}`` or an instance (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return lookup("optimizer", identifier, _OPTIMIZERS)()
    raise TypeError(
        f"optimizer must be a name such as 'adam' or an Optimizer; got {type(identifier).__name__}"
    )


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict[str, Any]) -> Optimizer:
    cls = lookup("optimizer", str(config.get("class_name", "")), _OPTIMIZERS)
    return cls(**config.get("config", {}))
