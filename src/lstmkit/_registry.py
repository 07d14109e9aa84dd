"""One name lookup for every registry (activations, initializers, losses, metrics, optimizers)."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["lookup"]

T = TypeVar("T")

_PLURALS = {"loss": "losses"}


def lookup(kind: str, identifier: str, table: dict[str, T]) -> T:
    """Resolve ``identifier`` case-insensitively in ``table`` or raise a ``ValueError`` that lists
    the known names: ``Unknown loss: 'mean_sq'. Known losses: mae, mse, ...``."""
    found = table.get(identifier.lower())
    if found is None:
        plural = _PLURALS.get(kind, f"{kind}s")
        raise ValueError(
            f"Unknown {kind}: {identifier!r}. Known {plural}: {', '.join(sorted(table))}"
        )
    return found
