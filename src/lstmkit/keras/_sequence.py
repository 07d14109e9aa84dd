"""Batches for ``fit``: ``keras.utils.Sequence``, ``TimeseriesGenerator`` (Keras 2) and
``timeseries_dataset_from_array`` (Keras 3), with Keras's windowing rules exactly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["Sequence", "TimeseriesGenerator", "WindowBatches", "timeseries_dataset_from_array"]


class Sequence:
    """Base class of a batch source: ``__len__`` (batches per epoch), ``__getitem__(i)`` (batch
    ``i``: ``(x, y)`` or ``(x, y, sample_weight)``), ``on_epoch_end()``. ``fit`` reads it batch by
    batch, in a shuffled order when ``shuffle=True``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Keras 3's ``PyDataset`` arguments (``workers``, ...) choose how Keras reads; unused."""

    def __len__(self) -> int:
        raise NotImplementedError("a Sequence defines __len__ (its number of batches)")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError("a Sequence defines __getitem__ (batch number index)")

    def on_epoch_end(self) -> None:
        """Called after every epoch of ``fit``."""

    def __iter__(self) -> Iterator[Any]:
        for index in range(len(self)):
            yield self[index]


class TimeseriesGenerator(Sequence):
    """Keras 2's ``TimeseriesGenerator``: sample ``j`` of the batches is
    ``data[row - length : row : sampling_rate]`` with target ``targets[row]``, rows from
    ``start_index + length`` to ``end_index`` every ``stride``, ``batch_size`` rows a batch.

    Shapes: ``data (T, *features)`` → batches ``x (b, length // sampling_rate, *features)``,
    ``y (b, *target_shape)``.
    """

    def __init__(
        self,
        data: Any,
        targets: Any,
        length: int,
        sampling_rate: int = 1,
        stride: int = 1,
        start_index: int = 0,
        end_index: int | None = None,
        shuffle: bool = False,
        reverse: bool = False,
        batch_size: int = 128,
    ) -> None:
        if len(data) != len(targets):
            raise ValueError(
                "TimeseriesGenerator: data and targets must have the same length; got "
                f"len(data)={len(data)} and len(targets)={len(targets)}"
            )
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError(
                f"TimeseriesGenerator: start_index+length={self.start_index} is greater than "
                f"end_index={self.end_index}: no sample to make (the series has {len(data)} rows)"
            )

    def __len__(self) -> int:
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(
                first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride
            )
        samples = np.array(
            [self.data[row - self.length : row : self.sampling_rate] for row in rows]
        )
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets


class WindowBatches(Sequence):
    """What :func:`timeseries_dataset_from_array` returns in place of a ``tf.data.Dataset``:
    the batches, ``(x, y)`` or ``x`` alone, to pass to ``fit``/``predict`` or iterate."""

    def __init__(self, batches: list[Any]) -> None:
        self._batches = batches

    def __len__(self) -> int:
        return len(self._batches)

    def __getitem__(self, index: int) -> Any:
        return self._batches[index]


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
) -> WindowBatches:
    """Keras's windows: window ``i`` is ``data[s + p_i : s + p_i + sequence_length *
    sampling_rate : sampling_rate]`` with target ``targets[s + p_i]`` (``s = start_index``,
    ``p_i = i * sequence_stride``), batched by ``batch_size`` (the last batch may be smaller;
    ``None`` gives single windows)."""
    data = np.asarray(data)
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets) - start)
    positions = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        np.random.RandomState(seed).shuffle(positions)
    steps = np.arange(0, sequence_length * sampling_rate, sampling_rate)
    windows = data[start + positions[:, None] + steps[None, :]] if len(positions) else data[:0]
    labels = None if targets is None else targets[start + positions]
    if batch_size is None:
        items = [
            w if labels is None else (w, t)
            for w, t in zip(windows, labels if labels is not None else windows, strict=True)
        ]
        return WindowBatches(items)
    batches = []
    for first in range(0, len(positions), batch_size):
        part = slice(first, first + batch_size)
        batches.append(windows[part] if labels is None else (windows[part], labels[part]))
    return WindowBatches(batches)
