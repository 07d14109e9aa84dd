"""N networks trained as one: the ensemble of ``Forecaster(n_models=N)``.

N members ``LSTM(u) [→ LSTM(u) …] → Dense(o)``, each initialised from its own random draw,
are laid side by side in one network ``LSTM(N·u) [→ LSTM(N·u) …] → Dense(N·o)`` whose weights
are block-diagonal: member ``k`` owns units ``k·u … (k+1)·u - 1`` of every gate and outputs
``k·o … (k+1)·o - 1``; the weights between members are zero. The first layer's input kernel is
not masked (every member reads the same inputs with its own weights). With the off-block
weights zero, member ``k``'s outputs depend only on its own weights, and its gradients are
exactly those of the member trained alone on the mean squared error, divided by N (the loss is
the mean over N·o outputs). :class:`BlockDiagonal` zeroes the off-block weights again after
every step (Adam moves them, since their gradients are not zero), and ``Adam(epsilon=ε/N)``
makes the update of the scaled gradient equal the member's own update with ``ε`` exactly
(Adam's step ``m / (sqrt(v) + ε)`` is invariant to scaling the gradient by 1/N when ``ε`` is
scaled too).

So each member trains exactly as it would alone, with one difference: all N see the same
shuffled batches (the minibatch order comes from one stream), so they differ by their
initialisation (and dropout masks). The whole ensemble is one
:class:`~lstmkit.models.Sequential`, one native training call per batch and one prediction call,
and one saved network.

The wide network declares its layout (``model.native_groups = N``), so the native training step
(:mod:`lstmkit.training.native_step`) multiplies and updates only the diagonal blocks: N members
cost N times one member's arithmetic, not N² (an ``(N·u, 4N·u)`` recurrent product is N
``(u, 4u)`` ones), and the weights between members are never moved, so :class:`BlockDiagonal`
has nothing to do; it masks after every step only where the regular (autograd) step trains.
A network the native step does not fit (the one-step network's LSTM returns sequences) can
declare the same of one LSTM layer (``LSTM.native_groups = N``): the per-layer native kernel
then computes only the diagonal blocks of its recurrent kernel, whose blocks between members get
an exactly zero gradient, where :func:`lstmkit.ops.recurrent.select_lstm_path` measures it
faster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from lstmkit.optimizers import Adam
from lstmkit.training.callbacks import Callback

__all__ = [
    "BlockDiagonal",
    "assemble",
    "masks",
    "member_adam",
    "member_outputs",
    "side_by_side",
]


def _gate_columns(member: int, units: int, n_models: int) -> np.ndarray:
    """Columns of member ``member`` in a wide ``(…, 4·N·u)`` LSTM matrix (gates i, f, c, o)."""
    wide = n_models * units
    return np.concatenate(
        [np.arange(g * wide + member * units, g * wide + (member + 1) * units) for g in range(4)]
    )


def _placements(
    units: int, layers: int, n_models: int, outputs: int
) -> list[list[tuple[Any, ...]]]:
    """For each member, the index (rows, columns) of each of its weight arrays in the wide
    network's arrays: ``[lstm kernel, recurrent, bias] * layers + [dense kernel, bias]``."""
    out = []
    for k in range(n_models):
        cols = _gate_columns(k, units, n_models)
        rows = np.arange(k * units, (k + 1) * units)
        places: list[tuple[Any, ...]] = []
        for layer in range(layers):
            kernel_rows = slice(None) if layer == 0 else rows
            places += [(kernel_rows, cols), (rows, cols), (cols,)]
        dense_cols = np.arange(k * outputs, (k + 1) * outputs)
        places += [(rows, dense_cols), (dense_cols,)]
        out.append(places)
    return out


def assemble(
    members: list[list[np.ndarray]], units: int, layers: int, outputs: int
) -> list[np.ndarray]:
    """The wide network's weights from the members' (each as ``Sequential.get_weights()``
    gives them: per LSTM ``kernel (in, 4u)``, ``recurrent (u, 4u)``, ``bias (4u,)``, then the
    Dense ``kernel (u, o)``, ``bias (o,)``); off-block entries are zero."""
    n_models = len(members)
    first = members[0]
    wide_shapes: list[tuple[int, ...]] = []
    for layer in range(layers):
        inputs = first[3 * layer].shape[0] if layer == 0 else n_models * units
        wide_shapes += [
            (inputs, 4 * n_models * units),
            (n_models * units, 4 * n_models * units),
            (4 * n_models * units,),
        ]
    wide_shapes += [(n_models * units, n_models * outputs), (n_models * outputs,)]
    wide = [np.zeros(shape, dtype=np.float32) for shape in wide_shapes]
    placements = _placements(units, layers, n_models, outputs)
    for weights, places in zip(members, placements, strict=True):
        for target, value, place in zip(wide, weights, places, strict=True):
            target[_index(place)] = value
    return wide


def _index(place: tuple[Any, ...]) -> Any:
    """A placement as a NumPy index: ``np.ix_`` for two index arrays, else as it is."""
    if len(place) == 2 and not isinstance(place[0], slice):
        return np.ix_(*place)
    return place


def masks(
    shapes: list[tuple[int, ...]], units: int, layers: int, n_models: int, outputs: int
) -> list[torch.Tensor | None]:
    """1 where a member owns the entry, 0 between members; ``None`` for arrays that need no
    mask (the first layer's input kernel and the biases)."""
    placements = _placements(units, layers, n_models, outputs)
    out: list[torch.Tensor | None] = []
    for index, shape in enumerate(shapes):
        if len(shape) == 1 or (index == 0):
            out.append(None)
            continue
        mask = np.zeros(shape, dtype=np.float32)
        for places in placements:
            mask[_index(places[index])] = 1.0
        out.append(torch.from_numpy(mask))
    return out


def member_outputs(outputs: np.ndarray, n_models: int, horizon: int, n_targets: int) -> np.ndarray:
    """The wide network's outputs ``(m, N·horizon·n_targets)`` → ``(m, N, horizon,
    n_targets)``."""
    return outputs.reshape(len(outputs), n_models, horizon, n_targets)


class BlockDiagonal(Callback):
    """Zeroes the weights between members after every training step (see the module's
    docstring). ``weights``: the wide network's trainable weights; ``masks``: one per weight,
    ``None`` where nothing is masked.

    Where the fit trains with the native step on a model that declares its members
    (``native_groups``), the step never moves those weights, and this callback has no per-batch
    hook at all (a per-batch hook costs the fit a read of the running metrics every batch)."""

    def __init__(self, weights: list[torch.nn.Parameter], masks: list[torch.Tensor | None]) -> None:
        super().__init__()
        # Each mask beside its weight (on the model's device), once.
        self.pairs = [
            (w, m.to(w.device)) for w, m in zip(weights, masks, strict=True) if m is not None
        ]

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        # Called when the fit has planned its step (model.step_path says which) and before the
        # callback list looks for per-batch hooks: the hook is an instance attribute, set only
        # where the step leaves the weights between members to us.
        grouped = model.step_path == "native" and getattr(model, "native_groups", 1) > 1
        if grouped:
            vars(self).pop("on_train_batch_end", None)
        else:
            self.on_train_batch_end = self._zero_between  # type: ignore[method-assign]

    def _zero_between(self, batch: int, logs: Any = None) -> None:
        with torch.no_grad():
            for weight, mask in self.pairs:
                weight.mul_(mask)


def member_adam(n_models: int, learning_rate: float | None = None) -> Adam:
    """Adam for ``n_models`` members side by side: the loss is the mean over the members, so
    each member's gradient is 1/N of its own, and ``epsilon/N`` makes the step exactly the
    member's own (see the module's docstring)."""
    rate = {} if learning_rate is None else {"learning_rate": float(learning_rate)}
    return Adam(epsilon=1e-7 / n_models, **rate)


def side_by_side(
    build: Callable[[int], Any], n_models: int, units: int, layers: int, outputs: int
) -> tuple[Any, BlockDiagonal | None]:
    """The ensemble's network and the callback that keeps it block-diagonal.

    ``build(width)`` makes a compiled network of ``width`` members (``width=1``: one member).
    Each member draws its own initial weights, as it would alone (in order: member 0, 1, …),
    then the wide network is built and given them (:func:`assemble`). ``n_models=1``: one
    member, no callback. ``units``, ``layers``, ``outputs``: one member's LSTM units, LSTM
    layers and outputs."""
    if n_models == 1:
        return build(1), None
    members = [build(1).get_weights() for _ in range(n_models)]
    model = build(n_models)
    model.set_weights(assemble(members, units, layers, outputs))
    shapes = [tuple(w.shape) for w in model.trainable_weights]
    guard = BlockDiagonal(
        list(model.trainable_weights), masks(shapes, units, layers, n_models, outputs)
    )
    return model, guard
