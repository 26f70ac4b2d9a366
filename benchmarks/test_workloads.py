"""Workloads (a)-(d) of benchmarks/README.md, each beside the way a user would do it without rekrut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rekrut as rk
from rekrut import peers
from rekrut.stats import RatioStats, compare_beta_binomial, compare_counts, compare_proportions

LOOP_CELLS = 500  # the per-cell baselines run on a slice and are scaled to 20,000 in the README


def _ratio_stats(cells: dict[str, np.ndarray], arm: int, sl: slice = slice(None)) -> RatioStats:
    n, mean, var = cells["n"][arm][sl], cells["mean"][arm][sl], cells["var"][arm][sl]
    total = n * mean
    return RatioStats(n, total, n, var * (n - 1) + total**2 / n, n, total)


def test_a_proportions_vectorised(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    res = benchmark(
        compare_proportions, cells["x"][0], cells["n"][0], cells["x"][1], cells["n"][1], test="z"
    )
    assert res.p_value.shape == (20_000,)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # statsmodels warns on zero cells
def test_a_proportions_statsmodels_loop(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    def loop() -> None:
        for i in range(LOOP_CELLS):
            x, n = cells["x"][:, i], cells["n"][:, i]
            proportions_ztest([x[1], x[0]], [n[1], n[0]])
            confint_proportions_2indep(x[1], n[1], x[0], n[0], method="newcomb", compare="diff")
            confint_proportions_2indep(x[1], n[1], x[0], n[0], method="log", compare="ratio")

    benchmark.pedantic(loop, rounds=3, iterations=1)


def test_a_counts_vectorised(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    res = benchmark(compare_counts, _ratio_stats(cells, 0), _ratio_stats(cells, 1))
    assert res.p_value.shape == (20_000,)


def test_a_counts_scipy_loop(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    from scipy import stats

    def loop() -> None:
        for i in range(LOOP_CELLS):
            stats.ttest_ind_from_stats(
                cells["mean"][1, i],
                np.sqrt(cells["var"][1, i]),
                cells["n"][1, i],
                cells["mean"][0, i],
                np.sqrt(cells["var"][0, i]),
                cells["n"][0, i],
                equal_var=False,
            )

    benchmark.pedantic(loop, rounds=3, iterations=1)


def test_a_bayesian_vectorised(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    res = benchmark.pedantic(
        compare_beta_binomial,
        args=(cells["x"][0], cells["n"][0], cells["x"][1], cells["n"][1]),
        kwargs={"n_draws": 2000, "rng": 1},
        rounds=2,
        iterations=1,
    )
    assert res.prob_better.shape == (20_000,)


def test_a_analyze_grouped(benchmark: Any, experiment: rk.Experiment) -> None:
    data = rk.simulate(experiment, postings=20, replicates=20_000, rng=1).rename(
        columns={"replicate": "cell"}
    )
    result = benchmark.pedantic(
        rk.analyze, args=(experiment, data), kwargs={"by": ["cell"]}, rounds=1, iterations=1
    )
    assert len(result.table) == 4 * 20_000


def test_b_parquet_end_to_end(benchmark: Any, experiment: rk.Experiment, big_parquet: Path) -> None:
    plan = experiment.model_copy(
        update={
            "metrics": ("applications_per_posting", "qualified_share", "fill_rate", "cost_per_hire")
        }
    )
    result = benchmark.pedantic(
        rk.summarize,
        args=(plan, big_parquet),
        kwargs={"by": ["job_category"]},
        rounds=3,
        iterations=1,
    )
    assert result.table["n"].sum() == 4 * 10_000_000


def test_b_bare_duckdb_group_by(benchmark: Any, big_parquet: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    query = f"""
        SELECT job_category, arm, count(*), sum(applications), sum(applications * applications),
               sum(qualified), sum(qualified * qualified), sum(qualified * applications),
               sum(hires), sum(CAST(hires > 0 AS DOUBLE)), sum(cost_dkk), sum(cost_dkk * cost_dkk),
               sum(cost_dkk * hires), sum(hires * hires)
        FROM '{big_parquet}' GROUP BY job_category, arm
    """
    out = benchmark.pedantic(lambda: duckdb.sql(query).fetchall(), rounds=3, iterations=1)
    assert len(out) == 60


def test_c_peer_comparison_30_categories(benchmark: Any) -> None:
    from rekrut.simulation import JOB_PROFILES

    categories = [f"{c}-{i}" for c in JOB_PROFILES for i in range(5)][:30]
    kpis = peers.synthetic_kpis(
        job_categories=tuple(c.split("-")[0] for c in categories), periods=("2025",)
    )
    kpis["job_category"] = np.repeat(categories, 98)
    found = peers.find("751")

    def run() -> None:
        for category in categories:
            peers.compare(kpis, "751", job_category=category, peers=found)

    benchmark.pedantic(run, rounds=3, iterations=1)


def test_d_power_by_simulation_10000(benchmark: Any, experiment: rk.Experiment) -> None:
    from rekrut.power import simulate_power

    plan = experiment.model_copy(
        update={
            "metrics": ("applications_per_posting",),
            "primary_metric": "applications_per_posting",
        }
    )
    result = benchmark.pedantic(
        simulate_power,
        args=(plan,),
        kwargs={
            "postings": 200,
            "effects": {"B": {"applications": 1.3}},
            "replicates": 10_000,
            "rng": 1,
        },
        rounds=1,
        iterations=1,
    )
    assert int(result.table["replicates"].item()) == 10_000


@pytest.mark.filterwarnings("ignore")
def test_a_counts_tea_tasting_loop(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    """tea-tasting's own aggregate API, one cell at a time (its normal usage)."""
    tt = pytest.importorskip("tea_tasting")
    from tea_tasting.aggr import Aggregates

    metric = tt.Mean("applications")

    def arm(j: int, i: int) -> Any:
        return Aggregates(
            count_=int(cells["n"][j, i]),
            mean_={"applications": cells["mean"][j, i]},
            var_={"applications": cells["var"][j, i]},
        )

    def loop() -> None:
        for i in range(LOOP_CELLS):
            metric.analyze_aggregates(control=arm(0, i), treatment=arm(1, i))

    benchmark.pedantic(loop, rounds=2, iterations=1)


@pytest.mark.filterwarnings("ignore")
def test_a_counts_spotify_confidence(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    """spotify-confidence's ZTest with the cells as a group column (its batch usage)."""
    sc = pytest.importorskip("spotify_confidence")
    import pandas as pd

    n, mean, var = (cells[k][:, :LOOP_CELLS] for k in ("n", "mean", "var"))
    frame = pd.DataFrame(
        {
            "cell": np.tile(np.arange(LOOP_CELLS), 2),
            "variant": np.repeat(["A", "B"], LOOP_CELLS),
            "num": (n * mean).ravel(),
            "den": n.ravel(),
            "sumsq": (var * (n - 1) + (n * mean) ** 2 / n).ravel(),
        }
    )

    def run() -> Any:
        test = sc.ZTest(frame, "num", "sumsq", "den", categorical_group_columns=["variant", "cell"])
        return test.difference(level_1="A", level_2="B", groupby="cell")

    benchmark.pedantic(run, rounds=1, iterations=1)
