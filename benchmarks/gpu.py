"""Run lstmkit's side of the workloads (W0–W6) on a device, beside the same runs on the CPU.

    python benchmarks/gpu.py                          # every workload on cuda, then on the cpu
    python benchmarks/gpu.py --device cuda:1 --runs 3 --workloads W1,W5
    python benchmarks/gpu.py --quick                  # smoke run: same code paths, little work

Each run is a fresh process (``benchmarks/run.py``'s children) with ``LSTMKIT_DEVICE`` set, so the
model is built on the device and ``fit`` moves the data there once; runs alternate device, CPU,
device, CPU, and run i uses seed i on both. The table goes to ``benchmarks/out/gpu.md`` (or
``--out``); paste it into ``benchmarks/results.md`` when the figures are worth keeping.

Read W1's and W5's quality with care on a GPU: their yardstick is a ``torch.mm`` timed on the CPU
(benchmarks/workloads/matmul.py), so their "fraction of matmul rate" compares GPU training with
the CPU's multiply rate; their train seconds and samples per second are the figures to compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import lstmkit_threads, run_child  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "gpu.md"


def device_name(device: str) -> str:
    """What the device is, in words (the GPU's name from PyTorch)."""
    import torch

    kind = torch.device(device)
    if kind.type == "cuda" and torch.cuda.is_available():
        index = kind.index or 0
        return f"{device} ({torch.cuda.get_device_name(index)}, CUDA {torch.version.cuda})"
    return device


def run_on(device: str, workload: str, seed: int, quick: bool, threads: int) -> dict:
    """One run of lstmkit's implementation of ``workload`` with ``LSTMKIT_DEVICE=device``."""
    previous = os.environ.get("LSTMKIT_DEVICE")
    os.environ["LSTMKIT_DEVICE"] = device
    try:
        return run_child(workload, "lstmkit", sys.executable, seed, quick, threads)
    finally:
        if previous is None:
            del os.environ["LSTMKIT_DEVICE"]
        else:
            os.environ["LSTMKIT_DEVICE"] = previous


def section(workload: str, runs: dict[str, list[dict]], device: str) -> str:
    """One workload's table: a row per device and the device's train time against the CPU's."""
    module = WORKLOADS[workload]
    extras = getattr(module, "EXTRAS", ())
    quality_name = runs[device][0]["quality_name"]
    lines = [
        f"### {module.TITLE}",
        "",
        "| device | runs | train s (median) | train s (min) | total s (median) | "
        f"{quality_name} (median) | "
        + "".join(f"{label} (median) | " for _, label in extras)
        + "train time / the CPU's |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(extras) + "---:|",
    ]
    cpu_train = statistics.median(r["train_s"] for r in runs["cpu"]) if "cpu" in runs else None
    for name, results in runs.items():
        train = statistics.median(r["train_s"] for r in results)
        cells = [
            name,
            str(len(results)),
            f"{train:.3f}",
            f"{min(r['train_s'] for r in results):.3f}",
            f"{statistics.median(r['total_s'] for r in results):.3f}",
            f"{statistics.median(r['quality'] for r in results):.4g}",
        ]
        for key, _ in extras:
            values = [r[key] for r in results if key in r]
            cells.append(f"{statistics.median(values):.4g}" if values else "")
        cells.append("" if name == "cpu" or cpu_train is None else f"{train / cpu_train:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cuda", help="the device to measure (default cuda)")
    parser.add_argument("--runs", type=int, default=1, help="runs per device (default 1)")
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS), help="comma-separated, e.g. W0,W5 (default all)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run with little work")
    parser.add_argument("--no-cpu", action="store_true", help="skip the CPU runs beside them")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the table (default {OUT})")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be at least 1; got {args.runs}")
    workloads = args.workloads.split(",")
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; known: {sorted(WORKLOADS)}")
    # The device must exist here before any child is started (a clear error, not a child's).
    from lstmkit.devices import resolve_device

    try:
        device = str(resolve_device(args.device, "--device"))
    except ValueError as error:
        parser.error(str(error))
    devices = [device] if args.no_cpu or device == "cpu" else [device, "cpu"]
    threads = lstmkit_threads()
    sections = []
    for workload in workloads:
        runs: dict[str, list[dict]] = {name: [] for name in devices}
        for run in range(args.runs):
            for name in devices:
                result = run_on(name, workload, run, args.quick, threads)
                runs[name].append(result)
                print(
                    f"{workload} {name:7s} run {run + 1}/{args.runs}: train "
                    f"{result['train_s']:.3f} s, total {result['total_s']:.3f} s, "
                    f"{result['quality_name']} {result['quality']:.4f}",
                    flush=True,
                )
        sections.append(section(workload, runs, device))
    mode = " QUICK MODE (a smoke run, not a measurement)." if args.quick else ""
    report = "\n\n".join(
        [
            f"# lstmkit on {device_name(device)}\n\n{args.runs} run(s) per device, each a fresh "
            f"process, {threads} torch threads, run i with seed i.{mode}",
            *sections,
        ]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n")
    print(f"\n{report}\n\nwritten to {args.out}")


if __name__ == "__main__":
    main()
