"""Shapes as layers see them: tuples whose first entry is the batch size (``None`` when it is
not fixed), and how messages print them."""

from __future__ import annotations

__all__ = ["Shape", "format_shape"]

Shape = tuple[int | None, ...]


def format_shape(shape: Shape) -> str:
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )
