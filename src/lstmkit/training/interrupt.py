"""Ctrl-C during ``fit``: the first one stops at the next batch boundary and ``fit`` returns
the History so far (with a warning saying where it stopped); a second one raises."""

from __future__ import annotations

import signal
import threading
import warnings
from typing import Any

__all__ = ["DeferredInterrupt", "warn_interrupted"]


class DeferredInterrupt:
    """Within ``with``, the first Ctrl-C (SIGINT) sets :attr:`requested` instead of raising, so
    the loop stops at the next batch boundary: the weights are those of the last finished batch
    and no callback (a checkpoint being written) is cut short. A second Ctrl-C raises
    ``KeyboardInterrupt`` at once. Only the main thread can take signals, and a handler the
    program installed itself is left alone; in both cases nothing changes."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> DeferredInterrupt:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def warn_interrupted(epoch: int, batches: int, steps: int) -> None:
    where = (
        f"after batch {batches}/{steps} of epoch {epoch + 1}"
        if batches
        else (f"after epoch {epoch}")
    )
    warnings.warn(
        f"fit interrupted (Ctrl-C): stopped {where}; the model keeps the weights of the last "
        "finished batch and the History holds the finished epochs",
        RuntimeWarning,
        stacklevel=4,
    )
