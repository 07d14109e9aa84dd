"""Bad or unusual input, command line: output folders (refused before any work, user files
kept, killed runs), dates, numbers, scores and ``lstmkit predict``'s data.

Every case asserts the exit status and the key words of the one-line message, or the correct
result and the kept files. Runs are tiny (40 monthly rows, one epoch).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import forecast_job, main, outdir
from lstmkit.cli.outdir import MARKER, check_destination, clean_leftovers
from lstmkit.forecast import Forecaster, load_forecaster

MONTHS = pd.date_range("2000-01-01", periods=40, freq="MS")
VALUES = (100 + 30 * np.sin(np.arange(40) / 2) + np.arange(40)).round(2)
QUICK = ["--epochs", "1", "--look-back", "3", "--horizon", "2", "--test", "4", "--units", "4"]
QUICK += ["--models", "1"]
FILES = {
    MARKER,
    "forecast.csv",
    "test_predictions.csv",
    "metrics.json",
    "heldout_forecasts.csv",
    "errors_by_step.csv",
    "loss.png",
    "forecast.png",
    "heldout.png",
    "errors_by_step.png",
    "forecaster.lstmkit",
    "report.html",
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_csv(path: Path, dates, values=VALUES, name: str = "sales", **kwargs) -> str:
    pd.DataFrame({"month": dates, name: values}).to_csv(path, index=False, **kwargs)
    return str(path)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> str:
    return write_csv(tmp_path_factory.mktemp("data") / "sales.csv", MONTHS.strftime("%Y-%m"))


@pytest.fixture(scope="module")
def old_output(tmp_path_factory, data) -> Path:
    """An earlier run's output folder, to copy."""
    out = tmp_path_factory.mktemp("old") / "out"
    assert main(["forecast", data, *QUICK, "--quiet", "--out", str(out)]) == 0
    return out


def forecast(capsys, data: str, out: Path | str, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "forecast", data, *QUICK, "--quiet", "--out", str(out), *extra)


def one_error(code: int, out: str, err: str, words: str, command: str = "forecast") -> None:
    assert code == 1, err
    assert out == ""
    assert err.startswith(f"lstmkit {command}: error: ") and err.count("\n") == 1, err
    assert words in err, err
    assert "Traceback" not in err


# -- --out refused before any work --------------------------------------------------------------

OUT_REFUSED = {
    "empty": ("", "--out is empty"),
    "blank": (" ", "--out is empty"),
    "dot": (".", "--out '.' is the current folder or a folder above it"),
    "dot slash": ("./", "is the current folder or a folder above it"),
    "parent": ("..", "--out '..' is the current folder or a folder above it"),
    "root": ("/", "--out '/' is the current folder or a folder above it"),
    "cwd spelled out": ("{cwd}", "is the current folder or a folder above it"),
    "a file": ("notes.txt", "--out 'notes.txt' exists and is not a folder"),
    "a symlink": ("link", "--out 'link' is a symbolic link"),
    "a user's folder": ("thesis", "--out 'thesis' is a folder lstmkit did not create"),
    "metrics.json is not a marker": ("ml", "--out 'ml' is a folder lstmkit did not create"),
}


@pytest.mark.parametrize("case", list(OUT_REFUSED))
def test_out_is_refused_before_any_work(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("precious")
    (tmp_path / "ml").mkdir()
    (tmp_path / "ml" / "metrics.json").write_text('{"acc": 0.9}')
    (tmp_path / "ml" / "model.pt").write_text("weights")
    (tmp_path / "link").symlink_to(tmp_path / "thesis")
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    text, words = OUT_REFUSED[case]
    # The data file does not exist: the refusal of --out comes first, before any work.
    code, out, err = forecast(capsys, "missing.csv", text.format(cwd=tmp_path))
    one_error(code, out, err, words)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "thesis" / "chapter1.tex").read_text() == "precious"
    assert (tmp_path / "ml" / "metrics.json").read_text() == '{"acc": 0.9}'


USER_FILES = {
    "a notes file": ("notes.txt", "my notes", "files lstmkit did not write (notes.txt)"),
    "a csv of one's own": ("extra.csv", "a,b", "files lstmkit did not write (extra.csv)"),
    "an edited report": ("report.html", "<p>annotated", "changed since lstmkit wrote them"),
    "an edited forecast": ("forecast.csv", "x", "changed since lstmkit wrote them (forecast.csv)"),
}


@pytest.mark.parametrize("case", list(USER_FILES))
def test_user_files_in_an_earlier_output_are_kept(case, old_output, data, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(old_output, out)
    name, text, words = USER_FILES[case]
    (out / name).write_text(text)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, stdout, err = forecast(capsys, data, out)
    one_error(code, stdout, err, words)
    assert "they are kept and nothing was changed" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_earlier_output_is_replaced(old_output, data, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(old_output, out)
    code, _, err = forecast(capsys, data, out, "--horizon", "3")
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == FILES
    assert len(pd.read_csv(out / "forecast.csv")) == 3
    check_destination(out)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_empty_folder_is_used(data, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    assert forecast(capsys, data, tmp_path / "out")[0] == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} == FILES


# -- a run killed at every stage ------------------------------------------------------------------

STAGES = [
    "staging:created",
    "data:read",
    "model:trained",
    "models:scored",
    "files:model",
    "files:all",
    "staging:marked",
    "swap:exchanged",
    "swap:done",
]
FALLBACK_STAGES = ["swap:between-renames", "swap:renamed"]


def _has_exchange(folder: Path) -> bool:
    """Whether this platform and file system swap two folders in one call."""
    a, b = folder / "probe-a", folder / "probe-b"
    a.mkdir()
    b.mkdir()
    try:
        return outdir.exchange(a, b)
    finally:
        a.rmdir()
        b.rmdir()


class Killed(BaseException):
    """What the kill hook raises after it copied the folder as a kill would leave it."""


def _complete(folder: Path, old: dict[str, bytes]) -> str:
    """'old' or 'new': the folder holds one whole output (the marker lists exactly its files,
    unchanged)."""
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(files) == FILES
    check_destination(folder)  # the marker's sizes and sha256 match every file
    if files == old:
        return "old"
    assert files[MARKER] != old[MARKER]
    return "new"


@pytest.mark.parametrize("stage", STAGES + FALLBACK_STAGES, ids=lambda s: s.replace(":", "-"))
def test_a_run_killed_at_any_stage_leaves_the_old_or_the_new_output(
    stage, old_output, data, tmp_path, capsys, monkeypatch
):
    work, frozen = tmp_path / "work", tmp_path / "frozen"
    work.mkdir()
    shutil.copytree(old_output, work / "out")
    old = {p.name: p.read_bytes() for p in old_output.iterdir()}
    if stage in FALLBACK_STAGES:
        monkeypatch.setattr(outdir, "exchange", lambda a, b: False)
    elif stage == "swap:exchanged" and not _has_exchange(tmp_path):
        pytest.skip("this platform has no atomic exchange")

    def reach(name: str) -> None:
        if name == stage:
            # The folder at this instant is what a SIGKILL here would leave.
            shutil.copytree(work, frozen, symlinks=True)
            raise Killed

    monkeypatch.setattr(outdir, "reach", reach)
    monkeypatch.setattr(forecast_job, "reach", reach)
    with pytest.raises(Killed):
        forecast(capsys, data, work / "out", "--horizon", "3")
    monkeypatch.undo()
    out = frozen / "out"
    if stage == "swap:between-renames":
        assert not out.exists()  # the fallback's one gap, repaired by the next run
    else:
        expected = "new" if stage.startswith("swap") else "old"
        assert _complete(out, old) == expected
    # The next run cleans up after the killed one (whose process no longer runs).
    with monkeypatch.context() as patch:
        patch.setattr(outdir, "_process_alive", lambda pid: False)
        clean_leftovers(out)
    assert [p.name for p in frozen.iterdir()] == ["out"]
    state = _complete(out, old)
    assert state == ("new" if stage in ("swap:exchanged", "swap:done", "swap:renamed") else "old")


_KILLED_CHILD = """
import sys
from lstmkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_process_killed_between_the_swap_steps(old_output, data, tmp_path, capsys):
    if not _has_exchange(tmp_path):
        pytest.skip("this platform has no atomic exchange")
    out = tmp_path / "out"
    shutil.copytree(old_output, out)
    old = {p.name: p.read_bytes() for p in old_output.iterdir()}
    env = {**os.environ, outdir.KILL_VARIABLE: "swap:exchanged", "OMP_NUM_THREADS": "1"}
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_CHILD, "forecast", data, *QUICK, "--quiet", "--out",
         str(out), "--horizon", "3"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert _complete(out, old) == "new"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "out"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".out.partial-")
    assert _complete(tmp_path / leftovers[0], old) == "old"  # the old output, not yet removed
    # The next run removes it and replaces the output.
    code, _, err = forecast(capsys, data, out, "--horizon", "2")
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert len(pd.read_csv(out / "forecast.csv")) == 2


# -- dates ----------------------------------------------------------------------------------------

DATES_REFUSED = {
    "ambiguous day-first": (
        MONTHS.strftime("%d/%m/%Y"), [],
        "the dates could be day-first or month-first (row 1 holds '01/02/2000', and no value "
        "past 12 in either place settles it); say which with --date-format FORMAT (e.g. "
        "'%d/%m/%Y') or --dayfirst or --monthfirst",
    ),
    "mixed orders": (
        ["13/01/2000", "01/14/2000", *MONTHS[2:].strftime("%d/%m/%Y")], [],
        "mixes day-first and month-first dates",
    ),
    "--dayfirst contradicted": (
        pd.date_range("2000-01-10", periods=40, freq="D").strftime("%m/%d/%Y"), ["--dayfirst"],
        "--dayfirst but row 3 holds '01/13/2000'",
    ),
    "--date-format not matched": (
        MONTHS.strftime("%Y-%m"), ["--date-format", "%d/%m/%Y"],
        "row 0 holds '2000-01', which does not match --date-format '%d/%m/%Y'",
    ),
    "a skipped month": (
        MONTHS.delete(9).strftime("%Y-%m"), [],
        "the dates in 'month' skip 1 of the 40 times of their frequency (MS), the first "
        "2000-10-01 (after 2000-09-01); fill them with --fill interpolate, ffill or zero",
    ),
    "no year": (["Jan", "Feb", "Mar"] * 13 + ["Apr"], ["--date-column", "month"], "has no year"),
    "empty --date-format": (
        MONTHS.strftime("%Y-%m"), ["--date-format", ""],
        "--date-format '' is not a strftime format such as '%d/%m/%Y'",
    ),
    "unknown directive": (
        MONTHS.strftime("%Y-%m"), ["--date-format", "%Q"],
        "--date-format '%Q' is not a format dates can be read with",
    ),
    "a time zone": (
        pd.date_range("2000-01-01", periods=40, freq="D", tz="UTC").astype(str), [],
        "the dates in 'month' carry a time zone (UTC)",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DATES_REFUSED))
def test_dates_that_would_be_guessed_are_refused(case, tmp_path, capsys):
    dates, extra, words = DATES_REFUSED[case]
    values = VALUES[: len(dates)]
    path = write_csv(tmp_path / "d.csv", list(dates), values)
    code, out, err = forecast(capsys, path, tmp_path / "out", *extra)
    one_error(code, out, err, words)
    assert "trained" not in err
    assert not (tmp_path / "out").exists()


DATES_READ = {
    "--dayfirst": (MONTHS.strftime("%d/%m/%Y"), ["--dayfirst"], "2003-05"),
    "--date-format": (MONTHS.strftime("%d/%m/%Y"), ["--date-format", "%d/%m/%Y"], "2003-05"),
    "day-first settled by the data": (
        pd.date_range("2000-01-10", periods=40, freq="D").strftime("%d.%m.%Y"), [], "2000-02-19",
    ),
    "Jan-00 is 2000": (MONTHS.strftime("%b-%y"), [], "2003-05"),
    "a skipped month, --fill interpolate": (
        MONTHS.delete(9).strftime("%Y-%m"), ["--fill", "interpolate"], "2003-05",
    ),
    "a skipped month, --fill ffill": (
        MONTHS.delete(9).strftime("%Y-%m"), ["--fill", "ffill"], "2003-05",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DATES_READ))
def test_dates_read_as_told(case, tmp_path, capsys):
    dates, extra, first = DATES_READ[case]
    path = write_csv(tmp_path / "d.csv", list(dates), VALUES[: len(dates)])
    code, _, err = forecast(capsys, path, tmp_path / "out", *extra)
    assert code == 0, err
    forecast_csv = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert forecast_csv["month"].iloc[0] == first
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["data"]["rows"] == 40 and metrics["data"]["frequency"] is not None
    assert "seasonal_naive" in metrics["models"]
    for word in extra:
        assert word in metrics["command"]


# -- numbers --------------------------------------------------------------------------------------


def test_quoted_thousands_are_read(tmp_path, capsys):
    values = [f"{1000 * v:,.0f}" for v in VALUES]
    path = write_csv(tmp_path / "d.csv", list(MONTHS.strftime("%Y-%m")), values)
    assert '"100,000"' in Path(path).read_text()  # quoted, as spreadsheets write them
    code, _, err = forecast(capsys, path, tmp_path / "out", "--json")
    assert code == 0, err
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["data"]["target_train"]["max"] == pytest.approx(1000 * VALUES[:36].max(), 1e-3)


def test_decimal_commas_in_a_semicolon_file_are_read(tmp_path, capsys):
    values = [f"{v:.2f}".replace(".", ",") for v in VALUES]
    path = write_csv(tmp_path / "d.csv", list(MONTHS.strftime("%Y-%m")), values, sep=";")
    code, _, err = forecast(capsys, path, tmp_path / "out")
    assert code == 0, err
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["data"]["target_test"]["min"] == pytest.approx(VALUES[36:].min())


NUMBERS = {
    "ambiguous in a tab file": (
        [f"{v:,.0f}" for v in 1000 * VALUES], "\t", [],
        "column 'sales': row 0 holds '100,000', where the comma could separate thousands or "
        "be a decimal comma; say which with --decimal , or --decimal .",
    ),
    "a decimal comma mixed with a point": (
        ["1,5", "2.5", *map(str, VALUES[2:])], ";", [], "mixes a decimal comma",
    ),
    "inf": (
        [*map(str, VALUES[:5]), "inf", *map(str, VALUES[6:])], ",", [],
        "column 'sales' holds inf (infinite) at row 5",
    ),
    "NaN": (
        [*map(str, VALUES[:5]), "", *map(str, VALUES[6:])], ",", [],
        "column 'sales' has a gap (NaN) at row 5; fill it first (or --fill)",
    ),
    "past float32": (
        [*map(str, VALUES[:5]), "1e200", *map(str, VALUES[6:])], ",", [],
        "column 'sales' holds 1e+200 at row 5, beyond the float32 range",
    ),
    "text": (
        [*map(str, VALUES[:5]), "n/a?", *map(str, VALUES[6:])], ",", [],
        "--target column 'sales' is not numeric: row 5 holds 'n/a?'",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(NUMBERS))
def test_numbers_that_would_be_misread_are_refused(case, tmp_path, capsys):
    values, sep, extra, words = NUMBERS[case]
    path = write_csv(tmp_path / "d.csv", list(MONTHS.strftime("%Y-%m")), values, sep=sep)
    code, out, err = forecast(capsys, path, tmp_path / "out", "--target", "sales", *extra)
    one_error(code, out, err, words)
    assert not (tmp_path / "out").exists()


def test_decimal_option_settles_a_tab_file(tmp_path, capsys):
    values = [f"{v:,.0f}" for v in 1000 * VALUES]
    path = write_csv(tmp_path / "d.csv", list(MONTHS.strftime("%Y-%m")), values, sep="\t")
    code, _, err = forecast(capsys, path, tmp_path / "out", "--decimal", ".")
    assert code == 0, err
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["data"]["target_train"]["min"] == pytest.approx(1000 * VALUES[:36].min(), 1e-3)


# -- scores ---------------------------------------------------------------------------------------


def test_a_zero_in_the_held_out_part_leaves_mape_undefined(tmp_path, capsys):
    values = np.r_[VALUES[:-2], 0.0, VALUES[-1]]
    path = write_csv(tmp_path / "d.csv", list(MONTHS.strftime("%Y-%m")), values)
    code, stdout, err = forecast(capsys, path, tmp_path / "out", "--json")
    assert code == 0, err
    for result in json.loads(stdout)["models"].values():
        assert result["one_step"]["mape"] is None and result["one_step"]["rmse"] > 0
        assert "not_finite" not in result["one_step"]


def test_test_1_is_scored(data, tmp_path, capsys):
    code, stdout, err = run(
        capsys, "forecast", data, *QUICK[:6], "--test", "1", "--out", str(tmp_path / "o"),
        "--quiet", "--json",
    )  # fmt: skip
    assert code == 0, err
    document = json.loads(stdout)
    assert document["data"]["test"]["rows"] == 1
    assert document["models"]["naive"]["one_step"]["rmse"] == pytest.approx(
        abs(VALUES[-1] - VALUES[-2])
    )
    assert document["models"]["lstm"]["one_step"]["r2"] is None


@pytest.mark.parametrize("value", [np.inf, np.nan, -np.inf])
def test_scores_that_are_not_finite_are_reported_as_such(
    value, data, tmp_path, capsys, monkeypatch
):
    def overflowed(self, history, start):
        return np.full((len(history) - start, 1), value)

    monkeypatch.setattr(Forecaster, "_walk_forward", overflowed)
    code, stdout, err = forecast(capsys, data, tmp_path / "out", "--json")
    assert code == 0, err
    document = json.loads(stdout)
    lstm = document["models"]["lstm"]["one_step"]
    assert lstm["rmse"] is None and lstm["not_finite"] == ["rmse", "mae", "mape", "r2"]
    assert document["best_one_step"] in ("naive", "seasonal_naive", "sarimax")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["models"]["lstm"]["one_step"]["not_finite"] == lstm["not_finite"]
    report = (tmp_path / "out" / "report.html").read_text()
    assert "not finite" in report and "forecasts are not finite" in report
    code, stdout, _ = forecast(capsys, data, tmp_path / "out")
    row = next(line for line in stdout.splitlines() if line.strip().startswith("LSTM"))
    assert row.count("not finite") == 4


# -- lstmkit predict ------------------------------------------------------------------------------

PREDICT_REFUSED = {
    "weekly data": (
        pd.date_range("2005-01-02", periods=20, freq="W").strftime("%Y-%m-%d"), [],
        "the data's dates run at W-SUN (2005-01-02, 2005-01-09, ...), but the forecaster was "
        "fitted on data of frequency MS",
    ),
    "daily data": (
        pd.date_range("2005-01-01", periods=20, freq="D").strftime("%Y-%m-%d"), [],
        "the data's dates run at D",
    ),
    "a skipped month": (
        pd.date_range("2005-01-01", periods=21, freq="MS").delete(5).strftime("%Y-%m"), [],
        "skip 1 of the 21 times of their frequency (MS), the first 2005-06-01",
    ),
    "ambiguous dates": (
        pd.date_range("2005-01-01", periods=20, freq="MS").strftime("%d/%m/%Y"), [],
        "--dayfirst or --monthfirst",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(PREDICT_REFUSED))
def test_predict_refuses_data_unlike_the_model(case, old_output, tmp_path, capsys):
    dates, extra, words = PREDICT_REFUSED[case]
    path = write_csv(tmp_path / "new.csv", list(dates), VALUES[: len(dates)])
    model = str(old_output / "forecaster.lstmkit")
    code, out, err = run(capsys, "predict", model, path, *extra)
    one_error(code, out, err, words, command="predict")


PREDICT_READ = {
    "--dayfirst": (
        pd.date_range("2005-01-01", periods=20, freq="MS").strftime("%d/%m/%Y"),
        ["--dayfirst"],
    ),
    "--fill": (
        pd.date_range("2005-01-01", periods=20, freq="MS").delete(5).strftime("%Y-%m"),
        ["--fill", "interpolate"],
    ),
}


@pytest.mark.parametrize("case", list(PREDICT_READ))
def test_predict_reads_as_told(case, old_output, tmp_path, capsys):
    dates, extra = PREDICT_READ[case]
    path = write_csv(tmp_path / "new.csv", list(dates), VALUES[: len(dates)])
    code, out, err = run(capsys, "predict", str(old_output / "forecaster.lstmkit"), path, *extra)
    assert code == 0, err
    assert out.splitlines()[1].startswith("2006-09,")


def test_predict_json_holds_null_for_forecasts_that_are_not_finite(
    old_output, data, capsys, monkeypatch
):
    def overflowed(self, history, steps):
        return np.full((steps, 1), np.inf)

    model = str(old_output / "forecaster.lstmkit")
    # The file holds the model that run published, whichever it is.
    monkeypatch.setattr(type(load_forecaster(model)), "_forecast", overflowed)
    code, out, err = run(capsys, "predict", model, data, "--steps", "2", "--json")
    assert code == 0, err
    document = json.loads(out)  # strict JSON: no Infinity
    assert document["sales"] == [None, None]
    assert document["time"] == ["2003-05", "2003-06"]


@pytest.mark.parametrize("which", ["MODEL", "DATA.csv"])
def test_predict_output_never_replaces_its_inputs(which, old_output, data, tmp_path, capsys):
    model = tmp_path / "forecaster.lstmkit"
    shutil.copyfile(old_output / "forecaster.lstmkit", model)
    csv = tmp_path / "data.csv"
    shutil.copyfile(data, csv)
    target = model if which == "MODEL" else csv
    before = target.read_bytes()
    code, out, err = run(capsys, "predict", str(model), str(csv), "--output", str(target))
    one_error(code, out, err, f"is the {which} file; writing the forecast there would replace it",
              command="predict")  # fmt: skip
    assert target.read_bytes() == before


def test_sigterm_leaves_no_staging_folder(data, tmp_path):
    """A scheduler's SIGTERM while the output is staged: the command stops with 143, says so,
    and removes its staging folder (the default handler would leave it to the next run)."""
    import time

    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CHILD, "forecast", data, *QUICK, "--epochs", "3000",
         "--quiet", "--out", str(out)],
        env={**os.environ, "OMP_NUM_THREADS": "1"}, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".out.partial-") for p in tmp_path.iterdir()):
        assert child.poll() is None and time.monotonic() < deadline, "no staging folder appeared"
        time.sleep(0.05)
    time.sleep(0.5)  # into the fit
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 143, err
    assert "lstmkit forecast: stopped (SIGTERM); nothing was written" in err
    assert list(tmp_path.iterdir()) == []
