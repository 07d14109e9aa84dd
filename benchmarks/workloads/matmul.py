"""The machine's own float32 matrix-multiply rate, the yardstick of the arithmetic-bound
workloads (W1, W5)."""

from __future__ import annotations

import time

__all__ = ["matmul_gflops"]


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of the fastest of ``repeats`` ``torch.mm`` of two ``size × size`` float32
    matrices (``2·size³`` FLOPs each), after one warm-up, with the thread count in force."""
    import torch

    a = torch.randn(size, size)
    b = torch.randn(size, size)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - started)
    return 2.0 * size**3 / best / 1e9
