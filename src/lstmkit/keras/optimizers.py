"""``keras.optimizers``: lstmkit's optimizers (``lr=`` accepted beside ``learning_rate=``), which
also take Keras 2's ``decay=``: time-based learning-rate decay, ``lr / (1 + decay * t)`` at
update ``t`` (from 0), as Keras 2 computed it (Keras 3 removed it; lstmkit's own optimizers
refuse it)."""

from __future__ import annotations

import sys
from typing import Any

from lstmkit import optimizers as _lk
from lstmkit.keras._support import module_getattr
from lstmkit.optimizers import Optimizer, deserialize, get, serialize


def _with_decay(base: type) -> type:
    """The subclass of lstmkit optimizer ``base`` taking Keras 2's ``decay=``."""

    def __init__(self: Any, *args: Any, decay: float = 0.0, **kwargs: Any) -> None:  # noqa: N807
        if isinstance(decay, bool) or not isinstance(decay, int | float) or decay < 0:
            raise ValueError(f"{base.__name__} expects decay >= 0; got decay={decay!r}")
        base.__init__(self, *args, **kwargs)
        self.decay = float(decay)

    def __new__(cls: type, *args: Any, decay: float = 0.0, **kwargs: Any) -> Any:  # noqa: N807
        # Without decay it is lstmkit's own optimizer (which the native training step knows).
        if not decay:
            return base(*args, **kwargs)
        return base.__new__(cls)

    def apply(self: Any, grads: Any) -> None:
        # The update formulas read the stored rate: decay it for this one update.
        stored = self._learning_rate
        if self.decay:
            self._learning_rate = stored / (1.0 + self.decay * self.iterations)
        try:
            base.apply(self, grads)
        finally:
            self._learning_rate = stored

    def _get(self: Any) -> float:
        # The native step reads it during update number `iterations` (from 1), after counting
        # it; Keras 2 decayed by the number of updates before.
        rate = self._learning_rate
        if self.decay:
            rate = rate / (1.0 + self.decay * max(self.iterations - 1, 0))
        return rate

    def _set(self: Any, value: float) -> None:
        base.learning_rate.fset(self, value)

    learning_rate = property(_get, _set, doc="The step size of the current update.")
    return type(
        base.__name__,
        (base,),
        {
            "__new__": __new__,
            "__init__": __init__,
            "apply": apply,
            "__doc__": base.__doc__,
            "__module__": "lstmkit.keras.optimizers",
            "learning_rate": learning_rate,
            "lr": learning_rate,
        },
    )


SGD = _with_decay(_lk.SGD)
Adadelta = _with_decay(_lk.Adadelta)
Adagrad = _with_decay(_lk.Adagrad)
Adam = _with_decay(_lk.Adam)
Adamax = _with_decay(_lk.Adamax)
Nadam = _with_decay(_lk.Nadam)
RMSprop = _with_decay(_lk.RMSprop)

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
    "legacy",
    "serialize",
]

__getattr__ = module_getattr("keras.optimizers")

#: ``keras.optimizers.legacy`` (TensorFlow 2.11+): the Keras 2 optimizers, which these are.
legacy = sys.modules[__name__]
