"""The benchmark workloads run end to end (quick mode: same code paths, little work)."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from benchmarks.run import implementations, table
from benchmarks.workloads import WORKLOADS, w1_multivariate, w2_binary, w3_sine, w5_throughput


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_every_implementation_of_every_workload_runs_and_reports(workload: str) -> None:
    names = implementations(workload)
    assert {"lstmkit", "torch"} <= set(names)
    runs = {}
    for name in names:
        result = getattr(WORKLOADS[workload], f"run_{name}")(seed=0, quick=True)
        assert result["train_s"] > 0
        assert math.isfinite(result["quality"]) and result["quality"] >= 0
        if result["quality_name"] == "accuracy":
            assert result["quality"] <= 1
        runs[name] = [{**result, "total_s": 1.0, "peak_rss_mib": 100.0}]
    assert "| lstmkit |" in table(workload, runs)


def test_w2_labels_say_whether_the_rise_or_fall_repeats() -> None:
    X, y = w2_binary.binary_sequences(np.random.default_rng(3), 50)
    assert X.shape == (50, 3, 1) and y.shape == (50,)
    cur, prev, prev_state = X[:, 0, 0], X[:, 1, 0], X[:, 2, 0]
    np.testing.assert_array_equal(prev[1:], cur[:-1])
    np.testing.assert_array_equal(prev_state[1:], (cur > prev)[:-1].astype(np.float32))
    np.testing.assert_array_equal(y, ((cur > prev) == (prev_state > 0.5)).astype(np.float32))


def test_w3_windows_follow_the_tutorial() -> None:
    data = w3_sine.sine_data(0, quick=False)
    assert data["train_X"].shape == (7998, 1, 1) and data["test_X"].shape == (1998, 1, 1)
    np.testing.assert_array_equal(data["train_X"][1:, 0, 0], data["train_y"][:-1, 0])
    scaled = np.concatenate([data["train_X"][:, 0, 0], data["test_X"][:, 0, 0]])
    assert scaled.min() >= 0 and scaled.max() <= 1
    # The scale maps back to the specified series: sin(t) plus noise of standard deviation 0.5.
    t = np.arange(0, 1000, 0.1)[: len(data["train_X"])]
    original = data["train_X"][:, 0, 0] * data["span"] + data["low"]
    assert abs(np.std(original - np.sin(t)) - 0.5) < 0.02


def test_w1_frames_five_quarters_of_three_series_and_scales_back() -> None:
    import pandas as pd

    data = w1_multivariate.uschange_data(quick=False)
    assert data["train_X"].shape == (151, 5, 3) and data["test_X"].shape == (31, 5, 3)
    consumption = pd.read_csv(w1_multivariate.DATA)["Consumption"].to_numpy()
    target = np.concatenate([data["train_y"], data["test_y"]])[:, 0]
    np.testing.assert_allclose(target * data["span"] + data["low"], consumption[5:], atol=1e-5)
    # The last lag of row i is the quarter before row i's target.
    scaled = np.concatenate([data["train_X"], data["test_X"]])
    assert scaled.min() >= 0 and scaled.max() <= 1
    assert np.corrcoef(scaled[1:, -1, 0], target[:-1])[0, 1] > 0.999


def test_w5_counts_the_specified_flops() -> None:
    # shared/workloads.md: one sample's forward pass costs about 164 MFLOP.
    assert w5_throughput.forward_flops(100) == pytest.approx(163.84e6)


def test_the_gpu_benchmark_runs_children_on_the_device_and_tables_them(monkeypatch) -> None:
    from benchmarks import gpu

    seen = []

    def child(workload, implementation, python, seed, quick, threads):
        seen.append((workload, implementation, os.environ.get("LSTMKIT_DEVICE"), seed, quick))
        return {
            "train_s": 2.0 if seen[-1][2] == "cpu" else 0.5,
            "total_s": 3.0,
            "quality": 0.1,
            "quality_name": "max abs error",
        }

    monkeypatch.setattr(gpu, "run_child", child)
    monkeypatch.setenv("LSTMKIT_DEVICE", "cpu")
    runs = {name: [gpu.run_on(name, "W0", 0, True, 1)] for name in ("cuda:0", "cpu")}
    assert seen == [("W0", "lstmkit", "cuda:0", 0, True), ("W0", "lstmkit", "cpu", 0, True)]
    assert os.environ["LSTMKIT_DEVICE"] == "cpu"  # put back
    table_text = gpu.section("W0", runs, "cuda:0")
    assert "| cuda:0 | 1 | 0.500 | 0.500 | 3.000 | 0.1 | 0.25 |" in table_text
    assert "| cpu | 1 | 2.000 | 2.000 | 3.000 | 0.1 |  |" in table_text
