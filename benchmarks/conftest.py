"""Shared workloads for the benchmark suite (see README.md in this folder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import rekrut as rk

CELLS = 20_000

collect_ignore = ["gbstats_loop.py"]  # a script for gbstats' own environment, not a test

MEASURED: list[str] = []
"""Figures that are not times (peak memory), printed after the benchmark table."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in MEASURED:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def measured() -> list[str]:
    """Where a benchmark leaves a figure for the summary."""
    return MEASURED


@pytest.fixture(scope="session")
def cells() -> dict[str, np.ndarray]:
    """20,000 independent two-arm cells: proportions, per-posting count moments, and hires
    and spend for cost per hire (``n`` postings)."""
    rng = np.random.default_rng(1)
    n = rng.integers(20, 400, size=(2, CELLS)).astype(float)
    p = rng.uniform(0.05, 0.6, size=(2, CELLS))
    mean = rng.uniform(3, 20, size=(2, CELLS))
    var = mean + mean**2 / 1.5
    x = rng.binomial(n.astype(int), p).astype(float)
    hires = rng.binomial(n.astype(int), rng.uniform(0.2, 0.8, size=(2, CELLS))).astype(float)
    cost = n * rng.uniform(1_000, 6_000, size=(2, CELLS))
    return {"n": n, "x": x, "mean": mean, "var": var, "hires": hires, "cost": cost}


@pytest.fixture(scope="session")
def few_events() -> dict[str, np.ndarray]:
    """20,000 two-arm cells with few events: 5-40 trials per arm, rates 5-60 %."""
    rng = np.random.default_rng(4)
    n = rng.integers(5, 40, size=(2, CELLS)).astype(float)
    x = rng.binomial(n.astype(int), rng.uniform(0.05, 0.6, size=(2, CELLS))).astype(float)
    return {"n": n, "x": x}


@pytest.fixture(scope="session")
def experiment() -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "bench",
            "control": "A",
            "metrics": [
                "applications_per_posting",
                "qualified_share",
                "fill_rate",
                "cost_per_hire",
            ],
            "arms": [{"id": "A", "channel": "jobindex"}, {"id": "B", "channel": "facebook"}],
            "channels": [
                {"id": "jobindex", "kind": "job_board", "cost": {"per_posting_dkk": 4500}},
                {"id": "facebook", "kind": "social", "cost": {"per_click_dkk": 6}},
            ],
        }
    )


@pytest.fixture(scope="session")
def big_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 10-million-row posting table written by DuckDB without passing through pandas."""
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path_factory.mktemp("bench") / "postings.parquet"
    duckdb.sql(
        f"""
        COPY (
          SELECT CASE WHEN random() < 0.5 THEN 'A' ELSE 'B' END AS arm,
                 'c' || CAST(i % 30 AS VARCHAR) AS job_category,
                 CAST(floor(-ln(random()) * 8) AS BIGINT) AS applications,
                 0 AS qualified, 0 AS hires,
                 4500.0 AS cost_dkk
          FROM range(10000000) t(i)
        ) TO '{path}' (FORMAT PARQUET)
        """
    )
    duckdb.sql(
        f"COPY (SELECT arm, job_category, applications, CAST(floor(applications * random()) AS BIGINT) AS qualified, CAST(applications > 0 AND random() < 0.6 AS BIGINT) AS hires, cost_dkk FROM '{path}') TO '{path}.tmp' (FORMAT PARQUET)"
    )
    Path(f"{path}.tmp").replace(path)
    return path
