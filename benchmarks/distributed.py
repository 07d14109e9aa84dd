"""Data-parallel training under torchrun on W5: the speed-up of 2 processes over 1, and the
communication share of a step. ``python benchmarks/distributed.py [--quick]``

W5 (see /work/shared/workloads.md): X (4096, 100, 32), ``LSTM(256, return_sequences)``,
``LSTM(256)``, ``Dense(1)``, mse, adam, one epoch of batch 128. On 2 processes each takes
``batch_size=64`` of its half of the samples, so both runs make the same 32 updates of global
batches of 128 (the same work, as the data-parallel equivalence says). Three runs, each launched
with ``python -m torch.distributed.run --standalone``:

* 1 process, 1 thread (``--nproc_per_node=1``: the ordinary single-process ``fit``);
* 1 process, 2 threads (what one process makes of the 2 cores by itself);
* 2 processes, 1 thread each (gloo).

Reported per run: ``fit`` seconds (the slowest rank's), training samples/s and, for 2
processes, the time spent in the gradients' ``all_reduce`` per step against the step's time —
as measured inside ``fit`` (which includes waiting for the slower process) and for the
``all_reduce`` alone (the same buffer, after a barrier, timed 20 times: the cost of the
message itself).

Last, what data-parallel training gives up on the small models the native whole-step kernel
takes: W2's model at batch 64 in one process, the native step (one thread, and two: the kernel
then computes the two halves of the batch at once itself) against the autograd step that
data-parallel training uses, and the cost of an ``all_reduce`` of that model's gradients on 2
processes.

The machine's load (``uptime``) is printed before and after: on a shared machine the figures
say what they can.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

# W5 and W2 as workloads.md specifies them.
SAMPLES, TIMESTEPS, FEATURES, UNITS, BATCH = 4096, 100, 32, 256, 128
QUICK = (512, 20)


def _uptime() -> str:
    try:
        with open("/proc/loadavg") as file:
            return "load average " + " ".join(file.read().split()[:3])
    except OSError:
        return "load average unknown"


def _w5_model(timesteps: int):
    from lstmkit import LSTM, Dense, Input, Sequential

    model = Sequential([Input((timesteps, FEATURES)), LSTM(UNITS, return_sequences=True)])
    model.add(LSTM(UNITS))
    model.add(Dense(1))
    model.compile(loss="mse", optimizer="adam")
    return model


class _Timed:
    """``torch.distributed.all_reduce`` timed: float32 buffers of more than a few values are
    the gradients; the rest (stop flags, epoch logs) are counted apart."""

    def __init__(self) -> None:
        self.original = torch.distributed.all_reduce
        self.grad_s = 0.0
        self.grad_calls = 0
        self.grad_numel = 0
        self.other_s = 0.0

    def __call__(self, tensor, *args, **kwargs):
        started = time.perf_counter()
        result = self.original(tensor, *args, **kwargs)
        seconds = time.perf_counter() - started
        if tensor.dtype is torch.float32 and tensor.numel() > 16:
            self.grad_s += seconds
            self.grad_calls += 1
            self.grad_numel = tensor.numel()
        else:
            self.other_s += seconds
        return result


def _pure_all_reduce(numel: int, repeats: int = 20) -> float:
    """Median seconds of one ``all_reduce`` of ``numel`` float32, every process starting
    together (a barrier before each)."""
    buffer = torch.ones(numel)
    times = []
    for _ in range(repeats):
        torch.distributed.barrier()
        started = time.perf_counter()
        torch.distributed.all_reduce(buffer)
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def worker(args: argparse.Namespace) -> None:
    """One process of a run (started by torchrun)."""
    torch.set_num_threads(args.threads)
    import lstmkit
    from lstmkit.training import distributed

    world = distributed.world_size()
    samples, timesteps = QUICK if args.quick else (SAMPLES, TIMESTEPS)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((samples, timesteps, FEATURES), dtype=np.float32)
    y = rng.standard_normal((samples, 1), dtype=np.float32)
    lstmkit.set_random_seed(0)
    model = _w5_model(timesteps)
    timed = _Timed()
    if world > 1:
        torch.distributed.all_reduce = timed
    started = time.perf_counter()
    model.fit(x, y, batch_size=BATCH // world, epochs=1, verbose=0)
    fit_s = time.perf_counter() - started
    result = {"world": world, "threads": args.threads, "fit_s": fit_s, "samples": samples}
    if world > 1:
        torch.distributed.all_reduce = timed.original
        slowest = torch.tensor([fit_s])
        torch.distributed.all_reduce(slowest, op=torch.distributed.ReduceOp.MAX)
        steps = timed.grad_calls
        result.update(
            fit_s=float(slowest),
            steps=steps,
            grad_numel=timed.grad_numel,
            in_fit_all_reduce_s=timed.grad_s,
            other_collectives_s=timed.other_s,
            pure_all_reduce_s=_pure_all_reduce(timed.grad_numel),
            w2_all_reduce_s=_pure_all_reduce(_w2_numel()),
        )
    if distributed.rank() == 0:
        with open(args.out, "w") as file:
            json.dump(result, file)


def _w2_model():
    from lstmkit import LSTM, Dense, Dropout, Sequential

    model = Sequential(
        [
            LSTM(50, activation="relu", return_sequences=True, input_shape=(3, 1)),
            Dropout(0.2),
            LSTM(50, activation="relu"),
            Dropout(0.2),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def _w2_numel() -> int:
    return sum(w.numel() for w in _w2_model().trainable_weights)


def native_against_autograd(quick: bool) -> dict:
    """Per-step milliseconds of W2's model (batch 64) with the native step and with the
    autograd step, one process, one thread."""
    torch.set_num_threads(1)
    import lstmkit
    from lstmkit.training import native_step

    rng = np.random.default_rng(0)
    x = rng.random((1024, 3, 1), dtype=np.float32)
    y = (rng.random((1024, 1)) > 0.5).astype(np.float32)
    epochs = 2 if quick else 10
    out = {}
    plan = native_step.plan
    for path, threads in (("native", 1), ("autograd", 1), ("native", 2)):
        torch.set_num_threads(threads)
        if path == "autograd":
            native_step.plan = lambda *a, **k: None
        try:
            lstmkit.set_random_seed(0)
            model = _w2_model()
            model.fit(x, y, batch_size=64, epochs=1, verbose=0)  # warm up
            started = time.perf_counter()
            model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
            seconds = time.perf_counter() - started
            assert model._trainer.step_path == path
        finally:
            native_step.plan = plan
        out[f"{path}_{threads}_ms_per_step"] = 1000.0 * seconds / (epochs * 1024 // 64)
    torch.set_num_threads(1)
    return out


def _launch(nproc: int, threads: int, quick: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={nproc}",
            __file__,
            "--worker",
            "--threads",
            str(threads),
            "--out",
            out,
        ]
        if quick:
            command.append("--quick")
        subprocess.run(command, env=env, check=True)
        with open(out) as file:
            return json.load(file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: X (512, 20, 32)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    print(f"before: {_uptime()} on {os.cpu_count()} cores", flush=True)
    runs = [_launch(1, 1, args.quick), _launch(1, 2, args.quick), _launch(2, 1, args.quick)]
    base = runs[0]["fit_s"]
    for run in runs:
        rate = run["samples"] / run["fit_s"]
        print(
            f"{run['world']} process(es) x {run['threads']} thread(s): fit {run['fit_s']:.2f} s, "
            f"{rate:.0f} samples/s, speed-up over 1x1 {base / run['fit_s']:.2f}",
            flush=True,
        )
    two = runs[2]
    step_s = two["fit_s"] / two["steps"]
    print(
        f"2 processes: {two['steps']} steps of {step_s * 1000:.0f} ms; gradients "
        f"{two['grad_numel']} floats ({two['grad_numel'] * 4 / 1e6:.1f} MB); all_reduce inside "
        f"fit {two['in_fit_all_reduce_s'] / two['steps'] * 1000:.1f} ms/step "
        f"({100 * two['in_fit_all_reduce_s'] / two['fit_s']:.1f} % of the step, waiting for the "
        f"slower process included); all_reduce alone {two['pure_all_reduce_s'] * 1000:.1f} ms "
        f"({100 * two['pure_all_reduce_s'] / step_s:.1f} % of a step); other collectives "
        f"(stop flags, logs) {two['other_collectives_s'] * 1000:.0f} ms in all",
        flush=True,
    )
    native = native_against_autograd(args.quick)
    print(
        f"W2's model, batch 64, 1 thread: native step {native['native_1_ms_per_step']:.2f} ms, "
        f"autograd step {native['autograd_1_ms_per_step']:.2f} ms; native step on 2 threads "
        f"(the kernel splits the batch itself) {native['native_2_ms_per_step']:.2f} ms; "
        f"all_reduce of its {_w2_numel()} gradients on 2 processes "
        f"{two['w2_all_reduce_s'] * 1000:.2f} ms",
        flush=True,
    )
    print(f"after: {_uptime()}", flush=True)


if __name__ == "__main__":
    main()
