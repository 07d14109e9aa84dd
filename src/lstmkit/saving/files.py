"""Writing files so that nothing is lost: a whole new file or the old one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from typing import BinaryIO

__all__ = ["atomic_write", "check_lstmkit_path", "clean_temporary_files"]

_KERAS_SUFFIXES = (".h5", ".hdf5", ".keras")


def check_lstmkit_path(path: str | os.PathLike[str], argument: str = "path") -> str:
    """Refuse the Keras file names tutorials use (``model.h5``, ``model.keras``) with a message
    saying what lstmkit writes instead; return the path as a string."""
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        raise ValueError(f"{argument} must be a file path; got {path!r}")
    if text.lower().endswith(_KERAS_SUFFIXES):
        suffix = os.path.splitext(text)[1]
        raise ValueError(
            f"{argument} {text!r} ends in {suffix!r}, a Keras format. lstmkit writes its own "
            "format: one zip file with a JSON architecture and safetensors weights, which "
            "loading never executes code from. Use a name such as 'model.lstmkit' for save() "
            "and 'model.weights.safetensors' for save_weights(). To read a model Keras saved, "
            "use lstmkit.models.load_keras_model(path)."
        )
    return text


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (PermissionError), or no way to tell
        return True
    return True


def clean_temporary_files(path: str | os.PathLike[str]) -> list[str]:
    """Remove the temporary files that killed :func:`atomic_write` calls to ``path`` left:
    ``.<name>.lstmkit-<pid>-<random>.tmp`` whose process is no longer running. Nothing else is
    touched. Returns the paths removed."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    prefix = f".{os.path.basename(path)}.lstmkit-"
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text = name[len(prefix) :].split("-", 1)[0]
        if not pid_text.isdigit() or _process_alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, name))
            removed.append(os.path.join(directory, name))
    return removed


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, flush it to disk (fsync), then
    rename it over ``path`` and sync the directory. An error, a Ctrl-C or a killed process at
    any moment leaves ``path`` as it was (the old file or none); the temporary file is removed
    unless the process itself dies, in which case a ``.<name>.lstmkit-<pid>-*.tmp`` file
    remains until the next write to ``path`` removes it (see :func:`clean_temporary_files`)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"cannot write {path!r}: the directory {directory!r} does not exist"
        )
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path!r}: it is a directory")
    clean_temporary_files(path)
    fd, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.lstmkit-{os.getpid()}-", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            _fsync(file.fileno())
        if os.path.exists(path):
            # Keep the permissions the old file had; mkstemp makes files private.
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _fsync(fd: int) -> None:
    os.fsync(fd)


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
