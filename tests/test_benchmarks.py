"""The benchmark workloads run end to end (quick mode: same code paths, little work)."""

from __future__ import annotations

import pytest
from benchmarks.run import implementations, table
from benchmarks.workloads import WORKLOADS


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_every_implementation_of_every_workload_runs_and_reports(workload: str) -> None:
    names = implementations(workload)
    assert {"lstmkit", "torch"} <= set(names)
    runs = {}
    for name in names:
        result = getattr(WORKLOADS[workload], f"run_{name}")(seed=0, quick=True)
        assert result["train_s"] > 0
        assert 0 <= result["quality"] <= 1
        runs[name] = [{**result, "total_s": 1.0, "peak_rss_mib": 100.0}]
    assert "| lstmkit |" in table(workload, runs)
