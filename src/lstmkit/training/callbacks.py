"""Callbacks with Keras's names and hooks, the History of a fit, and the progress display."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from tqdm.auto import tqdm

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "epoch_line"]

Logs = dict[str, float]


class Callback:
    """Base class: override the hooks you need. ``self.model`` and ``self.params`` (``epochs``,
    ``steps``, ``verbose``) are set before training starts; set ``self.model.stop_training = True``
    to stop after the current epoch."""

    #: Whether the callback writes files: under data-parallel training (torchrun) such a
    #: callback runs on rank 0 only (see :mod:`lstmkit.training.distributed`).
    writes_files: bool = False

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None: ...
    def on_train_end(self, logs: Logs | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_end(batch, logs)

    # Keras 2's names of the two training-batch hooks.
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...


_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` does something in ``hook`` (per-batch hooks cost a host sync per
    batch, so they run only for callbacks that define them, by class or, as LambdaCallback
    does, by instance attribute)."""
    names = (hook, _ALIASES[hook]) if hook in _ALIASES else (hook,)
    return any(
        name in vars(callback) or getattr(type(callback), name) is not getattr(Callback, name)
        for name in names
    )


class History(Callback):
    """What ``fit`` returns: ``history`` maps each log key (``loss``, ``accuracy``, ``val_loss``,
    ...) to one float per epoch; ``epoch`` lists the epoch indices run."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"


def format_logs(logs: Logs) -> str:
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


def epoch_line(steps: int, seconds: float, logs: Logs) -> str:
    """Keras's one-line summary: ``32/32 - 0s - 2ms/step - loss: 0.6931 - accuracy: 0.5000``."""
    per_step = 1000.0 * seconds / max(steps, 1)
    return f"{steps}/{steps} - {seconds:.0f}s - {per_step:.0f}ms/step - {format_logs(logs)}"


class ProgbarLogger(Callback):
    """``verbose=1``: a progress bar per epoch with ETA and running metrics; ``verbose=2``: one line
    per epoch. Running metrics are read from the trainer only when the bar redraws, so a fast
    epoch does not wait for a host sync on every batch."""

    def __init__(self, verbose: int, running_logs: Callable[[], Logs], file: Any = None) -> None:
        super().__init__()
        self.verbose = verbose
        self.running_logs = running_logs
        self.file = file or sys.stdout
        self._bar: tqdm | None = None
        self._started = 0.0
        self._last_draw = 0.0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        epochs, steps = self.params["epochs"], self.params["steps"]
        print(f"Epoch {epoch + 1}/{epochs}", file=self.file)
        self._started = time.perf_counter()
        if self.verbose == 1:
            self._bar = tqdm(
                total=steps,
                file=self.file,
                bar_format="{n_fmt}/{total_fmt} {bar:20} {elapsed}<{remaining} {postfix}",
                mininterval=0.1,
                leave=True,
                dynamic_ncols=False,
            )
            self._last_draw = 0.0

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._bar is None:
            return
        now = time.perf_counter()
        if now - self._last_draw >= 0.1:
            self._bar.set_postfix_str(format_logs(self.running_logs()), refresh=False)
            self._last_draw = now
        self._bar.update(1)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        seconds = time.perf_counter() - self._started
        steps = self.params["steps"]
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs or {}), refresh=False)
            self._bar.close()
            self._bar = None
        else:
            print(epoch_line(steps, seconds, logs or {}), file=self.file)


class CallbackList:
    """Calls every callback's hook in order. Per-batch hooks, which would need the running
    metrics read from the tensors on every batch, run only when some callback defines them."""

    def __init__(self, callbacks: list[Callback], model: Any, params: dict[str, Any]) -> None:
        self.callbacks = callbacks
        for callback in callbacks:
            callback.set_model(model)
            callback.set_params(params)
        self._batch_begin = [c for c in callbacks if _overrides(c, "on_train_batch_begin")]
        self._batch_end = [c for c in callbacks if _overrides(c, "on_train_batch_end")]
        self.wants_batch_hooks = bool(self._batch_begin or self._batch_end)

    def on_train_begin(self) -> None:
        for callback in self.callbacks:
            callback.on_train_begin({})

    def on_train_end(self, logs: Logs) -> None:
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch: int) -> None:
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, {})

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch: int) -> None:
        for callback in self._batch_begin:
            callback.on_train_batch_begin(batch, {})

    def on_train_batch_end(self, batch: int, running_logs: Callable[[], Logs]) -> None:
        if not self._batch_end:
            return
        # The progress bar reads the running logs itself, only when it redraws.
        needs_logs = any(not isinstance(c, ProgbarLogger) for c in self._batch_end)
        logs = running_logs() if needs_logs else {}
        for callback in self._batch_end:
            callback.on_train_batch_end(batch, logs)
