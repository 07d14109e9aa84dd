"""Running a Keras script on lstmkit: an import hook, installed only for the run, under which
``keras``, ``keras.*``, ``tensorflow.keras``, ``tensorflow.keras.*``, ``tf_keras`` and
``tf_keras.*`` are the modules of :mod:`lstmkit.keras`, and ``tensorflow`` is a small module
holding ``tf.keras`` and ``tf.random.set_seed`` (any other ``tf.`` name fails with a message
naming it and the script's line).

:func:`keras_imports` installs the hook for a ``with`` block and removes it afterwards, with
every module it put in ``sys.modules``; :func:`run_script` runs a file as ``__main__`` inside it
(what ``lstmkit run script.py`` does). Importing lstmkit, or this module, installs nothing.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lstmkit.keras._support import RUNNING, module_getattr, not_supported

__all__ = ["KerasFinder", "keras_imports", "run_script", "tensorflow_module"]

#: Top-level names the hook answers for, and the lstmkit module each maps to.
_PREFIXES = {
    "keras": "lstmkit.keras",
    "tf_keras": "lstmkit.keras",
    "tensorflow.keras": "lstmkit.keras",
    "tensorflow.python.keras": "lstmkit.keras",
}
#: Keras module paths that are another module of the namespace.
_MODULE_ALIASES = {".optimizers.legacy": ".optimizers"}
_TENSORFLOW = "tensorflow"
_TF_VERSION = "2.16.0"


def _target(fullname: str) -> str | None:
    """The lstmkit module that stands for ``fullname``, ``_TENSORFLOW`` for the stand-in
    TensorFlow module, or ``None`` when the hook leaves the name to Python."""
    if fullname == _TENSORFLOW:
        return _TENSORFLOW
    for prefix in sorted(_PREFIXES, key=len, reverse=True):
        if fullname == prefix or fullname.startswith(prefix + "."):
            rest = fullname[len(prefix) :]
            return _PREFIXES[prefix] + _MODULE_ALIASES.get(rest, rest)
    if fullname.startswith(_TENSORFLOW + "."):
        return f"!{fullname}"  # a TensorFlow module other than tf.keras: not supported
    return None


def tensorflow_module() -> types.ModuleType:
    """A module standing for ``tensorflow``: ``keras`` (:mod:`lstmkit.keras`),
    ``random.set_seed`` (seeds PyTorch's generator, which lstmkit's initializers, dropout and
    shuffling draw from; ``set_random_seed`` is TensorFlow 1's spelling of it), ``__version__``;
    any other attribute fails naming ``tensorflow.<name>``."""
    import torch

    import lstmkit.keras

    def set_seed(seed: int) -> None:
        """``tf.random.set_seed``: seed the generator lstmkit draws from."""
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"tf.random.set_seed expects a non-negative integer; got {seed!r}")
        torch.manual_seed(seed)

    tf = types.ModuleType(_TENSORFLOW, "lstmkit's stand-in for TensorFlow under `lstmkit run`")
    tf.__path__ = []  # a package, so that `import tensorflow.keras` reaches the hook
    tf.__version__ = f"{_TF_VERSION}+lstmkit"
    tf.keras = lstmkit.keras
    random = types.ModuleType("tensorflow.random")
    random.set_seed = set_seed
    random.__getattr__ = module_getattr("tensorflow.random")
    tf.random = random
    tf.set_random_seed = set_seed  # TensorFlow 1's spelling of tf.random.set_seed
    tf.__getattr__ = module_getattr("tensorflow")
    return tf


class _AliasLoader(importlib.abc.Loader):
    """Gives the lstmkit module (already made, or imported now) for a Keras module name."""

    def __init__(self, fullname: str, target: str) -> None:
        self.fullname = fullname
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if self.target == _TENSORFLOW:
            return tensorflow_module()
        if self.target.startswith("!"):
            raise not_supported(self.target[1:])
        try:
            return importlib.import_module(self.target)
        except ModuleNotFoundError as error:
            if error.name is not None and self.target.startswith(error.name):
                raise not_supported(self.fullname) from None
            raise

    def exec_module(self, module: types.ModuleType) -> None:
        """The module is lstmkit's, already executed."""


class KerasFinder(importlib.abc.MetaPathFinder):
    """The meta-path finder behind :func:`keras_imports`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        mapped = _target(fullname)
        if mapped is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(fullname, mapped))


def _hooked(name: str) -> bool:
    return _target(name) is not None


@contextmanager
def keras_imports() -> Iterator[None]:
    """Within the block, ``import keras`` (and the other names of this module) give lstmkit's
    namespace. Afterwards the hook and every module it answered for are gone, and any real
    ``keras``/``tensorflow`` modules imported before are back in ``sys.modules``."""
    saved = {name: module for name, module in sys.modules.items() if _hooked(name)}
    for name in saved:
        del sys.modules[name]
    finder = KerasFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if _hooked(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def run_script(path: str, args: Sequence[str] = ()) -> dict[str, Any]:
    """Run the Python file ``path`` as ``__main__`` under :func:`keras_imports`, as ``python
    path args...`` would: ``sys.argv`` is ``[path, *args]``, ``__file__`` the absolute path and
    ``sys.path[0]`` the script's folder (all restored afterwards). Returns the script's
    globals. Exceptions (``SystemExit`` included) propagate."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such script: {path!r}")
    absolute = os.path.abspath(path)
    saved_argv, saved_path0 = sys.argv, sys.path[0] if sys.path else None
    sys.argv = [path, *args]
    if sys.path:
        sys.path[0] = os.path.dirname(absolute)
    else:
        sys.path.append(os.path.dirname(absolute))
    RUNNING.append(absolute)
    try:
        with keras_imports():
            return runpy.run_path(absolute, run_name="__main__")
    finally:
        RUNNING.pop()
        sys.argv = saved_argv
        if saved_path0 is not None:
            sys.path[0] = saved_path0
