"""The workloads of shared/workloads.md, one module each.

A workload module defines ``run_<implementation>(seed: int, quick: bool) -> dict`` for each
implementation it supports (``lstmkit``, ``torch``, later ``keras``); the runner discovers them.
Each returns ``train_s`` (the training part only), ``quality`` and ``quality_name``.
"""

from benchmarks.workloads import w0_lifecycle, w4_echo

WORKLOADS = {"W0": w0_lifecycle, "W4": w4_echo}

__all__ = ["WORKLOADS"]
