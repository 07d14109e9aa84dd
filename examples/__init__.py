"""Tutorials: one readable, runnable script per classic LSTM task.

Each module's docstring starts with a one-line description, then says what the tutorial does and
what to expect. Each has ``main(argv)`` taking ``--quick`` (fewer epochs and samples, the same
code, in seconds), ``--out DIR`` (where the PNG plots go; default ``lstmkit-examples/<name>``)
and ``--seed``; it prints the outcome and returns its key numbers and ``"files"``, the plots it
wrote. Run one with ``lstmkit examples NAME`` or ``python examples/NAME.py``. ``batch_size``
reuses ``binary``'s data and model (the package ``lstmkit.examples`` is installed with lstmkit).
"""
