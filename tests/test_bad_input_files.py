"""Bad input, files: output folders (cli/outdir.py) and atomic_write's temporary files.

Every case asserts the exact error class and the key words of the message, or the kept file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lstmkit.cli import outdir
from lstmkit.cli.outdir import (
    MARKER,
    STAGING_NOTE,
    check_destination,
    clean_leftovers,
    staged_folder,
)
from lstmkit.saving.files import atomic_write, clean_temporary_files


def _output(folder: Path, files: dict[str, str] | None = None) -> Path:
    """A folder as an earlier lstmkit run leaves it: its files and the marker."""
    folder.mkdir(parents=True)
    for name, text in (files or {"forecast.csv": "a,b\n1,2\n", "report.html": "<p>"}).items():
        (folder / name).write_text(text)
    outdir.write_marker(folder)
    return folder


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)


# -- destinations refused before any work ---------------------------------------------------------

REFUSED_PATHS = {
    "empty": ("", "--out is empty"),
    "blank": ("   ", "--out is empty"),
    "dot": (".", "is the current folder or a folder above it"),
    "dot slash": ("./", "is the current folder or a folder above it"),
    "parent": ("..", "is the current folder or a folder above it"),
    "root": ("/", "is the current folder or a folder above it"),
    "cwd absolute": ("{cwd}", "is the current folder or a folder above it"),
    "cwd via child": ("{cwd}/sub/..", "is the current folder or a folder above it"),
}


@pytest.mark.parametrize("case", list(REFUSED_PATHS))
def test_destinations_above_the_work_are_refused(case, tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    text, words = REFUSED_PATHS[case]
    with pytest.raises(ValueError, match=words):
        check_destination(text.format(cwd=tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]


def test_a_file_is_refused_and_kept(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"'.*notes\.txt' exists and is not a folder"):
        check_destination(tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_symlink_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(ValueError, match="is a symbolic link"):
        check_destination(tmp_path / "link")


FOREIGN = {
    "thesis": {"thesis.tex": "precious"},
    "metrics.json alone": {"metrics.json": "{}"},  # a common name is not lstmkit's marker
    "metrics.json and data": {"metrics.json": "{}", "data.csv": "1,2"},
    "hidden file": {".env": "SECRET=1"},
    "report of another tool": {"report.html": "<p>", "forecast.csv": "x"},
}


@pytest.mark.parametrize("case", list(FOREIGN))
def test_a_folder_lstmkit_did_not_create_is_refused_and_kept(case, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    _write(folder, FOREIGN[case])
    with pytest.raises(ValueError) as error, staged_folder(folder):
        raise AssertionError("the block must not run")
    assert "is a folder lstmkit did not create" in str(error.value)
    assert str(folder) in str(error.value) and "nothing in it was changed" in str(error.value)
    assert {p.name: p.read_text() for p in folder.iterdir()} == FOREIGN[case]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


BAD_MARKERS = {
    "not json": "not json at all",
    "other format": json.dumps({"format": "something-else", "files": {}}),
    "files not a dict": json.dumps({"format": "lstmkit-output", "files": []}),
    "entry without hash": json.dumps({"format": "lstmkit-output", "files": {"a": {}}}),
}


@pytest.mark.parametrize("case", list(BAD_MARKERS))
def test_a_marker_that_is_not_lstmkits_is_refused(case, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / MARKER).write_text(BAD_MARKERS[case])
    (folder / "a").write_text("data")
    with pytest.raises(ValueError, match="is not an lstmkit output marker; nothing in it"):
        check_destination(folder)
    assert (folder / "a").read_text() == "data"


USER_CHANGES = {
    "added file": ({"notes.txt": "my notes"}, "files lstmkit did not write (notes.txt)"),
    "added folder": ({"plots/": ""}, "files lstmkit did not write (plots)"),
    "edited report": ({"report.html": "<p>edited"}, "files changed since lstmkit wrote them"),
    "same size edit": ({"report.html": "<q>"}, "changed since lstmkit wrote them (report.html)"),
    "added and edited": (
        {"notes.txt": "n", "forecast.csv": "edited"},
        "(notes.txt) and files changed since lstmkit wrote them (forecast.csv)",
    ),
}


@pytest.mark.parametrize("case", list(USER_CHANGES))
def test_user_files_in_an_earlier_output_are_kept_and_the_run_refused(case, tmp_path):
    folder = _output(tmp_path / "out")
    changes, words = USER_CHANGES[case]
    for name, text in changes.items():
        if name.endswith("/"):
            (folder / name).mkdir()
        else:
            (folder / name).write_text(text)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    with pytest.raises(ValueError) as error, staged_folder(folder):
        raise AssertionError("the block must not run")
    message = str(error.value)
    assert words in message and "they are kept and nothing was changed" in message
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


def test_a_deleted_output_file_does_not_block_a_rerun(tmp_path):
    folder = _output(tmp_path / "out")
    (folder / "report.html").unlink()
    check_destination(folder)  # nothing of the user's would be lost


def test_a_user_file_added_during_the_run_is_kept(tmp_path):
    folder = _output(tmp_path / "out")
    late = pytest.raises(ValueError, match=r"did not write \(late\.txt\)")
    with late, staged_folder(folder) as staging:
        (staging / "forecast.csv").write_text("new")
        (folder / "late.txt").write_text("written while the run ran")
    assert (folder / "late.txt").read_text() == "written while the run ran"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -- replacing an output -------------------------------------------------------------------------


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_an_earlier_output_is_replaced_whole(exchange, tmp_path, monkeypatch):
    if not exchange:
        monkeypatch.setattr(outdir, "exchange", lambda a, b: False)
    folder = _output(tmp_path / "out", {"old.csv": "old"})
    with staged_folder(folder) as staging:
        (staging / "new.csv").write_text("new")
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, "new.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    check_destination(folder)  # the new output is lstmkit's own


def test_the_exchange_swaps_two_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    if not outdir.exchange(a, b):
        pytest.skip("this platform has no atomic exchange")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_every_instant_of_a_run_shows_the_complete_old_or_new_output(tmp_path, monkeypatch):
    probe_a, probe_b = tmp_path / "probe-a", tmp_path / "probe-b"
    probe_a.mkdir()
    probe_b.mkdir()
    if not outdir.exchange(probe_a, probe_b):
        pytest.skip("this platform has no atomic exchange")
    probe_a.rmdir()
    probe_b.rmdir()
    folder = _output(tmp_path / "out", {"v.csv": "old"})
    seen: list[tuple[str, str]] = []

    def reach(stage: str) -> None:
        check_destination(folder)  # complete and lstmkit's own at this instant
        seen.append((stage, (folder / "v.csv").read_text()))

    monkeypatch.setattr(outdir, "reach", reach)
    with staged_folder(folder) as staging:
        (staging / "v.csv").write_text("new")
    assert seen == [
        ("staging:created", "old"),
        ("staging:marked", "old"),
        ("swap:exchanged", "new"),
        ("swap:done", "new"),
    ]


def test_the_only_gap_of_two_renames_is_put_back_by_the_next_run(tmp_path, monkeypatch):
    monkeypatch.setattr(outdir, "exchange", lambda a, b: False)
    folder = _output(tmp_path / "out", {"v.csv": "old"})

    class Killed(BaseException):
        pass

    def reach(stage: str) -> None:
        if stage == "swap:between-renames":
            raise Killed

    monkeypatch.setattr(outdir, "reach", reach)
    monkeypatch.setattr(outdir.shutil, "rmtree", lambda *a, **k: None)  # as if killed
    with pytest.raises(Killed), staged_folder(folder) as staging:
        (staging / "v.csv").write_text("new")
    assert not folder.exists()
    monkeypatch.undo()
    clean_leftovers(folder)
    assert (folder / "v.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -- leftovers ------------------------------------------------------------------------------------

LEFTOVERS = {
    "dead staging": (".out.partial-abc123", {STAGING_NOTE: '{"pid": 999999999, "host": "H"}'}),
    "marked staging": (".out.partial-abc124", {MARKER: "{}", "forecast.csv": "x"}),
    "empty staging": (".out.partial-abc125", {}),
    "old output": (".out.old-abc126", {MARKER: "{}", "forecast.csv": "x"}),
}


@pytest.mark.parametrize("case", list(LEFTOVERS))
def test_leftovers_of_killed_runs_are_removed(case, tmp_path, monkeypatch):
    monkeypatch.setattr(outdir.socket, "gethostname", lambda: "H")
    _output(tmp_path / "out")
    name, files = LEFTOVERS[case]
    (tmp_path / name).mkdir()
    _write(tmp_path / name, files)
    assert clean_leftovers(tmp_path / "out") == [tmp_path / name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


NOT_LEFTOVERS = {
    "live staging": (".out.partial-abc123", {STAGING_NOTE: json.dumps({"pid": os.getpid()})}),
    "a user's folder": (".out.partial-abc124", {"thesis.tex": "precious"}),
    "another output's": (".other.partial-abc125", {MARKER: "{}"}),
    "a user's old": (".out.old-abc126", {"notes.txt": "n"}),
    "similar name": (".out.partial", {MARKER: "{}"}),
}


@pytest.mark.parametrize("case", list(NOT_LEFTOVERS))
def test_what_is_not_a_leftover_of_this_output_is_kept(case, tmp_path, monkeypatch):
    name, files = NOT_LEFTOVERS[case]
    if "pid" in files.get(STAGING_NOTE, ""):
        files = {
            STAGING_NOTE: json.dumps({"pid": os.getpid(), "host": outdir.socket.gethostname()})
        }
    _output(tmp_path / "out")
    (tmp_path / name).mkdir()
    _write(tmp_path / name, files)
    assert clean_leftovers(tmp_path / "out") == []
    assert {p.name: p.read_text() for p in (tmp_path / name).iterdir()} == files


# -- atomic_write's temporary files ----------------------------------------------------------------


def test_temporary_files_of_dead_writers_are_removed_by_the_next_write(tmp_path):
    path = tmp_path / "model.lstmkit"
    dead = tmp_path / ".model.lstmkit.lstmkit-999999999-abcd.tmp"
    live = tmp_path / f".model.lstmkit.lstmkit-{os.getpid()}-efgh.tmp"
    other = tmp_path / ".model.lstmkit.abcd.tmp"  # not lstmkit's naming: kept
    foreign = tmp_path / ".data.csv.lstmkit-999999999-abcd.tmp"  # another file's: kept
    for leftover in (dead, live, other, foreign):
        leftover.write_bytes(b"half")
    atomic_write(path, lambda file: file.write(b"whole"))
    assert path.read_bytes() == b"whole"
    assert not dead.exists()
    assert live.exists() and other.exists() and foreign.exists()
    assert clean_temporary_files(path) == []


@pytest.mark.parametrize(
    "name",
    [".m.lstmkit-notapid-x.tmp", ".m.lstmkit-12-x.txt", "m.lstmkit-999999999-x.tmp"],
)
def test_names_that_only_look_like_temporaries_are_kept(name, tmp_path):
    (tmp_path / name).write_bytes(b"mine")
    assert clean_temporary_files(tmp_path / "m") == []
    assert (tmp_path / name).read_bytes() == b"mine"
