"""Data-parallel training on PyTorch's distributed runtime (``torchrun``).

A script that calls ``model.fit(...)`` and is started with ``torchrun --nproc_per_node=N
script.py`` (or across machines with torchrun's rendezvous flags) trains data-parallel: every
process builds the same model, and :class:`DataParallel` — made by the training loop when
:func:`launched` is true — does the rest:

* **The process group** is joined lazily, at the first ``fit``: ``gloo`` for weights on the
  CPU, ``nccl`` for weights on a CUDA device, from the ``env://`` variables torchrun sets
  (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``). A group the
  script made itself (``torch.distributed.init_process_group``) is used as it is.
* **The same start:** at the start of every ``fit``, rank 0's weights, optimizer state and
  training random stream are broadcast, so processes that were seeded differently (or not at
  all), or a model restored on rank 0 only, start from one model and draw one shuffle.
* **Shards** (``DistributedSampler``'s semantics): every epoch, all processes draw the same
  permutation of the ``n`` samples (or take ``0..n-1`` with ``shuffle=False``), pad it to a
  multiple of the world size by repeating its first samples, and process ``r`` keeps positions
  ``r, r + W, r + 2W, ...``. With a per-process ``batch_size`` of ``B``, the ``k``-th batches of
  the ``W`` processes together are exactly the ``k``-th batch of size ``W·B`` of one process on
  the same permutation, so training on ``W`` processes with ``batch_size=B`` computes what one
  process computes with ``batch_size=W·B`` (up to the order of float sums).
* **Gradients** are averaged (one ``all_reduce`` of all of them, flattened, per step) before the
  optimizer's update, so every process applies the same update and keeps identical weights.
  This takes the regular autograd step: the native whole-step kernel
  (:mod:`lstmkit.training.native_step`) applies Adam inside the kernel, with no point between
  the gradients and the update where they could be averaged (see :meth:`DataParallel.start`).
* **Logs:** the loss and the metrics of an epoch, and the validation's, are reduced over the
  processes weighted by their samples: every process's History holds the same numbers, those of
  the whole data. The validation data are split ``r::W`` without padding.
* **Only rank 0 prints and writes:** on the other ranks ``verbose`` is 0, what is printed to
  ``sys.stdout`` during ``fit`` is dropped, callbacks that write files (``ModelCheckpoint``,
  ``CSVLogger``: their ``writes_files``) are left out, and ``model.save``/``save_weights`` do
  nothing (no barrier: a script that saves from rank 0 only must not hang; a process that reads
  the file back calls ``torch.distributed.barrier()`` after the save).
* **Stopping** (``EarlyStopping``, ``TerminateOnNaN``, Ctrl-C) is agreed after every batch (one
  ``all_reduce`` of two flags): one process asking stops all of them after the same batch.
* ``evaluate`` and ``predict`` are not distributed: each process computes on what it is given.

A **stateful** LSTM carries its state from sample ``i`` of batch ``k`` to sample ``i`` of batch
``k + 1``: its batches are consecutive pieces of ``batch_size`` parallel streams. Splitting the
samples over processes (or shuffling them) would hand the pieces of one stream to different
processes and to different rows, so a stateful model is refused unless ``shuffle=False``; it
then trains on the data each process is given, unsplit: each process passes its own whole
streams (for example its own series), all processes the same number of samples, and the
gradients are averaged as for any model.

A Keras ``Sequence`` (``TimeseriesGenerator`` included) is shared out by batches as arrays are
by samples: the same permutation of its batch indices (the first ``steps_per_epoch``) on every
process, padded, ``r::W``; each process's ``on_epoch_end()`` is called. Each process's batch
counts the same in the average, so a short last batch weighs as much as a full one. Batches from
a generator are refused: lstmkit cannot share out a stream it does not index.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import time
import zlib
from collections.abc import Sequence
from typing import Any

import torch

__all__ = [
    "DataParallel",
    "is_main_process",
    "launched",
    "rank",
    "shard_positions",
    "world_size",
]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"the environment variable {name} must be an integer (torchrun sets it); got {value!r}"
        ) from None


def _group_ready() -> bool:
    # torch imports torch.distributed itself; is_available() is false on builds without it.
    dist = torch.distributed
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    """The number of training processes: the process group's size when one is initialized,
    else ``WORLD_SIZE`` (set by torchrun), else 1."""
    if _group_ready():
        return torch.distributed.get_world_size()
    return _env_int("WORLD_SIZE", 1)


def rank() -> int:
    """This process's rank (0 to ``world_size() - 1``): the process group's, else ``RANK``
    (set by torchrun), else 0."""
    if _group_ready():
        return torch.distributed.get_rank()
    return _env_int("RANK", 0)


def is_main_process() -> bool:
    """Whether this process is rank 0, the one that prints and writes files (true without
    torchrun)."""
    return rank() == 0


def launched() -> bool:
    """Whether ``fit`` trains data-parallel: more than one process, by torchrun's environment
    or by a process group the script initialized."""
    return world_size() > 1


def shard_positions(order: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """The positions process ``rank`` of ``world`` takes from ``order`` (``(n,)``, the epoch's
    sample order): ``order`` padded to a multiple of ``world`` by repeating its first entries
    (as often as needed, as ``DistributedSampler``), then every ``world``-th entry from
    ``rank``. Returns ``(ceil(n / world),)``."""
    n = order.shape[0]
    if n == 0:
        raise ValueError("data-parallel training needs at least one sample; got 0")
    total = -(-n // world) * world
    if total > n:
        repeats = -(-(total - n) // n)
        order = torch.cat([order, order.repeat(repeats)[: total - n]])
    return order[rank:total:world]


class DataParallel:
    """The data-parallel side of one ``fit``: made by the training loop when :func:`launched`
    (the process group is joined at :meth:`start`). ``comm_seconds`` and ``steps`` count the
    time spent in the gradients' ``all_reduce`` and the steps taken (for measurements)."""

    def __init__(self) -> None:
        self.rank = rank()
        self.world = world_size()
        self.comm_seconds = 0.0
        self.steps = 0
        self._flat: torch.Tensor | None = None
        self._shared: torch.Tensor | None = None

    # -- rules checked before anything is sent ----------------------------------------------

    @staticmethod
    def check(model: Any, shuffle: bool, source: Any = None) -> None:
        """Refuse what data-parallel training cannot do, before the process group is joined.
        ``source``: the :class:`lstmkit.training.batches.BatchSource` ``x`` is, if it is."""
        if source is not None and not source.is_sequence:
            raise ValueError(
                "data-parallel training (torchrun, WORLD_SIZE > 1) shares each epoch's samples "
                "or batches out among the processes; x is a generator, which lstmkit cannot "
                "index: pass arrays or a Sequence, or run without torchrun"
            )
        if source is not None and model.fixed_batch_size is not None:
            raise ValueError(
                "a stateful LSTM under data-parallel training (torchrun, WORLD_SIZE > 1) trains "
                "on the arrays each process is given; x is a Sequence: pass arrays"
            )
        if model.fixed_batch_size is not None and shuffle:
            raise ValueError(
                "a stateful LSTM carries its state from each batch to the next of the same "
                "streams; data-parallel training (torchrun, WORLD_SIZE > 1) would split and "
                "shuffle those batches across processes. Pass shuffle=False and give each "
                "process its own whole sequences: a stateful model is then trained on the data "
                "each process is given, unsplit, with the gradients averaged"
            )

    @staticmethod
    def keeps_whole_sequences(model: Any) -> bool:
        """A stateful model trains on each process's own data, unsplit (see the module)."""
        return model.fixed_batch_size is not None

    # -- the process group --------------------------------------------------------------------

    def _join(self, params: Sequence[torch.Tensor]) -> None:
        dist = torch.distributed
        if not dist.is_available():
            raise RuntimeError(
                "WORLD_SIZE > 1 asks for data-parallel training, but this PyTorch build has no "
                "torch.distributed"
            )
        if dist.is_initialized():
            return
        on_cuda = bool(params) and params[0].is_cuda
        backend = "nccl" if on_cuda else "gloo"
        if on_cuda:
            # NCCL talks from the current device: the one holding this process's weights
            # (cuda:LOCAL_RANK when every process has a device of its own).
            torch.cuda.set_device(params[0].device)
        if backend == "gloo" and not dist.is_gloo_available():
            raise RuntimeError("data-parallel training on the CPU needs the gloo backend")
        dist.init_process_group(backend=backend, init_method="env://")
        # The group lstmkit made is lstmkit's to close: left to the interpreter's exit, gloo's
        # threads can be destroyed while still joinable, which aborts the process.
        atexit.register(_leave)
        self.rank, self.world = dist.get_rank(), dist.get_world_size()

    def start(self, trainer: Any, n: int) -> None:
        """Join the process group (first ``fit`` only), check that every process has ``n``
        training samples, and give every process rank 0's weights, optimizer state and training
        stream.

        The native whole-step kernel is switched off for the ``fit``: it runs forward,
        backward and Adam in one call, leaving no point where the gradients could be averaged;
        the regular step computes the gradients with autograd, which are then averaged here.
        (What that costs on the models the kernel takes is measured in
        ``benchmarks/distributed.py``.)
        """
        model = trainer.model
        params = list(model.weights)
        self._join(params)
        counts = _all_reduce(torch.tensor([n, -n], dtype=torch.int64), "max")
        if int(counts[0]) != -int(counts[1]):
            raise ValueError(
                "every process must give fit the same number of training samples (or "
                "Sequence batches) under data-parallel training; they gave between "
                f"{-int(counts[1])} and {int(counts[0])} (this process: {n})"
            )
        with torch.no_grad():
            for weight in params:
                _broadcast(weight.data)
            stream = trainer.training_generator_state().clone()
            _broadcast(stream)
            trainer.rng_state = stream
            _broadcast_optimizer(trainer.optimizer)
        self._flat = None

    # -- per epoch and per step -------------------------------------------------------------

    def positions(self, n: int, shuffle: bool) -> torch.Tensor:
        """This process's sample positions for one epoch, ``(ceil(n / world),)``; the
        permutation is drawn from the training stream, the same on every process."""
        order = torch.randperm(n) if shuffle else torch.arange(n)
        return shard_positions(order, self.rank, self.world)

    def enter_own_stream(self, epoch: int) -> None:
        """Draw the rest of the epoch's random numbers (dropout masks) from a stream of this
        process's own, so processes do not drop the same units of different samples. Its seed
        is made from the shared stream's state, the epoch and the rank, without drawing from
        the shared stream: that stream (where the permutations and a checkpoint's resume come
        from) advances as one process's would, so a model without dropout trained on ``W``
        processes with ``batch_size=B`` draws the permutations one process with ``W·B`` draws,
        epoch after epoch. :meth:`leave_own_stream` goes back to it."""
        self._shared = torch.get_rng_state()
        digest = zlib.crc32(self._shared.numpy().tobytes())
        # Python hashes tuples of ints the same in every process (no hash randomization).
        seed = hash((digest, epoch, self.rank)) & (2**63 - 1)
        torch.default_generator.manual_seed(seed)

    def leave_own_stream(self) -> None:
        """Back to the shared stream, where :meth:`enter_own_stream` left it (idempotent)."""
        if self._shared is not None:
            torch.set_rng_state(self._shared)
            self._shared = None

    def average(self, grads: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """The gradients averaged over the processes: one ``all_reduce`` of them all, flattened
        into one buffer (one message instead of one per weight)."""
        sizes = [g.numel() for g in grads]
        total = sum(sizes)
        flat = self._flat
        if flat is None or flat.numel() != total or flat.device != grads[0].device:
            flat = self._flat = torch.empty(total, dtype=grads[0].dtype, device=grads[0].device)
        offset = 0
        for grad, size in zip(grads, sizes, strict=True):
            flat[offset : offset + size].copy_(grad.reshape(-1))
            offset += size
        started = time.perf_counter()
        _all_reduce(flat, into=flat)
        self.comm_seconds += time.perf_counter() - started
        self.steps += 1
        flat.div_(self.world)
        out, offset = [], 0
        for grad, size in zip(grads, sizes, strict=True):
            out.append(flat[offset : offset + size].view_as(grad).clone())
            offset += size
        return out

    def agree(self, interrupt: Any, model: Any) -> None:
        """Make every process see a stop that one asked for (Ctrl-C: ``interrupt.requested``;
        a callback: ``model.stop_training``), so all leave the epoch after the same batch."""
        flags = torch.tensor(
            [int(bool(interrupt.requested)), int(bool(model.stop_training))], dtype=torch.int32
        )
        flags = _all_reduce(flags, "max")
        interrupt.requested = bool(flags[0])
        model.stop_training = bool(flags[1])

    def reduce_trackers(self, trainer: Any) -> dict[str, float]:
        """Sum the loss accumulators and every metric's state over the processes, in place, so
        the trainer's results are those of all processes' samples. Metrics built on
        :class:`lstmkit.metrics.Mean` (all built-in ones) sum ``total``, ``count`` and
        ``weight``; another metric's state is its own, so its result is averaged over the
        processes weighted by the samples each saw: returned, by name, for the caller to log
        instead of the local result."""
        from lstmkit.metrics import Mean

        metrics = trainer.metrics or []
        count = float(trainer._loss_count)
        values = [float(trainer._loss_total), count]
        for metric in metrics:
            if isinstance(metric, Mean):
                values += [float(metric.total), float(metric.count), float(metric.weight)]
            else:
                values += [float(metric.result()) * count, 0.0, 0.0]
        summed = _all_reduce(torch.tensor(values, dtype=torch.float64))
        trainer._loss_total = summed[0].clone()
        trainer._loss_count = int(summed[1])
        all_samples = max(float(summed[1]), 1.0)
        averaged: dict[str, float] = {}
        for index, metric in enumerate(metrics):
            total, seen, weight = summed[2 + 3 * index : 5 + 3 * index]
            if isinstance(metric, Mean):
                metric.total = total.clone()
                metric.count = int(seen)
                metric.weight = weight.clone()
            else:
                averaged[metric.name] = float(total) / all_samples
        return averaged

    # -- who prints and writes ----------------------------------------------------------------

    def callbacks(self, callbacks: list[Any]) -> list[Any]:
        """The callbacks this process runs: all on rank 0; elsewhere all but those that write
        files (their ``writes_files`` is true)."""
        if self.rank == 0:
            return callbacks
        return [c for c in callbacks if not getattr(c, "writes_files", False)]

    def quiet(self) -> contextlib.AbstractContextManager[Any]:
        """On ranks other than 0, what ``fit`` prints to ``sys.stdout`` is dropped."""
        if self.rank == 0:
            return contextlib.nullcontext()
        return contextlib.redirect_stdout(_Discard())


def _collective_device() -> torch.device:
    """Where the tensors of a collective must be: NCCL sends CUDA tensors only (the current
    device, one per process), gloo CPU ones."""
    if torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _all_reduce(
    tensor: torch.Tensor, op: str = "sum", into: torch.Tensor | None = None
) -> torch.Tensor:
    """``tensor`` reduced over the processes (``op`` ``"sum"`` or ``"max"``), on ``tensor``'s
    device; in place when ``into`` is ``tensor``."""
    device = _collective_device()
    reduce_op = torch.distributed.ReduceOp.MAX if op == "max" else torch.distributed.ReduceOp.SUM
    if tensor.device == device:
        torch.distributed.all_reduce(tensor, op=reduce_op)
        return tensor
    moved = tensor.to(device)
    torch.distributed.all_reduce(moved, op=reduce_op)
    result = moved.to(tensor.device)
    if into is not None:
        into.copy_(result)
        return into
    return result


def _broadcast(tensor: torch.Tensor) -> None:
    """Rank 0's ``tensor`` into ``tensor`` on every process, in place."""
    device = _collective_device()
    if tensor.device == device:
        torch.distributed.broadcast(tensor, src=0)
        return
    moved = tensor.to(device)
    torch.distributed.broadcast(moved, src=0)
    tensor.copy_(moved.to(tensor.device))


def _broadcast_optimizer(optimizer: Any) -> None:
    """Rank 0's optimizer state (slots, step count, scalar slots, learning rate) on every
    process, so a model restored on rank 0 only still takes the same steps everywhere."""
    tensors, numbers = optimizer.get_state()
    for tensor in tensors.values():
        _broadcast(tensor)
    names = sorted(numbers)
    values = torch.tensor(
        [float(numbers[name]) for name in names] + [float(optimizer.learning_rate)],
        dtype=torch.float64,
    )
    _broadcast(values)
    for name, value in zip(names, values[:-1].tolist(), strict=True):
        setattr(optimizer, name, int(value) if name == "iterations" else value)
    optimizer.learning_rate = float(values[-1])


def _leave() -> None:
    if _group_ready():
        torch.distributed.destroy_process_group()


class _Discard(io.TextIOBase):
    """A text stream that keeps nothing (what other ranks print during ``fit``)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)
