"""The recurrent-family examples run as written, with fewer epochs (the same code path)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_echo_sequence_example(capsys):
    accuracy = load("echo_sequence").main(epochs=3)
    assert 0.0 <= accuracy <= 1.0
    assert "token accuracy on 500 fresh sequences" in capsys.readouterr().out


def test_reverse_seq2seq_example(capsys):
    accuracy = load("reverse_seq2seq").main(epochs=1, samples=256)
    assert 0.0 <= accuracy <= 1.0
    assert "token accuracy on 1,000 fresh sequences" in capsys.readouterr().out


def test_masked_lengths_example(capsys):
    accuracy, change = load("masked_lengths").main(epochs=2)
    assert 0.0 <= accuracy <= 1.0
    assert change == pytest.approx(0.0, abs=1e-6)
    assert "5 more padding steps" in capsys.readouterr().out
