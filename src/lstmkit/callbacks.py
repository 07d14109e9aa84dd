"""Callbacks with Keras's names, arguments and semantics.

``fit(..., callbacks=[EarlyStopping(patience=5, restore_best_weights=True),
ModelCheckpoint("best.lstmkit", save_best_only=True)])``. Each hook receives the epoch (from 0)
and the logs (``loss``, the metrics, their ``val_`` versions). Callbacks run in the order given,
before the :class:`History` and the progress display, so both see what a callback adds to the
logs (``learning_rate`` from :class:`ReduceLROnPlateau` and :class:`LearningRateScheduler`).

Per-batch hooks (:class:`TerminateOnNaN`, a :class:`LambdaCallback` given ``on_batch_end``, ...)
read the running loss on every batch, a host synchronisation the loop otherwise avoids.
"""

from __future__ import annotations

import csv
import math
import numbers
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from lstmkit.training.callbacks import Callback, History, Logs, ProgbarLogger

__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]


class _MonitorCallback(Callback):
    """Watches ``monitor`` in the epoch logs and says whether a value improves on the best.

    ``mode``: ``'min'``, ``'max'``, or ``'auto'`` — ``min`` for a loss, the metric's own direction
    for a built-in metric (``max`` for accuracies), an error for a user's metric whose direction
    is unknown (as Keras 3). ``min_delta``: an improvement must exceed it.
    """

    def __init__(self, monitor: str, mode: str, min_delta: float, baseline: float | None) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(
                f"{type(self).__name__} expects mode to be 'auto', 'min' or 'max'; got {mode!r}"
            )
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"{type(self).__name__} expects monitor to be a log key; got {monitor!r}"
            )
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real):
            raise ValueError(f"{type(self).__name__} expects a number min_delta; got {min_delta!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))
        self.baseline = baseline
        self._lower_is_better: bool | None = None

    def _direction(self) -> bool:
        """True when lower is better."""
        if self._lower_is_better is not None:
            return self._lower_is_better
        if self.mode != "auto":
            self._lower_is_better = self.mode == "min"
            return self._lower_is_better
        name = self.monitor.removeprefix("val_")
        lower: bool | None = True if name == "loss" or name.endswith("_loss") else None
        trainer = getattr(self.model, "_trainer", None)
        for metric in getattr(trainer, "metrics", None) or []:
            if metric.name == name and metric.direction is not None:
                lower = metric.direction == "down"
        if lower is None:
            raise ValueError(
                f"{type(self).__name__} cannot tell whether {self.monitor!r} should go up or "
                "down: pass mode='max' to keep the highest value or mode='min' the lowest"
            )
        self._lower_is_better = lower
        return lower

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self._direction():
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def _value(self, logs: Logs | None) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__} is conditioned on {self.monitor!r}, which is not in the "
                f"logs; available: {', '.join(logs or {})}",
                RuntimeWarning,
                stacklevel=3,
            )
        else:
            self._direction()  # fails on the first epoch, not when a comparison first needs it
        return value


class EarlyStopping(_MonitorCallback):
    """Stop training when ``monitor`` has stopped improving (Keras's ``EarlyStopping``).

    Each epoch counts towards ``patience`` unless it improves on the best value by more than
    ``min_delta`` (and, with ``baseline``, also beats the baseline); once ``patience`` epochs pass
    without one, training stops after that epoch. ``restore_best_weights`` puts back the weights
    of the best epoch when training ends. Epochs before ``start_from_epoch`` are ignored.
    ``stopped_epoch`` and ``best_epoch`` (from 0) say what happened.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta, baseline)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping expects patience >= 0; got patience={patience!r}")
        self.patience = patience
        self.verbose = verbose
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: list[np.ndarray] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        current = self._value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(_MonitorCallback):
    """Save the model (or only its weights) at the end of every epoch, or of every
    ``save_freq`` batches (Keras's ``ModelCheckpoint``).

    ``filepath`` may hold ``{epoch}`` (from 1), ``{batch}`` and any log key
    (``"ckpt-{epoch:02d}-{val_loss:.3f}.lstmkit"``). A Keras name (``best.h5``, ``best.keras``)
    writes the Keras file (see :mod:`lstmkit.saving.keras_export`). With ``save_best_only`` the
    file is written only when ``monitor`` improves. Files are written atomically (see
    :func:`lstmkit.saving.save_model`): a crash or Ctrl-C during a save leaves the previous file
    whole. A full checkpoint holds the optimizer state and the training stream, so
    ``load_model(path)`` then ``fit(..., initial_epoch=<epochs done>)`` resumes exactly.
    Under data-parallel training (torchrun) it runs on rank 0 only.
    """

    writes_files = True

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, 0.0, initial_value_threshold)
        from lstmkit.saving.files import check_lstmkit_path

        self.filepath = os.fspath(filepath)
        if not self.filepath.lower().endswith((".keras", ".h5", ".hdf5")):
            check_lstmkit_path(self.filepath, "ModelCheckpoint filepath")
        elif save_weights_only and self.filepath.lower().endswith(".keras"):
            raise ValueError(
                f"ModelCheckpoint: save_weights_only=True writes a weights file; "
                f"{self.filepath!r} names a whole .keras model (use a .weights.h5 name)"
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0
        ):
            raise ValueError(
                f"ModelCheckpoint expects save_freq='epoch' or a positive number of batches; "
                f"got save_freq={save_freq!r}"
            )
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._epoch = 0
        self._batches_since_save = 0
        if save_freq != "epoch":
            self.on_train_batch_end = self._batch_end  # per-batch only when asked for

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def _batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _path(self, epoch: int, batch: int | None, logs: Logs) -> str:
        fields = {**logs, "epoch": epoch + 1}
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint cannot fill in filepath {self.filepath!r} ({error}); it may use "
                f"{{epoch}}, {{batch}} and the log keys: {', '.join(fields)}"
            ) from None

    def _save(self, epoch: int, batch: int | None, logs: Logs | None) -> None:
        logs = dict(logs or {})
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint can save the best model only when {self.monitor!r} is in "
                    f"the logs; available: {', '.join(logs)}. Saving anyway.",
                    RuntimeWarning,
                    stacklevel=3,
                )
            elif self._is_improvement(current, self.best):
                if self.verbose > 0:
                    before = "None" if self.best is None else f"{self.best:.5f}"
                    print(
                        f"\nEpoch {epoch + 1}: {self.monitor} improved from {before} to "
                        f"{current:.5f}, saving model to {path}"
                    )
                self.best = current
            else:
                if self.verbose > 0:
                    print(
                        f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}"
                    )
                return
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` and every log key in sorted order (Keras's
    ``CSVLogger``). Each row is flushed to disk as it is written, so an interrupted run keeps its
    log; ``append=True`` continues an existing file (a resumed run). Under data-parallel
    training (torchrun) it runs on rank 0 only."""

    writes_files = True

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self._file: Any = None
        self._writer: Any = None
        self._keys: list[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        has_rows = (
            self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        )
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._writer = None
        self._keys = None
        self._header_written = has_rows

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer = csv.DictWriter(
                self._file, fieldnames=["epoch", *self._keys], delimiter=self.separator
            )
            if not self._header_written:
                self._writer.writeheader()
        row = {"epoch": epoch, **{key: logs.get(key, "NA") for key in self._keys}}
        self._writer.writerow(row)
        self._file.flush()
        os.fsync(self._file.fileno())

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class TerminateOnNaN(Callback):
    """Stop training as soon as the running loss is NaN or infinite (Keras's
    ``TerminateOnNaN``); the epoch ends at that batch."""

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class ReduceLROnPlateau(_MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, then wait ``cooldown`` epochs; never below ``min_lr``
    (Keras's ``ReduceLROnPlateau``). Adds ``learning_rate`` (the rate the epoch ran with) to the
    logs, hence to the History."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta, None)
        if not isinstance(factor, numbers.Real) or not 0.0 <= factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau expects 0 <= factor < 1; got factor={factor!r}")
        self.factor = float(factor)
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = float(min_lr)
        self.best: float | None = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        current = self._value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(optimizer.learning_rate)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {new}."
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)``), Keras's ``LearningRateScheduler``; adds ``learning_rate`` to the
    logs."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler expects a function schedule(epoch, lr); "
                f"got {type(schedule).__name__}"
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        current = float(optimizer.learning_rate)
        try:
            rate = self.schedule(epoch, current)
        except TypeError:  # a one-argument schedule, as older Keras allowed
            rate = self.schedule(epoch)
        if isinstance(rate, np.generic | np.ndarray) and np.size(rate) == 1:
            rate = float(rate)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not math.isfinite(rate):
            raise ValueError(
                f"LearningRateScheduler: schedule({epoch}) must return a finite float; got {rate!r}"
            )
        optimizer.learning_rate = float(rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class LambdaCallback(Callback):
    """A callback from plain functions (Keras's ``LambdaCallback``)::

        LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))

    ``on_epoch_begin``/``on_epoch_end`` take ``(epoch, logs)``, ``on_batch_begin``/
    ``on_batch_end`` (also spelled ``on_train_batch_*``) take ``(batch, logs)``,
    ``on_train_begin``/``on_train_end`` take ``(logs)``. Per-batch functions cost a host sync per
    batch; the others cost nothing per batch.
    """

    _HOOKS = (
        "on_epoch_begin",
        "on_epoch_end",
        "on_train_begin",
        "on_train_end",
        "on_train_batch_begin",
        "on_train_batch_end",
    )

    def __init__(self, **hooks: Callable[..., Any] | None) -> None:
        super().__init__()
        for alias, name in (
            ("on_batch_begin", "on_train_batch_begin"),
            ("on_batch_end", "on_train_batch_end"),
        ):
            if alias in hooks:
                if hooks.get(name) is not None:
                    raise ValueError(f"LambdaCallback takes {alias} or {name}, not both")
                hooks[name] = hooks.pop(alias)
        unknown = sorted(set(hooks) - set(self._HOOKS))
        if unknown:
            raise TypeError(
                f"LambdaCallback got unknown hook(s) {', '.join(unknown)}; it takes "
                f"{', '.join(self._HOOKS)} and on_batch_begin/on_batch_end"
            )
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function")
            setattr(self, name, function)
