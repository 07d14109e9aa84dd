"""The Keras scripts of tests/keras_scripts/ (Keras 1, 2 and 3 spellings; ``keras``,
``tensorflow.keras`` and ``tf_keras`` imports; stateful, stacked, bidirectional,
encoder–decoder, CNN-LSTM, generator-fed, text generation, custom backend metrics, callbacks,
saving to .h5/.keras; and pub_*.py, reproductions of public tutorials: machinelearningmastery,
keras-team examples, TensorFlow tutorials, Stack Overflow patterns) run through lstmkit's import
hook, with the CSV files the tutorials read beside them, each judged by its ``# check:`` line;
every Keras file they write is loaded by Keras 3.15.1 itself and must predict what lstmkit
predicts (within 1e-6).

The scripts run in one worker process (tests/keras_scripts/runner.py, through
:func:`lstmkit.keras.hook.run_script`, what ``lstmkit run`` does) rather than one interpreter
each; three of them also run as real ``python -m lstmkit run`` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

SCRIPTS_DIR = Path(__file__).resolve().parent / "keras_scripts"
SCRIPTS = sorted(p.name for p in SCRIPTS_DIR.glob("*.py") if p.name != "runner.py")


def test_there_are_at_least_25_scripts_in_every_style():
    assert len(SCRIPTS) >= 25
    texts = {name: (SCRIPTS_DIR / name).read_text() for name in SCRIPTS}
    for needle in (
        "from keras.layers.recurrent import",
        "from tensorflow.keras",
        "import tf_keras",
        "import keras\n",
        "stateful=True",
        "Bidirectional(",
        "RepeatVector(",
        "Conv1D",
        "fit_generator(",
        "K.sqrt(",
        "ModelCheckpoint(",
        '.save("model.h5")',
        "nb_epoch=",
    ):
        assert any(needle in text for text in texts.values()), needle


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("keras-scripts") / "results.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / "runner.py"), str(out)]
        + [str(SCRIPTS_DIR / name) for name in SCRIPTS],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {record["script"]: record for record in json.loads(out.read_text())}


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_runs_and_meets_its_threshold(results, script):
    record = results[script]
    assert "error" not in record, record.get("traceback")
    assert record["passed"], f"{script}: `{record['check']}` is false; {record.get('values')}"


def test_keras_loads_the_files_the_scripts_wrote_and_predicts_the_same(results):
    os.environ["KERAS_BACKEND"] = "torch"
    keras = pytest.importorskip("keras")
    files = [path for record in results.values() for path in record.get("keras_files", [])]
    assert {Path(f).suffix for f in files} >= {".h5", ".keras"}
    worst = 0.0
    for path in files:
        data = np.load(path + ".npz")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # compile=False: a file may name the script's own loss function, which Keras
            # would need in custom_objects; predictions do not depend on it.
            model = keras.models.load_model(path, compile=False)
        got = np.asarray(model.predict(data["x"], batch_size=len(data["x"]), verbose=0))
        worst = max(worst, float(np.abs(got - data["y"]).max()))
    assert worst < 1e-6


@pytest.mark.parametrize(
    "script",
    [
        "k2_univariate_vanilla.py",
        "tfk_timeseries_dataset.py",
        # pyplot.plot/legend/show in a real process without a display (matplotlib falls back
        # to Agg; show() returns), with a stand-in `tensorflow` that matplotlib probes.
        "pub_mlm_multivariate_pollution.py",
    ],
)
def test_lstmkit_run_as_a_real_process(tmp_path, script):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "lstmkit", "run", str(SCRIPTS_DIR / script)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()
