"""Workload (f): one initiative evaluated against all 97 other municipalities, placebo included."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from rekrut import peers
from rekrut._initiative import metric_panel
from rekrut.stats import placebo_synthetic_control


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return peers.example_panel()


@pytest.mark.parametrize("method", ["synthetic_control", "did"])
def test_f_evaluate_with_97_donors(benchmark: Any, panel: pd.DataFrame, method: str) -> None:
    # the whole call: validation of 9,408 KPI rows, the metric per municipality and quarter,
    # the fit, 97 placebo fits (and for DiD the clustered regression); under a second
    res = benchmark.pedantic(
        peers.evaluate,
        args=(panel, "751"),
        kwargs={"start": "2023Q1", "method": method},
        rounds=5,
        warmup_rounds=1,
        iterations=1,
    )
    assert len(res.placebos) == 97
    assert benchmark.stats.stats.median < 1.0


def test_f_placebo_core_with_97_donors(benchmark: Any, panel: pd.DataFrame) -> None:
    wide = metric_panel(peers.validate_kpis(panel), "filled", "postings").sort_index(axis=1)
    outcomes = wide.to_numpy(float)
    treated = int(np.flatnonzero(wide.index == "751")[0])
    pre = np.arange(outcomes.shape[1]) < 20
    res = benchmark(placebo_synthetic_control, outcomes, treated, pre)
    assert res.placebo_estimate.size == 97
    assert benchmark.stats.stats.median < 0.5
