"""Output folders that lstmkit owns, that appear whole or not at all, and that never cost a user
a file.

* **Ownership.** A folder lstmkit wrote holds a marker file of its own, ``.lstmkit-output``: a
  JSON document ``{"format": "lstmkit-output", "format_version": 1, "files": {name: {"bytes",
  "sha256"}}}`` listing every file it wrote there. lstmkit replaces an existing folder only
  when it holds that marker and nothing else than the files the marker lists, unchanged. A
  folder without the marker, a marker of another format, a file a user added or a file a user
  edited: the run is refused before any work, naming the folder (and the files), and nothing in
  it is touched. An empty folder is used as it is.
* **Atomic replacement.** Every file of a run is written into a hidden staging folder beside the
  destination, ``.NAME.partial-XXXX``; the marker is written last. Then the staging folder and
  the earlier output swap names in one system call (``renameat2(RENAME_EXCHANGE)`` on Linux,
  ``renamex_np(RENAME_SWAP)`` on macOS), so at every instant ``NAME`` is the complete old output
  or the complete new one; the old one, now under the staging name, is removed. Where the
  platform or file system has no exchange, two renames are the fallback (``NAME`` →
  ``.NAME.old-XXXX``, staging → ``NAME``); a process killed between them leaves no ``NAME``,
  and the next run puts the old output back before it does anything else.
* **Leftovers.** A killed run leaves ``.NAME.partial-*`` or ``.NAME.old-*`` folders. The next run
  into the same ``NAME`` removes those that are lstmkit's own: a staging folder whose
  ``.lstmkit-staging`` note names a process that is no longer running, or a folder holding the
  output marker. Anything else with such a name is left alone.
* **Live files.** A command whose output folder also keeps a database it goes on using
  (``lstmkit tune``'s ``study.db``, resumed by the next run, and SQLite's ``-wal``, ``-shm``
  and ``-journal`` files and the workers' ``.lock`` beside it) names them ``live``: they are
  not listed in the marker (their content changes by design, also in a run that was killed),
  they may be in an lstmkit folder without making it a user's, and the swap keeps them: each is
  hard-linked into the staging folder before the swap (copied where links cannot be made), so
  the new output holds the same database and the old output's removal removes only a name.
* **Refused destinations**, before any work: ``''``, ``.``, ``/``, the current folder or any
  folder above it, a file, a symbolic link.

``reach(stage)`` marks the stages of a run; the environment variable ``LSTMKIT_TEST_KILL_AT``
set to a stage's name makes the process kill itself there (SIGKILL: no clean-up runs), which is
how the tests check what a killed run leaves.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sys
from collections.abc import Collection, Iterator
from pathlib import Path

__all__ = [
    "MARKER",
    "STAGING_NOTE",
    "check_destination",
    "clean_leftovers",
    "exchange",
    "reach",
    "staged_folder",
]

#: The file that marks a folder lstmkit wrote (a JSON manifest of the files it wrote there).
MARKER = ".lstmkit-output"
MARKER_FORMAT = "lstmkit-output"
MARKER_VERSION = 1
#: The note inside a staging folder while a run writes into it: which process owns it.
STAGING_NOTE = ".lstmkit-staging"
#: The environment variable of the kill test (see the module's docstring).
KILL_VARIABLE = "LSTMKIT_TEST_KILL_AT"


def reach(stage: str) -> None:
    """Mark that a run reached ``stage``; kills the process there when the kill test asks."""
    if os.environ.get(KILL_VARIABLE) == stage:
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


# -- what may be replaced -------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_marker(folder: Path) -> dict | None:
    """The marker's manifest ``{name: {"bytes", "sha256"}}``, or None when it is not lstmkit's."""
    try:
        document = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != MARKER_FORMAT:
        return None
    files = document.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(entry, dict) and isinstance(entry.get("sha256"), str) for entry in files.values()
    ):
        return None
    return files


def write_marker(folder: Path, live: Collection[str] = ()) -> None:
    """Write the marker listing every file now in ``folder`` (called once they are all there),
    except the ``live`` ones (see the module's docstring)."""
    files = {}
    for path in sorted(folder.iterdir()):
        if path.name in (MARKER, STAGING_NOTE) or path.name in live:
            continue
        if not path.is_file() or path.is_symlink():
            raise ValueError(f"lstmkit wrote something that is not a file: {path}")
        files[path.name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
    document = {"format": MARKER_FORMAT, "format_version": MARKER_VERSION, "files": files}
    with (folder / MARKER).open("w", encoding="utf-8") as file:
        json.dump(document, file, indent=2)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())


def _is_above_cwd(out: Path) -> bool:
    here = Path.cwd().resolve()
    target = out.resolve()
    return target == here or target in here.parents


def check_destination(
    out: str | os.PathLike[str], argument: str = "--out", live: Collection[str] = ()
) -> None:
    """Refuse ``out`` unless lstmkit may write a new output there: a path that does not exist,
    an empty folder, or a folder of an earlier lstmkit run holding only the files that run
    wrote, unchanged, and ``live`` files (see the module's docstring). The message names the
    folder and, when a user's files are the reason, the files; nothing is changed."""
    text = os.fspath(out)
    if not text.strip():
        raise ValueError(f"{argument} is empty; give the name of a new folder, such as results")
    path = Path(text)
    if path.is_symlink():
        raise ValueError(f"{argument} {text!r} is a symbolic link; give a folder's own path")
    if _is_above_cwd(path):
        raise ValueError(
            f"{argument} {text!r} is the current folder or a folder above it; lstmkit writes "
            "its files into a folder of their own: give a new name, such as results"
        )
    if path.exists() and not path.is_dir():
        raise ValueError(f"{argument} {text!r} exists and is not a folder; choose another")
    if not path.is_dir():
        return
    names = {entry.name for entry in path.iterdir()}
    if not names:
        return
    if MARKER not in names:
        raise ValueError(
            f"{argument} {text!r} is a folder lstmkit did not create (it has no {MARKER} "
            "marker); nothing in it was changed: choose a new folder, or empty this one"
        )
    manifest = _read_marker(path)
    if manifest is None:
        raise ValueError(
            f"{argument} {text!r}: its {MARKER} is not an lstmkit output marker; nothing in it "
            "was changed: choose a new folder"
        )
    added = sorted(names - set(manifest) - {MARKER} - set(live))
    changed = sorted(
        name
        for name in (names & set(manifest)) - set(live)
        if not (path / name).is_file()
        or (path / name).stat().st_size != manifest[name].get("bytes")
        or _sha256(path / name) != manifest[name]["sha256"]
    )
    if added or changed:
        parts = []
        if added:
            parts.append(f"files lstmkit did not write ({', '.join(added)})")
        if changed:
            parts.append(f"files changed since lstmkit wrote them ({', '.join(changed)})")
        raise ValueError(
            f"{argument} {text!r} is an earlier lstmkit output that now holds "
            f"{' and '.join(parts)}; they are kept and nothing was changed: move them out of "
            "the folder, or choose a new folder"
        )


# -- leftovers of killed runs ---------------------------------------------------------------------


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _staging_owner_alive(folder: Path) -> bool:
    try:
        note = json.loads((folder / STAGING_NOTE).read_text(encoding="utf-8"))
        pid, host = int(note["pid"]), str(note["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    # A process on another machine (a shared file system) cannot be checked: assume it runs.
    return host != socket.gethostname() or _process_alive(pid)


def clean_leftovers(out: Path) -> list[Path]:
    """Put back an output a killed two-rename swap left aside, and remove the staging and old
    folders killed runs into ``out`` left; only lstmkit's own (see the module's docstring).
    Returns the paths removed."""
    parent = out.absolute().parent
    if not parent.is_dir():
        return []
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.(partial|old)-[A-Za-z0-9_]+$")
    found = [
        entry
        for entry in parent.iterdir()
        if pattern.match(entry.name) and entry.is_dir() and not entry.is_symlink()
    ]
    if not out.exists() and not out.is_symlink():
        # A swap killed between its two renames: the old output waits under its .old- name.
        olds = [e for e in found if ".old-" in e.name and _read_marker(e) is not None]
        if olds:
            keep = max(olds, key=lambda e: e.stat().st_mtime)
            os.rename(keep, out)
            found.remove(keep)
    removed = []
    for entry in found:
        names = {child.name for child in entry.iterdir()}
        ours = not names or MARKER in names or STAGING_NOTE in names
        if not ours or (STAGING_NOTE in names and _staging_owner_alive(entry)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


# -- the swap -------------------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # macOS stdio.h
_NOT_SUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


def _libc_function(name: str) -> object | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    return getattr(libc, name, None)


def exchange(a: Path, b: Path) -> bool:
    """Swap the names of ``a`` and ``b`` (both exist) in one system call; False where the
    platform or the file system cannot, and then nothing changed."""
    if sys.platform.startswith("linux"):
        function = _libc_function("renameat2")
        args: tuple = (_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    elif sys.platform == "darwin":
        function = _libc_function("renamex_np")
        args = (os.fsencode(a), os.fsencode(b), _RENAME_SWAP)
    else:
        return False
    if function is None:
        return False
    if function(*args) == 0:  # type: ignore[operator]
        return True
    code = ctypes.get_errno()
    if code in _NOT_SUPPORTED:
        return False
    raise OSError(code, f"cannot swap {str(a)!r} and {str(b)!r}: {os.strerror(code)}")


def _carry_live(out: Path, staging: Path, live: Collection[str]) -> None:
    """Give the new output the earlier one's ``live`` files: the same files (hard links), or
    copies where the file system has no links."""
    for name in live:
        source = out / name
        if not source.is_file() or source.is_symlink():
            continue
        try:
            os.link(source, staging / name)
        except OSError:
            shutil.copy2(source, staging / name)


def _replace(staging: Path, out: Path) -> None:
    """Make ``staging`` (complete, marked) the folder at ``out``; see the module's docstring."""
    parent = staging.parent
    if not out.exists():
        os.rename(staging, out)
        reach("swap:renamed")
        return
    if exchange(staging, out):
        reach("swap:exchanged")  # `out` is the new output; the old one is under staging's name
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = parent / f".{out.name}.old-{secrets.token_hex(4)}"
    os.rename(out, old)
    reach("swap:between-renames")  # no `out` at all: the next run puts `old` back
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)
        raise
    reach("swap:renamed")
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(
    out: str | os.PathLike[str], argument: str = "--out", live: Collection[str] = ()
) -> Iterator[Path]:
    """Yield an empty staging folder; when the block ends normally, it replaces ``out``.

    ``out`` is checked by :func:`check_destination` first (before the caller does any work)
    and again just before the swap. On any exception nothing under ``out`` changes and
    everything this call created is removed. ``live``: files of ``out`` the new output keeps
    (see the module's docstring); nothing may write them while the swap runs.
    """
    check_destination(out, argument, live)
    out = Path(out)
    created: list[Path] = []
    parent = out.absolute().parent
    for folder in reversed([parent, *parent.parents]):
        if not folder.exists():
            created.append(folder)
    if created:
        parent.mkdir(parents=True)
    clean_leftovers(out)
    check_destination(out, argument, live)  # a put-back output is checked like any other
    staging = parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    staging.mkdir()  # with the umask's permissions, as an output folder should have
    try:
        note = {"pid": os.getpid(), "host": socket.gethostname()}
        (staging / STAGING_NOTE).write_text(json.dumps(note), encoding="utf-8")
        reach("staging:created")
        yield staging
        write_marker(staging, live)  # the note is not listed: it goes next
        (staging / STAGING_NOTE).unlink()
        reach("staging:marked")
        check_destination(out, argument, live)
        _carry_live(out, staging, live)
        _replace(staging, out)
        reach("swap:done")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
