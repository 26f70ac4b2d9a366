"""Re-randomisation tests: reference values, exactness, intervals, and calibration by simulation.

The slow tests draw municipal-looking experiments (few postings, zero-inflated heavy-tailed
applicant counts, 1:4 allocation, applicants clustered in postings), analyse every replicate in
one vectorised call (the replicate is the cell) and compare rates with their nominal values.
``python -m pytest -q -p no:cacheprovider tests/stats/test_randomization.py -m slow -s`` prints
the figures quoted in docs/methods/randomization.md.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from scipy.stats import permutation_test

import rekrut as rk
from rekrut.stats import randomization_test

ALPHA = 0.05


def _ratio_statistic(x: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
    """scipy statistic on unit indices: the difference of sum(x)/sum(y), treatment - control."""

    def statistic(idx_t: np.ndarray, idx_c: np.ndarray, axis: int = -1) -> np.ndarray:
        it, ic = idx_t.astype(int), idx_c.astype(int)
        rt = x[it].sum(axis=axis) / y[it].sum(axis=axis)
        rc = x[ic].sum(axis=axis) / y[ic].sum(axis=axis)
        return rt - rc

    return statistic


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_exact_pvalue_equals_scipy_permutation_test(alternative: str) -> None:
    rng = np.random.default_rng(3)
    apps = rng.negative_binomial(0.7, 0.7 / (0.7 + 30), size=11).astype(float)
    qual = rng.binomial(apps.astype(int), 0.5).astype(float)
    treated = np.r_[np.zeros(7), np.ones(4)].astype(bool)  # C(11, 4) = 330 re-assignments
    res = randomization_test(qual, apps, treated, alternative=alternative)  # type: ignore[arg-type]
    assert bool(res.exact[0])
    assert res.n_reassignments[0] == comb(11, 4)
    # Reference: scipy.stats.permutation_test((idx_t, idx_c), statistic,
    #   permutation_type="independent", n_resamples=np.inf, alternative=...), exact enumeration;
    # a two-sided test here uses |statistic| with alternative="greater" (scipy's own two-sided
    # p-value doubles the smaller tail instead).
    idx = np.arange(11.0)
    stat = _ratio_statistic(qual, apps)
    if alternative == "two-sided":
        ref = permutation_test(
            (idx[treated], idx[~treated]),
            lambda a, b, axis=-1: np.abs(stat(a, b, axis)),
            permutation_type="independent",
            n_resamples=np.inf,
            alternative="greater",
        )
    else:
        ref = permutation_test(
            (idx[treated], idx[~treated]),
            stat,
            permutation_type="independent",
            n_resamples=np.inf,
            alternative=alternative,  # type: ignore[arg-type]
        )
    assert res.p_value[0] == pytest.approx(ref.pvalue, rel=1e-12)
    assert res.statistic[0] == pytest.approx(
        ref.statistic if alternative != "two-sided" else res.diff[0]
    )


def test_monte_carlo_pvalue_is_never_zero_and_seeded() -> None:
    x = np.r_[np.arange(20.0), 100 + np.arange(20.0)]
    treated = np.r_[np.zeros(20), np.ones(20)]  # C(40, 20) ~ 1.4e11: Monte Carlo
    res = randomization_test(x, np.ones(40), treated, n_resamples=999, rng=5)
    assert not bool(res.exact[0])
    assert res.p_value[0] == pytest.approx(1 / 1000)  # (0 + 1) / (999 + 1), Phipson & Smyth
    assert res.p_value_mcse[0] == pytest.approx(np.sqrt(0.001 * 0.999 / 999))
    again = randomization_test(x, np.ones(40), treated, n_resamples=999, rng=5)
    assert again.to_dict() == res.to_dict()


def test_random_reassignments_drawn_in_blocks_give_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rekrut.stats._randomization as module

    rng = np.random.default_rng(2)
    x = rng.negative_binomial(0.7, 0.02, size=60).astype(float)
    t = np.r_[np.zeros(45), np.ones(15)]
    whole = randomization_test(x, np.ones(60), t, n_resamples=500, rng=9)
    monkeypatch.setattr(module, "_BLOCK", 60 * 7)  # 7 re-assignments per block
    blocks = randomization_test(x, np.ones(60), t, n_resamples=500, rng=9)
    assert blocks.n_reassignments[0] == 500
    assert blocks.to_dict() == whole.to_dict()


def test_cells_are_independent_tests_in_one_call() -> None:
    rng = np.random.default_rng(1)
    sizes = [(4, 6), (5, 5), (3, 9), (8, 4)]
    xs, ys, ts, cells = [], [], [], []
    for g, (nc, nt) in enumerate(sizes):
        xs.append(rng.negative_binomial(0.5, 0.02, size=nc + nt).astype(float))
        ys.append(rng.integers(1, 4, size=nc + nt).astype(float))
        ts.append(np.r_[np.zeros(nc), np.ones(nt)])
        cells.append(np.full(nc + nt, g))
    together = randomization_test(
        np.concatenate(xs), np.concatenate(ys), np.concatenate(ts), np.concatenate(cells),
        n_cells=5,
    )  # fmt: skip
    for g in range(4):
        alone = randomization_test(xs[g], ys[g], ts[g])
        for name in ("diff", "p_value", "diff_ci_low", "diff_ci_high", "lift_ci_low"):
            assert getattr(together, name)[g] == pytest.approx(getattr(alone, name)[0])
    assert np.isnan(together.p_value[4])
    assert together.n_reassignments[4] == 0


def test_interval_is_the_set_of_shifts_and_scales_not_rejected() -> None:
    rng = np.random.default_rng(11)
    x = rng.negative_binomial(0.8, 0.8 / 20.8, size=14).astype(float)
    y = np.ones(14)
    t = np.r_[np.zeros(7), np.ones(7)]
    res = randomization_test(x, y, t)
    low, high = float(res.diff_ci_low[0]), float(res.diff_ci_high[0])
    assert low < float(res.diff[0]) < high
    eps = 1e-6 * (high - low)

    def p_shift(delta: float) -> float:
        return float(randomization_test(x - delta * y * t, y, t).p_value[0])

    assert p_shift(low + eps) >= ALPHA > p_shift(low - eps)
    assert p_shift(high - eps) >= ALPHA > p_shift(high + eps)
    theta_low, theta_high = 1 + float(res.lift_ci_low[0]), 1 + float(res.lift_ci_high[0])

    def p_scale(theta: float) -> float:
        return float(randomization_test(np.where(t == 1, x / theta, x), y, t).p_value[0])

    assert p_scale(theta_low * (1 + 1e-6)) >= ALPHA > p_scale(theta_low * (1 - 1e-6))
    assert p_scale(theta_high * (1 - 1e-6)) >= ALPHA > p_scale(theta_high * (1 + 1e-6))


def test_intervals_agree_with_the_p_value_on_tied_binary_outcomes() -> None:
    """Filled or not: many re-assignments tie with the observed statistic at no effect."""
    rng = np.random.default_rng(8)
    cells, n_c, n_t = 300, 9, 7
    x = (rng.random((cells, n_c + n_t)) < np.linspace(0.3, 0.7, cells)[:, None]).astype(float)
    t = np.tile(np.r_[np.zeros(n_c), np.ones(n_t)], cells)
    res = randomization_test(x.ravel(), np.ones(x.size), t, np.repeat(np.arange(cells), n_c + n_t))
    accepted = res.p_value >= ALPHA
    assert np.array_equal(accepted, (res.diff_ci_low <= 0) & (res.diff_ci_high >= 0))
    known = ~np.isnan(res.lift_ci_low)
    lift_holds = (res.lift_ci_low <= 0) & (res.lift_ci_high >= 0)
    assert np.array_equal(accepted[known], lift_holds[known])


def test_one_sided_alternative_gives_a_one_sided_interval() -> None:
    x = np.array([3.0, 5, 2, 8, 4, 12, 15, 9, 11, 20])
    t = np.r_[np.zeros(5), np.ones(5)]
    res = randomization_test(x, np.ones(10), t, alternative="greater")
    assert np.isfinite(res.diff_ci_low[0])
    assert res.diff_ci_high[0] == np.inf
    assert res.p_value[0] < ALPHA
    assert res.diff_ci_low[0] > 0


def test_too_few_postings_give_an_open_interval_not_an_error() -> None:
    res = randomization_test([1.0, 9.0, 30.0], [1.0, 1, 1], [0, 1, 1])  # 3 re-assignments
    assert res.p_value[0] == pytest.approx(2 / 3)
    assert res.diff_ci_low[0] == -np.inf
    assert res.diff_ci_high[0] == np.inf
    zero = randomization_test([0.0, 0, 4, 6], [3.0, 2, 5, 5], [0, 0, 1, 1])  # control share 0
    assert zero.control_value[0] == 0
    assert np.isnan(zero.lift[0])
    assert np.isnan(zero.lift_ci_low[0])
    no_denominator = randomization_test([0.0, 0, 4, 6], [0.0, 0, 5, 5], [0, 0, 1, 1])
    assert np.isnan(no_denominator.control_value[0])
    assert np.isnan(no_denominator.p_value[0])


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="one entry per unit"):
        randomization_test([1.0, 2.0], [1.0], [0, 1])
    with pytest.raises(ValueError, match="treated must be"):
        randomization_test([1.0, 2.0], [1.0, 1.0], [0, 2])
    with pytest.raises(ValueError, match="n_resamples"):
        randomization_test([1.0, 2.0], [1.0, 1.0], [0, 1], n_resamples=10)
    with pytest.raises(ValueError, match="cell must"):
        randomization_test([1.0, 2.0], [1.0, 1.0], [0, 1], [0, -1])


@pytest.mark.parametrize(
    ("n_control", "n_treatment"),
    [(4, 4), (5, 5), (4, 8), pytest.param(6, 7, marks=pytest.mark.slow)],
)
def test_exact_false_positive_rate_is_nominal_up_to_discreteness(
    n_control: int, n_treatment: int
) -> None:
    """Every possible assignment of one A/A data set, each tested in its own cell."""
    rng = np.random.default_rng(n_control * 10 + n_treatment)
    n = n_control + n_treatment
    x = rng.negative_binomial(0.6, 0.6 / 40.6, size=n).astype(float) + rng.random(n)  # no ties
    from itertools import combinations

    assignments = list(combinations(range(n), n_treatment))
    total = len(assignments)
    t = np.zeros((total, n))
    for r, chosen in enumerate(assignments):
        t[r, list(chosen)] = 1.0
    res = randomization_test(
        np.tile(x, total), np.ones(total * n), t.ravel(), np.repeat(np.arange(total), n)
    )
    rate = float(np.mean(res.p_value <= ALPHA))
    # with equal arms |statistic| ties in pairs (an assignment and its mirror image)
    step = 2 / total if n_control == n_treatment else 1 / total
    assert ALPHA - step < rate <= ALPHA
    assert rate == pytest.approx(np.floor(ALPHA / step) * step)


def test_analyze_with_randomization() -> None:
    exp = rk.load_experiment("experiments/sosu_kanaltest.toml")
    result = rk.analyze(exp, method="randomization", n_resamples=500, rng=3)
    table = result.table
    assert result.method == "randomization"
    randomised = table[table["metric"] != "time_to_hire_days"]
    assert set(randomised["method"]) == {"randomization"}
    assert set(table.loc[table["metric"] == "time_to_hire_days", "method"]) == {"log_rank"}
    codes = [n.code for n in result.notes]
    assert codes.count("randomization_monte_carlo") == 7  # every re-randomised metric: 111 + 86
    assert "randomization_duration" in codes
    note = next(n for n in result.notes if n.code == "randomization_monte_carlo")
    assert "500 random ones" in note.text("en")
    freq = rk.analyze(exp, rng=3).table
    same = freq["metric"] != "time_to_hire_days"
    assert np.allclose(table.loc[same, "diff"], freq.loc[same, "diff"])
    assert list(table.columns) == list(freq.columns)
    assert rk.analyze(exp, method="randomization", n_resamples=500, rng=3).table.equals(table)
    # the intervals agree with the p-values (fill rate: ties at no effect)
    rows = table[table["method"] == "randomization"]
    holds_zero = (rows["diff_ci_low"] <= 0) & (rows["diff_ci_high"] >= 0)
    lift_holds_zero = (rows["lift_ci_low"] <= 0) & (rows["lift_ci_high"] >= 0)
    assert ((rows["p_value"] >= 0.05) == holds_zero).all()
    known = rows["lift"].notna()
    assert ((rows["p_value"] >= 0.05) == lift_holds_zero)[known].all()
    assert '"method": "randomization"' in result.to_json()


def test_analyze_by_group_matches_each_group_alone() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "x",
            "control": "A",
            "metrics": ["applications_per_posting", "qualified_share"],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )
    data = rk.simulate(exp, postings=12, replicates=3, rng=4)
    grouped = rk.analyze(exp, data, method="randomization", by=["replicate"]).table
    for rep in range(3):
        alone = rk.analyze(exp, data[data["replicate"] == rep], method="randomization").table
        row = grouped[grouped["replicate"] == rep].reset_index(drop=True)
        assert np.allclose(row["p_value"], alone["p_value"])
        assert np.allclose(row["diff_ci_low"], alone["diff_ci_low"])


def test_arm_totals_fall_back_to_the_frequentist_method_with_a_note() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "x",
            "control": "A",
            "metrics": ["applications_per_posting"],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )
    import pandas as pd

    totals = pd.DataFrame({"arm": ["A", "B"], "postings": [10, 12], "applications": [80, 130]})
    result = rk.analyze(exp, totals, method="randomization")
    assert list(result.table["method"]) == ["poisson_exact"]
    assert [n.code for n in result.notes] == ["randomization_totals", "poisson_totals"]


# --- calibration by simulation -------------------------------------------------------------
# Data-generating processes that look like municipal channel tests. Every replicate is one
# cell of one vectorised call; seeds are fixed, so the figures below are reproducible.

REPLICATES = 1500


def _applicants(rng: np.random.Generator, n: int) -> np.ndarray:
    """Zero-inflated negative-binomial applicant counts with a heavy tail.

    A quarter of postings get nobody; 7 % are popular (mean 350, so a few have 300+); the rest
    have a mean of 20 with strong overdispersion (NB shape 0.7).
    """
    popular = rng.random(n) < 0.07
    mean = np.where(popular, 350.0, 20.0)
    shape = np.where(popular, 2.0, 0.7)
    counts = rng.negative_binomial(shape, shape / (shape + mean))
    return np.where(rng.random(n) < 0.25, 0, counts).astype(float)


def _qualified(rng: np.random.Generator, apps: np.ndarray) -> np.ndarray:
    """Qualified applicants clustered in postings: a posting-level share ~ Beta (ICC 0.15)."""
    share = rng.beta(0.45 * 5.67, 0.55 * 5.67, size=apps.size)
    return rng.binomial(apps.astype(int), share).astype(float)


def _sizes(rng: np.random.Generator, design: str) -> tuple[int, int]:
    if design == "1:4":
        return 20, 5
    return int(rng.integers(4, 9)), int(rng.integers(4, 9))  # 4-8 postings per arm


def _simulate(
    seed: int,
    design: str,
    metric: str,
    effect: str = "none",
    size: float = 0.0,
) -> tuple[np.ndarray, ...]:
    """Stack REPLICATES experiments as cells: x, y, treated, cell."""
    rng = np.random.default_rng(seed)
    xs, ys, ts, cells = [], [], [], []
    for r in range(REPLICATES):
        n_c, n_t = _sizes(rng, design)
        n = n_c + n_t
        apps = _applicants(rng, n)
        treated = np.r_[np.zeros(n_c), np.ones(n_t)]
        if metric == "qualified_share":
            x, y = _qualified(rng, apps), apps
        else:
            x, y = apps, np.ones(n)
        if effect == "shift":  # every treated posting gets `size` more (per unit of y)
            x = x + size * y * treated
        elif effect == "scale":  # every treated posting's count times `size`
            x = np.where(treated == 1, x * size, x)
        elif effect == "spread":  # same mean, treated postings ten times as variable
            x = np.where(treated == 1, x * 10 * (rng.random(n) < 0.1), x)
        xs.append(x)
        ys.append(y)
        ts.append(treated)
        cells.append(np.full(n, r))
    return tuple(np.concatenate(v) for v in (xs, ys, ts, cells))


def _calibrate(seed: int, design: str, metric: str, effect: str = "none", size: float = 0.0):  # type: ignore[no-untyped-def]
    x, y, t, cell = _simulate(seed, design, metric, effect, size)
    return randomization_test(x, y, t, cell, n_cells=REPLICATES, n_resamples=999, rng=seed)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("design", "metric"),
    [
        ("4-8", "applications_per_posting"),
        ("1:4", "applications_per_posting"),
        ("4-8", "qualified_share"),
        ("1:4", "qualified_share"),
    ],
)
def test_aa_false_positive_rate(design: str, metric: str) -> None:
    res = _calibrate(1, design, metric)
    usable = ~np.isnan(res.p_value)
    rate = float(np.mean(res.p_value[usable] <= ALPHA))
    coverage = float(np.mean((res.diff_ci_low <= 0) & (res.diff_ci_high >= 0)))
    print(f"A/A {design} {metric}: false-positive rate {rate:.3f}, coverage {coverage:.3f}")
    assert 0.035 <= rate <= 0.065
    assert 0.92 <= coverage <= 0.98


@pytest.mark.slow
@pytest.mark.parametrize(
    ("design", "metric", "effect", "size"),
    [
        ("4-8", "applications_per_posting", "shift", 8.0),
        ("1:4", "applications_per_posting", "shift", 8.0),
        ("4-8", "applications_per_posting", "scale", 1.5),
        ("1:4", "qualified_share", "scale", 1.3),
    ],
)
def test_interval_coverage_under_its_model(
    design: str, metric: str, effect: str, size: float
) -> None:
    res = _calibrate(2, design, metric, effect, size)
    if effect == "shift":
        covered = (res.diff_ci_low <= size) & (res.diff_ci_high >= size)
    else:
        covered = (res.lift_ci_low <= size - 1) & (res.lift_ci_high >= size - 1)
    known = ~np.isnan(res.lift_ci_low) if effect == "scale" else np.ones(REPLICATES, bool)
    coverage = float(np.mean(covered[known]))
    print(f"{effect} {size} {design} {metric}: coverage {coverage:.3f} of {int(known.sum())}")
    assert 0.92 <= coverage <= 0.98
