"""The update rules, with Keras 3's formulas and defaults: SGD (momentum, Nesterov), Adam,
Adamax, Nadam, RMSprop, Adagrad, Adadelta."""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch

from lstmkit.optimizers.base import DEFAULT, Optimizer, Tensors

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "Adamax", "Nadam", "RMSprop"]


#: The smallest normal float32; its square root, ~1.1e-19, is less than half a unit in the last
#: place of any float32 epsilon from _CLAMP_EXACT_ABOVE (whose unit is 2^-60, ~8.7e-19, or more).
_SMALLEST_NORMAL = float(torch.finfo(torch.float32).tiny)
_CLAMP_EXACT_ABOVE = 1e-11


def _zeros_like(params: Tensors) -> Tensors:
    return [torch.zeros_like(p, memory_format=torch.preserve_format) for p in params]


class SGD(Optimizer):
    """Keras's SGD (defaults ``learning_rate=0.01``, ``momentum=0.0``, ``nesterov=False``).

    Without momentum ``w -= lr * g``. With momentum ``m = momentum * m - lr * g``, then
    ``w += m``, or with Nesterov ``w += momentum * m - lr * g``.
    """

    hyperparameters = ("momentum", "nesterov")
    slots = ("momentums",)
    default_learning_rate = 0.01
    adds_epsilon = False

    def __init__(
        self,
        learning_rate: float = DEFAULT,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
            raise ValueError(f"SGD expects a number 0 <= momentum <= 1; got momentum={momentum!r}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD expects 0 <= momentum <= 1; got momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build_slots(self, params: Tensors) -> None:
        self.momentums = _zeros_like(params) if self.momentum else []

    def update(self, params: Tensors, grads: Tensors) -> None:
        lr = self._learning_rate
        if not self.momentum:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        torch._foreach_mul_(self.momentums, self._scalar(self.momentum))
        torch._foreach_add_(self.momentums, grads, alpha=-lr)
        if self.nesterov:
            torch._foreach_add_(params, grads, alpha=-lr)
            torch._foreach_add_(params, self.momentums, alpha=self.momentum)
        else:
            torch._foreach_add_(params, self.momentums)


class _AdamFamily(Optimizer):
    """``beta_1``, ``beta_2`` and ``epsilon`` with Keras's defaults, and the two moments."""

    hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        learning_rate: float = DEFAULT,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        # Keras 2.2 documented epsilon=None to mean the backend's epsilon, 1e-7.
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = 1e-7 if epsilon is None else float(epsilon)

    def _update_moments(self, grads: Tensors) -> None:
        # Keras's m += (g - m) * (1 - b1), one lerp; v = b2 v + (1 - b2) g².
        torch._foreach_lerp_(self.momentums, grads, 1.0 - self.beta_1)
        torch._foreach_mul_(self.velocities, self._scalar(self.beta_2))
        torch._foreach_addcmul_(self.velocities, grads, grads, value=1.0 - self.beta_2)


class Adam(_AdamFamily):
    """Keras's Adam (defaults ``learning_rate=0.001``, ``beta_1=0.9``, ``beta_2=0.999``,
    ``epsilon=1e-7``, ``amsgrad=False``).

    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g²``;
    ``alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)``; ``w -= alpha * m / (sqrt(v) + epsilon)``.
    With ``amsgrad`` the running maximum of ``v`` replaces ``v`` in the last step.
    """

    hyperparameters = ("beta_1", "beta_2", "epsilon", "amsgrad")
    slots = ("momentums", "velocities", "velocity_hats")

    def __init__(
        self,
        learning_rate: float = DEFAULT,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = bool(amsgrad)

    def build_slots(self, params: Tensors) -> None:
        self.momentums = _zeros_like(params)
        self.velocities = _zeros_like(params)
        self.velocity_hats = _zeros_like(params) if self.amsgrad else []

    def update(self, params: Tensors, grads: Tensors) -> None:
        t = self.iterations
        alpha = self._learning_rate * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        self._update_moments(grads)
        velocities = self.velocities
        if self.amsgrad:
            torch._foreach_maximum_(self.velocity_hats, self.velocities)
            velocities = self.velocity_hats
        if self.epsilon >= _CLAMP_EXACT_ABOVE and all(v.dtype is torch.float32 for v in velocities):
            # PyTorch's CPU sqrt takes a slow path for zeros (~5 ns an element against ~0.2 in
            # torch 2.13), and a weight that never gets a gradient (the blocks between the
            # members of lstmkit.forecast.ensemble's wide networks) keeps v = 0 for good. Clamped
            # to the smallest normal float first, its root (1.1e-19) vanishes in + epsilon:
            # the denominators are bit for bit sqrt(v) + epsilon.
            denominators = torch._foreach_clamp_min(velocities, _SMALLEST_NORMAL)
            torch._foreach_sqrt_(denominators)
        else:
            denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self._ones, alpha=self.epsilon)
        torch._foreach_addcdiv_(params, self.momentums, denominators, value=-alpha)


class Adamax(_AdamFamily):
    """Keras's Adamax (defaults as Adam's): ``m = b1 m + (1 - b1) g``;
    ``u = max(b2 u, |g|)``; ``w -= lr * m / ((1 - b1^t) * (u + epsilon))``."""

    slots = ("momentums", "norms")

    def build_slots(self, params: Tensors) -> None:
        self.momentums = _zeros_like(params)
        self.norms = _zeros_like(params)

    def update(self, params: Tensors, grads: Tensors) -> None:
        t = self.iterations
        torch._foreach_lerp_(self.momentums, grads, 1.0 - self.beta_1)
        torch._foreach_mul_(self.norms, self._scalar(self.beta_2))
        torch._foreach_maximum_(self.norms, torch._foreach_abs(grads))
        denominators = torch._foreach_add(self.norms, self._ones, alpha=self.epsilon)
        step = self._learning_rate / (1.0 - self.beta_1**t)
        torch._foreach_addcdiv_(params, self.momentums, denominators, value=-step)


class Nadam(_AdamFamily):
    """Keras 3's Nadam (defaults as Adam's): Adam with Nesterov momentum and the momentum schedule
    ``u_t = b1 * (1 - 0.5 * 0.96^t)`` (Keras 2 used ``0.96^(0.004 t)``).

    ``m_hat = u_{t+1} m / (1 - prod u_1..u_{t+1}) + (1 - u_t) g / (1 - prod u_1..u_t)``;
    ``v_hat = v / (1 - b2^t)``; ``w -= lr * m_hat / (sqrt(v_hat) + epsilon)``.
    """

    slots = ("momentums", "velocities")
    scalar_slots = ("u_product",)

    def build_slots(self, params: Tensors) -> None:
        self.momentums = _zeros_like(params)
        self.velocities = _zeros_like(params)
        self.u_product = 1.0

    def update(self, params: Tensors, grads: Tensors) -> None:
        t, beta_1 = self.iterations, self.beta_1
        u_t = beta_1 * (1.0 - 0.5 * 0.96**t)
        u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product_t = self.u_product * u_t
        u_product_t_1 = u_product_t * u_t_1
        self.u_product = u_product_t
        self._update_moments(grads)
        m_hat = torch._foreach_mul(self.momentums, self._scalar(u_t_1 / (1.0 - u_product_t_1)))
        torch._foreach_add_(m_hat, grads, alpha=(1.0 - u_t) / (1.0 - u_product_t))
        denominators = torch._foreach_mul(
            self.velocities, self._scalar(1.0 / (1.0 - self.beta_2**t))
        )
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self._ones, alpha=self.epsilon)
        torch._foreach_addcdiv_(params, m_hat, denominators, value=-self._learning_rate)


class RMSprop(Optimizer):
    """Keras's RMSprop (defaults ``learning_rate=0.001``, ``rho=0.9``, ``momentum=0.0``,
    ``epsilon=1e-7``, ``centered=False``).

    ``v = rho v + (1 - rho) g²``; ``increment = lr * g / sqrt(v + epsilon)`` (centered:
    ``sqrt(v - mg² + epsilon)`` with ``mg = rho mg + (1 - rho) g``); ``w -= increment``, or with
    momentum ``mom = momentum * mom + increment``, ``w -= mom``.
    """

    hyperparameters = ("rho", "momentum", "epsilon", "centered")
    slots = ("velocities", "average_gradients", "momentums")

    def __init__(
        self,
        learning_rate: float = DEFAULT,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float | None = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = 1e-7 if epsilon is None else float(epsilon)
        self.centered = bool(centered)

    def build_slots(self, params: Tensors) -> None:
        self.velocities = _zeros_like(params)
        self.average_gradients = _zeros_like(params) if self.centered else []
        self.momentums = _zeros_like(params) if self.momentum > 0 else []

    def update(self, params: Tensors, grads: Tensors) -> None:
        lr, rho = self._learning_rate, self.rho
        torch._foreach_mul_(self.velocities, self._scalar(rho))
        torch._foreach_addcmul_(self.velocities, grads, grads, value=1.0 - rho)
        denominators = torch._foreach_add(self.velocities, self._ones, alpha=self.epsilon)
        if self.centered:
            torch._foreach_lerp_(self.average_gradients, grads, 1.0 - rho)
            torch._foreach_addcmul_(
                denominators, self.average_gradients, self.average_gradients, value=-1.0
            )
        torch._foreach_sqrt_(denominators)
        if self.momentum > 0:
            torch._foreach_mul_(self.momentums, self._scalar(self.momentum))
            torch._foreach_addcdiv_(self.momentums, grads, denominators, value=lr)
            torch._foreach_sub_(params, self.momentums)
        else:
            torch._foreach_addcdiv_(params, grads, denominators, value=-lr)


class Adagrad(Optimizer):
    """Keras's Adagrad (defaults ``learning_rate=0.001``, ``initial_accumulator_value=0.1``,
    ``epsilon=1e-7``): ``a += g²``; ``w -= lr * g / sqrt(a + epsilon)``."""

    hyperparameters = ("initial_accumulator_value", "epsilon")
    slots = ("accumulators",)

    def __init__(
        self,
        learning_rate: float = DEFAULT,
        initial_accumulator_value: float = 0.1,
        epsilon: float | None = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = 1e-7 if epsilon is None else float(epsilon)

    def build_slots(self, params: Tensors) -> None:
        self.accumulators = [torch.full_like(p, self.initial_accumulator_value) for p in params]

    def update(self, params: Tensors, grads: Tensors) -> None:
        torch._foreach_addcmul_(self.accumulators, grads, grads)
        denominators = torch._foreach_add(self.accumulators, self._ones, alpha=self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_addcdiv_(params, grads, denominators, value=-self._learning_rate)


class Adadelta(Optimizer):
    """Keras's Adadelta (defaults ``learning_rate=0.001``, ``rho=0.95``, ``epsilon=1e-7``):
    ``a = rho a + (1 - rho) g²``; ``d = -sqrt(s + epsilon) / sqrt(a + epsilon) * g``;
    ``s = rho s + (1 - rho) d²``; ``w += lr * d``."""

    hyperparameters = ("rho", "epsilon")
    slots = ("accumulated_grads", "accumulated_deltas")

    def __init__(
        self,
        learning_rate: float = DEFAULT,
        rho: float = 0.95,
        epsilon: float | None = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = float(rho)
        self.epsilon = 1e-7 if epsilon is None else float(epsilon)

    def build_slots(self, params: Tensors) -> None:
        self.accumulated_grads = _zeros_like(params)
        self.accumulated_deltas = _zeros_like(params)

    def update(self, params: Tensors, grads: Tensors) -> None:
        rho, eps = self.rho, self.epsilon
        decay = self._scalar(rho)
        torch._foreach_mul_(self.accumulated_grads, decay)
        torch._foreach_addcmul_(self.accumulated_grads, grads, grads, value=1.0 - rho)
        numerators = torch._foreach_add(self.accumulated_deltas, self._ones, alpha=eps)
        torch._foreach_sqrt_(numerators)
        denominators = torch._foreach_add(self.accumulated_grads, self._ones, alpha=eps)
        torch._foreach_sqrt_(denominators)
        deltas = torch._foreach_mul(numerators, grads)
        torch._foreach_div_(deltas, denominators)
        torch._foreach_neg_(deltas)
        torch._foreach_mul_(self.accumulated_deltas, decay)
        torch._foreach_addcmul_(self.accumulated_deltas, deltas, deltas, value=1.0 - rho)
        torch._foreach_add_(params, deltas, alpha=self._learning_rate)
