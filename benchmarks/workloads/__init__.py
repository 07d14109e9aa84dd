"""The workloads of shared/workloads.md, one module each, registered in :data:`WORKLOADS`.

The contract a workload module keeps:

- ``TITLE``: one line naming the task, the model and the quality figure, for the results table.
- ``run_<implementation>(seed: int, quick: bool = False) -> dict`` for every implementation it
  supports. The name after ``run_`` is also the module that implementation needs (``lstmkit``,
  ``torch``, ``keras``): the runner offers it only where ``import <implementation>`` works in the
  interpreter chosen for it, so adding ``run_keras`` to a module and passing
  ``--python keras=/path/to/keras-env/bin/python`` to ``benchmarks/run.py`` is all a Keras peer
  takes.
- Each ``run_*`` generates its data from ``seed`` with the module's one data function (so every
  implementation trains on the same numbers), seeds its own weights, trains, measures quality, and
  returns ``train_s`` (the training part alone), ``total_s`` (the whole call, including importing
  the implementation's library), ``quality`` and ``quality_name``. ``quick=True`` does the same
  steps with little work, for a smoke test.
- Frameworks are imported inside the ``run_*`` functions: a child process in another environment
  (Keras's) imports the module without having torch or lstmkit.

W1..W6 slot in as new modules and new entries here; ``run.py`` needs no change.
"""

from types import ModuleType

from benchmarks.workloads import w0_lifecycle, w2_binary, w3_sine, w4_echo

WORKLOADS: dict[str, ModuleType] = {
    "W0": w0_lifecycle,
    "W2": w2_binary,
    "W3": w3_sine,
    "W4": w4_echo,
}

__all__ = ["WORKLOADS"]
