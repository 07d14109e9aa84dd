"""An output folder that appears whole or not at all.

Every file of a run is written into a hidden staging folder beside the destination; only when
all of them are written is the staging folder renamed into place. A failure, a Ctrl-C or bad
input leaves the destination as it was (an earlier run's folder, or nothing) and removes the
staging folder and any parent folders the run created.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["check_destination", "staged_folder"]

#: A folder holding this file was written by lstmkit, so a new run may replace it.
MARKER = "metrics.json"


def check_destination(out: Path, argument: str = "--out") -> None:
    """Refuse ``out`` when replacing it could lose something: a file, or a folder that holds
    anything other than an earlier lstmkit run's output."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ValueError(f"{argument} {str(out)!r} exists and is not a folder; choose another")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ValueError(
            f"{argument} {str(out)!r} is a folder that is not an lstmkit output (no {MARKER}); "
            "choose another folder or empty it"
        )


@contextlib.contextmanager
def staged_folder(out: Path, argument: str = "--out") -> Iterator[Path]:
    """Yield an empty staging folder; when the block ends normally, it replaces ``out``.

    ``out`` must pass :func:`check_destination` (checked again before the swap). On any
    exception nothing under ``out`` changes and everything this call created is removed.
    """
    out = Path(out)
    check_destination(out, argument)
    created: list[Path] = []
    parent = out.absolute().parent
    for folder in reversed([parent, *parent.parents]):
        if not folder.exists():
            created.append(folder)
    if created:
        parent.mkdir(parents=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes folders private; an output folder is not
    try:
        yield staging
        check_destination(out, argument)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            os.replace(out, old / "previous")
        try:
            os.replace(staging, out)
        except BaseException:
            if old is not None:
                os.replace(old / "previous", out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
