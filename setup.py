"""Builds lstmkit's optional native LSTM kernel; everything else is in pyproject.toml.

The extension is plain C++17 against the CPython API, with no build-time dependency on torch, so
an isolated build environment never pulls torch in. If no compiler is available the build goes
on without it and lstmkit uses its PyTorch paths (``lstmkit.ops.native.available()`` says which).
"""

from __future__ import annotations

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, CompileError, ExecError, PlatformError


class OptionalBuildExt(build_ext):
    """Builds the extension when it can; a compiler failure is reported, not fatal."""

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except (CCompilerError, CompileError, ExecError, PlatformError, OSError) as error:
            print(f"lstmkit: native LSTM kernel not built ({error}); using the PyTorch paths")
            # Nothing was built: later steps (the in-place copy, the wheel's file list) must not
            # look for it.
            self.extensions = [other for other in self.extensions if other is not ext]


setup(
    # src/lstmkit and its subpackages, plus examples/ as lstmkit.examples (see pyproject.toml).
    packages=[*find_packages("src"), "lstmkit.examples"],
    ext_modules=[
        Extension(
            "lstmkit._native._lstm",
            # One translation unit per concern (see lstm.h): the hot loops, one LSTM layer, the
            # whole training step, the CPython module.
            sources=[
                "src/lstmkit/_native/kernels.cpp",
                "src/lstmkit/_native/recurrent.cpp",
                "src/lstmkit/_native/stack_step.cpp",
                "src/lstmkit/_native/module.cpp",
            ],
            # The shared headers: an edit to one rebuilds every source that includes it.
            depends=["src/lstmkit/_native/lstm.h", "src/lstmkit/_native/vec8.h"],
            language="c++",
            # Baseline x86-64 code only; the hot loops carry their own AVX2/FMA clones, chosen at
            # load time (target_clones), so the build runs on any x86-64 CPU. Contracting a * b + c
            # into one fused multiply-add is allowed (it only rounds less).
            extra_compile_args=["-O3", "-std=c++17", "-fno-math-errno", "-ffp-contract=fast"],
        )
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
