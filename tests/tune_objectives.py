"""Objectives for the shared-study tests, in a module of their own so that the worker processes
(started with ``spawn``) import them by name."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def slow_square(trial: Any, folder: str, victim: int, pause: float = 0.3) -> float:
    """``x**2`` after ``pause`` seconds; trial number ``victim`` instead says its process's id in
    ``folder/victim.pid`` and sleeps until the test kills that process."""
    x = trial.suggest_float("x", -10.0, 10.0)
    trial.set_user_attr("pid", os.getpid())
    if trial.number == victim:
        note = Path(folder) / "victim.pid"
        (note.parent / "victim.pid.partial").write_text(str(os.getpid()))
        os.replace(note.parent / "victim.pid.partial", note)
        time.sleep(300)  # the test kills this process within seconds
    time.sleep(pause)
    return x * x


def broken(trial: Any) -> float:
    """An objective that always fails, as a bug in a user's objective would."""
    trial.suggest_float("x", -1.0, 1.0)
    raise ArithmeticError("this objective is broken")
