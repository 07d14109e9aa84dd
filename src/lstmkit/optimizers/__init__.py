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
from typing import Any

from lstmkit._registry import lookup
from lstmkit.optimizers.base import LearningRate, Optimizer
from lstmkit.optimizers.rules import SGD, Adadelta, Adagrad, Adam, Adamax, Nadam, RMSprop

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

# Public under this package's name (reprs, docs, configs), wherever the class is written.
for _public in (SGD, Adadelta, Adagrad, Adam, Adamax, LearningRate, Nadam, Optimizer, RMSprop):
    _public.__module__ = __name__


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
