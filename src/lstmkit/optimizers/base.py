"""The optimizer protocol every update rule of :mod:`lstmkit.optimizers` shares: arguments with
Keras's names and defaults (``lr=`` beside ``learning_rate=``), slots, clipping, multi-tensor
steps, config round trips. The package docstring says why the steps look as they do."""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
import torch

__all__ = ["DEFAULT", "LearningRate", "Optimizer", "Tensors"]

Tensors = list[torch.Tensor]


class _Default:
    """Marks an argument the caller did not give (so ``lr=`` and ``learning_rate=`` can be told
    apart from a default)."""

    def __repr__(self) -> str:
        return "<default>"


DEFAULT: Any = _Default()


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
        learning_rate: float = DEFAULT,
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
            if learning_rate is not DEFAULT:
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
        if learning_rate is DEFAULT:
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
