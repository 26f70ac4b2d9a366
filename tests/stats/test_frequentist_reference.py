"""The frequentist core against independent implementations (statsmodels, scipy, R's values)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from rekrut.stats._counts import compare_counts, compare_poisson_totals
from rekrut.stats._multiplicity import correct_pvalues
from rekrut.stats._proportions import chisquare_proportions, compare_proportions, wilson_interval
from rekrut.stats._ratios import (
    PairedStats,
    RatioStats,
    bootstrap_ratios,
    compare_paired_ratios,
    compare_ratios,
)
from rekrut.stats._srm import sample_ratio_mismatch
from rekrut.stats._survival import compare_time_to_event, kaplan_meier

CELLS = [(30, 100, 45, 100), (3, 40, 9, 38), (0, 25, 4, 30), (150, 1000, 150, 1000), (1, 7, 6, 8)]


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CELLS)
def test_wilson_matches_statsmodels(xc: int, nc: int, xt: int, nt: int) -> None:
    ci = wilson_interval(xt, nt)
    low, high = ci.ci_low, ci.ci_high
    ref = proportion_confint(xt, nt, method="wilson")
    assert (float(low), float(high)) == pytest.approx(ref, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CELLS)
def test_two_proportions_match_statsmodels(xc: int, nc: int, xt: int, nt: int) -> None:
    res = compare_proportions(xc, nc, xt, nt, test="z")
    low, high = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb", compare="diff")
    assert float(res.diff_ci_low) == pytest.approx(low, rel=1e-9, abs=1e-12)
    assert float(res.diff_ci_high) == pytest.approx(high, rel=1e-9, abs=1e-12)
    if xc + xt not in (0, nc + nt):
        _, p = proportions_ztest([xt, xc], [nt, nc])
        assert float(res.p_value) == pytest.approx(p, rel=1e-9)
    if xc + xt > 0:
        # the score interval for the ratio, which inverts the pooled z-test (no n/(n-1) factor)
        low, high = _score_ratio_reference(xt, nt, xc, nc)
        assert float(res.lift_ci_low) + 1 == pytest.approx(low, rel=1e-9, abs=1e-12)
        assert float(res.lift_ci_high) + 1 == pytest.approx(high, rel=1e-9)


def _score_ratio_reference(
    xt: int, nt: int, xc: int, nc: int, alpha: float = 0.05
) -> tuple[float, float]:
    with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels divides by a zero count
        low, high = confint_proportions_2indep(
            xt, nt, xc, nc, method="score", compare="ratio", correction=False, alpha=alpha
        )
    return float(np.real(low)), float(np.real(high))


def test_lift_interval_agrees_with_the_z_test() -> None:
    """0/10 vs 4/10: p = 0.025 and the difference excludes 0; the Katz log interval with 0.5
    added gave the lift (-0.45, inf). statsmodels' score interval for the ratio,
    confint_proportions_2indep(4, 10, 0, 10, compare="ratio", method="score",
    correction=False), is (1.2712, inf) and its score test p = 0.025347."""
    res = compare_proportions(0, 10, 4, 10, test="z")
    assert float(res.p_value) == pytest.approx(0.025347318677468277, rel=1e-9)
    assert float(res.lift_ci_low) == pytest.approx(0.27121802003618, rel=1e-9)
    assert float(res.lift_ci_high) == np.inf
    assert float(res.diff_ci_low) > 0


def test_lift_interval_excludes_zero_exactly_when_the_z_test_rejects() -> None:
    rng = np.random.default_rng(3)
    n_c, n_t = rng.integers(5, 80, 3000), rng.integers(5, 80, 3000)
    x_c, x_t = rng.binomial(n_c, 0.3), rng.binomial(n_t, 0.4)
    for alternative in ("two-sided", "greater", "less"):
        res = compare_proportions(x_c, n_c, x_t, n_t, test="z", alternative=alternative)
        excludes = (res.lift_ci_low > 0) | (res.lift_ci_high < 0)
        np.testing.assert_array_equal(excludes, res.p_value < 0.05)


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CELLS)
def test_one_sided_intervals_follow_the_alternative(xc: int, nc: int, xt: int, nt: int) -> None:
    """A one-sided test gets a one-sided interval: the bound of the two-sided interval at
    twice the error rate (statsmodels at alpha = 0.10), the other end at the possible range."""
    two = compare_proportions(xc, nc, xt, nt, test="z", confidence_level=0.90)
    greater = compare_proportions(xc, nc, xt, nt, test="z", alternative="greater")
    less = compare_proportions(xc, nc, xt, nt, test="z", alternative="less")
    assert float(greater.diff_ci_low) == pytest.approx(float(two.diff_ci_low))
    assert float(greater.diff_ci_high) == 1.0
    assert float(less.diff_ci_low) == -1.0
    assert float(less.diff_ci_high) == pytest.approx(float(two.diff_ci_high))
    assert float(greater.lift_ci_high) == np.inf
    assert float(less.lift_ci_low) == -1.0
    low, high = _score_ratio_reference(xt, nt, xc, nc, alpha=0.10)
    assert float(greater.lift_ci_low) + 1 == pytest.approx(low, rel=1e-9, abs=1e-12)
    assert float(less.lift_ci_high) + 1 == pytest.approx(high, rel=1e-9)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CELLS)
def test_fisher_matches_scipy(xc: int, nc: int, xt: int, nt: int, alternative: str) -> None:
    res = compare_proportions(xc, nc, xt, nt, test="fisher", alternative=alternative)  # type: ignore[arg-type]
    ref = stats.fisher_exact([[xt, nt - xt], [xc, nc - xc]], alternative=alternative).pvalue
    assert float(res.p_value) == pytest.approx(ref, rel=1e-12)


def test_auto_uses_fisher_only_for_small_cells() -> None:
    xc, nc, xt, nt = np.array(CELLS, dtype=float).T
    auto = compare_proportions(xc, nc, xt, nt)
    z = compare_proportions(xc, nc, xt, nt, test="z")
    fisher = compare_proportions(xc, nc, xt, nt, test="fisher")
    # smallest expected cell: 2x2 margins; (3/40 vs 9/38) has 38 * 12 / 78 = 5.8, not small
    small = np.array([False, False, True, False, True])
    np.testing.assert_allclose(auto.p_value[small], fisher.p_value[small])
    np.testing.assert_allclose(auto.p_value[~small], z.p_value[~small])


def test_vectorised_equals_looped() -> None:
    xc, nc, xt, nt = np.array(CELLS, dtype=float).T
    whole = compare_proportions(xc, nc, xt, nt)
    for i, cell in enumerate(CELLS):
        alone = compare_proportions(*cell)
        assert float(alone.diff_ci_low) == pytest.approx(whole.diff_ci_low[i])
        assert float(alone.p_value) == pytest.approx(whole.p_value[i])


def test_swapping_arms_flips_the_difference() -> None:
    a = compare_proportions(30, 100, 45, 100)
    b = compare_proportions(45, 100, 30, 100)
    assert float(a.diff) == -float(b.diff)
    assert float(a.diff_ci_low) == pytest.approx(-float(b.diff_ci_high))
    assert float(a.p_value) == pytest.approx(float(b.p_value))


def test_edge_counts_are_answers_not_crashes() -> None:
    res = compare_proportions([0, 5, 0, 7], [10, 10, 0, 7], [0, 5, 3, 7], [12, 10, 5, 7])
    assert np.isnan(res.lift[0])  # 0 / 0: no relative change
    assert res.lift_ci_high[0] == np.inf
    assert float(res.p_value[1]) == pytest.approx(1.0)
    assert np.isnan(res.diff[2])  # no trials in the control
    assert float(res.p_value[3]) == pytest.approx(1.0)  # all successes in both arms


def test_chisquare_matches_scipy() -> None:
    x, n = np.array([30, 45, 40, 12]), np.array([100, 100, 100, 50])
    ref = stats.chi2_contingency(np.c_[x, n - x], correction=False)
    res = chisquare_proportions(x, n)
    assert float(res.statistic) == pytest.approx(ref.statistic)
    assert float(res.p_value) == pytest.approx(ref.pvalue)


def test_holm_and_bh_match_statsmodels() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 0.2, size=(4, 7))
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
        adjusted = correct_pvalues(p, method=ours)  # type: ignore[arg-type]
        for row, got in zip(p, adjusted, strict=True):
            np.testing.assert_allclose(got, multipletests(row, method=theirs)[1])
    with_nan = correct_pvalues([0.01, np.nan, 0.04])
    np.testing.assert_allclose(with_nan, [0.02, np.nan, 0.04])


def test_srm_matches_scipy_chisquare() -> None:
    observed, weights = np.array([510, 260, 230]), np.array([2, 1, 1])
    ref = stats.chisquare(observed, observed.sum() * weights / weights.sum())
    res = sample_ratio_mismatch(observed, weights)
    assert float(res.p_value) == pytest.approx(ref.pvalue)
    assert not bool(res.mismatch)


def test_ratio_with_unit_denominator_is_welch() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.negative_binomial(1.5, 1.5 / 16.5, 40), rng.negative_binomial(1.5, 1.5 / 21.5, 35)
    res = compare_counts(RatioStats.from_units(a), RatioStats.from_units(b))
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert float(res.p_value) == pytest.approx(ref.pvalue, rel=1e-10)
    ci = ref.confidence_interval()
    assert (float(res.diff_ci_low), float(res.diff_ci_high)) == pytest.approx(
        (ci.low, ci.high), rel=1e-9
    )


def test_log_ratio_standard_error_equals_robust_poisson_glm() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    a, b = rng.negative_binomial(1.2, 1.2 / 7.2, 60), rng.negative_binomial(1.2, 1.2 / 9.2, 60)
    y = np.r_[a, b].astype(float)
    x = sm.add_constant(np.r_[np.zeros(a.size), np.ones(b.size)])
    fit = sm.GLM(y, x, family=sm.families.Poisson()).fit(cov_type="HC0")
    stats_a, stats_b = RatioStats.from_units(a), RatioStats.from_units(b)
    # HC0 divides by n, the delta method by n - 1: rescale to compare like with like.
    var = sum(s.variance() * (s.n - 1) / s.n / s.ratio() ** 2 for s in (stats_a, stats_b))
    assert float(np.sqrt(var)) == pytest.approx(fit.bse[1], rel=1e-8)
    assert float(np.log(stats_b.ratio() / stats_a.ratio())) == pytest.approx(
        fit.params[1], rel=1e-8
    )


def test_clustered_ratio_variance_equals_cluster_robust_glm() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(4)
    apps = rng.negative_binomial(1.5, 0.1, 80) + 1
    qualified = rng.binomial(apps, rng.beta(5, 5, 80))
    s = RatioStats.from_units(qualified, apps)
    # Intercept-only linear model of the share, weighted by applicants, clustered by posting
    # (CR1 correction G/(G-1) with one parameter equals the delta method's n - 1).
    fit = sm.WLS(qualified / apps, np.ones(apps.size), weights=apps).fit(
        cov_type="cluster", cov_kwds={"groups": np.arange(apps.size), "use_correction": False}
    )
    assert float(s.ratio()) == pytest.approx(fit.params[0], rel=1e-10)
    assert float(np.sqrt(s.variance() * (s.n - 1) / s.n)) == pytest.approx(fit.bse[0], rel=1e-8)


def test_lift_interval_excludes_zero_exactly_when_the_test_rejects() -> None:
    # Fieller's interval inverts the same t-test as the p-value, so the table never shows a
    # lift interval above 0 next to p = 0.19 (as a log-scale interval can for skewed counts)
    rng = np.random.default_rng(23)
    n = rng.integers(5, 80, 5000)
    size = (5000, 80)
    c = rng.negative_binomial(1.2, 1.2 / 7.2, size).astype(float)
    t = rng.negative_binomial(1.2, 1.2 / rng.uniform(5.2, 12.2, (5000, 1)), size).astype(float)
    keep = np.arange(80) < n[:, None]  # cell i uses its first n[i] postings
    stats_c, stats_t = (
        RatioStats(n.astype(float), (v * keep).sum(1), n.astype(float), (v * v * keep).sum(1),
                   n.astype(float), (v * keep).sum(1))
        for v in (c, t)
    )  # fmt: skip
    res = compare_counts(stats_c, stats_t)
    excludes = (res.lift_ci_low > 0) | (res.lift_ci_high < 0)
    assert np.array_equal(excludes, res.p_value < 0.05)
    assert 0.2 < excludes.mean() < 0.9  # both outcomes occur


def test_paired_counts_are_scipys_paired_t_test() -> None:
    rng = np.random.default_rng(21)
    jobnet = rng.negative_binomial(1.2, 0.1, 35).astype(float)
    facebook = rng.binomial(jobnet.astype(int) + 5, 0.6).astype(float)
    res = compare_paired_ratios(
        RatioStats.from_units(jobnet),
        RatioStats.from_units(facebook),
        PairedStats.from_units(jobnet, facebook),
        confidence_level=0.9,
    )
    ref = stats.ttest_rel(facebook, jobnet)
    np.testing.assert_allclose(res.p_value, ref.pvalue, rtol=1e-10)
    np.testing.assert_allclose(
        [res.diff_ci_low, res.diff_ci_high], ref.confidence_interval(0.9), rtol=1e-10
    )


def test_paired_ratio_variance_is_the_variance_of_the_influence_functions() -> None:
    # qualified / applications of one posting in two channels: the delta-method variance of
    # R_t - R_c equals the sample variance of the per-posting influence differences over n
    rng = np.random.default_rng(22)
    apps_c, apps_t = rng.poisson(8, 40) + 1.0, rng.poisson(11, 40) + 1.0
    qual_c, qual_t = rng.binomial(apps_c.astype(int), 0.4), rng.binomial(apps_t.astype(int), 0.5)
    res = compare_paired_ratios(
        RatioStats.from_units(qual_c, apps_c),
        RatioStats.from_units(qual_t, apps_t),
        PairedStats.from_units(qual_c, qual_t, apps_c, apps_t),
    )
    r_c, r_t = qual_c.sum() / apps_c.sum(), qual_t.sum() / apps_t.sum()
    phi = (qual_t - r_t * apps_t) / apps_t.mean() - (qual_c - r_c * apps_c) / apps_c.mean()
    se = np.sqrt(phi.var(ddof=1) / phi.size)
    crit = stats.t.isf(0.025, phi.size - 1)
    np.testing.assert_allclose(res.diff, r_t - r_c)
    np.testing.assert_allclose(res.diff_ci_high - res.diff, crit * se, rtol=1e-10)
    # Fieller: at each end θ of the ratio interval the t statistic of R_t - θ R_c is ±crit
    infl_t = (qual_t - r_t * apps_t) / apps_t.mean()
    infl_c = (qual_c - r_c * apps_c) / apps_c.mean()
    for theta in (1 + float(res.lift_ci_low), 1 + float(res.lift_ci_high)):
        se_theta = np.sqrt((infl_t - theta * infl_c).var(ddof=1) / phi.size)
        assert abs(r_t - theta * r_c) / se_theta == pytest.approx(crit, rel=1e-9)


def test_zero_hires_gives_open_interval() -> None:
    control = RatioStats.from_units([4000.0, 4000, 4000], [1.0, 0, 1])
    treatment = RatioStats.from_units([900.0, 1200, 700], [0.0, 0, 0])
    res = compare_ratios(control, treatment)
    assert np.isnan(res.treatment_value)
    assert (float(res.diff_ci_low), float(res.diff_ci_high)) == (-np.inf, np.inf)
    assert res.to_dict()["diff_ci_high"] is None  # JSON-safe


def test_poisson_totals_match_the_exact_conditional_test() -> None:
    from statsmodels.stats.rates import test_poisson_2indep

    # > poisson.exact(c(60, 30), c(51477.5, 54308.7), tsmethod="minlike")  (R, exactci)
    # p-value = 0.000675182658686321 (the reference value quoted by statsmodels' tests)
    res = compare_poisson_totals(30, 54308.7, 60, 51477.5)
    assert float(res.p_value) == pytest.approx(0.000675182658686321, rel=1e-9)
    ref = test_poisson_2indep(60, 51477.5, 30, 54308.7, method="exact-cond")
    assert float(res.p_value) == pytest.approx(ref.pvalue, rel=1e-12)
    assert float(res.lift) + 1 == pytest.approx(ref.ratio, rel=1e-12)
    # The interval transforms scipy's Clopper-Pearson interval for the conditional share.
    share = stats.binomtest(60, 90, 51477.5 / (51477.5 + 54308.7)).proportion_ci(method="exact")
    scale = 54308.7 / 51477.5
    assert float(res.lift_ci_low) + 1 == pytest.approx(share.low / (1 - share.low) * scale)
    assert float(res.lift_ci_high) + 1 == pytest.approx(share.high / (1 - share.high) * scale)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(5)
    cost_c, hires_c = np.full(60, 4500.0), rng.binomial(1, 0.6, 60).astype(float)
    cost_t, hires_t = rng.gamma(4, 300, 60), rng.binomial(1, 0.65, 60).astype(float)
    a = bootstrap_ratios(cost_c, hires_c, cost_t, hires_t, rng=7)
    b = bootstrap_ratios(cost_c, hires_c, cost_t, hires_t, rng=7)
    assert a.comparison.to_dict() == b.comparison.to_dict()
    comp = a.comparison
    assert comp.diff_ci_low < comp.diff < comp.diff_ci_high
    delta = compare_ratios(
        RatioStats.from_units(cost_c, hires_c), RatioStats.from_units(cost_t, hires_t)
    )
    width = float(delta.diff_ci_high - delta.diff_ci_low)
    assert float(comp.diff_ci_high - comp.diff_ci_low) == pytest.approx(width, rel=0.2)


def test_kaplan_meier_and_log_rank_match_statsmodels() -> None:
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    rng = np.random.default_rng(6)
    t_c, t_t = rng.exponential(45, 50).round() + 1, rng.exponential(30, 50).round() + 1
    e_c, e_t = (rng.random(50) < 0.7).astype(float), (rng.random(50) < 0.8).astype(float)
    km = kaplan_meier(t_c, e_c)
    ref = SurvfuncRight(t_c, e_c)
    np.testing.assert_allclose(km.survival, ref.surv_prob)
    assert float(km.median) == ref.quantile(0.5)
    res = compare_time_to_event(t_c, e_c, t_t, e_t, rng=1)
    _, p = survdiff(np.r_[t_c, t_t], np.r_[e_c, e_t], np.r_[np.zeros(50), np.ones(50)])
    assert float(res.p_value) == pytest.approx(p, rel=1e-10)
    assert res.method == "log_rank"


def test_nothing_censored_falls_back_to_mann_whitney() -> None:
    t_c, t_t = np.arange(1.0, 21.0), np.arange(5.0, 25.0)
    res = compare_time_to_event(t_c, np.ones(20), t_t, np.ones(20))
    assert float(res.p_value) == pytest.approx(stats.mannwhitneyu(t_t, t_c).pvalue)
    assert res.method == "mann_whitney"


def test_median_never_reached_gives_open_intervals() -> None:
    # most postings still open: the medians are not reached in most resamples, so the
    # intervals are open — from -inf for the difference, from -1 for the relative change
    t = np.array([10.0, 60, 60, 60, 60, 60])
    e = np.array([1.0, 1, 1, 0, 0, 0])
    res = compare_time_to_event(t, e, t, e, rng=2)
    assert float(res.diff_ci_low) == -np.inf
    assert float(res.diff_ci_high) == np.inf
    assert float(res.lift_ci_low) == -1.0
    assert float(res.lift_ci_high) == np.inf


def test_landing_page_ab_test_real_data(real_data: Path) -> None:
    import pandas as pd

    with (
        zipfile.ZipFile(real_data / "ab_data.csv.zip") as archive,
        archive.open("ab_data.csv") as handle,
    ):
        data = pd.read_csv(handle)
    aligned = data[(data["group"] == "control") == (data["landing_page"] == "old_page")]
    aligned = aligned.drop_duplicates("user_id")
    counts = aligned.groupby("group")["converted"].agg(["sum", "count"])
    (xc, nc), (xt, nt) = counts.loc["control"], counts.loc["treatment"]
    res = compare_proportions(xc, nc, xt, nt)
    _, p = proportions_ztest([xt, xc], [nt, nc])
    assert float(res.p_value) == pytest.approx(p, rel=1e-9)
    assert float(res.p_value) > 0.05  # the well-known null result of this test


COUNTS_C = np.array([0.0, 3, 12, 5, 1, 30, 7, 2])
COUNTS_T = np.array([8.0, 14, 2, 40, 9, 22, 11, 6])


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_one_sided_count_interval_is_scipys_welch(alternative: str) -> None:
    """Before, a one-sided p-value stood beside a two-sided interval; the reference is
    scipy.stats.ttest_ind(..., equal_var=False, alternative=...).confidence_interval()."""
    res = compare_counts(
        RatioStats.from_units(COUNTS_C),
        RatioStats.from_units(COUNTS_T),
        alternative=alternative,  # type: ignore[arg-type]
    )
    ref = stats.ttest_ind(COUNTS_T, COUNTS_C, equal_var=False, alternative=alternative)
    ci = ref.confidence_interval(0.95)
    assert float(res.p_value) == pytest.approx(ref.pvalue, rel=1e-9)
    assert float(res.diff_ci_low) == pytest.approx(ci.low, rel=1e-9)
    assert float(res.diff_ci_high) == pytest.approx(ci.high, rel=1e-9)
    if alternative == "greater":
        assert float(res.lift_ci_high) == np.inf
    else:
        assert float(res.lift_ci_low) == -1.0


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_one_sided_paired_interval_is_scipys_paired_t(alternative: str) -> None:
    res = compare_paired_ratios(
        RatioStats.from_units(COUNTS_C),
        RatioStats.from_units(COUNTS_T),
        PairedStats.from_units(COUNTS_C, COUNTS_T),
        alternative=alternative,  # type: ignore[arg-type]
    )
    ref = stats.ttest_rel(COUNTS_T, COUNTS_C, alternative=alternative)
    ci = ref.confidence_interval(0.95)
    assert float(res.p_value) == pytest.approx(ref.pvalue, rel=1e-9)
    assert float(res.diff_ci_low) == pytest.approx(ci.low, rel=1e-9)
    assert float(res.diff_ci_high) == pytest.approx(ci.high, rel=1e-9)


def test_one_sided_lift_interval_agrees_with_the_one_sided_test() -> None:
    rng = np.random.default_rng(8)
    x_c = rng.negative_binomial(1.5, 1.5 / (1.5 + 6.0), (2000, 12))
    x_t = rng.negative_binomial(1.5, 1.5 / (1.5 + 9.0), (2000, 12))
    c, t = RatioStats.from_units(x_c), RatioStats.from_units(x_t)
    for alternative in ("greater", "less"):
        res = compare_counts(c, t, alternative=alternative)
        excludes = (res.lift_ci_low > 0) | (res.lift_ci_high < 0)
        defined = np.isfinite(res.lift)
        np.testing.assert_array_equal(excludes[defined], (res.p_value < 0.05)[defined])


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_one_sided_poisson_interval_is_one_sided_clopper_pearson(alternative: str) -> None:
    """The rate ratio's bound transforms scipy's one-sided exact binomial interval."""
    res = compare_poisson_totals(30, 20.0, 60, 25.0, alternative=alternative)  # type: ignore[arg-type]
    ref = stats.binomtest(60, 90, 25.0 / 45.0, alternative=alternative)  # type: ignore[arg-type]
    ci = ref.proportion_ci(0.95, method="exact")
    scale = 20.0 / 25.0
    assert float(res.p_value) == pytest.approx(ref.pvalue, rel=1e-9)
    if alternative == "greater":
        assert float(res.lift_ci_low) + 1 == pytest.approx(ci.low / (1 - ci.low) * scale)
        assert float(res.lift_ci_high) == np.inf
        assert float(res.diff_ci_high) == np.inf
    else:
        assert float(res.lift_ci_low) == -1.0
        assert float(res.lift_ci_high) + 1 == pytest.approx(ci.high / (1 - ci.high) * scale)
        assert float(res.diff_ci_low) == -np.inf


def test_bootstrap_lift_of_a_zero_hire_arm_is_open_from_minus_one() -> None:
    """Cost per hire with no hires in the control: the delta method gives the lift (-1, inf)
    and the bootstrap gave (-inf, inf) — a lift below -100 % is impossible."""
    cost, no_hires = [1000.0, 2000.0, 1500.0], [0.0, 0.0, 0.0]
    delta = compare_ratios(
        RatioStats.from_units(cost, no_hires), RatioStats.from_units(cost, [1.0, 0.0, 2.0])
    )
    boot = bootstrap_ratios(cost, no_hires, cost, [1.0, 0.0, 2.0], rng=1).comparison
    for res in (delta, boot):
        assert float(res.lift_ci_low) == -1.0
        assert float(res.lift_ci_high) == np.inf
        assert float(res.diff_ci_low) == -np.inf


def test_no_lift_interval_goes_below_minus_one() -> None:
    rng = np.random.default_rng(4)
    cost_c, cost_t = rng.gamma(2.0, 3000.0, (400, 5)), rng.gamma(2.0, 3000.0, (400, 5))
    hires_c, hires_t = rng.poisson(0.5, (400, 5)), rng.poisson(0.3, (400, 5))
    delta = compare_ratios(
        RatioStats.from_units(cost_c, hires_c), RatioStats.from_units(cost_t, hires_t)
    )
    assert np.all(delta.lift_ci_low[np.isfinite(delta.lift_ci_low)] >= -1.0)
    totals = compare_poisson_totals(hires_c.sum(1), 5.0, hires_t.sum(1), 5.0)
    assert np.all(totals.lift_ci_low[np.isfinite(totals.lift_ci_low)] >= -1.0)
    for i in range(20):
        boot = bootstrap_ratios(cost_c[i], hires_c[i], cost_t[i], hires_t[i], rng=i).comparison
        assert float(boot.lift_ci_low) >= -1.0
