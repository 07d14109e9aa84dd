"""The threads ``lstmkit forecast`` and ``lstmkit tune`` compute on.

Their networks are small (five members of 16 units side by side; the one-step network's five
of 16), and so are SARIMAX's matrices: more threads than one add synchronisation, not speed, and
where another process shares the cores, idle threads spinning for work cost far more. Measured
on this 2-core machine, ``lstmkit forecast`` on airline: 10-11 s wall on two threads and 12 s
on one when the machine is otherwise idle; with one other busy process, 38-40 s on two threads
and 12 s on one. So both commands default to one thread (``--threads N`` for more: a larger
``--units`` may gain from them), for PyTorch's intra-op pool and for the BLAS and OpenMP pools
NumPy, SciPy and statsmodels use (threadpoolctl).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from threadpoolctl import threadpool_limits

__all__ = ["check_threads", "limited_threads"]


def check_threads(threads: object) -> int:
    """``threads`` as a positive int, or ValueError naming ``--threads``."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"--threads must be a positive integer; got {threads!r}")
    return threads


@contextmanager
def limited_threads(threads: int) -> Iterator[None]:
    """Compute on ``threads`` threads inside the block (PyTorch's intra-op pool and the
    BLAS/OpenMP pools); the numbers before are restored after it."""
    threads = check_threads(threads)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(before)
