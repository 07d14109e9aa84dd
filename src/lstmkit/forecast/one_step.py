"""The one-step network of a :class:`~lstmkit.forecast.Forecaster`: one step ahead, trained on
whole sequences.

The Forecaster's main network is direct multi-step: from a window of ``look_back`` rows it
outputs the next ``horizon`` values at once, one training target per window. For forecasts one
step ahead (``walk_forward``, ``evaluate``) it adds a network trained for exactly that task (the
direct strategy in its literal sense: a model per step ahead, here the first) and forecasts the
mean of the two. This one reads the series in (log) levels, not differenced, and learns from
every step of ``sequence``-long stretches of the training part at once::

    input at row t:  [targets(t), features(t), trend(t+1), calendar(t+1)]   (scaled to [0, 1])
    output at row t: targets(t+1)

``LSTM(units, return_sequences=True) → Dense(k)`` on each step, so a 20-row stretch gives 20
training targets, each seen with a different amount of context (the way Darts' ``RNNModel``
trains; benchmarks/experiments/levels_and_sequence_training.md: airline one step ahead 14.7
against 17.2 of the direct network's first step). The trend input is the time since the start of
training, a tenth per training span: without it a network on levels cannot place a trending
series (airline 16.0 without, 14.7 with). Its optimizer steps are a budget (``steps``), not
epochs, so a long series costs no more than a short one.

The ensemble of ``n_models`` members is one network laid side by side as in
:mod:`lstmkit.forecast.ensemble` (block-diagonal weights, ``Adam(epsilon=ε/N)``), so each member
trains exactly as it would alone. Its LSTM declares the members (``LSTM.native_groups``), so
where the native kernel is the faster path (the one-step shapes on the CPU) it multiplies only
the diagonal blocks of the recurrent kernel and leaves the blocks between members a zero
gradient; :class:`~lstmkit.forecast.ensemble.BlockDiagonal` still zeroes what the regular step
moves between members (the Dense kernel's, and the recurrent kernel's where another path ran).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from lstmkit._registry import register_class
from lstmkit.forecast.ensemble import member_adam, side_by_side
from lstmkit.layers import LSTM, Dense
from lstmkit.models import Sequential

__all__ = ["TREND_SLOPE", "OneStepNetwork", "sequence_length", "stretches"]

#: The trend input grows by this much over the training span.
TREND_SLOPE = 0.1
#: Rows of each training stretch (fewer for a short series: half its rows).
SEQUENCE = 20
#: A multiple of the kernel's 8-lane vectors: 20 units ran partly scalar in the grouped layer
#: kernel; 16 forecast as well (airline A 13.7 [13.1-14.3] against 13.6 [12.8-14.4], uschange
#: 0.244 against 0.245, seeds 0-4) and cut the default fit's five-member cost from 2.3 to 1.9
#: times one member (benchmarks/ensemble_cost.py).
UNITS = 16
#: Optimizer steps of a fit (epochs follow from the batches an epoch has), so a long series does
#: not cost more than a short one, and a short one gets as many steps.
STEPS = 1200
BATCH_SIZE = 16
LEARNING_RATE = 2e-3


def sequence_length(rows: int, sequence: int = SEQUENCE) -> int:
    """Rows of each training stretch (and of each forecast's window) for a training part of
    ``rows`` rows: ``sequence``, at most half the rows."""
    return min(sequence, max(2, (rows - 1) // 2))


def stretches(inputs: np.ndarray, targets: np.ndarray, length: int) -> tuple[np.ndarray, ...]:
    """Every ``length``-row stretch of ``inputs`` ``(n, d)`` with its outputs: the rows
    ``targets[1:]`` one step later. Returns ``X (s, length, d)`` and ``Y (s, length, k)``,
    ``s = n - length``."""
    n = len(inputs)
    count = n - length
    if count < 1:
        raise ValueError(f"stretches of {length} rows need at least {length + 1} rows; got {n}")
    X = np.stack([inputs[i : i + length] for i in range(count)])
    Y = np.stack([targets[i + 1 : i + 1 + length] for i in range(count)])
    return X, Y


def _declare_members(model: Sequential, n_models: int) -> None:
    """Tell the wide network's LSTM it is ``n_models`` LSTMs side by side (its weights between
    members are zero): the native kernel then computes only the members' own blocks."""
    if n_models > 1:
        model.layers[0].native_groups = n_models


@register_class
class OneStepNetwork:
    """``n_models`` one-step networks side by side (config + weights).

    ``fit(inputs, targets)``: ``inputs`` ``(n, d)`` and ``targets`` ``(n, k)`` of the training
    part, row ``t`` of ``inputs`` known when row ``t + 1`` of ``targets`` is forecast (see the
    module's docstring). ``predict(windows)``: ``(m, L, d)`` → each member's next value
    ``(m, n_models, k)``. ``model`` is the trained :class:`~lstmkit.models.Sequential`
    (``LSTM(n_models·units, return_sequences=True) → Dense(n_models·k)``).
    """

    def __init__(
        self,
        units: int = UNITS,
        sequence: int = SEQUENCE,
        steps: int = STEPS,
        batch_size: int = BATCH_SIZE,
        learning_rate: float = LEARNING_RATE,
        n_models: int = 1,
    ) -> None:
        self.units = units
        self.sequence = sequence
        self.steps = steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.n_models = n_models
        self.model: Sequential | None = None

    def build(self, n_inputs: int, n_targets: int, width: int | None = None) -> Sequential:
        """The network for inputs of ``n_inputs`` columns: one member (``width=1``) or all."""
        width = self.n_models if width is None else width
        model = Sequential()
        model.add(LSTM(width * self.units, return_sequences=True, input_shape=(None, n_inputs)))
        model.add(Dense(width * n_targets))
        _declare_members(model, width)
        model.compile(optimizer=member_adam(width, self.learning_rate), loss="mse")
        return model

    def fit(
        self, inputs: np.ndarray, targets: np.ndarray, verbose: int = 0, callbacks: Any = None
    ) -> OneStepNetwork:
        """Train on the stretches of ``inputs``/``targets`` (uses the torch generator as it is:
        the Forecaster seeds it)."""
        n, d = inputs.shape
        k = targets.shape[1]
        length = sequence_length(n, self.sequence)
        self.length = length
        X, Y = stretches(inputs, targets, length)
        n_models = self.n_models
        model, guard = side_by_side(
            lambda width: self.build(d, k, width=width), n_models, self.units, 1, k
        )
        batch = max(1, min(self.batch_size, len(X)))
        epochs = max(1, math.ceil(self.steps / math.ceil(len(X) / batch)))
        self.epochs = epochs
        # One thread: its products are too small to share (airline, 1200 steps of five members:
        # 2.9 s on one thread of this 2-core machine, 3.5 s on two).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            model.fit(
                X.astype(np.float32),
                np.tile(Y, (1, 1, n_models)).astype(np.float32),
                epochs=epochs,
                batch_size=batch,
                shuffle=True,
                verbose=verbose,
                callbacks=[*([guard] if guard else []), *(callbacks or [])],
            )
        finally:
            torch.set_num_threads(threads)
        self.model = model
        self.n_targets = k
        return self

    def restore(self, model: Sequential, rows: int, n_targets: int) -> OneStepNetwork:
        """Take a trained ``model`` (read from a forecaster file) fitted on ``rows`` rows."""
        _declare_members(model, self.n_models)
        self.model = model
        self.length = sequence_length(rows, self.sequence)
        self.n_targets = n_targets
        return self

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """``windows`` ``(m, L, d)`` → each member's forecast of the row after each window,
        ``(m, n_models, k)`` (scaled)."""
        if self.model is None:
            raise RuntimeError("OneStepNetwork is not fitted yet: call fit first")
        with torch.no_grad():
            out = self.model.predict(windows.astype(np.float32, copy=False), verbose=0)
        last = np.asarray(out, dtype=np.float64)[:, -1, :]
        return last.reshape(len(windows), self.n_models, -1)
