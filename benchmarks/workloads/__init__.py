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

- Optionally ``EXTRAS``: ``(key, column label)`` pairs of further figures a run returns, shown
  as extra columns (medians).

The tutorial code of the lstmkit and Keras runs is one function taking the library's Keras API
(:mod:`benchmarks.workloads.keras_api`), so both run the same script.
"""

from types import ModuleType

from benchmarks.workloads import (
    w0_lifecycle,
    w1_multivariate,
    w2_binary,
    w3_sine,
    w4_echo,
    w5_throughput,
    w6_latency,
)

WORKLOADS: dict[str, ModuleType] = {
    "W0": w0_lifecycle,
    "W1": w1_multivariate,
    "W2": w2_binary,
    "W3": w3_sine,
    "W4": w4_echo,
    "W5": w5_throughput,
    "W6": w6_latency,
}

__all__ = ["WORKLOADS"]
