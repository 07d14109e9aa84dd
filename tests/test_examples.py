"""The tutorial examples run as written: every one with ``--quick`` (the same code path, fewer
epochs and samples), and in full where that takes seconds, holding the tutorial's outcome."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.py") if p.stem != "__init__")


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name: str, tmp_path: Path, capsys: Any, *, quick: bool = True) -> tuple[dict, str]:
    """``main`` of an example writing into ``tmp_path``; its result, checked for the convention
    (every file a PNG inside ``tmp_path``), and what it printed."""
    argv = ["--out", str(tmp_path), "--seed", "0"] + (["--quick"] if quick else [])
    result = load(name).main(argv)
    out = capsys.readouterr().out
    assert isinstance(result, dict)
    assert result["files"], f"{name} wrote no plot"
    for file in result["files"]:
        path = Path(file)
        assert path.resolve().parent == tmp_path.resolve()
        assert path.read_bytes().startswith(b"\x89PNG"), file
        assert str(path) in out  # the tutorial says where its plots went
    return result, out


def fraction(value: Any) -> bool:
    return isinstance(value, float) and 0.0 <= value <= 1.0


def positive(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value) and value > 0


def test_the_examples_are_the_expected_ones():
    assert NAMES == [
        "batch_size",
        "binary",
        "echo",
        "echo_sequence",
        "lifecycle",
        "masked_lengths",
        "multivariate",
        "reverse_seq2seq",
        "sine",
    ]
    assert (EXAMPLES / "__init__.py").read_text().startswith('"""')


@pytest.mark.parametrize("name", NAMES)
def test_example_follows_the_convention(name, capsys):
    module = load(name)
    lines = module.__doc__.splitlines()
    assert lines[0] and lines[0] == lines[0].strip()
    assert len(lines) > 2 and lines[1] == "", "the first docstring line stands alone"
    cli_name = name.replace("_", "-")
    assert cli_name == module.NAME
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith(f"usage: lstmkit examples {cli_name}")
    for option in ("--quick", "--out", "--seed"):
        assert option in help_text
    assert lines[0] in " ".join(help_text.split())


def test_default_out_folder_is_created(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    result = load("lifecycle").main(["--quick"])
    capsys.readouterr()
    assert result["files"] == [str(Path("lstmkit-examples") / "lifecycle" / "loss.png")]
    assert (tmp_path / "lstmkit-examples" / "lifecycle" / "loss.png").is_file()


# -- quick runs: the whole code path, numbers in sane ranges -----------------------------------


def test_lifecycle_quick(tmp_path, capsys):
    result, out = run("lifecycle", tmp_path, capsys)
    assert result["epochs"] == 60
    assert positive(result["largest_error"]) and positive(result["sgd_largest_error"])
    assert fraction(result["binary_accuracy"]) and fraction(result["multiclass_accuracy"])
    for line in (
        "input  target  predicted",
        "largest error:",
        "SGD(lr=0.1, momentum=0.3): final loss",
        "binary classifier (value >= 0.5): predict_classes [",
        "multiclass classifier (low/middle/high): expected [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]",
        "binary accuracy:",
        "multiclass accuracy:",
    ):
        assert line in out


def test_multivariate_quick(tmp_path, capsys):
    result, out = run("multivariate", tmp_path, capsys)
    assert result["epochs"] == 5 and result["units"] == 32
    assert positive(result["test_rmse"]) and positive(result["naive_rmse"])
    assert math.isfinite(result["test_r2"]) and result["test_r2"] <= 1.0
    assert result["naive_rmse"] == pytest.approx(0.403, abs=0.001)  # the data, not the model
    assert "training rows (151, 5, 3), test rows (31, 5, 3)" in out
    assert "test RMSE" in out and "(original units, 31 quarters)" in out
    assert "naive forecast (previous quarter) RMSE 0.403" in out


def test_binary_quick(tmp_path, capsys):
    result, out = run("binary", tmp_path, capsys)
    assert result["epochs"] == 3
    assert fraction(result["accuracy"]) and fraction(result["val_accuracy"])
    assert "X (200, 3, 1)" in out
    assert "accuracy on 500 fresh samples:" in out


def test_sine_quick(tmp_path, capsys):
    result, out = run("sine", tmp_path, capsys)
    assert result["points"] == 400 and result["epochs"] == 1
    for key in ("train_rmse", "test_rmse", "sarimax_rmse"):
        assert positive(result[key]) and result[key] < 5
    assert "LSTM: train RMSE" in out
    assert "SARIMAX(2, 0, 0), one-step walk-forward: test RMSE" in out
    assert "noise floor 0.5" in out


def test_echo_quick(tmp_path, capsys):
    result, out = run("echo", tmp_path, capsys)
    assert result["sequences"] == 4
    for key in ("current_accuracy", "one_step_accuracy", "context_accuracy"):
        assert fraction(result[key])
    assert "(a) echo the current integer" in out
    assert "(b) echo the previous integer, one per step (mistake)" in out
    assert "(c) echo the previous integer, 5 steps of context" in out


def test_batch_size_quick(tmp_path, capsys):
    result, out = run("batch_size", tmp_path, capsys)
    assert result["epochs"] == 2
    assert result["batch_sizes"] == [1, 8, 32, 128, 160]
    assert all(positive(s) for s in result["seconds_per_epoch"])
    assert all(fraction(a) for a in result["final_val_accuracy"])
    reached = zip(result["epochs_to_target"], result["seconds_to_target"], strict=True)
    for epochs, seconds in reached:
        assert (epochs is None) == (seconds is None)
        assert epochs is None or (1 <= epochs <= 2 and seconds > 0)
    assert "batch size  updates/epoch  s/epoch  epochs to 0.95  seconds to 0.95" in out
    rows = [line.split() for line in out.splitlines() if line[:10].strip().isdigit()]
    assert [int(row[0]) for row in rows] == [1, 8, 32, 128, 160]
    assert [int(row[1]) for row in rows] == [160, 20, 5, 2, 1]  # updates per epoch


def test_echo_sequence_quick(tmp_path, capsys):
    result, out = run("echo_sequence", tmp_path, capsys)
    assert result["epochs"] == 3 and fraction(result["accuracy"])
    assert "token accuracy on 500 fresh sequences" in out


def test_reverse_seq2seq_quick(tmp_path, capsys):
    result, out = run("reverse_seq2seq", tmp_path, capsys)
    assert result["epochs"] == 1 and result["samples"] == 256
    assert fraction(result["accuracy"])
    assert "token accuracy on 1,000 fresh sequences" in out


def test_masked_lengths_quick(tmp_path, capsys):
    result, out = run("masked_lengths", tmp_path, capsys)
    assert result["epochs"] == 2 and fraction(result["accuracy"])
    assert result["padding_change"] == pytest.approx(0.0, abs=1e-6)  # masking, even untrained
    assert "5 more padding steps" in out


# -- full runs that take seconds: the tutorial's outcome ----------------------------------------


def test_lifecycle_full(tmp_path, capsys):
    result, _ = run("lifecycle", tmp_path, capsys, quick=False)
    assert result["largest_error"] < 0.05
    assert result["sgd_largest_error"] < 0.05
    assert result["binary_accuracy"] == 1.0
    assert result["multiclass_accuracy"] == 1.0


def test_binary_full(tmp_path, capsys):
    result, out = run("binary", tmp_path, capsys, quick=False)
    assert result["accuracy"] >= 0.95
    assert "accuracy on 10,000 fresh samples" in out


def test_sine_full(tmp_path, capsys):
    result, _ = run("sine", tmp_path, capsys, quick=False)
    # Nothing beats the noise (0.5) by much; one lagged value leaves the LSTM well above it, and
    # the AR(2) baseline, which sees two, does better.
    assert 0.5 < result["test_rmse"] < 0.7
    assert 0.5 < result["train_rmse"] < 0.7
    assert 0.5 < result["sarimax_rmse"] < result["test_rmse"]


def test_echo_full(tmp_path, capsys):
    result, _ = run("echo", tmp_path, capsys, quick=False)
    assert result["current_accuracy"] >= 0.95
    assert result["one_step_accuracy"] <= 0.2  # the state never holds the previous integer
    assert result["context_accuracy"] >= 0.95


def test_echo_sequence_full(tmp_path, capsys):
    result, _ = run("echo_sequence", tmp_path, capsys, quick=False)
    assert result["accuracy"] >= 0.95


def test_reverse_seq2seq_full(tmp_path, capsys):
    result, _ = run("reverse_seq2seq", tmp_path, capsys, quick=False)
    assert result["accuracy"] >= 0.95


def test_masked_lengths_full(tmp_path, capsys):
    result, _ = run("masked_lengths", tmp_path, capsys, quick=False)
    assert result["accuracy"] >= 0.9
    assert result["padding_change"] == pytest.approx(0.0, abs=1e-6)
