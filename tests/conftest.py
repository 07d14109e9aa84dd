"""Suite-wide settings."""

from __future__ import annotations

import os

# lstmkit computes on the first CUDA GPU by default when there is one, but the suite's figures
# (native kernel paths, bit-for-bit comparisons) are the CPU's: it pins the CPU unless the run
# asks otherwise. tests/test_cuda.py chooses the GPU itself with lstmkit.set_device, and
# subprocesses the tests start inherit the setting.
os.environ.setdefault("LSTMKIT_DEVICE", "cpu")
