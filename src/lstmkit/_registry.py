"""One name lookup for every registry (activations, initializers, losses, metrics, optimizers)."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["lookup"]

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
