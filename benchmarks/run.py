"""Run the workloads for lstmkit and its peers, interleaved, and write benchmarks/results.md.

    python benchmarks/run.py                     # every workload and implementation, 3 runs each
    python benchmarks/run.py --runs 5 --workloads W4
    python benchmarks/run.py --impl torch        # one side only
    python benchmarks/run.py --quick             # smoke run: same code paths, little work
    python benchmarks/run.py --python keras=/opt/keras-env/bin/python   # Keras from elsewhere

Keras 3 is a test dependency of lstmkit, so the Keras peer runs from the same environment (on its
PyTorch backend) unless --python points it elsewhere.

Runs alternate between implementations (A B A B ...), so drift in the machine's speed touches
all of them alike, and run i uses seed i on every side. Each run is a fresh Python process, so
imports, thread pools and allocator state do not carry over, and the child reports its own peak
RSS. Every child uses the thread count lstmkit runs with, read once from a fresh process.

Only a full run (all workloads and implementations, not --quick) writes benchmarks/results.md; a
partial or quick run writes benchmarks/out/results.md, so it never replaces the measured table.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script (`python benchmarks/run.py`), the repository root is not on the path yet.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.workloads import WORKLOADS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.md"
PARTIAL_RESULTS = ROOT / "benchmarks" / "out" / "results.md"
# Marks the child's result line, so whatever a library prints on stdout cannot be mistaken for it.
RESULT_PREFIX = "BENCHMARK-RESULT "
# Imports lstmkit first, so the count is the one lstmkit runs with even if lstmkit sets it.
THREADS_PROBE = (
    "import torch\n"
    "try:\n"
    "    import lstmkit\n"
    "except ImportError:\n"
    "    pass\n"
    "print(torch.get_num_threads())"
)


def implementations(workload: str) -> list[str]:
    """The implementations a workload module defines, one per ``run_<name>``, in source order."""
    return [name[4:] for name in vars(WORKLOADS[workload]) if name.startswith("run_")]


def available(names: list[str], pythons: dict[str, str]) -> dict[str, str]:
    """The interpreter for each implementation in ``names`` whose ``import <name>`` works there."""
    found = {}
    for name in names:
        python = pythons.get(name, sys.executable)
        probe = subprocess.run([python, "-c", f"import {name}"], capture_output=True, check=False)
        if probe.returncode == 0:
            found[name] = python
        else:
            print(f"skipping {name}: `import {name}` fails in {python}", file=sys.stderr)
    return found


def lstmkit_threads() -> int:
    """torch's intra-op thread count in a fresh process after importing lstmkit."""
    probe = subprocess.run(
        [sys.executable, "-c", THREADS_PROBE], capture_output=True, text=True, check=True
    )
    return int(probe.stdout)


def run_child(
    workload: str, implementation: str, python: str, seed: int, quick: bool, threads: int
) -> dict:
    """Run one workload for one implementation in a fresh process and return its result."""
    command = [python, str(Path(__file__).resolve()), "--one", workload, implementation]
    command += ["--seed", str(seed), "--threads", str(threads)] + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{workload} {implementation} (seed {seed}) failed with exit status "
            f"{done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    return json.loads(lines[-1].removeprefix(RESULT_PREFIX))


def one(workload: str, implementation: str, seed: int, quick: bool, threads: int | None) -> None:
    """In the child: run the workload and print its result, with this process's peak RSS.

    ``threads=None`` (a child started by hand) keeps torch's default thread count.
    """
    # Keras's own environment may have no torch; where torch is, every side gets the same count.
    if threads is not None and importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(threads)
    result = getattr(WORKLOADS[workload], f"run_{implementation}")(seed, quick)
    # Linux reports ru_maxrss in KiB.
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or what the platform module knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def header(runs: int, threads: int, quick: bool) -> str:
    """The machine, the software, the method, and how to read the tables."""
    cpus = os.cpu_count()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = " (QUICK MODE: a smoke run, not a measurement)" if quick else ""
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"Measured {now} on {cpu_model()}, {cpus} logical CPUs; Python "
            f"{platform.python_version()}, torch {_version('torch')}, lstmkit "
            f"{_version('lstmkit')}; {threads} torch threads (lstmkit's count) in every run.",
            f"{runs} runs per implementation, interleaved (A B A B ...), each in a fresh process; "
            f"run i uses seed i on every side{mode}.",
            "",
            f"Absolute seconds on a noisy {cpus}-CPU machine are context only; the ratios, "
            "measured side by side in the same session, are what count. *train s* times `fit` "
            "(or the hand-written loop) alone; *total s* the whole workload: importing the "
            "library on top of torch, data, model, training and the quality figure. Peak RSS is "
            "the largest over the runs of each child process's own maximum resident set.",
        ]
    )


def _faster_or_slower(seconds: float, baseline: float) -> str:
    if seconds <= baseline:
        return f"{baseline / seconds:.2f}× faster"
    return f"{seconds / baseline:.2f}× slower"


PEERS = ("torch", "keras")


def table(workload: str, runs: dict[str, list[dict]]) -> str:
    """One workload's section: a row per implementation, its extra figures, and its train time
    against each peer's (the hand-written PyTorch loop, Keras)."""
    module = WORKLOADS[workload]
    quality_name = next(iter(runs.values()))[0]["quality_name"]
    extras = getattr(module, "EXTRAS", ())
    peers = [peer for peer in PEERS if peer in runs]
    lines = [
        f"### {module.TITLE}",
        "",
        "| "
        + " | ".join(
            [
                "implementation",
                "runs",
                "train s (median)",
                "train s (min)",
                "total s (median)",
                "peak RSS MiB",
                f"{quality_name} (median)",
                *(f"{label} (median)" for _, label in extras),
                *(f"train time / {peer}'s" for peer in peers),
            ]
        )
        + " |",
        "|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(extras) + "---|" * len(peers),
    ]
    medians = {peer: statistics.median(r["train_s"] for r in runs[peer]) for peer in peers}
    for implementation, results in runs.items():
        train = statistics.median(r["train_s"] for r in results)
        cells = [
            implementation,
            str(len(results)),
            f"{train:.3f}",
            f"{min(r['train_s'] for r in results):.3f}",
            f"{statistics.median(r['total_s'] for r in results):.3f}",
            f"{max(r['peak_rss_mib'] for r in results):.0f}",
            f"{statistics.median(r['quality'] for r in results):.4g}",
        ]
        for key, _ in extras:
            values = [r[key] for r in results if key in r]
            cells.append(f"{statistics.median(values):.4g}" if values else "")
        for peer in peers:
            baseline = medians[peer]
            cells.append(
                ""
                if implementation == peer
                else f"{train / baseline:.2f} ({_faster_or_slower(train, baseline)})"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_arguments() -> argparse.Namespace:
    """The command line; ``--one`` and what follows it are the parent's instructions to a child."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per implementation (default 3)")
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS), help="comma-separated, e.g. W0,W4 (default all)"
    )
    parser.add_argument("--impl", help="comma-separated implementations, e.g. torch (default all)")
    parser.add_argument("--quick", action="store_true", help="smoke run with little work")
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="IMPL=PYTHON",
        help="interpreter for one implementation's runs, e.g. keras=/opt/keras-env/bin/python",
    )
    parser.add_argument("--out", type=Path, help="where to write the tables (see above)")
    parser.add_argument("--one", nargs=2, metavar=("WORKLOAD", "IMPL"), help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be at least 1; got {args.runs}")
    unknown = set(args.workloads.split(",")) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; known: {sorted(WORKLOADS)}")
    if any("=" not in pair for pair in args.python):
        parser.error(f"--python expects IMPL=PYTHON; got {args.python}")
    return args


def main() -> None:
    # Keras 3 (a test dependency of lstmkit, so in the same environment) runs on its PyTorch
    # backend, which uses the torch every other implementation uses; children inherit this.
    os.environ.setdefault("KERAS_BACKEND", "torch")
    # The peers run on the CPU, so lstmkit does too, even where it would default to a GPU;
    # benchmarks/gpu.py measures a GPU.
    os.environ.setdefault("LSTMKIT_DEVICE", "cpu")
    args = parse_arguments()
    if args.one:
        one(*args.one, seed=args.seed, quick=args.quick, threads=args.threads)
        return

    workloads = args.workloads.split(",")
    pythons = dict(pair.split("=", 1) for pair in args.python)
    wanted = {name for workload in workloads for name in implementations(workload)}
    if args.impl:
        wanted &= set(args.impl.split(","))
    interpreters = available(sorted(wanted), pythons)
    threads = lstmkit_threads()

    sections = []
    for workload in workloads:
        names = [name for name in implementations(workload) if name in interpreters]
        if not names:
            continue
        runs: dict[str, list[dict]] = {name: [] for name in names}
        for run in range(args.runs):
            for name in names:
                result = run_child(workload, name, interpreters[name], run, args.quick, threads)
                runs[name].append(result)
                print(
                    f"{workload} {name:8s} run {run + 1}/{args.runs}: "
                    f"train {result['train_s']:.3f} s, total {result['total_s']:.3f} s, "
                    f"{result['quality_name']} {result['quality']:.4f}, "
                    f"{result['peak_rss_mib']:.0f} MiB",
                    flush=True,
                )
        sections.append(table(workload, runs))

    if not sections:
        raise SystemExit("nothing to run: no selected implementation is available")
    # Implementations that cannot be imported here are skipped, and that still counts as full.
    full_run = not args.quick and args.impl is None and set(workloads) == set(WORKLOADS)
    out = args.out or (RESULTS if full_run else PARTIAL_RESULTS)
    report = "\n\n".join([header(args.runs, threads, args.quick), *sections]) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(f"\n{report}\nwritten to {out}")


if __name__ == "__main__":
    main()
