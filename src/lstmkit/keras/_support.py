"""What the Keras namespace says about names it does not have, and about Keras 1/2 arguments.

A name lstmkit has no twin for fails where the script uses it, with one message naming the
Keras symbol and the script's file and line: never a silent substitute, never real Keras.
"""

from __future__ import annotations

import dis
import importlib
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

__all__ = [
    "NOT_SUPPORTED",
    "KerasAttributeNotSupportedError",
    "KerasNotSupportedError",
    "module_getattr",
    "not_supported",
    "script_frame",
    "script_location",
    "warn_renamed",
]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Whether ``lstmkit run`` is running a script (set by :mod:`lstmkit.keras.hook`); it only
#: changes the messages' prefix.
RUNNING: list[str] = []


class KerasNotSupportedError(ImportError):
    """A Keras name, module or argument lstmkit does not provide.

    An ``ImportError`` so that ``from keras.layers import X`` fails with this message (an
    ``AttributeError`` would be replaced by Python's "cannot import name"), and so that a
    script's ``try: import ... except ImportError`` fallback still works.
    """


class KerasAttributeNotSupportedError(AttributeError):
    """A Keras (or TensorFlow) attribute lstmkit lacks, read as ``module.name``: an
    ``AttributeError`` (no class can be both one and an ``ImportError``), so
    ``hasattr(tf, "is_tensor")`` and ``getattr(keras, name, default)`` answer as for any missing
    attribute. Libraries probe this way: matplotlib, given a ``tensorflow`` in ``sys.modules``,
    reads ``tf.is_tensor`` and catches only ``AttributeError``. Catch both kinds with
    :data:`NOT_SUPPORTED`."""


#: Both errors for a Keras name lstmkit lacks, for ``except NOT_SUPPORTED:``.
NOT_SUPPORTED = (KerasNotSupportedError, KerasAttributeNotSupportedError)


def script_frame() -> Any:
    """The innermost frame outside lstmkit and importlib (the script's), or ``None``."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        inside = filename.startswith("<frozen") or os.path.abspath(filename).startswith(
            _PACKAGE_DIR + os.sep
        )
        if not inside:
            return frame
        frame = frame.f_back
    return None


def script_location() -> str | None:
    """``"script.py, line 12"`` for the script's frame (see :func:`script_frame`)."""
    frame = script_frame()
    if frame is None:
        return None
    return f"{os.path.basename(frame.f_code.co_filename)}, line {frame.f_lineno}"


def _prefix() -> str:
    return "lstmkit run" if RUNNING else "lstmkit.keras"


def not_supported(
    symbol: str, reason: str = "", *, attribute: bool = False
) -> KerasNotSupportedError | KerasAttributeNotSupportedError:
    """The error for a Keras ``symbol`` (``"keras.layers.ConvLSTM2D"``) lstmkit lacks; with
    ``attribute``, one that is also an ``AttributeError`` (a module attribute read)."""
    where = script_location()
    text = f"{_prefix()}: {symbol} is not supported by lstmkit"
    if reason:
        text += f" ({reason})"
    if where:
        text += f" ({where})"
    return (KerasAttributeNotSupportedError if attribute else KerasNotSupportedError)(text)


def _reading_for_import(frame: Any) -> bool:
    """Whether ``frame`` reads the attribute for ``from module import name`` (Python's
    IMPORT_FROM, or importlib's ``_handle_fromlist`` for a package): there an ``AttributeError``
    would become Python's bare "cannot import name", so the plain ``ImportError`` is raised."""
    if frame is None:
        return False
    if frame.f_code.co_filename.startswith("<frozen importlib"):
        return True
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and dis.opname[code[frame.f_lasti]] == "IMPORT_FROM"


def module_getattr(keras_module: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for the Keras module ``keras_module``: dunder and private names
    are ordinary missing attributes; any other name is a Keras symbol lstmkit lacks. Read as an
    attribute (``tf.is_tensor``, ``hasattr(keras, name)``), the error is an ``AttributeError``
    (:class:`KerasAttributeNotSupportedError`, same message); imported (``from keras.layers
    import X``), a plain :class:`KerasNotSupportedError`, so Python keeps its message."""

    package = "lstmkit." + keras_module if keras_module.startswith("keras") else None

    def __getattr__(name: str) -> Any:  # noqa: N807 - a module __getattr__
        if name.startswith("_"):
            raise AttributeError(f"module {keras_module!r} has no attribute {name!r}")
        if package is not None:
            # A sub-module not imported yet (``from keras.utils import np_utils``).
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"{package}.{name}":
                    raise
        importing = _reading_for_import(sys._getframe(1))
        raise not_supported(f"{keras_module}.{name}", attribute=not importing)

    return __getattr__


_warned: set[tuple[str, str]] = set()


def warn_renamed(owner: str, old: str, new: str | None, note: str = "") -> None:
    """One warning per ``(owner, old)`` in a process, as Keras 2 gave for Keras 1 spellings:
    ``LSTM(output_dim=...)`` is ``LSTM(units=...)``."""
    if (owner, old) in _warned:
        return
    _warned.add((owner, old))
    if new is None:
        text = f"{owner}: the Keras 1 argument `{old}` is ignored"
    else:
        text = f"{owner}: the Keras 1 argument `{old}` is now `{new}`; lstmkit maps it"
    if note:
        text += f". {note}"
    frame = script_frame()
    if frame is None:
        warnings.warn(text, UserWarning, stacklevel=3)
    else:
        warnings.warn_explicit(
            text,
            UserWarning,
            frame.f_code.co_filename,
            frame.f_lineno,
            frame.f_globals.get("__name__"),
        )
