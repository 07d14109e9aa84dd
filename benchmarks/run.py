"""Run the workloads for lstmkit and its peers, interleaved, and write benchmarks/results.md.

    python benchmarks/run.py                 # every workload, 3 runs each, A B A B ...
    python benchmarks/run.py --runs 5 --workloads W4
    python benchmarks/run.py --quick         # a smoke run: same code paths, little work

Each run happens in a fresh Python process, so imports, thread pools and allocator state do not
carry from one implementation to the next; the child reports its own peak RSS.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.workloads import WORKLOADS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.md"
BASELINE = "torch"


def implementations(workload: str) -> list[str]:
    module = WORKLOADS[workload]
    return [name[4:] for name in dir(module) if name.startswith("run_")]


def run_child(workload: str, implementation: str, seed: int, quick: bool) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--one", workload, implementation]
    command += ["--seed", str(seed)] + (["--quick"] if quick else [])
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    total_s = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{workload} {implementation} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["total_s"] = total_s
    return result


def one(workload: str, implementation: str, seed: int, quick: bool) -> None:
    result = getattr(WORKLOADS[workload], f"run_{implementation}")(seed, quick)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def machine() -> str:
    import torch

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"torch {torch.__version__} with {torch.get_num_threads()} threads"
    )


def _faster_or_slower(time: float, baseline: float) -> str:
    if time <= baseline:
        return f"{baseline / time:.2f}× faster"
    return f"{time / baseline:.2f}× slower"


def table(workload: str, runs: dict[str, list[dict]]) -> str:
    module = WORKLOADS[workload]
    quality_name = next(iter(runs.values()))[0]["quality_name"]
    lines = [
        f"### {module.__doc__.split(chr(10) + chr(10))[0].replace(chr(10), ' ')}",
        "",
        "| implementation | train s (median) | train s (min) | process s (median) | "
        f"peak RSS MiB | {quality_name} (median) | train time / {BASELINE}'s |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    baseline = statistics.median(r["train_s"] for r in runs[BASELINE]) if BASELINE in runs else None
    for implementation, results in runs.items():
        train = statistics.median(r["train_s"] for r in results)
        ratio = ""
        if baseline is not None and implementation != BASELINE:
            ratio = f"{train / baseline:.2f} ({_faster_or_slower(train, baseline)})"
        lines.append(
            f"| {implementation} | {train:.3f} | {min(r['train_s'] for r in results):.3f} | "
            f"{statistics.median(r['total_s'] for r in results):.2f} | "
            f"{max(r['peak_rss_mib'] for r in results):.0f} | "
            f"{statistics.median(r['quality'] for r in results):.4f} | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per implementation (default 3)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="e.g. W0,W4")
    parser.add_argument("--impl", default=None, help="only these implementations, e.g. torch")
    parser.add_argument("--quick", action="store_true", help="smoke run with little work")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the table")
    parser.add_argument("--one", nargs=2, metavar=("WORKLOAD", "IMPL"), help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one, args.seed, args.quick)
        return

    sections = []
    for workload in args.workloads.split(","):
        names = implementations(workload)
        if args.impl:
            names = [n for n in names if n in args.impl.split(",")]
        runs: dict[str, list[dict]] = {name: [] for name in names}
        for run in range(args.runs):
            for name in names:  # interleaved: A B A B ...
                result = run_child(workload, name, seed=run, quick=args.quick)
                runs[name].append(result)
                print(
                    f"{workload} {name:8s} run {run + 1}: train {result['train_s']:.3f} s, "
                    f"{result['quality_name']} {result['quality']:.4f}",
                    flush=True,
                )
        sections.append(table(workload, runs))

    report = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Measured {datetime.date.today().isoformat()} on {machine()}; "
            f"{args.runs} interleaved runs per implementation, each in a fresh process"
            f"{' (quick mode: not representative)' if args.quick else ''}.",
            "Absolute seconds on a small shared machine are context only; the ratios, measured in "
            "the same run, are the figures that count. Train seconds time `fit` (or the "
            "hand-written loop) alone; process seconds include Python start-up and imports.",
            "",
            *(section + "\n" for section in sections),
        ]
    )
    args.out.write_text(report)
    print("\n" + report)


if __name__ == "__main__":
    main()
