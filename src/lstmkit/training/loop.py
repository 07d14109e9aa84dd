"""The training loop, built once at ``compile`` and cheap per call.

Data become tensors once per ``fit``/``evaluate``/``predict`` call; batches are slices of those
tensors; losses and metrics accumulate as tensors and are read back to Python floats once per
epoch (or when a progress bar or a per-batch callback asks). The named steps —
:meth:`Trainer.train_step`, :meth:`Trainer.test_step`, :meth:`Trainer.predict_step` — are the
places to override.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
import torch

from lstmkit import losses as losses_module
from lstmkit import metrics as metrics_module
from lstmkit.layers.base import Shape
from lstmkit.optimizers import Optimizer
from lstmkit.training import distributed, native_step
from lstmkit.training.batches import BatchSource, is_batch_source, sample_weights, source_arrays
from lstmkit.training.callbacks import (
    Callback,
    CallbackList,
    History,
    ProgbarLogger,
    epoch_line,
)
from lstmkit.training.data import Aligned, check_positive_int, to_inputs, to_targets
from lstmkit.training.interrupt import DeferredInterrupt, warn_interrupted
from lstmkit.training.regularization import regularized_weights

__all__ = ["Trainer"]


class TrainableModel(Protocol):
    """What the loop needs of a model (``Sequential`` now, functional models later)."""

    stop_training: bool
    input_shape: Shape
    output_shape: Shape

    @property
    def device(self) -> torch.device: ...
    def forward(self, inputs: torch.Tensor, training: bool) -> torch.Tensor: ...
    def forward_masked(
        self, inputs: torch.Tensor, training: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]: ...
    def ensure_built(self, input_shape: Shape) -> None: ...
    @property
    def trainable_weights(self) -> list[torch.nn.Parameter]: ...
    @property
    def fixed_batch_size(self) -> int | None: ...
    @property
    def first_layer_type(self) -> str: ...


def _batches(n: int, batch_size: int) -> Iterator[slice]:
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


class Trainer:
    """Holds what ``compile`` resolved — optimizer, loss, metrics — and runs fit, evaluate and
    predict for one model."""

    def __init__(
        self,
        model: TrainableModel,
        optimizer: Optimizer | None,
        loss: losses_module.Loss | None,
        metrics: list[Any],
    ) -> None:
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self._metric_ids = metrics
        self.metrics: list[metrics_module.Metric] | None = None
        self._params: list[torch.nn.Parameter] = []
        #: Where the model's weights are, read when data enter (:meth:`_data`).
        self._device = torch.device("cpu")
        self._loss_total = torch.zeros(())
        self._loss_count = 0
        # Built-in losses know what y must look like; a user's function decides for itself.
        self._loss_name = loss.name if loss is not None and losses_module.is_builtin(loss) else None
        #: The random stream of training (see :meth:`training_generator_state`).
        self.rng_state: torch.Tensor | None = None
        #: Epochs finished by ``fit`` calls of this model, counted as Keras counts them: the
        #: ``initial_epoch`` a resumed run passes.
        self.epochs_done = 0
        #: The whole training step in one native call, when the model fits it (planned per fit).
        self._native_step: native_step.NativeTrainStep | None = None
        #: Metrics updated once per read, not per batch (see _prepare_training), and the
        #: ``(y, prediction)`` batches waiting for them.
        self._defer_metrics = False
        self._pending: list[tuple[torch.Tensor, torch.Tensor]] = []
        #: ``(regularizer, weight)`` pairs whose penalties join the loss (layers'
        #: ``weight_regularizers``; found when training or evaluation starts).
        self._regularized: list[tuple[Any, torch.Tensor]] = []
        #: Which training step the last ``fit`` ran: ``"native"`` (forward, loss, backward through
        #: time and the optimizer update in one call of the compiled kernel) or ``"autograd"``
        #: (the model's layers, ``torch.autograd.grad`` and the optimizer); ``None`` before.
        self.step_path: str | None = None
        #: The data-parallel side of the running ``fit`` under torchrun (``None`` otherwise).
        self._parallel: distributed.DataParallel | None = None

    # -- preparation, done once and redone only when something changed --------------------------

    def _prepare_training(
        self, y: torch.Tensor, batch_size: int | None = None, weighted: bool = False
    ) -> None:
        """Build the optimizer and metrics, and plan the native step for ``batch_size`` (the
        batch size ``fit`` trains with: a model too big for the native kernel at that size
        keeps the autograd step). Sample weights (``weighted``) take the autograd step."""
        self.build_optimizer()
        self._resolve_metrics(y)
        self._regularized = regularized_weights(self.model)
        self._native_step = (
            None
            if weighted or self._regularized
            else native_step.plan(
                self.model,
                self.loss,
                self.optimizer,
                self.metrics,
                batch_size,
                device=self.model.device,
            )
        )
        self.step_path = "autograd" if self._native_step is None else "native"
        # With the native step, metrics whose result does not depend on the batching are updated
        # once per epoch, on the batches' targets and predictions together: per batch they
        # would cost more than the step itself on the small models that step is for.
        self._defer_metrics = self._native_step is not None and all(
            metric.batch_invariant for metric in self.metrics
        )

    def build_optimizer(self) -> None:
        """Build the optimizer's state for the model's trainable weights, unless it already holds
        state for exactly these weights (so a loaded optimizer state survives into ``fit``)."""
        params = self.model.trainable_weights
        if len(params) != len(self._params) or any(
            a is not b for a, b in zip(params, self._params, strict=True)
        ):
            self._params = params
            self.optimizer.build(params)

    def training_generator_state(self) -> torch.Tensor:
        """The state of the random stream ``fit`` draws shuffles and dropout masks from, a
        ``uint8`` tensor; made from the global generator on first use, so
        ``set_random_seed`` fixes it. Saving keeps it, so a resumed run draws what an
        uninterrupted one would have."""
        if self.rng_state is None:
            seed = int(torch.randint(0, 2**62, (1,)).item())
            self.rng_state = torch.Generator().manual_seed(seed).get_state()
        return self.rng_state

    def _resolve_metrics(self, y: torch.Tensor) -> None:
        if self.metrics is not None:
            return
        loss_name = self.loss.name if self.loss is not None else None
        if not isinstance(y, Aligned):
            self._metric_outputs: list[int | None] = [None] * len(self._metric_ids)
            self.metrics = [
                metrics_module.get(
                    identifier,
                    loss_name=loss_name,
                    y_true_shape=tuple(y.shape),
                    y_pred_shape=tuple(self.model.output_shape),
                )
                for identifier in self._metric_ids
            ]
            return
        # Several outputs: every metric on every output, named after the output, as Keras.
        self.metrics, self._metric_outputs = [], []
        for index, (target, shape) in enumerate(zip(y, self.model.output_shape, strict=True)):
            for identifier in self._metric_ids:
                metric = metrics_module.get(
                    identifier,
                    loss_name=loss_name,
                    y_true_shape=tuple(target.shape),
                    y_pred_shape=tuple(shape),
                )
                metric.name = f"{self.model.output_names[index]}_{metric.name}"
                self.metrics.append(metric)
                self._metric_outputs.append(index)

    def _require_loss(self, call: str) -> losses_module.Loss:
        if self.loss is None:
            raise RuntimeError(f"{call}() needs a loss: compile the model with loss=...")
        return self.loss

    def _batch_size(self, batch_size: Any, n: int, default: int) -> int:
        fixed = self.model.fixed_batch_size
        if batch_size is None:
            batch_size = fixed if fixed is not None else default
        batch_size = check_positive_int("batch_size", batch_size)
        if fixed is not None:
            if batch_size != fixed:
                raise ValueError(
                    f"this stateful model has a fixed batch size of {fixed} "
                    f"(batch_input_shape); got batch_size={batch_size}"
                )
            if n % fixed:
                raise ValueError(
                    f"a stateful model with batch size {fixed} needs a number of samples that is "
                    f"a multiple of {fixed}; got {n} samples"
                )
        return batch_size

    def _data(
        self, x: Any, y: Any | None, prefix: str = ""
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``x`` and ``y`` checked and converted, on the model's device: the one place where data
        move to it, once per ``fit``/``evaluate``/``predict`` call (per batch only for batches
        a generator or Sequence gives). Batches are then slices on that device."""
        xt, yt = self._host_data(x, y, prefix)
        device = self._device = self.model.device
        if device.type == "cpu":  # from_numpy made them there
            return xt, yt
        return _on_device(xt, device), _on_device(yt, device)

    def _host_data(
        self, x: Any, y: Any | None, prefix: str = ""
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        model = self.model
        x_arg = f"{prefix}x"
        if isinstance(model.input_shape, list):
            return self._data_several(x, y, prefix)
        if (
            isinstance(x, list | tuple)
            and len(x) == 1
            and model.input_shape is not None
            and getattr(x[0], "ndim", None) == len(model.input_shape)
        ):
            x = x[0]  # [x] for a model of one input, as Keras accepts it
        if model.input_shape is None:
            array = x if isinstance(x, np.ndarray) else np.asarray(x, dtype=np.float32)
            model.ensure_built((None, *array.shape[1:]))
        xt = to_inputs(x, model.input_shape, model.first_layer_type, x_arg)
        if y is None:
            return xt, None
        return xt, self._targets(y, xt.shape[0], prefix)

    def _targets(self, y: Any, n: int, prefix: str) -> torch.Tensor:
        shapes = self.model.output_shape
        if not isinstance(shapes, list):
            return to_targets(y, n, shapes, f"{prefix}y", self._loss_name)
        if not isinstance(y, list | tuple) or len(y) != len(shapes):
            raise ValueError(
                f"this model has {len(shapes)} outputs, so {prefix}y must be a list of "
                f"{len(shapes)} arrays; got {type(y).__name__}"
                + (f" of length {len(y)}" if isinstance(y, list | tuple) else "")
            )
        return Aligned(
            to_targets(part, n, shape, f"{prefix}y[{i}]", self._loss_name)
            for i, (part, shape) in enumerate(zip(y, shapes, strict=True))
        )

    def _data_several(self, x: Any, y: Any, prefix: str) -> tuple[Any, Any]:
        shapes = self.model.input_shape
        if not isinstance(x, list | tuple) or len(x) != len(shapes):
            raise ValueError(
                f"this model has {len(shapes)} inputs, so {prefix}x must be a list of "
                f"{len(shapes)} arrays; got {type(x).__name__}"
                + (f" of length {len(x)}" if isinstance(x, list | tuple) else "")
            )
        xt = Aligned(
            to_inputs(part, shape, name, f"{prefix}x[{i}]")
            for i, (part, shape, name) in enumerate(
                zip(x, shapes, self.model.input_names, strict=True)
            )
        )
        counts = [t.shape[0] for t in xt]
        if len(set(counts)) > 1:
            raise ValueError(f"the inputs in {prefix}x must have the same samples; got {counts}")
        return xt, (None if y is None else self._targets(y, counts[0], prefix))

    def _loss_of(self, y: Any, y_pred: Any, mask: Any, weights: Any = None) -> torch.Tensor:
        """The loss; with several outputs, the sum of the loss of each (Keras's default).
        ``weights`` ``(batch,)``: per-sample weights (``sample_weight``/``class_weight``).
        The layers' weight penalties (regularizers) are added, in training and evaluation
        alike, as Keras adds them."""
        loss = self._data_loss(y, y_pred, mask, weights)
        for regularizer, weight in self._regularized:
            loss = loss + regularizer(weight)
        return loss

    def _data_loss(self, y: Any, y_pred: Any, mask: Any, weights: Any = None) -> torch.Tensor:
        if not isinstance(y_pred, tuple):
            if weights is None:
                return self.loss(y, y_pred, mask)
            return self.loss(y, y_pred, mask, sample_weight=weights)
        masks = mask if mask is not None else (None,) * len(y_pred)
        if weights is None:
            return sum(self.loss(t, p, m) for t, p, m in zip(tuple(y), y_pred, masks, strict=True))
        return sum(
            self.loss(t, p, m, sample_weight=weights)
            for t, p, m in zip(tuple(y), y_pred, masks, strict=True)
        )

    # -- the steps ------------------------------------------------------------------------------

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor | None = None
    ) -> None:
        """Forward, loss, gradients, one optimizer update, and accumulate loss and metrics.
        Masked timesteps of a sequence output count in neither; ``weights`` ``(batch,)``
        weigh each sample's loss."""
        if self._native_step is not None and weights is None:
            loss = self._native_step(x, y)
            if self._defer_metrics:
                self._loss_total.add_(loss, alpha=x.shape[0])
                self._loss_count += x.shape[0]
                if self.metrics:
                    self._pending.append((y, self._native_step.prediction))
            else:
                self._accumulate(loss, y, self._native_step.prediction, x.shape[0])
            return
        y_pred, mask = self.model.forward_masked(x, training=True)
        loss = self._loss_of(y, y_pred, mask, weights)
        grads = torch.autograd.grad(loss, self._params, allow_unused=True, materialize_grads=True)
        if self._parallel is not None:
            grads = self._parallel.average(grads)
        self.optimizer.apply(list(grads))
        self._accumulate(loss, y, y_pred, x.shape[0], mask)

    def test_step(
        self, x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor | None = None
    ) -> None:
        y_pred, mask = self.model.forward_masked(x, training=False)
        self._accumulate(self._loss_of(y, y_pred, mask, weights), y, y_pred, x.shape[0], mask)

    def predict_step(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forward(x, training=False)

    def _accumulate(
        self,
        loss: torch.Tensor,
        y: torch.Tensor,
        y_pred: torch.Tensor,
        n: int,
        mask: torch.Tensor | None = None,
    ) -> None:
        # Keras weights each batch's mean loss by the batch's size.
        with torch.no_grad():
            self._loss_total.add_(loss.detach(), alpha=n)
            self._loss_count += n
            if isinstance(y_pred, tuple):
                for metric, index in zip(self.metrics, self._metric_outputs, strict=True):
                    part_mask = None if mask is None else mask[index]
                    pred = y_pred[index].detach()
                    if part_mask is None:
                        metric.update_state(y[index], pred)
                    else:
                        metric.update_state(y[index], pred, mask=part_mask)
                return
            y_pred = y_pred.detach()
            for metric in self.metrics:
                if mask is None:
                    metric.update_state(y, y_pred)
                else:
                    metric.update_state(y, y_pred, mask=mask)

    def _reset_trackers(self) -> None:
        # On the model's device, where the losses it adds are (no copy per batch).
        self._loss_total = torch.zeros((), device=self._device)
        self._loss_count = 0
        self._pending.clear()
        for metric in self.metrics:
            metric.reset_state()

    def _flush_pending(self) -> None:
        """Update the deferred metrics with the batches trained since the last read."""
        if not self._pending:
            return
        ys, predictions = zip(*self._pending, strict=True)
        self._pending.clear()
        y, prediction = torch.cat(ys), torch.cat(predictions)
        with torch.no_grad():
            for metric in self.metrics:
                metric.update_state(y, prediction)

    def _results(self, reduce: bool = False) -> dict[str, float]:
        """The loss and metrics so far; with ``reduce`` (at an epoch's end, under data-parallel
        training) over all processes."""
        self._flush_pending()
        averaged: dict[str, float] = {}
        if reduce and self._parallel is not None:
            averaged = self._parallel.reduce_trackers(self)
        logs = {"loss": float(self._loss_total) / max(self._loss_count, 1)}
        for metric in self.metrics:
            name = metric.name
            logs[name] = averaged[name] if name in averaged else float(metric.result())
        return logs

    # -- public calls ---------------------------------------------------------------------------

    def fit(
        self,
        x: Any,
        y: Any,
        *,
        batch_size: int | None,
        epochs: int,
        verbose: int | str,
        callbacks: list[Callback] | None,
        validation_split: float,
        validation_data: tuple[Any, Any] | None,
        shuffle: bool,
        initial_epoch: int,
        sample_weight: Any = None,
        class_weight: Any = None,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
    ) -> History:
        self._require_loss("fit")
        if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer; got epochs={epochs!r}")
        epochs = int(epochs)
        verbose = _check_verbose(verbose)
        if (
            isinstance(initial_epoch, bool)
            or not isinstance(initial_epoch, int)
            or initial_epoch < 0
        ):
            raise ValueError(f"initial_epoch must be a non-negative integer; got {initial_epoch!r}")
        if not isinstance(validation_split, int | float) or not 0.0 <= validation_split < 1.0:
            raise ValueError(f"validation_split must be in [0, 1); got {validation_split!r}")
        if validation_split and validation_data is not None:
            raise ValueError("give validation_split or validation_data, not both")

        source = BatchSource(x, steps_per_epoch) if is_batch_source(x) else None
        if source is not None:
            if y is not None or sample_weight is not None or validation_split:
                raise ValueError(
                    "x is a generator or a Sequence, which gives the batches (x, y) or (x, y, "
                    "sample_weight): y, sample_weight and validation_split must not be given; got "
                    + ", ".join(
                        name
                        for name, value in (
                            ("y", y),
                            ("sample_weight", sample_weight),
                            ("validation_split", validation_split or None),
                        )
                        if value is not None
                    )
                )
            first_x, first_y, first_w = source.first()
            if first_y is None:
                raise ValueError("x gave a batch without targets; fit needs (x, y) batches")
            xt, yt = self._data(first_x, first_y)
            weights = None  # they come with each batch
            weighted = first_w is not None or class_weight is not None
        else:
            xt, yt = self._data(x, y)
            weights = sample_weights(sample_weight, class_weight, yt, xt.shape[0])
            weighted = weights is not None
        val: tuple[torch.Tensor, torch.Tensor] | None = None
        if validation_data is not None and is_batch_source(validation_data):
            vx, vy, _ = source_arrays(
                BatchSource(validation_data, validation_steps, "validation_data"),
                "validation_data",
            )
            val = self._data(vx, vy, prefix="validation_data ")
        elif validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise ValueError(
                    "validation_data must be a tuple (x_val, y_val); "
                    f"got {type(validation_data).__name__}"
                )
            val = self._data(*validation_data, prefix="validation_data ")
        elif validation_split:
            # Keras takes the last samples, before any shuffling.
            split = int(xt.shape[0] * (1.0 - validation_split))
            if split == 0 or split == xt.shape[0]:
                raise ValueError(
                    f"validation_split={validation_split} of {xt.shape[0]} samples leaves "
                    "an empty training or validation set"
                )
            val = (xt[split:], yt[split:])
            xt, yt = xt[:split], yt[:split]
            if weights is not None:
                weights = weights[:split]
        n = xt.shape[0]
        # From a source, the first batch's size: what the native step is planned for.
        batch_size = n if source is not None else self._batch_size(batch_size, n, default=32)
        if val is not None:
            self._batch_size(batch_size, val[0].shape[0], default=batch_size)
        if shuffle and source is None and self.model.fixed_batch_size is not None:
            warnings.warn(
                "shuffle=True reorders the samples of a stateful model, so the state carried from "
                "one batch to the next no longer follows the sequence; pass shuffle=False",
                stacklevel=3,
            )
        self._prepare_training(yt, batch_size, weighted)
        parallel = self._parallel = self._start_parallel(
            shuffle, source, n if source is None else source.steps
        )
        split = parallel is not None and not parallel.keeps_whole_sequences(self.model)
        if split:
            n_own = -(-n // parallel.world)
            if val is not None:  # validation is split without padding; results are reduced
                val = (
                    val[0][parallel.rank :: parallel.world],
                    val[1][parallel.rank :: parallel.world],
                )
        else:
            n_own = n

        if source is None:
            steps = -(-n_own // batch_size)
        else:  # a Sequence's batches are shared out as samples are (see positions)
            steps = source.steps if parallel is None else -(-source.steps // parallel.world)

        def epoch_batches(epoch: int) -> Iterator[tuple[Any, Any, Any]]:
            if source is not None:
                batches = source.epoch(shuffle)
                if parallel is not None:
                    # The same batch order on every process, shared out r::world.
                    order = torch.tensor(source.sequence_order(shuffle), dtype=torch.int64)
                    indices = distributed.shard_positions(order, parallel.rank, parallel.world)
                    parallel.enter_own_stream(epoch)
                    batches = source.sequence_batches(indices.tolist())
                for bx, by, bw in batches:
                    xb, yb = self._data(bx, by)
                    yield xb, yb, sample_weights(bw, class_weight, yb, xb.shape[0])
                return
            xs, ys, ws = xt, yt, weights
            order = None
            if split:
                order = parallel.positions(n, shuffle)
            elif shuffle:
                order = torch.randperm(n)
            if order is not None:
                xs, ys = xt[order], yt[order]
                ws = None if weights is None else weights[order]
            if parallel is not None:
                parallel.enter_own_stream(epoch)
            for rows in _batches(n_own, batch_size):
                yield xs[rows], ys[rows], (None if ws is None else ws[rows])

        history = History()
        # As Keras: the user's callbacks first, then the History and the progress display, so
        # both see what the user's callbacks add to the logs (``learning_rate``).
        callback_list = [*(callbacks or []), history]
        if parallel is not None:  # only rank 0 writes files and prints
            callback_list = parallel.callbacks(callback_list)
            verbose = verbose if parallel.rank == 0 else 0
        if verbose:
            callback_list.append(ProgbarLogger(verbose, self._results))
        hooks = CallbackList(
            callback_list, self.model, {"epochs": epochs, "steps": steps, "verbose": verbose}
        )
        self.model.stop_training = False
        self.model.history = history
        generator_state = self.training_generator_state()
        logs: dict[str, float] = {}
        # Shuffles and dropout masks come from the model's own stream (restored from a saved
        # file on resume), not from whatever the global generator holds; the caller's global
        # generator is left as it was.
        quiet = parallel.quiet() if parallel is not None else contextlib.nullcontext()
        with torch.random.fork_rng(devices=[]), DeferredInterrupt() as interrupt, quiet:
            torch.set_rng_state(generator_state)
            hooks.on_train_begin()
            try:
                for epoch in range(initial_epoch, epochs):
                    hooks.on_epoch_begin(epoch)
                    self._reset_trackers()
                    per_batch = hooks.wants_batch_hooks
                    finished = 0
                    for step, (xb, yb, wb) in enumerate(epoch_batches(epoch)):
                        if per_batch:
                            hooks.on_train_batch_begin(step)
                        # Overrides of train_step(x, y) keep working when there are no weights.
                        if wb is None:
                            self.train_step(xb, yb)
                        else:
                            self.train_step(xb, yb, wb)
                        finished += 1
                        if per_batch:
                            hooks.on_train_batch_end(step, self._results)
                        if parallel is not None:
                            parallel.agree(interrupt, self.model)
                        if interrupt.requested or self.model.stop_training:
                            break
                    if parallel is not None:
                        parallel.leave_own_stream()
                    if interrupt.requested:
                        warn_interrupted(epoch, finished, steps)
                        break
                    logs = self._results(reduce=True)
                    if val is not None:
                        val_logs = self._evaluate_tensors(*val, batch_size, reduce=True)
                        logs.update({f"val_{key}": value for key, value in val_logs.items()})
                    # The state a checkpoint taken now must hold to resume at ``epoch + 1``.
                    self.epochs_done = epoch + 1
                    self.rng_state = torch.get_rng_state()
                    hooks.on_epoch_end(epoch, logs)
                    if parallel is not None:
                        parallel.agree(interrupt, self.model)
                    if interrupt.requested:
                        warn_interrupted(epoch + 1, 0, steps)
                        break
                    if self.model.stop_training:
                        break
            finally:
                if parallel is not None:
                    parallel.leave_own_stream()
                    self._parallel = None
                # The next fit continues the stream where this one stopped.
                self.rng_state = torch.get_rng_state()
                hooks.on_train_end(logs)
        return history

    def _start_parallel(
        self, shuffle: bool, source: BatchSource | None, n: int
    ) -> distributed.DataParallel | None:
        """Under torchrun (several processes), the data-parallel side of this ``fit``, started
        (see :mod:`lstmkit.training.distributed`); else ``None``, and nothing changes. ``n``:
        the training samples, or a Sequence's batches."""
        if not distributed.launched():
            return None
        distributed.DataParallel.check(self.model, shuffle, source)
        parallel = distributed.DataParallel()
        parallel.start(self, n)
        # The native kernel updates the weights inside the call: the averaged gradients need
        # the autograd step (the trade-off is measured in benchmarks/distributed.py).
        self._native_step = None
        self.step_path = "autograd"
        self._defer_metrics = False
        return parallel

    def _evaluate_tensors(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        weights: Any = None,
        reduce: bool = False,
    ) -> dict[str, float]:
        """``reduce``: the results over all processes (a data-parallel ``fit``'s validation,
        each process holding its part of ``x``, possibly none)."""
        self._reset_trackers()
        with torch.no_grad():
            if x.shape[0] == 0:
                pass  # this process's part of the validation data is empty
            elif weights is not None:
                for rows in _batches(x.shape[0], batch_size):
                    self.test_step(x[rows], y[rows], weights[rows])
            elif self._evaluates_whole(y):
                # The same numbers as batch by batch (Keras weights each batch's mean loss by
                # its size: the mean over all samples), with one loss and one metric update
                # instead of one per batch.
                predictions = [
                    self.model.forward(x[rows], training=False)
                    for rows in _batches(x.shape[0], batch_size)
                ]
                prediction = torch.cat(predictions) if len(predictions) > 1 else predictions[0]
                self._accumulate(self._loss_of(y, prediction, None), y, prediction, x.shape[0])
            else:
                for rows in _batches(x.shape[0], batch_size):
                    self.test_step(x[rows], y[rows])
        return self._results(reduce)

    def _evaluates_whole(self, y: Any) -> bool:
        """Whether evaluation may take the loss and metrics once over all batches' predictions:
        a built-in (per-sample) loss, metrics that do not depend on the batching, one output
        (several come as an ``Aligned`` tuple, not a tensor), no masks."""
        return (
            isinstance(y, torch.Tensor)
            and self.loss is not None
            and losses_module.is_builtin(self.loss)
            and all(metric.batch_invariant for metric in self.metrics)
            and not getattr(self.model, "_creates_mask", False)
        )

    def evaluate(
        self,
        x: Any,
        y: Any,
        *,
        batch_size: int | None,
        verbose: int | str,
        sample_weight: Any = None,
        steps: int | None = None,
    ) -> dict[str, float]:
        """``x`` may be a generator or a Sequence of ``(x, y)`` batches (``steps`` of them)."""
        self._require_loss("evaluate")
        verbose = _check_verbose(verbose)
        started = time.perf_counter()
        if is_batch_source(x):
            if y is not None:
                raise ValueError("x is a generator or a Sequence giving (x, y): y must be None")
            x, y, sample_weight = source_arrays(BatchSource(x, steps), "x")
        xt, yt = self._data(x, y)
        batch_size = self._batch_size(batch_size, xt.shape[0], default=32)
        self._resolve_metrics(yt)
        self._regularized = regularized_weights(self.model)
        weights = sample_weights(sample_weight, None, yt, xt.shape[0])
        logs = self._evaluate_tensors(xt, yt, batch_size, weights)
        if verbose:
            steps = -(-xt.shape[0] // batch_size)
            print(epoch_line(steps, time.perf_counter() - started, logs))
        return logs

    def predict(
        self, x: Any, *, batch_size: int | None, steps: int | None = None
    ) -> np.ndarray | list[np.ndarray]:
        """``x`` may be a generator or a Sequence of batches (``x`` or ``(x, y)``)."""
        if is_batch_source(x):
            x, _, _ = source_arrays(BatchSource(x, steps), "x")
        xt, _ = self._data(x, None)
        batch_size = self._batch_size(batch_size, xt.shape[0], default=32)
        with torch.no_grad():
            if xt.shape[0] <= batch_size:
                outputs = self.predict_step(xt)
            else:
                parts = [self.predict_step(xt[rows]) for rows in _batches(xt.shape[0], batch_size)]
                if isinstance(parts[0], tuple):
                    outputs = tuple(torch.cat(pieces) for pieces in zip(*parts, strict=True))
                else:
                    outputs = torch.cat(parts)
        # On the host, whatever the model's device (a no-op on the CPU).
        if isinstance(outputs, tuple):  # several outputs: a list of arrays, as Keras
            return [o.cpu().numpy() for o in outputs]
        return outputs.cpu().numpy()


def _on_device(data: Any, device: torch.device) -> Any:
    """``data`` (a tensor, an :class:`Aligned` of tensors, or ``None``) on ``device``."""
    if data is None:
        return None
    if isinstance(data, Aligned):
        return Aligned(tensor.to(device) for tensor in data)
    return data.to(device)


def _check_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2; got verbose={verbose!r}")
    return int(verbose)
