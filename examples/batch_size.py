"""The batch-size trade-off, measured: seconds per epoch against epochs to learn.

The binary sequence classification task — the data and the model of ``lstmkit examples binary``,
imported from it: a stacked relu LSTM(50) decides whether a random walk kept its direction — is
trained five times from the same initial weights, for the same 200 epochs, with batch sizes 1, 8,
32, 128 and the whole training set (``validation_split=0.2`` leaves 800 rows, so 800). A callback
records the wall time at the end of every epoch (``time.perf_counter`` in ``on_epoch_end``); ``fit``
logs the validation accuracy.

A small batch makes many small weight updates per epoch: each epoch is slow, but few epochs are
needed. A large batch makes few updates from better gradient estimates: each epoch is fast, but
many more are needed (the whole training set as one batch gets one update per epoch). What
matters is the time to a good model. The table printed shows, per batch size, the seconds per
epoch, the epochs and the seconds until the validation accuracy first reaches 0.95 ("not
reached" within the budget), and the final validation accuracy. Expect batch size 1 to need the
fewest epochs and the most seconds per epoch, the small and middle sizes (8, 32) to get there
first in seconds, and the whole-set batch not to get there in 200 epochs. Absolute times depend
on the machine (and on what else runs on it); the shape of the trade-off does not.

Writes ``validation_loss.png``: the validation loss against epochs and against seconds, one line
per batch size. ``--quick`` trains 2 epochs on 200 samples (160 for training).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from lstmkit.examples.binary import binary_sequences, build_model
from matplotlib.figure import Figure

import lstmkit
from lstmkit.callbacks import Callback
from lstmkit.cli.examples import example_arguments
from lstmkit.plotting import save_png

NAME = "batch-size"
TARGET_ACCURACY = 0.95


class EpochTimer(Callback):
    """Seconds since the start of training at the end of every epoch."""

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.started = time.perf_counter()
        self.seconds: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.seconds.append(time.perf_counter() - self.started)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = example_arguments(argv, NAME, __doc__, quick="2 epochs on 200 samples: seconds")
    samples, epochs = (200, 2) if args.quick else (1000, 200)
    X, y = binary_sequences(np.random.default_rng(args.seed), samples)
    training_rows = int(samples * 0.8)  # what validation_split=0.2 leaves for training
    batch_sizes = [1, 8, 32, 128, training_rows]
    print(
        f"{training_rows} training rows, {samples - training_rows} validation rows, "
        f"{epochs} epochs for each batch size"
    )

    runs = []
    for batch_size in batch_sizes:
        lstmkit.set_random_seed(args.seed)  # the same initial weights and dropout for every run
        model = build_model()
        timer = EpochTimer()
        history = model.fit(
            X,
            y,
            batch_size=batch_size,
            validation_split=0.2,
            epochs=epochs,
            shuffle=False,
            verbose=0,
            callbacks=[timer],
        )
        accuracy = np.asarray(history.history["val_accuracy"])
        reached = np.flatnonzero(accuracy >= TARGET_ACCURACY)
        runs.append(
            {
                "batch_size": batch_size,
                "updates_per_epoch": -(-training_rows // batch_size),
                "seconds_per_epoch": timer.seconds[-1] / epochs,
                "epochs_to_target": int(reached[0]) + 1 if reached.size else None,
                "seconds_to_target": timer.seconds[reached[0]] if reached.size else None,
                "final_val_accuracy": float(accuracy[-1]),
                "seconds": timer.seconds,
                "val_loss": history.history["val_loss"],
            }
        )
        print(f"  batch size {batch_size:>3}: {timer.seconds[-1]:6.1f} s")

    print(f"\nvalidation accuracy {TARGET_ACCURACY} first reached:")
    print("batch size  updates/epoch  s/epoch  epochs to 0.95  seconds to 0.95  final val acc")
    for run in runs:
        epochs_to = run["epochs_to_target"]
        reached_text = (
            f"{epochs_to:>14}  {run['seconds_to_target']:>15.2f}"
            if epochs_to is not None
            else f"{'not reached':>14}  {'not reached':>15}"
        )
        print(
            f"{run['batch_size']:>10}  {run['updates_per_epoch']:>13}  "
            f"{run['seconds_per_epoch']:>7.4f}  {reached_text}  {run['final_val_accuracy']:>13.3f}"
        )

    figure = Figure(figsize=(11, 4))
    by_epoch, by_time = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for run in runs:
        label = f"batch {run['batch_size']}"
        by_epoch.plot(np.arange(1, len(run["val_loss"]) + 1), run["val_loss"], label=label)
        by_time.plot(run["seconds"], run["val_loss"], label=label)
    by_epoch.set_xlabel("epoch")
    by_time.set_xlabel("seconds of training (log scale)")
    by_time.set_xscale("log")
    for axes in (by_epoch, by_time):
        axes.set_ylabel("validation loss")
        axes.legend(fontsize="small")
    figure.suptitle("Batch size: validation loss by epoch and by wall time")
    figure.tight_layout()
    loss_png = str(save_png(figure, args.out / "validation_loss.png"))
    print(f"\nwrote {loss_png}")
    return {
        "epochs": epochs,
        "batch_sizes": batch_sizes,
        "seconds_per_epoch": [run["seconds_per_epoch"] for run in runs],
        "epochs_to_target": [run["epochs_to_target"] for run in runs],
        "seconds_to_target": [run["seconds_to_target"] for run in runs],
        "final_val_accuracy": [run["final_val_accuracy"] for run in runs],
        "files": [loss_png],
    }


if __name__ == "__main__":
    main()
