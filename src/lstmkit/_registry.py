"""One name lookup for every registry (activations, initializers, losses, metrics, optimizers),
and the table of classes that upper layers register for the layers below to build."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["lookup", "register_class", "registered_class"]

T = TypeVar("T")

# "losss" reads badly; every other kind takes a plain "s".
_PLURALS = {"loss": "losses"}


def lookup(kind: str, identifier: str, table: dict[str, T]) -> T:
    """Resolve ``identifier`` in ``table`` ignoring case, or raise a ``ValueError`` that lists the
    known names: ``Unknown loss: 'mean_sq'. Known losses: mae, mse, ...``.

    The table's keys may be in any case (``'GlorotUniform'`` and ``'glorot_uniform'``); the exact
    spelling is tried first so the common path is one dictionary lookup.
    """
    found = table.get(identifier)
    if found is not None:
        return found
    wanted = identifier.lower()
    for name, value in table.items():
        if name.lower() == wanted:
            return value
    plural = _PLURALS.get(kind, f"{kind}s")
    known = ", ".join(sorted(table, key=lambda name: (name.lower(), name)))
    raise ValueError(f"Unknown {kind}: {identifier!r}. Known {plural}: {known}")


# -- classes that lower layers build but may not import ---------------------------------------

_CLASSES: dict[str, type] = {}

C = TypeVar("C", bound=type)


def register_class(cls: C) -> C:
    """Class decorator of the upper layers (``Sequential``, ``Model``, ``Forecaster``, ...): make
    ``cls`` available by name to the layers below, which build such objects from files without
    importing the module that defines them (saving sits below models and forecast)."""
    _CLASSES[cls.__name__] = cls
    return cls


def registered_class(name: str) -> type:
    """The class :func:`register_class` recorded under ``name``; a ``LookupError`` names the
    package to import when it has not been imported yet."""
    found = _CLASSES.get(name)
    if found is None:
        raise LookupError(
            f"{name} is not available: import lstmkit.forecast (Forecaster, Series) or "
            f"lstmkit.models (Sequential, Model) first; known: {', '.join(sorted(_CLASSES))}"
        )
    return found
