"""Batches that come from the caller rather than from slicing arrays: a Keras ``Sequence`` (an
object with ``__len__`` and ``__getitem__`` giving batch ``i``) or a Python generator/iterator
of batches. Each batch is ``(x, y)`` or ``(x, y, sample_weight)`` (``x`` alone for ``predict``).
Also the per-sample weights ``fit``/``evaluate`` build from ``sample_weight``/``class_weight``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from lstmkit.training.data import Aligned

__all__ = ["BatchSource", "class_weights", "is_batch_source", "sample_weights", "source_arrays"]


def is_batch_source(data: Any) -> bool:
    """Whether ``data`` is a Sequence or an iterator of batches rather than an array (or a list
    or tuple of arrays, or a DataFrame)."""
    if isinstance(data, np.ndarray | torch.Tensor | list | tuple | dict | str | bytes):
        return False
    if hasattr(data, "to_numpy") or hasattr(data, "__array__"):
        return False
    if hasattr(data, "__next__"):
        return True
    return hasattr(data, "__getitem__") and hasattr(data, "__len__")


class BatchSource:
    """Reads the batches of ``data`` epoch by epoch.

    A Sequence gives ``len(data)`` batches an epoch (or ``steps`` when given), in a shuffled
    order when asked, and its ``on_epoch_end()`` is called after each epoch. An iterator gives
    ``steps`` batches an epoch, continuing where the last epoch stopped; without ``steps`` it is
    read until it ends, once.
    """

    def __init__(self, data: Any, steps: int | None, argument: str = "x") -> None:
        if steps is not None and (
            isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps <= 0
        ):
            raise ValueError(f"the number of steps must be a positive integer; got {steps!r}")
        self.data = data
        self.argument = argument
        self.is_sequence = not hasattr(data, "__next__")
        self._pending: list[Any] = []
        if self.is_sequence:
            length = len(data)
            if length == 0:
                raise ValueError(f"{argument} is an empty Sequence (len() is 0)")
            self.steps: int | None = min(length, steps) if steps is not None else length
        else:
            self.steps = None if steps is None else int(steps)

    def first(self) -> tuple[Any, Any, Any]:
        """The first batch, read once (it is given again as the epoch's first)."""
        if self.is_sequence:
            return split_batch(self.data[0], self.argument)
        if not self._pending:
            try:
                self._pending.append(next(self.data))
            except StopIteration:
                raise ValueError(f"{self.argument} is a generator that gave no batch") from None
        return split_batch(self._pending[0], self.argument)

    def epoch(self, shuffle: bool) -> Iterator[tuple[Any, Any, Any]]:
        """The batches of one epoch, each ``(x, y, sample_weight)`` (missing parts ``None``)."""
        if self.is_sequence:
            yield from self.sequence_batches(self.sequence_order(shuffle))
            return
        count = 0
        while self.steps is None or count < self.steps:
            if self._pending:
                batch = self._pending.pop(0)
            else:
                try:
                    batch = next(self.data)
                except StopIteration:
                    if count == 0:
                        raise ValueError(
                            f"{self.argument}: the generator ran out of batches; give it more "
                            "or lower steps_per_epoch"
                        ) from None
                    return
            count += 1
            yield split_batch(batch, self.argument)

    def sequence_order(self, shuffle: bool) -> list[int]:
        """A Sequence's batch indices for one epoch: the first ``steps`` of a permutation of
        ``range(len(data))`` drawn from the global generator (or of the range itself)."""
        length = len(self.data)
        order = torch.randperm(length).tolist() if shuffle else list(range(length))
        return order[: self.steps]

    def sequence_batches(self, indices: list[int]) -> Iterator[tuple[Any, Any, Any]]:
        """The Sequence's batches ``indices``, then its ``on_epoch_end()`` (when they were all
        read)."""
        for index in indices:
            yield split_batch(self.data[index], self.argument)
        if hasattr(self.data, "on_epoch_end"):
            self.data.on_epoch_end()


def split_batch(batch: Any, argument: str) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` from a batch given as ``(x, y)``, ``(x, y, w)`` or ``x``."""
    if isinstance(batch, tuple):
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch
        raise ValueError(
            f"{argument} gave a batch of {len(batch)} parts; expected (x, y) or (x, y, "
            "sample_weight)"
        )
    return batch, None, None


def class_weights(y: torch.Tensor, class_weight: dict[Any, float]) -> torch.Tensor:
    """Per-sample weights ``(n,)`` from ``class_weight`` (class index -> weight): the class of a
    one-hot row is its argmax, of a single value the value itself (Keras's rule). Classes not
    in the dict weigh 1."""
    if not isinstance(class_weight, dict):
        raise ValueError(
            f"class_weight must be a dict mapping class index to weight; got "
            f"{type(class_weight).__name__}"
        )
    if y.dim() > 1 and y.shape[-1] > 1:
        classes = y.argmax(dim=-1)
    else:
        classes = y.reshape(y.shape[0], -1)[:, 0].round().long()
    if classes.dim() > 1:
        raise ValueError("class_weight needs one class per sample; y has a class per timestep")
    table = {int(k): float(v) for k, v in class_weight.items()}
    return torch.tensor([table.get(int(c), 1.0) for c in classes.tolist()], dtype=torch.float32)


def sample_weights(
    sample_weight: Any, class_weight: Any, y: Any, n: int, argument: str = "sample_weight"
) -> torch.Tensor | None:
    """Per-sample weights ``(n,)`` from ``sample_weight`` ``(n,)`` and/or ``class_weight``
    (multiplied, as Keras), or ``None`` when neither is given."""
    weights = None
    if sample_weight is not None:
        array = np.asarray(sample_weight, dtype=np.float32)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.shape != (n,) or not np.isfinite(array).all():
            raise ValueError(
                f"{argument} must hold one finite weight per sample, shape ({n},); got "
                f"shape {array.shape}"
            )
        weights = torch.from_numpy(array.copy())
    if class_weight is not None:
        if isinstance(y, Aligned):
            raise ValueError("class_weight needs a model with one output")
        by_class = class_weights(y, class_weight)
        weights = by_class if weights is None else weights * by_class
    if weights is not None:
        # Beside the targets (on the model's device), once per call.
        device = (y[0] if isinstance(y, Aligned) else y).device
        if device.type != "cpu":
            weights = weights.to(device)
    return weights


def source_arrays(source: BatchSource, prefix: str) -> tuple[Any, Any, Any]:
    """Every batch of one pass over ``source`` joined: ``(x, y, sample_weight)``."""
    xs, ys, ws = [], [], []
    for bx, by, bw in source.epoch(shuffle=False):
        xs.append(bx)
        ys.append(by)
        ws.append(bw)

    def join(parts: list[Any]) -> Any:
        if parts[0] is None:
            if any(part is not None for part in parts):
                raise ValueError(f"{prefix}: some batches have targets or weights, others not")
            return None
        if isinstance(parts[0], list | tuple):
            return [np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(len(parts[0]))]
        return np.concatenate([np.asarray(part) for part in parts])

    return join(xs), join(ys), join(ws)
