"""The optional native kernels (C++17, built by setup.py); see lstmkit.ops.native."""
