"""What the command line shows while it works: stage messages and a training progress bar, on
standard error (standard output stays for results and ``--json``); ``--quiet`` silences both."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

from lstmkit.training.callbacks import Callback

__all__ = ["EpochBar", "Reporter"]


class EpochBar(Callback):
    """One progress bar over all epochs of a ``fit``, with the latest loss."""

    def __init__(self, description: str = "training", file: Any = None) -> None:
        super().__init__()
        self.description = description
        self.file = file or sys.stderr
        self._bar: tqdm | None = None

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self._bar = tqdm(
            total=self.params.get("epochs"),
            desc=self.description,
            unit="epoch",
            file=self.file,
            mininterval=0.2,
            leave=False,
            dynamic_ncols=True,
        )

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if self._bar is None:
            return
        if logs and "loss" in logs:
            self._bar.set_postfix_str(f"loss {logs['loss']:.4g}", refresh=False)
        self._bar.update(1)

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class Reporter:
    """Stage messages (``say``) and training bars (``bar``) unless ``quiet``."""

    def __init__(self, quiet: bool, file: Any = None) -> None:
        self.quiet = quiet
        self.file = file or sys.stderr

    def say(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.file, flush=True)

    def callbacks(self, description: str) -> list[Callback]:
        """The callbacks to pass to ``fit``: a bar, or none when quiet."""
        return [] if self.quiet else [EpochBar(description, self.file)]
