"""Optimizers with Keras 3's defaults and update formulas, stepping all weights at once.

Each ``apply`` updates every parameter with a handful of multi-tensor ``torch._foreach_*`` calls
(one call per operation for all weights, not a Python loop over them), because on the small models
lstmkit's users train, the optimizer step runs thousands of times a second. On the CPU a Python
number as the *operand* of ``_foreach_mul_``/``_foreach_add_`` costs a wrapped tensor per weight
(about three times the op itself), so constants travel as 0-d tensors (:meth:`Optimizer._scalar`)
or as the ``alpha``/``value``/``weight`` arguments, which are passed through unwrapped.

The formulas are Keras's, not ``torch.optim``'s: Keras's Adam adds ``epsilon`` to ``sqrt(v)`` and
folds the bias corrections into the step size; Keras's RMSprop and Adagrad put ``epsilon`` inside
the square root; Keras's SGD momentum keeps ``-lr * g`` in the velocity.

Keras 2's spelling ``lr=`` is accepted beside ``learning_rate=``; Keras 2's ``decay=`` (time-based
learning-rate decay, which Keras 3 removed) is refused unless it is 0.
"""

from __future__ import annotations

import inspect
import math
import numbers
from typing import Any, ClassVar

import numpy as np
import torch

from lstmkit._registry import lookup

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Adamax",
    "LearningRate",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "serialize",
]

Tensors = list[torch.Tensor]


class _Default:
    """Marks an argument the caller did not give (so ``lr=`` and ``learning_rate=`` can be told
    apart from a default)."""

    def __repr__(self) -> str:
        return "<default>"


_DEFAULT: Any = _Default()


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _positive_or_none(owner: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{owner} expects {key} to be a non-negative number; got {key}={value!r}")
    return float(value)


class LearningRate(float):
    """An optimizer's learning rate as read from it: a ``float`` (the value at the time it was
    read) that can also set the optimizer's rate, as Keras's learning-rate variable can."""

    __slots__ = ("_optimizer",)

    def __new__(cls, value: float, optimizer: Any) -> LearningRate:
        self = super().__new__(cls, value)
        self._optimizer = optimizer
        return self

    def assign(self, value: Any) -> None:
        """Set the optimizer's learning rate to ``value`` (checked as ``learning_rate=`` is)."""
        self._optimizer.learning_rate = value

    def numpy(self) -> np.ndarray:
        """The value as a NumPy scalar (Keras variables' ``numpy()``)."""
        return np.float32(self)

    def __reduce__(self) -> Any:
        # A copy (copy.deepcopy of a config) is the plain number, not tied to the optimizer.
        return (float, (float(self),))


class Optimizer:
    """Base class of the optimizers.

    Subclasses list their own hyper-parameters in ``hyperparameters`` (their ``__init__`` takes
    them after ``learning_rate``, in Keras's order and with Keras's defaults), allocate their state
    in :meth:`build_slots` and step in :meth:`update`.

    Args:
        learning_rate: the step size (``lr`` is Keras 2's spelling of it; give one of the two).
        clipnorm: clip each gradient tensor to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: scale all gradients together so that their joint L2 norm is at most this.
            Only one of the three clipping arguments may be given, as in Keras 3.
        weight_decay: decoupled weight decay, ``w -= w * weight_decay * learning_rate`` before
            each step (Keras 3).
        name: the optimizer's name; by default its class name in snake case.
    """

    hyperparameters: ClassVar[tuple[str, ...]] = ()
    #: The attributes holding per-parameter state (lists of tensors shaped like the weights),
    #: and those holding scalar state; with ``iterations`` they are what saving keeps.
    slots: ClassVar[tuple[str, ...]] = ()
    scalar_slots: ClassVar[tuple[str, ...]] = ()
    default_learning_rate: ClassVar[float] = 0.001
    # Whether ``update`` adds epsilon, which needs ``self._ones`` (see ``build``).
    adds_epsilon: ClassVar[bool] = True

    def __init__(
        self,
        learning_rate: float = _DEFAULT,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        weight_decay: float | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if "lr" in kwargs:
            lr = kwargs.pop("lr")
            if learning_rate is not _DEFAULT:
                raise ValueError(
                    f"{owner} got both lr={lr!r} and learning_rate={learning_rate!r}; lr is "
                    "Keras 2's spelling of learning_rate: give only one"
                )
            learning_rate = lr
        if "decay" in kwargs:
            decay = kwargs.pop("decay")
            # decay=0.0 (Keras 2.2's documented default, copied into many tutorials) changes
            # nothing, so it is accepted; any other value would silently train differently.
            if decay not in (None, 0, 0.0):
                raise TypeError(
                    f"{owner} does not support decay={decay!r}: Keras 2's time-based "
                    "learning-rate decay was removed in Keras 3. Remove it, or lower "
                    "optimizer.learning_rate from a callback"
                )
        if kwargs:
            accepted = [
                "learning_rate",
                "lr",
                *self.hyperparameters,
                "clipnorm",
                "clipvalue",
                "global_clipnorm",
                "weight_decay",
                "name",
            ]
            raise TypeError(
                f"{owner} got unexpected keyword argument(s) {', '.join(sorted(kwargs))}; "
                f"it accepts {', '.join(accepted)}"
            )
        if learning_rate is _DEFAULT:
            learning_rate = self.default_learning_rate
        given = {
            key: value
            for key, value in (
                ("clipnorm", clipnorm),
                ("clipvalue", clipvalue),
                ("global_clipnorm", global_clipnorm),
            )
            if value is not None
        }
        if len(given) > 1:
            raise ValueError(
                f"{owner}: only one of clipnorm, clipvalue and global_clipnorm can be set (as "
                f"in Keras 3); got {', '.join(f'{k}={v!r}' for k, v in given.items())}"
            )
        self.learning_rate = learning_rate
        self.clipnorm = _positive_or_none(owner, "clipnorm", clipnorm)
        self.clipvalue = _positive_or_none(owner, "clipvalue", clipvalue)
        self.global_clipnorm = _positive_or_none(owner, "global_clipnorm", global_clipnorm)
        self.weight_decay = _positive_or_none(owner, "weight_decay", weight_decay)
        self.name = name or _snake(owner)
        self.iterations = 0
        self._params: Tensors = []
        self._ones: Tensors = []
        self._dtype = torch.float32
        self._device = torch.device("cpu")

    # -- learning rate ------------------------------------------------------------------------

    @property
    def learning_rate(self) -> float:
        """The step size, a float; callbacks may set it between steps. The float also has
        Keras's variable method ``assign(value)`` (what ``K.set_value(optimizer.lr, 0.001)`` and
        ``optimizer.learning_rate.assign(0.001)`` call), which sets this optimizer's rate."""
        return LearningRate(self._learning_rate, self)

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
            raise ValueError(
                f"{type(self).__name__} expects a non-negative learning_rate; got {value!r}"
            )
        self._learning_rate = float(value)

    # Keras 2 code reads and sets ``optimizer.lr``.
    lr = learning_rate

    # -- steps --------------------------------------------------------------------------------

    def build(self, params: Tensors) -> None:
        """Take the parameters to update (in the order ``apply`` will get their gradients) and
        allocate the optimizer's state for them; the step count starts again at 0."""
        self._params = list(params)
        self.iterations = 0
        if self._params:
            self._dtype, self._device = self._params[0].dtype, self._params[0].device
        with torch.no_grad():
            # Ones shaped like the weights: ``x + eps`` is ``_foreach_add(x, ones, alpha=eps)``.
            self._ones = [torch.ones_like(p) for p in self._params] if self.adds_epsilon else []
            self.build_slots(self._params)

    def build_slots(self, params: Tensors) -> None:
        """Allocate per-parameter state (moments, accumulators); none by default."""

    def apply(self, grads: Tensors) -> None:
        """One step: clip ``grads`` (same order and shapes as the built parameters), apply weight
        decay, and update the parameters in place."""
        with torch.no_grad():
            grads = self._clip(list(grads))
            if self.weight_decay:
                decay = self._scalar(1.0 - self.weight_decay * self._learning_rate)
                torch._foreach_mul_(self._params, decay)
            self.iterations += 1
            self.update(self._params, grads)

    def update(self, params: Tensors, grads: Tensors) -> None:
        """Apply one step of the optimizer's formula; ``self.iterations`` is the step number,
        from 1."""
        raise NotImplementedError(f"{type(self).__name__} must define update()")

    def _scalar(self, value: float) -> torch.Tensor:
        """``value`` as a 0-d tensor in the weights' dtype, the fast operand for ``_foreach_mul``
        (a float64 weight keeps a float64 constant, so nothing is rounded to float32)."""
        return torch.scalar_tensor(value, dtype=self._dtype, device=self._device)

    def _clip(self, grads: Tensors) -> Tensors:
        # Keras 3's BaseOptimizer._clip_gradients: at most one of the three applies.
        if self.clipnorm:
            # Each tensor times clipnorm, over max(its norm, clipnorm).
            norms = torch._foreach_norm(grads)
            torch._foreach_clamp_min_(norms, self.clipnorm)
            return torch._foreach_div(torch._foreach_mul(grads, self._scalar(self.clipnorm)), norms)
        if self.global_clipnorm:
            # All tensors times clip * min(1 / norm, 1 / clip); a non-finite norm gives NaN
            # (the ``norm - norm`` term), as Keras's clip_by_global_norm does.
            total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            clip = self.global_clipnorm
            scale = clip * torch.minimum(1.0 / total, torch.full_like(total, 1.0 / clip))
            return torch._foreach_mul(grads, scale + (total - total))
        if self.clipvalue:
            clipped = torch._foreach_clamp_min(grads, -self.clipvalue)
            torch._foreach_clamp_max_(clipped, self.clipvalue)
            return clipped
        return grads

    # -- state ---------------------------------------------------------------------------------

    @property
    def built(self) -> bool:
        return bool(self._params)

    def get_state(self) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
        """The optimizer's state after :meth:`build`: tensors named ``<slot>/<index>`` (index
        into the built parameters, each shaped like its parameter) and numbers
        (``iterations`` and scalar slots such as Nadam's ``u_product``)."""
        tensors = {
            f"{slot}/{index}": tensor
            for slot in self.slots
            for index, tensor in enumerate(getattr(self, slot, []))
        }
        numbers: dict[str, float] = {"iterations": self.iterations}
        numbers.update({name: getattr(self, name) for name in self.scalar_slots})
        return tensors, numbers

    def set_state(self, tensors: dict[str, torch.Tensor], numbers: dict[str, float]) -> None:
        """Restore what :meth:`get_state` gave, into an optimizer built for parameters of the
        same shapes. Names, shapes and dtypes must match exactly; nothing changes otherwise."""
        expected, _ = self.get_state()
        owner = type(self).__name__
        if set(tensors) != set(expected):
            missing = sorted(set(expected) - set(tensors))
            extra = sorted(set(tensors) - set(expected))
            raise ValueError(
                f"{owner} state does not match this optimizer: missing {missing[:5]}, "
                f"unexpected {extra[:5]}"
            )
        for key, target in expected.items():
            value = tensors[key]
            if tuple(value.shape) != tuple(target.shape) or value.dtype != target.dtype:
                raise ValueError(
                    f"{owner} state {key!r} should be {target.dtype} {tuple(target.shape)}; "
                    f"got {value.dtype} {tuple(value.shape)}"
                )
        wanted = {"iterations", *self.scalar_slots}
        if set(numbers) != wanted:
            raise ValueError(
                f"{owner} state numbers should be {sorted(wanted)}; got {sorted(numbers)}"
            )
        iterations = numbers["iterations"]
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
            raise ValueError(
                f"{owner} iterations must be a non-negative integer; got {iterations!r}"
            )
        with torch.no_grad():
            for key, target in expected.items():
                target.copy_(tensors[key])
        self.iterations = iterations
        for name in self.scalar_slots:
            setattr(self, name, float(numbers[name]))

    # -- configuration ------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments; ``type(opt).from_config(config)`` rebuilds it."""
        config: dict[str, Any] = {"name": self.name, "learning_rate": self.learning_rate}
        for key in self.hyperparameters:
            config[key] = getattr(self, key)
        for key in ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        """The optimizer that ``get_config`` describes."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate:g})"


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
        learning_rate: float = _DEFAULT,
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
        learning_rate: float = _DEFAULT,
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
        learning_rate: float = _DEFAULT,
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
        learning_rate: float = _DEFAULT,
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
        learning_rate: float = _DEFAULT,
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
        learning_rate: float = _DEFAULT,
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


_OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adamax": Adamax,
    "nadam": Nadam,
}


def get(identifier: str | Optimizer | type[Optimizer] | dict[str, Any]) -> Optimizer:
    """An optimizer from a name (any case; a fresh instance with Keras's defaults), a config
    ``{"class_name": ..., "config": {...}}``, a class (instantiated with its defaults) or an
    instance (returned as is). An unknown name raises ``ValueError`` listing the known ones."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return lookup("optimizer", identifier, _OPTIMIZERS)()
    if inspect.isclass(identifier) and issubclass(identifier, Optimizer):
        return identifier()
    raise TypeError(
        f"optimizer must be a name such as 'adam', an Optimizer or a config dict; "
        f"got {type(identifier).__name__}"
    )


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """``{"class_name": ..., "config": {...}}``, JSON-safe."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict[str, Any]) -> Optimizer:
    """The optimizer a :func:`serialize` dict describes (class names in any case, as Keras)."""
    if "class_name" not in config:
        raise ValueError(
            f"an optimizer config needs 'class_name' and 'config' keys; got {config!r}"
        )
    cls = lookup("optimizer", str(config["class_name"]), _OPTIMIZERS)
    return cls.from_config(dict(config.get("config") or {}))
