"""Runs Keras scripts through lstmkit's import hook (what ``lstmkit run`` does) from one process:
``python runner.py OUT.json SCRIPT.py...``. Each script runs in a child forked from it (the
modules imported once; no state carried from script to script), in a fresh folder of its own, as
``__main__``, with the data files the tutorials read beside it (:func:`write_data`); its
``# check: <expression>`` line is evaluated on the script's globals. Each
Keras file it writes (``.keras``/``.h5``/``.hdf5``) is loaded back with lstmkit and its
predictions on fixed inputs are stored beside the file (``<file>.npz``), for the test to compare
with what Keras predicts from the same file."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np
import torch


def _check_expression(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        for line in file:
            if line.startswith("# check:"):
                return line.removeprefix("# check:").strip()
    raise ValueError(f"{path} has no '# check: <expression>' line")


def _inputs_for(model) -> np.ndarray:
    shape = model.input_shape
    batch = shape[0] or 4
    dims = [d if d is not None else 5 for d in shape[1:]]
    rng = np.random.default_rng(0)
    first = model.layers[0]
    if type(first).__name__ == "Embedding":
        return rng.integers(0, first.input_dim, size=(batch, *dims)).astype("float32")
    return rng.normal(size=(batch, *dims)).astype("float32")


def write_data(folder: str) -> None:
    """The CSV files public tutorials read, written into the script's folder from lstmkit's
    shipped data under the names the tutorials use: ``airline-passengers.csv`` (Brownlee's
    ``"Month","Passengers"``) and ``shampoo-sales.csv`` (``"Month","Sales"``)."""
    from importlib import resources

    shipped = resources.files("lstmkit.datasets")
    for source, name in (
        ("airline.csv", "airline-passengers.csv"),
        ("shampoo_sales.csv", "shampoo-sales.csv"),
    ):
        lines = shipped.joinpath(source).read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        lines[0] = ",".join(['"Month"'] + [f'"{h}"' for h in header[1:]])
        with open(os.path.join(folder, name), "w", encoding="utf-8") as file:
            file.write("\n".join(lines) + "\n")


def _is_model_file(path: str) -> bool:
    """A whole model (``.keras``, or HDF5 with a model_config), not a weights file."""
    if path.endswith(".keras"):
        return True
    import h5py

    with h5py.File(path, "r") as h5:
        return "model_config" in h5.attrs


def run_one(script: str, folder: str) -> dict:
    from lstmkit.keras.hook import run_script
    from lstmkit.models import load_model
    from lstmkit.utils import clear_session

    clear_session()
    # A fresh interpreter seeds torch at random (torch 2.13's initial_seed() differs from run to
    # run), so a script that seeds only NumPy, as most Keras scripts do, would be judged on a
    # random initialisation. Seeding torch here makes each verdict repeatable; NumPy's and
    # Python's generators are left to the scripts, as on Keras.
    torch.manual_seed(0)
    expression = _check_expression(script)
    started = time.perf_counter()
    record: dict = {"script": os.path.basename(script), "check": expression}
    cwd = os.getcwd()
    os.chdir(folder)
    write_data(folder)
    try:
        with contextlib.redirect_stdout(io.StringIO()) as out, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            namespace = run_script(script)
            record["passed"] = bool(eval(expression, dict(namespace)))
        record["stdout_tail"] = out.getvalue()[-300:]
        if not record["passed"]:
            names = compile(expression, "<check>", "eval").co_names
            record["values"] = {n: repr(namespace.get(n))[:200] for n in names}
        files = []
        for name in sorted(os.listdir(folder)):
            if name.lower().endswith((".keras", ".h5", ".hdf5")) and _is_model_file(
                os.path.join(folder, name)
            ):
                model = load_model(os.path.join(folder, name))
                x = _inputs_for(model)
                model.reset_states()
                np.savez(
                    os.path.join(folder, name + ".npz"), x=x, y=model.predict(x, batch_size=len(x))
                )
                files.append(os.path.join(folder, name))
        record["keras_files"] = files
    except BaseException as error:
        record["passed"] = False
        record["error"] = "".join(traceback.format_exception_only(type(error), error)).strip()
        record["traceback"] = traceback.format_exc()[-2000:]
    finally:
        os.chdir(cwd)
    record["seconds"] = round(time.perf_counter() - started, 2)
    return record


def _isolated(script: str, folder: str) -> dict:
    """:func:`run_one` in a forked child: every script starts from the same state, as in a fresh
    interpreter (the modules imported once, no generator, counter or setting left behind by the
    scripts before it), so its result does not depend on which scripts ran first."""
    record_path = os.path.join(folder, "record.json")
    pid = os.fork()
    if pid == 0:  # the child: run, write the record, leave without the parent's cleanup
        code = 1
        try:
            record = run_one(script, folder)
            with open(record_path, "w", encoding="utf-8") as file:
                json.dump(record, file)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.path.exists(record_path):
        with open(record_path, encoding="utf-8") as file:
            return json.load(file)
    return {
        "script": os.path.basename(script),
        "check": _check_expression(script),
        "passed": False,
        "error": f"the worker for this script ended with wait status {status}",
    }


def main(argv: list[str]) -> int:
    out_path, scripts = argv[0], argv[1:]
    root = tempfile.mkdtemp(prefix="keras-scripts-") if len(argv) < 2 else os.path.dirname(out_path)
    # Imported once here, so each forked child starts with them loaded.
    import h5py  # noqa: F401

    import lstmkit.keras.hook
    import lstmkit.models  # noqa: F401

    results = []
    for script in scripts:
        folder = os.path.join(root, os.path.splitext(os.path.basename(script))[0])
        os.makedirs(folder, exist_ok=True)
        results.append(_isolated(os.path.abspath(script), folder))
    with open(out_path, "w", encoding="utf-8") as file:
        json.dump(results, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
