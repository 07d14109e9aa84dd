"""One Optuna study worked by several processes or machines through a shared storage.

:func:`run_study` runs ``n_trials`` trials of an objective **in total over the study** (not per
worker), in this process (``n_workers=1``) or in ``n_workers`` worker processes of its own, while
any number of other processes — ``lstmkit tune`` on other machines pointed at the same
PostgreSQL or MySQL URL — work the same study. Nothing here schedules trials: Optuna's storage
does, and these are the rules that make a shared study safe:

* **No trial twice, exactly N.** A worker takes a new trial only while the study holds fewer
  than N trials (a retry, below, is not a new one). The check and Optuna's ``ask`` happen under
  one lock, so two workers never both take the last slot: PostgreSQL's advisory lock, MySQL's
  ``GET_LOCK``, and for SQLite (one machine) an ``flock`` on ``DB.lock`` beside the database.
  Other storages have no such lock: there, up to one trial per worker more may run.
* **A killed worker's trial is retried.** Every trial beats a heartbeat into the storage
  (Optuna's ``RDBStorage(heartbeat_interval=...)``); a trial whose heartbeat is older than
  ``grace_period`` seconds is marked FAIL by the next worker that looks, and
  ``RetryHeartbeatStaleTrialCallback`` queues a copy of it (same parameters, system attribute
  ``failed_trial`` naming the original) that the next free worker runs. A worker that has
  nothing left to take waits while others' trials run, so a trial of a worker killed last is
  still retried by whoever remains.
* **SQLite on one machine.** The database is switched to write-ahead logging (readers never
  block the writer; the setting is kept in the file) and every connection waits up to
  ``SQLITE_TIMEOUT`` seconds for a lock instead of failing with "database is locked". WAL needs
  a local file system: keep the database off NFS.
* **Distinct parameters.** Each worker's TPE sampler is seeded from ``seed`` and the trial's
  number, so that workers started with the same seed do not all draw the same first trials, and
  a single process still draws the same trials run after run.

Worker processes are started with ``spawn`` (no fork of a process that holds torch's threads),
each with ``torch.set_num_threads(cores // n_workers)``; the objective and its data travel to
them as ``multiprocessing`` sends arguments, so the objective must be a picklable callable (a
module-level function or an instance of a module-level class). As with any ``multiprocessing``
code, a script that calls this with ``n_workers > 1`` needs ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import sqlite3
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "HEARTBEAT_INTERVAL",
    "SQLITE_TIMEOUT",
    "StudyCounts",
    "count_trials",
    "load_study",
    "open_storage",
    "release",
    "run_study",
    "shown_url",
    "sqlite_path",
]

#: Seconds between a running trial's heartbeats.
HEARTBEAT_INTERVAL = 10
#: Seconds a connection to a SQLite study waits for another process's lock before it fails.
SQLITE_TIMEOUT = 120


def sqlite_path(url: str) -> str | None:
    """The database file of a ``sqlite:///`` URL; None for other URLs and in-memory SQLite."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        return None
    return parsed.database


def shown_url(url: str) -> str:
    """``url`` with its password as ``***``: what messages, summary.json and --show print."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _check_url(url: Any, argument: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not isinstance(url, str) or not url.strip():
        raise ValueError(
            f"{argument} must be a database URL such as sqlite:///study.db or "
            f"postgresql://user@host/db; got {argument}={url!r}"
        )
    try:
        make_url(url)
    except ArgumentError:
        raise ValueError(
            f"{argument} {url!r} is not a database URL; expected one such as "
            "sqlite:///study.db, postgresql://user:password@host:5432/db or "
            "mysql+pymysql://user:password@host/db"
        ) from None
    return url


def open_storage(
    url: str, *, heartbeat_interval: int = HEARTBEAT_INTERVAL, grace_period: int | None = None
) -> Any:
    """An Optuna ``RDBStorage`` on ``url`` with heartbeats and retries of stale trials (see the
    module's docstring); SQLite files are switched to WAL and wait for locks."""
    import optuna
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    url = _check_url(url, "storage")
    engine_kwargs: dict[str, Any] = {}
    path = sqlite_path(url)
    if path is not None:
        # WAL is a property of the file: set once, every later connection uses it. It lets
        # the heartbeats and the readers of several processes go on while one writes.
        with contextlib.closing(sqlite3.connect(path, timeout=SQLITE_TIMEOUT)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
        engine_kwargs["connect_args"] = {"timeout": SQLITE_TIMEOUT}
    else:
        # A connection a server dropped between two trials (idle timeouts) is replaced.
        engine_kwargs["pool_pre_ping"] = True
    with warnings.catch_warnings():
        # "experimental": the heartbeat's and the retry's interface, pinned with optuna.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:
            return RDBStorage(
                url,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=3),
            )
        except ImportError as error:
            driver = "pip install 'lstmkit[postgres]'" if "postgres" in url else "its driver"
            raise ValueError(
                f"storage {shown_url(url)!r}: the database's Python driver is missing "
                f"({error.__cause__ or error}); install {driver}"
            ) from None


def load_study(storage: Any, study_name: str) -> Any:
    """The existing study ``study_name`` in ``storage`` (an URL or a storage); a clear error
    naming the studies there when there is none of that name."""
    import optuna

    if isinstance(storage, str):
        storage = open_storage(storage)
    names = [summary.study_name for summary in optuna.get_all_study_summaries(storage)]
    if study_name not in names:
        there = ", ".join(repr(name) for name in names) or "none"
        raise ValueError(f"study {study_name!r} is not in the storage; its studies: {there}")
    return optuna.load_study(study_name=study_name, storage=storage)


class StudyCounts:
    """How many trials a study holds, by state, and how many of them count towards N."""

    def __init__(self, trials: list[Any]) -> None:
        from optuna.trial import TrialState

        self.total = len(trials)
        self.by_state = {state.name.lower(): 0 for state in TrialState}
        for trial in trials:
            self.by_state[trial.state.name.lower()] += 1
        #: Trials that are not retries of another: N of them end a study of N trials.
        self.slots = sum(1 for trial in trials if "failed_trial" not in trial.system_attrs)
        self.retries = self.total - self.slots
        self.finished = self.by_state["complete"] + self.by_state["pruned"] + self.by_state["fail"]

    def as_dict(self) -> dict[str, int]:
        """``total``, ``retries`` and one count per state (``complete``, ``pruned``, ...)."""
        return {"total": self.total, "retries": self.retries, **self.by_state}


def count_trials(study: Any) -> StudyCounts:
    """:class:`StudyCounts` of ``study`` now."""
    return StudyCounts(study.get_trials(deepcopy=False))


# -- the lock around "is there a slot left? take it" -----------------------------------------------


@contextlib.contextmanager
def _slot_lock(storage: Any, study_name: str) -> Iterator[None]:
    """Held while one worker decides whether to take a trial and takes it (see the module's
    docstring for which lock each database gets)."""
    path = sqlite_path(storage.url)
    if path is not None:
        import fcntl  # POSIX only, as SQLite shared by processes is here

        # flock, not fcntl: SQLite's own POSIX locks on the database are released when any
        # descriptor of that file closes in the process, so the lock is on a file of its own.
        with open(f"{path}.lock", "a+b") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)
        return
    dialect = storage.engine.dialect.name
    key = int.from_bytes(hashlib.sha256(f"lstmkit:{study_name}".encode()).digest()[:8], "big")
    key -= 1 << 63  # PostgreSQL's advisory-lock key is a signed 64-bit integer
    from sqlalchemy import text

    if dialect == "postgresql":
        take, give = "SELECT pg_advisory_lock(:key)", "SELECT pg_advisory_unlock(:key)"
        values: dict[str, Any] = {"key": key}
    elif dialect in ("mysql", "mariadb"):
        take, give = "SELECT GET_LOCK(:name, -1)", "SELECT RELEASE_LOCK(:name)"
        values = {"name": f"lstmkit-{key & 0xFFFFFFFFFFFF:x}"}  # MySQL: 64 characters at most
    else:
        yield  # no lock: up to one extra trial per worker (the module's docstring)
        return
    with storage.engine.connect() as connection:
        connection.execute(text(take), values)
        try:
            yield
        finally:
            connection.execute(text(give), values)
            connection.commit()


# -- one worker --------------------------------------------------------------------------------


def _per_trial_seed(seed: int, **options: Any) -> Any:
    """A TPE sampler whose random draws for trial k come from ``seed + k`` (see the module's
    docstring); everything else is TPE's, which reads the history from the storage."""
    import optuna

    class PerTrialSeed(optuna.samplers.BaseSampler):
        def __init__(self) -> None:
            self._tpe = optuna.samplers.TPESampler(seed=seed, **options)

        def before_trial(self, study: Any, trial: Any) -> None:
            # A fresh TPE for each trial: it keeps nothing between trials but its random state.
            self._tpe = optuna.samplers.TPESampler(seed=(seed + trial.number) % 2**32, **options)
            self._tpe.before_trial(study, trial)

        def infer_relative_search_space(self, study: Any, trial: Any) -> Any:
            return self._tpe.infer_relative_search_space(study, trial)

        def sample_relative(self, study: Any, trial: Any, space: Any) -> Any:
            return self._tpe.sample_relative(study, trial, space)

        def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
            return self._tpe.sample_independent(study, trial, name, dist)

        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            self._tpe.after_trial(study, trial, state, values)

    return PerTrialSeed()


def _fail_silent_trials(study: Any, storage: Any, silent: dict[int, float]) -> None:
    """Fail and retry, as Optuna's stale check does, the RUNNING trials that have no heartbeat
    and have had none for the grace period, by this process's own clock (``silent``: when it
    first saw each so; no two machines' clocks are compared): a worker killed between taking a
    trial and its first heartbeat, or a trial of a run without heartbeats. Optuna's check skips
    such trials (it judges only those with a heartbeat), and the workers would wait for them
    forever."""
    import optuna
    from sqlalchemy import text

    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    if not running:
        silent.clear()
        return
    with storage.engine.connect() as connection:
        # Optuna's own table of heartbeats (its schema, pinned with optuna).
        rows = connection.execute(text("SELECT trial_id FROM trial_heartbeats"))
        beating = {row[0] for row in rows}
    grace = storage.grace_period or 2 * storage.heartbeat_interval
    now = time.monotonic()
    quiet = {trial._trial_id for trial in running} - beating
    for trial_id in list(silent):
        if trial_id not in quiet:
            del silent[trial_id]
    retry = storage.get_heartbeat_stale_trial_callback()
    for trial_id in quiet:
        if now - silent.setdefault(trial_id, now) < grace:
            continue
        try:
            failed = storage.set_trial_state_values(trial_id, state=optuna.trial.TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # it finished meanwhile
        del silent[trial_id]
        if failed and retry is not None:
            retry(study, storage.get_trial(trial_id))


def _work(
    study: Any,
    storage: Any,
    objective: Callable[[Any], float],
    n_trials: int,
    timeout: float | None,
    on_trial: Callable[[StudyCounts], None] | None = None,
) -> None:
    """Take and run trials of ``study`` (in ``storage``: an ``RDBStorage``, or None in memory)
    until it holds ``n_trials`` (retries aside), none is waiting and none of another worker is
    running; or until ``timeout`` seconds have passed."""
    import optuna

    interval = storage.get_heartbeat_interval() if storage is not None else None
    started = time.monotonic()
    silent: dict[int, float] = {}
    while timeout is None or time.monotonic() - started < timeout:
        with contextlib.ExitStack() as held:
            if storage is not None:
                held.enter_context(_slot_lock(storage, study.study_name))

            def run(trial: Any, held: contextlib.ExitStack = held) -> float:
                held.close()  # the trial is taken: others may take theirs while it runs
                return objective(trial)

            if storage is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    optuna.storages.fail_stale_trials(study)
                _fail_silent_trials(study, storage, silent)
            counts = count_trials(study)
            if counts.by_state["waiting"] == 0 and counts.slots >= n_trials:
                held.close()
                if counts.by_state["running"] == 0 or interval is None:
                    return
                # Others' trials still run: stay, to retry one whose worker dies.
                time.sleep(min(1.0, interval))
                continue
            study.optimize(run, n_trials=1)
        if on_trial is not None:
            on_trial(count_trials(study))


def _spread_over_gpus(index: int) -> None:
    """Worker ``index`` on GPU ``index mod count`` when lstmkit would pick the first GPU for
    every worker (several GPUs, no device asked for): K workers on one machine share its GPUs
    instead of all loading ``cuda:0``."""
    import torch

    from lstmkit.devices import ENVIRONMENT_VARIABLE, set_device

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count > 1 and not os.environ.get(ENVIRONMENT_VARIABLE):
        set_device(f"cuda:{index % count}")


def _worker_main(spec: dict[str, Any]) -> None:
    """A worker process: its own connection to the storage, then :func:`_work`."""
    import optuna

    torch = sys.modules.get("torch")  # imported with the objective when it trains networks
    if torch is not None:
        # K workers share the cores: each with all of them as threads would oversubscribe.
        torch.set_num_threads(spec["threads"])
    _spread_over_gpus(spec.get("index", 0))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(
        spec["storage"],
        heartbeat_interval=spec["heartbeat_interval"],
        grace_period=spec["grace_period"],
    )
    study = optuna.load_study(
        study_name=spec["study_name"],
        storage=storage,
        sampler=_per_trial_seed(spec["seed"], **spec["sampler_options"]),
        pruner=spec["pruner"],
    )
    _work(study, storage, spec["objective"], spec["n_trials"], spec["timeout"])


def run_study(
    objective: Callable[[Any], float],
    *,
    storage: str | None,
    study_name: str | None,
    n_trials: int,
    n_workers: int = 1,
    timeout: float | None = None,
    seed: int = 0,
    pruner: Any = None,
    sampler_options: dict[str, Any] | None = None,
    user_attrs: dict[str, Any] | None = None,
    heartbeat_interval: int = HEARTBEAT_INTERVAL,
    grace_period: int | None = None,
    progress: bool = False,
) -> Any:
    """Run ``objective`` (minimised) until the study ``study_name`` in ``storage`` holds
    ``n_trials`` trials, here or in ``n_workers`` worker processes; returns the study.

    ``storage``: a database URL (``sqlite:///file.db``, ``postgresql://...``,
    ``mysql+pymysql://...``), or None for a study in this process's memory (one worker only).
    ``user_attrs`` are set on a new study and checked against an existing one: a worker that
    joins a study made for other settings is refused, naming the setting. ``timeout``: seconds
    after which each worker starts no new trial. ``heartbeat_interval``/``grace_period``:
    seconds between heartbeats, and of silence after which a trial counts as dead (Optuna's
    default: twice the interval). ``progress``: a tqdm bar of the study's finished trials.
    """
    import optuna

    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer; got n_trials={n_trials!r}")
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"n_workers must be a positive integer; got n_workers={n_workers!r}")
    if timeout is not None and not (
        isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0
    ):
        raise ValueError(f"timeout must be a positive number of seconds; got timeout={timeout!r}")
    for name, value in (("heartbeat_interval", heartbeat_interval), ("grace_period", grace_period)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(
                f"{name} must be a positive whole number of seconds; got {name}={value!r}"
            )
    if storage is not None:
        storage = _check_url(storage, "storage")
    in_memory = storage is None or (sqlite_path(storage) is None and storage.startswith("sqlite"))
    if n_workers > 1 and in_memory:
        raise ValueError(
            f"n_workers={n_workers} needs a storage every worker process reaches: give "
            f"storage='sqlite:///study.db' (one machine) or a PostgreSQL/MySQL URL; got "
            f"storage={storage!r}"
        )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    options = dict(sampler_options or {})
    if storage is None:
        rdb = None
    else:
        rdb = open_storage(
            storage, heartbeat_interval=heartbeat_interval, grace_period=grace_period
        )
    study = optuna.create_study(
        storage=rdb,
        study_name=study_name,
        load_if_exists=True,
        direction="minimize",
        sampler=_per_trial_seed(seed, **options),
        pruner=pruner,
    )
    _check_settings(study, user_attrs or {})
    bar = _Bar(study, n_trials) if progress else None
    try:
        if n_workers == 1:
            _work(study, rdb, objective, n_trials, timeout, bar.update if bar else None)
        else:
            spec = {
                "storage": storage,
                "study_name": study.study_name,
                "heartbeat_interval": heartbeat_interval,
                "grace_period": grace_period,
                "seed": seed,
                "sampler_options": options,
                "pruner": pruner,
                "objective": objective,
                "n_trials": n_trials,
                "timeout": timeout,
                "threads": max(1, (os.cpu_count() or 1) // n_workers),
            }
            _launch(spec, n_workers, study, bar)
    finally:
        if bar is not None:
            bar.close()
    return study


def _check_settings(study: Any, settings: dict[str, Any]) -> None:
    """Set ``settings`` on a new study; refuse to work a study made with other ones."""
    stored = study.user_attrs
    for key, value in settings.items():
        if key not in stored:
            study.set_user_attr(key, value)
        elif stored[key] != value:
            raise ValueError(
                f"study {study.study_name!r} was made with {key}={stored[key]!r}, not "
                f"{value!r}: its trials would not compare; give the same {key} or another study"
            )


class _Bar:
    """A tqdm bar of the study's finished trials out of N (all workers' together)."""

    def __init__(self, study: Any, n_trials: int) -> None:
        from tqdm.auto import tqdm

        self.study = study
        done = count_trials(study)
        self.bar = tqdm(total=max(n_trials, done.slots), initial=done.finished, unit="trial")
        self.shown: tuple[int, int, int] | None = None

    def update(self, counts: StudyCounts) -> None:
        shown = (counts.finished, counts.by_state["running"], counts.total)
        if shown == self.shown:
            return  # the launcher asks often; the bar moves only when the study does
        self.shown = shown
        self.bar.total = max(self.bar.total, counts.slots + counts.retries)
        self.bar.n = counts.finished
        self.bar.set_postfix_str(f"{counts.by_state['running']} running", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def _launch(spec: dict[str, Any], n_workers: int, study: Any, bar: _Bar | None) -> None:
    """Start ``n_workers`` worker processes on the study and wait for them; the bar follows
    the storage. A worker that dies leaves its trial to the others (heartbeat, retry); only
    when every worker failed is it an error."""
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_worker_main, args=({**spec, "index": i},), name=f"lstmkit-tune-worker-{i}"
        )
        for i in range(n_workers)
    ]
    try:
        for worker in workers:
            worker.start()
        while any(worker.is_alive() for worker in workers):
            for worker in workers:
                worker.join(timeout=0.5 / n_workers)
            if bar is not None:
                bar.update(count_trials(study))
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()  # their trials go stale and are retried when resumed
        for worker in workers:
            worker.join()
        raise
    codes = [worker.exitcode for worker in workers]
    if all(code != 0 for code in codes):
        # An OSError kind, so that `lstmkit tune` says it in one line like other failures.
        raise ChildProcessError(
            f"all {n_workers} tuning workers failed (exit codes {codes}); their messages are above"
        )
    if bar is not None:
        bar.update(count_trials(study))


def release(study: Any) -> None:
    """Close the study's database connections (they reopen when next used). Before a SQLite
    file is moved or linked elsewhere, so that SQLite folds its write-ahead log into it."""
    storage = getattr(study, "_storage", None)
    backend = getattr(storage, "_backend", storage)  # Optuna wraps an RDBStorage in a cache
    engine = getattr(backend, "engine", None)
    if engine is not None:
        engine.dispose()
