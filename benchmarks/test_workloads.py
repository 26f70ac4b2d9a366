"""Workloads (a)-(e) of benchmarks/README.md, each beside the way a user would do it without rekrut."""

from __future__ import annotations

import inspect
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rekrut as rk
from rekrut import peers
from rekrut.stats import (
    RatioStats,
    bayes_compare_cost_per_outcome,
    bayes_compare_counts,
    bayes_compare_proportions,
    compare_counts,
    compare_proportions,
)

LOOP_CELLS = 500  # the per-cell baselines run on a slice and are scaled to 20,000 in the README


def _beside(
    benchmark: Any, target: Callable[[], Any], baseline: Callable[[], Any], rounds: int
) -> tuple[float, float]:
    """Time ``target`` under pytest-benchmark and ``baseline`` once before each of its rounds
    (in the benchmark's untimed setup, so the two alternate and share the machine's state);
    return the median seconds of each, for a ratio measured in the same run."""
    times: dict[str, list[float]] = {"target": [], "baseline": []}

    def timed(key: str, call: Callable[[], Any]) -> None:
        start = time.perf_counter()
        call()
        times[key].append(time.perf_counter() - start)

    benchmark.pedantic(
        lambda: timed("target", target),
        setup=lambda: timed("baseline", baseline),
        rounds=rounds,
        iterations=1,
    )
    return statistics.median(times["target"]), statistics.median(times["baseline"])


_STATUS = """
def status(key):  # VmRSS (now) or VmHWM (peak) of this process (Linux), in MiB
    with open("/proc/self/status") as lines:
        return int(next(line for line in lines if line.startswith(key)).split()[1]) / 1024

def reset_peak():  # VmHWM back to the current RSS (Linux 4.0+), so the peak is the next step's
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
"""
"""Peak memory in a fresh process is read from /proc, not from ``ru_maxrss``: a child started
from a large process (pytest holding a 10-million-row frame) reports the parent's peak in
``ru_maxrss`` after exec, and only VmHWM can be reset to measure one step's peak."""


def _peak_memory_available() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


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
    """The same outputs per cell with scipy: Welch's test, and the intervals for the difference
    and the ratio on the Welch degrees of freedom (scipy has no interval from summary
    statistics, so the t quantile is taken per cell)."""
    from scipy import stats

    def loop() -> None:
        for i in range(LOOP_CELLS):
            (n0, n1), (m0, m1), (v0, v1) = (cells[k][:, i] for k in ("n", "mean", "var"))
            stats.ttest_ind_from_stats(m1, np.sqrt(v1), n1, m0, np.sqrt(v0), n0, equal_var=False)
            s0, s1 = v0 / n0, v1 / n1
            df = (s0 + s1) ** 2 / (s0**2 / (n0 - 1) + s1**2 / (n1 - 1))
            crit = stats.t.ppf(0.975, df)
            se, log_se = np.sqrt(s0 + s1), np.sqrt(s1 / m1**2 + s0 / m0**2)
            (m1 - m0 - crit * se, m1 - m0 + crit * se)
            np.exp(np.log(m1 / m0) + np.array([-crit, crit]) * log_se) - 1

    benchmark.pedantic(loop, rounds=3, iterations=1)


def _bayes_vectorised(benchmark: Any, compare: Any, *args: np.ndarray) -> None:
    """A vectorised Bayesian comparison of 20,000 cells, after one warm-up call."""
    res = benchmark.pedantic(compare, args=args, rounds=3, warmup_rounds=1, iterations=1)
    assert res.prob_better.shape == (20_000,)


def _beta_vectorised(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    x, n = cells["x"], cells["n"]
    _bayes_vectorised(benchmark, bayes_compare_proportions, x[0], n[0], x[1], n[1])


def _beta_scipy_loop(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    from scipy import stats

    rng = np.random.default_rng(1)

    def loop() -> None:
        for i in range(LOOP_CELLS):
            (x0, x1), (n0, n1) = cells["x"][:, i], cells["n"][:, i]
            c = stats.beta(1 + x0, 1 + n0 - x0).rvs(10_000, random_state=rng)
            t = stats.beta(1 + x1, 1 + n1 - x1).rvs(10_000, random_state=rng)
            _draw_summary(c, t, higher=True)

    benchmark.pedantic(loop, rounds=2, iterations=1)


def test_a_bayesian_vectorised(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    """Beta-Binomial, every output exact: P(better), expected loss, intervals of the
    difference and the lift."""
    _beta_vectorised(benchmark, cells)


def test_a_bayesian_scipy_loop(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    """Without rekrut, per cell: 10,000 draws from each Beta posterior with scipy, and
    P(better), expected loss and the equal-tailed intervals of the difference and the lift
    from the draws (Monte Carlo error of a 2.5 % quantile: about 3 % of a standard deviation)."""
    _beta_scipy_loop(benchmark, cells)


def test_a_bayesian_few_events_vectorised(
    benchmark: Any, few_events: dict[str, np.ndarray]
) -> None:
    """The same with 5-40 trials per arm: more cells need the numerical inversion."""
    _beta_vectorised(benchmark, few_events)


def test_a_bayesian_few_events_scipy_loop(
    benchmark: Any, few_events: dict[str, np.ndarray]
) -> None:
    _beta_scipy_loop(benchmark, few_events)


def _draw_summary(
    c: np.ndarray, t: np.ndarray, higher: bool
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """P(better), expected loss and the 95 % intervals of the difference and the lift from
    posterior draws of one cell, the way a user would compute them by hand."""
    d = t - c
    better = (d > 0).mean() if higher else (d < 0).mean()
    loss = np.maximum(-d if higher else d, 0).mean()
    return better, loss, np.quantile(d, [0.025, 0.975]), np.quantile(t / c - 1, [0.025, 0.975])


def _count_arms(cells: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Per arm (rows): postings, sum and sum of squares of applicants per posting."""
    n, mean, var = cells["n"], cells["mean"], cells["var"]
    return n, n * mean, var * (n - 1) + n * mean**2


def test_a_bayesian_counts_vectorised(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    """Applicants per posting, overdispersed Gamma-Poisson: every output exact."""
    n, s, ss = _count_arms(cells)
    _bayes_vectorised(benchmark, bayes_compare_counts, n[0], s[0], ss[0], n[1], s[1], ss[1])


def test_a_bayesian_counts_scipy_loop(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    """The same model per cell with scipy: the pooled dispersion factor, Gamma posteriors of
    the mean count with the data divided by it, 10,000 draws per arm."""
    from scipy import stats

    n, s, ss = _count_arms(cells)
    rng = np.random.default_rng(2)

    def loop() -> None:
        for i in range(LOOP_CELLS):
            pearson = sum((ss[k, i] - s[k, i] ** 2 / n[k, i]) / (s[k, i] / n[k, i]) for k in (0, 1))
            phi = max(1.0, pearson / (n[0, i] + n[1, i] - 2))
            c, t = (
                stats.gamma(0.5 + s[k, i] / phi, scale=phi / n[k, i]).rvs(10_000, random_state=rng)
                for k in (0, 1)
            )
            _draw_summary(c, t, higher=True)

    benchmark.pedantic(loop, rounds=2, iterations=1)


def test_a_bayesian_cost_vectorised(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    """Cost per hire (inverse-gamma posteriors): every output exact."""
    cost, n, hires = cells["cost"], cells["n"], cells["hires"]
    args = (cost[0], n[0], hires[0], cost[1], n[1], hires[1])
    _bayes_vectorised(benchmark, bayes_compare_cost_per_outcome, *args)


def test_a_bayesian_cost_scipy_loop(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    """The same model per cell with scipy: hires per posting ~ Gamma(2 + hires, 2 + postings),
    cost per hire = spend per posting / that rate, 10,000 draws per arm."""
    from scipy import stats

    cost, n, hires = cells["cost"], cells["n"], cells["hires"]
    rng = np.random.default_rng(3)

    def loop() -> None:
        for i in range(LOOP_CELLS):
            c, t = (
                cost[k, i]
                / n[k, i]
                / stats.gamma(2 + hires[k, i], scale=1 / (2 + n[k, i])).rvs(
                    10_000, random_state=rng
                )
                for k in (0, 1)
            )
            _draw_summary(c, t, higher=False)

    benchmark.pedantic(loop, rounds=2, iterations=1)


BAYES_PEER_CELLS = 100  # spotify-confidence samples heavily: 100 cells, scaled in the README


@pytest.mark.filterwarnings("ignore")
def test_a_bayesian_spotify_confidence(benchmark: Any, cells: dict[str, np.ndarray]) -> None:
    """spotify-confidence's BetaBinomial with the cells as a group column: the absolute and
    the relative difference (its batch usage)."""
    sc = pytest.importorskip("spotify_confidence")
    import pandas as pd

    x, n = (cells[k][:, :BAYES_PEER_CELLS] for k in ("x", "n"))
    frame = pd.DataFrame(
        {
            "cell": np.tile(np.arange(BAYES_PEER_CELLS), 2),
            "variant": np.repeat(["A", "B"], BAYES_PEER_CELLS),
            "x": x.ravel(),
            "n": n.ravel(),
        }
    )

    def run() -> Any:
        test = sc.BetaBinomial(frame, "x", "n", categorical_group_columns=["variant", "cell"])
        for absolute in (True, False):
            test.difference(level_1="A", level_2="B", groupby="cell", absolute=absolute)

    benchmark.pedantic(run, rounds=1, iterations=1)


def test_a_bayesian_gbstats_loop(
    benchmark: Any, cells: dict[str, np.ndarray], measured: list[str], tmp_path: Path
) -> None:
    """gbstats (Gaussian approximation of the effect), per cell, in its own environment."""
    import json
    import os
    import subprocess

    python = os.environ.get("REKRUT_GBSTATS_PYTHON")
    if not python:
        pytest.skip("set REKRUT_GBSTATS_PYTHON to gbstats' environment (make bench does)")
    path = tmp_path / "cells.npz"
    np.savez(path, x=cells["x"], n=cells["n"])
    script = Path(__file__).with_name("gbstats_loop.py")
    command = [python, str(script), str(path), str(LOOP_CELLS * 4)]

    def run() -> dict[str, float]:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return dict(json.loads(done.stdout))

    result = benchmark.pedantic(run, rounds=1, iterations=1)
    measured.append(
        f"(a) gbstats EffectBayesianABTest, absolute and relative: {result['seconds']:.2f} s "
        f"for {result['cells']:.0f} cells (the loop alone, without starting Python)"
    )


def test_a_analyze_grouped(benchmark: Any, experiment: rk.Experiment) -> None:
    data = rk.simulate(experiment, postings=20, replicates=20_000, rng=1).rename(
        columns={"replicate": "cell"}
    )
    # 20 postings per cell is below the re-randomisation threshold; the workload measures the
    # vectorised delta-method path, so it asks for it (re-randomising 80,000 comparisons is a
    # loop of Monte Carlo tests, measured in benchmarks/calibration_suite.py instead)
    result = benchmark.pedantic(
        rk.analyze,
        args=(experiment, data),
        kwargs={"by": ["cell"], "small_sample": "asymptotic"},
        rounds=1,
        iterations=1,
    )
    assert len(result.table) == 4 * 20_000


def test_a_analyze_arm_totals(
    benchmark: Any, experiment: rk.Experiment, cells: dict[str, np.ndarray], measured: list[str]
) -> None:
    """Fill rate of the 20,000 cells given as arm totals (one row per cell and arm: postings
    and filled postings), ``rk.analyze(..., by=["cell"])``, beside the one
    ``stats.compare_proportions`` call on the same arrays that it wraps (same test choice,
    same outputs)."""
    import pandas as pd

    plan = experiment.model_copy(update={"metrics": ("fill_rate",), "primary_metric": "fill_rate"})
    filled, postings = cells["x"].astype(np.int64), cells["n"].astype(np.int64)
    n_cells = filled.shape[1]
    totals = pd.DataFrame(
        {
            "cell": np.tile(np.arange(n_cells), 2),
            "arm": np.repeat(["A", "B"], n_cells),
            "postings": postings.ravel(),
            "filled": filled.ravel(),
        }
    )
    out: dict[str, Any] = {}

    def analyze() -> None:
        out["rekrut"] = rk.analyze(plan, totals, by=["cell"])

    def compare() -> None:
        out["stats"] = compare_proportions(filled[0], postings[0], filled[1], postings[1])

    rekrut_s, stats_s = _beside(benchmark, analyze, compare, rounds=3)
    table = out["rekrut"].table.sort_values("cell")
    assert len(table) == n_cells
    np.testing.assert_allclose(table["p_value"], out["stats"].p_value, rtol=1e-12)
    benchmark.extra_info.update(
        {"compare_proportions_s": stats_s, "ratio_to_compare_proportions": rekrut_s / stats_s}
    )
    measured.append(
        f"(a) arm totals, fill rate of {n_cells:,} cells: rk.analyze {rekrut_s * 1e3:.0f} ms, "
        f"stats.compare_proportions {stats_s * 1e3:.1f} ms: {rekrut_s / stats_s:.1f}x "
        "(target <= 5x; medians of 3 alternating rounds)"
    )


MILLION_CELLS = 1_000_000
MILLION_CELLS_LIMITS = {"seconds": 600, "address_space_gib": 12}
"""Bounds of the million-cell run: it is stopped after 10 minutes, and an allocation past
12 GiB of address space fails in the child instead of exhausting the machine."""

_MILLION_CELLS = """
import resource, sys, time
import numpy as np
limit = int(float(sys.argv[2]) * 2**30)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from rekrut.stats import compare_beta_binomial
rng = np.random.default_rng(1)  # drawn like the 20,000 cells of the fixture
cells = int(sys.argv[1])
n = rng.integers(20, 400, size=(2, cells)).astype(float)
x = rng.binomial(n.astype(int), rng.uniform(0.05, 0.6, size=(2, cells))).astype(float)
compare_beta_binomial(x[0, :1000], n[0, :1000], x[1, :1000], n[1, :1000])  # warm-up
before = status("VmRSS")
reset_peak()
start = time.perf_counter()
res = compare_beta_binomial(x[0], n[0], x[1], n[1])
seconds = time.perf_counter() - start
assert res.prob_better.shape == (cells,)
print(seconds, before, status("VmHWM"))
"""


def test_a_bayesian_million_cells(benchmark: Any, measured: list[str]) -> None:
    """The exact Beta-Binomial comparison on one million cells in a fresh process: the time
    of the call and its peak resident memory above the process before it (inputs, imports).

    The benchmark's own time includes starting Python and drawing the cells."""
    if not _peak_memory_available():
        pytest.skip("peak memory is read and reset through /proc (Linux)")
    command = [
        sys.executable,
        "-c",
        _STATUS + _MILLION_CELLS,
        str(MILLION_CELLS),
        str(MILLION_CELLS_LIMITS["address_space_gib"]),
    ]

    def run() -> list[float]:
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=MILLION_CELLS_LIMITS["seconds"],
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"one million cells took over {MILLION_CELLS_LIMITS['seconds']} s")
        if done.returncode:
            pytest.fail(f"one million cells failed:\n{done.stderr[-2000:]}")
        return [float(v) for v in done.stdout.split()]

    seconds, before, peak = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(
        {
            "call_s": seconds,
            "rss_before_call_mib": round(before),
            "rss_peak_call_mib": round(peak),
            "peak_above_before_mib": round(peak - before),
        }
    )
    measured.append(
        f"(a) compare_beta_binomial, {MILLION_CELLS:,} cells: {seconds:.1f} s; peak memory "
        f"{peak - before:.0f} MiB above the {before:.0f} MiB before the call "
        "(target < 1 GiB)"
    )


EVERY_METRIC_CELLS = 2_000  # every catalogue metric end to end; scaled to 20,000 in the README


@pytest.fixture(scope="module")
def every_metric() -> tuple[rk.Experiment, Any]:
    from rekrut.metrics import METRICS

    plan = rk.Experiment.model_validate(
        {
            "id": "every-metric",
            "control": "A",
            "metrics": list(METRICS),
            "arms": [{"id": "A", "channel": "jobindex"}, {"id": "B", "channel": "facebook"}],
            "channels": [
                {"id": "jobindex", "kind": "job_board", "cost": {"per_posting_dkk": 4500}},
                {"id": "facebook", "kind": "social", "cost": {"per_click_dkk": 6}},
            ],
        }
    )
    data = rk.simulate(plan, postings=20, replicates=EVERY_METRIC_CELLS, rng=2)
    return plan, data.rename(columns={"replicate": "cell"})


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("method", ["frequentist", "bayesian"])
def test_a_every_metric_analyze(
    benchmark: Any, every_metric: tuple[rk.Experiment, Any], method: str
) -> None:
    """All 13 catalogue metrics for 2,000 cells through rk.analyze(by=["cell"])."""
    plan, data = every_metric
    result = benchmark.pedantic(
        rk.analyze,
        args=(plan, data),
        kwargs={"by": ["cell"], "method": method, "small_sample": "asymptotic"}
        if method == "frequentist"
        else {"by": ["cell"], "method": method},
        rounds=1,
        iterations=1,
    )
    assert result.table["cell"].nunique() == EVERY_METRIC_CELLS


@pytest.mark.filterwarnings("ignore")
def test_a_time_to_hire_statsmodels_loop(
    benchmark: Any, every_metric: tuple[rk.Experiment, Any]
) -> None:
    """Without rekrut, per cell: statsmodels' Kaplan-Meier medians and log-rank test, and a
    percentile bootstrap (1,000 resamples) of the difference in medians, as rekrut reports
    (10 cells; scaled in the README)."""
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    _, data = every_metric
    hired = data["hires"].to_numpy() > 0
    frame = data.assign(
        time=np.where(hired, data["days_to_hire"], data["days_open"]), event=hired.astype(float)
    )
    cells = [part for _, part in frame.groupby("cell")][:10]
    rng = np.random.default_rng(1)

    def median(time: np.ndarray, event: np.ndarray) -> float:
        return float(SurvfuncRight(time, event).quantile(0.5)) if event.any() else np.nan

    def loop() -> None:
        for part in cells:
            (tc, ec), (tt, et) = (
                (arm["time"].to_numpy(), arm["event"].to_numpy())
                for arm in (part[part["arm"] == "A"], part[part["arm"] == "B"])
            )
            survdiff(part["time"].to_numpy(), part["event"].to_numpy(), part["arm"].to_numpy())
            diffs = np.empty(1000)
            for b in range(1000):
                i, j = rng.integers(0, tc.size, tc.size), rng.integers(0, tt.size, tt.size)
                diffs[b] = median(tt[j], et[j]) - median(tc[i], ec[i])
            np.nanquantile(diffs, [0.025, 0.975])

    benchmark.pedantic(loop, rounds=1, iterations=1)


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


@pytest.fixture(scope="module")
def kpis_30() -> Any:
    """98 municipalities x 30 job categories (the simulator's profiles, five variants each)."""
    from rekrut._simulation import JOB_PROFILES

    categories = [f"{c}-{i}" for c in JOB_PROFILES for i in range(5)][:30]
    kpis = peers.synthetic_kpis(
        job_categories=tuple(c.split("-")[0] for c in categories), periods=("2025",)
    )
    kpis["job_category"] = np.repeat(categories, 98)
    return kpis


def test_c_peer_comparison_30_categories(benchmark: Any, kpis_30: Any) -> None:
    found = peers.find("751")
    result = benchmark.pedantic(
        peers.compare,
        args=(kpis_30, "751"),
        kwargs={"by": "job_category", "peers": found},
        rounds=3,
        iterations=1,
    )
    assert result.table["job_category"].nunique() == 30


def test_c_peer_comparison_scipy_loop(benchmark: Any, kpis_30: Any) -> None:
    """Without rekrut: per category and KPI, fit the beta-binomial or negative-binomial
    marginal likelihood with scipy and compute the shrunk rates and the peer median."""
    from scipy import optimize, stats

    found = set(peers.find("751").codes)
    shares = {"fill_rate": ("filled", "postings"), "repost_rate": ("reposts", "postings")}
    shares["retention_12m"] = ("retained", "hires")
    rates = {"applications_per_posting": "applications", "cost_per_hire": "hires"}

    def loop() -> None:
        data = kpis_30.assign(
            filled=kpis_30["postings"] - kpis_30["failed"],
            retained=kpis_30["hires"] - kpis_30["early_leavers"],
        )
        for _, part in data.groupby("job_category"):
            peer_rows = part["kommunekode"].isin(found).to_numpy()
            for num, den in shares.values():
                k, n = part[num].to_numpy(), part[den].to_numpy()
                fit = optimize.minimize(
                    lambda z, k=k, n=n: -stats.betabinom.logpmf(k, n, *np.exp(z)).sum(),
                    [0.0, 1.0],
                    method="Nelder-Mead",
                )
                a, b = np.exp(fit.x)
                np.median(((a + k) / (a + b + n))[peer_rows])
            for num in rates.values():
                y, e = part[num].to_numpy(), part["postings"].to_numpy()
                fit = optimize.minimize(
                    lambda z, y=y, e=e: (
                        -stats.nbinom.logpmf(
                            y, np.exp(z[0]), np.exp(z[1]) / (np.exp(z[1]) + e)
                        ).sum()
                    ),
                    [0.0, 0.0],
                    method="Nelder-Mead",
                )
                a, b = np.exp(fit.x)
                np.median(((a + y) / (b + e))[peer_rows])

    benchmark.pedantic(loop, rounds=1, iterations=1)


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


def test_d_power_by_simulation_scipy_loop(benchmark: Any) -> None:
    """Without rekrut: draw each experiment's negative-binomial counts and run scipy's Welch
    t-test, one experiment at a time (500 experiments; scaled to 10,000 in the README)."""
    from scipy import stats

    rng = np.random.default_rng(1)
    mean, k = 8.0, 1.2

    def loop() -> None:
        rejected = 0
        for _ in range(LOOP_CELLS):
            arm = rng.integers(0, 2, 200)
            mu = np.where(arm == 1, 1.3 * mean, mean)
            y = rng.negative_binomial(k, k / (k + mu))
            rejected += stats.ttest_ind(y[arm == 1], y[arm == 0], equal_var=False).pvalue < 0.05

    benchmark.pedantic(loop, rounds=3, iterations=1)


_PEAK_RSS = """
import sys
def peak():  # VmHWM: this process's peak resident memory (Linux), in MiB
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024
import rekrut as rk
plan = rk.Experiment.model_validate_json(sys.argv[2])
if sys.argv[3] == "rekrut":
    import duckdb, pandas
    before = peak()
    rk.summarize(plan, sys.argv[1], by=["job_category"])
else:
    import pandas as pd
    before = peak()
    frame = pd.read_parquet(sys.argv[1])
    print(frame.memory_usage(deep=True).sum() / 2**20, end=" ")
print(before, peak())
"""


def test_b_peak_memory(
    benchmark: Any, experiment: rk.Experiment, big_parquet: Path, measured: list[str]
) -> None:
    """Peak resident memory of workload (b) in a fresh process, beside the data in pandas.

    Recorded in the benchmark's extra_info (MiB); the timing itself is not the point.
    """
    import subprocess
    import sys

    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc (Linux)")

    def run(how: str) -> list[float]:
        out = subprocess.run(
            [sys.executable, "-c", _PEAK_RSS, str(big_parquet), experiment.model_dump_json(), how],
            check=True,
            capture_output=True,
            text=True,
        )
        return [float(v) for v in out.stdout.split()]

    before, peak = benchmark.pedantic(run, args=("rekrut",), rounds=1, iterations=1)
    in_pandas, _, pandas_peak = run("pandas")
    benchmark.extra_info.update(
        {
            "rss_after_import_mib": round(before),
            "rss_peak_summarize_mib": round(peak),
            "data_in_pandas_mib": round(in_pandas),
            "rss_peak_pandas_read_mib": round(pandas_peak),
        }
    )
    measured.append(
        f"(b) memory: after import {before:.0f} MiB, peak with summarize {peak:.0f} MiB; "
        f"the table in pandas {in_pandas:.0f} MiB (peak {pandas_peak:.0f} MiB reading it)"
    )
    assert peak - before < in_pandas


PANDAS_ROWS = 10_000_000
PANDAS_SUMMED = ["applications", "qualified", "hires", "cost_dkk"]


def posting_frame(rows: int, seed: int) -> Any:
    """Posting rows as a user holds them in pandas: string ``arm`` (A/B) and ``job_category``
    (five values, pandas' default string dtype), integer counts and a float ``cost_dkk``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, rows)
    categories = ["sosu_assistent", "paedagog", "administration", "laerer", "ingenioer"]
    applications = np.floor(-np.log1p(-rng.random(rows)) * 8).astype(np.int64)  # geometric
    return pd.DataFrame(
        {
            "arm": np.array(["A", "B"], dtype=object)[arm],
            "job_category": np.array(categories, dtype=object)[rng.integers(0, 5, rows)],
            "applications": applications,
            "qualified": np.floor(applications * rng.random(rows)).astype(np.int64),
            "hires": ((applications > 0) & (rng.random(rows) < 0.6)).astype(np.int64),
            "cost_dkk": np.where(arm == 0, 4500.0, np.round(rng.uniform(300, 3000, rows), 2)),
        }
    )


def test_b_pandas_analyze(benchmark: Any, experiment: rk.Experiment, measured: list[str]) -> None:
    """10 million posting rows in a pandas DataFrame through
    ``rk.analyze(experiment, frame, by=["job_category"])`` (the four metrics of (b), the
    analysis per job category as in the Parquet row), beside pandas' own
    ``groupby(["job_category", "arm"])[columns].sum()`` of the same columns."""
    frame = posting_frame(PANDAS_ROWS, 5)

    def analyze() -> None:
        result = rk.analyze(experiment, frame, by=["job_category"])
        assert len(result.table) == 4 * 5

    def group_by() -> None:
        frame.groupby(["job_category", "arm"])[PANDAS_SUMMED].sum()

    rekrut_s, pandas_s = _beside(benchmark, analyze, group_by, rounds=2)
    benchmark.extra_info.update({"pandas_group_by_s": pandas_s, "ratio": rekrut_s / pandas_s})
    measured.append(
        f"(b) pandas, {PANDAS_ROWS:,} rows: rk.analyze(by=job_category) {rekrut_s:.2f} s, "
        f"groupby().sum() {pandas_s:.2f} s: {rekrut_s / pandas_s:.1f}x (target <= 3x; "
        "medians of 2 alternating rounds)"
    )


_PANDAS_PEAK = """
import gc, sys
import rekrut as rk
plan = rk.Experiment.model_validate_json(sys.argv[1])
frame = posting_frame(int(sys.argv[2]), 5)
gc.collect()
in_pandas = frame.memory_usage(deep=True).sum() / 2**20
before = status("VmRSS")
reset_peak()
rk.analyze(plan, frame, by=["job_category"])
analyze_peak = status("VmHWM")
gc.collect()
after = status("VmRSS")
reset_peak()
frame.groupby(["job_category", "arm"])[sys.argv[3].split(",")].sum()
print(in_pandas, before, analyze_peak, after, status("VmHWM"))
"""


def test_b_pandas_peak_memory(
    benchmark: Any, experiment: rk.Experiment, measured: list[str]
) -> None:
    """Peak resident memory of ``rk.analyze`` on the 10-million-row DataFrame in a fresh
    process, above the process once the frame is built, beside the frame's own size
    (``memory_usage(deep=True)``) and the peak of pandas' group-by."""
    if not _peak_memory_available():
        pytest.skip("peak memory is read and reset through /proc (Linux)")
    script = (
        "from __future__ import annotations\n"
        + _STATUS
        + "from typing import Any\n"
        + inspect.getsource(posting_frame)
        + _PANDAS_PEAK
    )
    command = [
        sys.executable,
        "-c",
        script,
        experiment.model_dump_json(),
        str(PANDAS_ROWS),
        ",".join(PANDAS_SUMMED),
    ]

    def run() -> list[float]:
        done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
        return [float(v) for v in done.stdout.split()]

    in_pandas, before, peak, after, group_by_peak = benchmark.pedantic(run, rounds=1, iterations=1)
    above, group_by_above = peak - before, group_by_peak - after
    benchmark.extra_info.update(
        {
            "frame_in_pandas_mib": round(in_pandas),
            "rss_with_frame_mib": round(before),
            "rss_peak_analyze_mib": round(peak),
            "analyze_peak_above_frame_mib": round(above),
            "group_by_peak_above_frame_mib": round(group_by_above),
            "share_of_frame": above / in_pandas,
        }
    )
    measured.append(
        f"(b) pandas memory: rk.analyze peaks {above:.0f} MiB above the process holding the "
        f"frame ({before:.0f} MiB), {above / in_pandas:.2f} of the frame's {in_pandas:.0f} MiB "
        f"(target < 0.5); pandas' group-by peaks {group_by_above:.0f} MiB above"
    )


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


STARTS = 7  # fresh processes per command; the medians are reported


def _wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def test_e_import_time(benchmark: Any, measured: list[str]) -> None:
    """``import rekrut`` beside ``import pandas``, each in fresh processes, alternating (one
    untimed start of each first, so bytecode is compiled and the files are cached)."""
    rekrut_cmd = [sys.executable, "-c", "import rekrut"]
    pandas_cmd = [sys.executable, "-c", "import pandas"]
    for command in (rekrut_cmd, pandas_cmd):
        _wall_time(command)
    rekrut_s, pandas_s = _beside(
        benchmark, lambda: _wall_time(rekrut_cmd), lambda: _wall_time(pandas_cmd), rounds=STARTS
    )
    benchmark.extra_info.update({"import_pandas_s": pandas_s, "ratio": rekrut_s / pandas_s})
    measured.append(
        f"(e) import rekrut {rekrut_s:.2f} s, import pandas {pandas_s:.2f} s (medians of "
        f"{STARTS} fresh processes, with the interpreter's start): "
        f"{rekrut_s / pandas_s:.2f}x (target <= 1.5x)"
    )


def test_e_cli_help(benchmark: Any, measured: list[str]) -> None:
    """``rekrut --help`` as the console script runs it (its entry point, in this
    interpreter), beside the bare interpreter start."""
    from importlib.metadata import entry_points

    found = [e.value for e in entry_points(group="console_scripts") if e.name == "rekrut"]
    module, _, func = (found[0] if found else "rekrut.cli:main").partition(":")
    main = f"import sys; from {module} import {func} as main; sys.exit(main())"
    help_cmd = [sys.executable, "-c", main, "--help"]
    bare_cmd = [sys.executable, "-c", "pass"]
    for command in (help_cmd, bare_cmd):
        _wall_time(command)
    help_s, bare_s = _beside(
        benchmark, lambda: _wall_time(help_cmd), lambda: _wall_time(bare_cmd), rounds=STARTS
    )
    benchmark.extra_info.update({"python_start_s": bare_s})
    measured.append(
        f"(e) rekrut --help {help_s:.2f} s (median of {STARTS}; the bare interpreter starts "
        f"in {bare_s:.2f} s)"
    )
