"""Empirical Bayes pooling: the fitted hyperparameters, shrinkage direction, edge cases."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import optimize, stats

from rekrut.stats._pooling import PooledEstimate, pool_beta_binomial, pool_gamma_poisson

# Efron & Morris (1975), Table 1: hits in the first 45 at-bats of the 1970 season and the
# batting average over the remainder of the season, 18 players (as tabulated in the Stan
# case study "Hierarchical Partial Pooling for Repeated Binary Trials",
# stan-dev/example-models knitr/pool-binary-trials/efron-morris-75-data.tsv).
HITS = np.array([18, 17, 16, 15, 14, 14, 13, 12, 11, 11, 10, 10, 10, 10, 10, 9, 8, 7])
REMAINDER = np.array(
    [0.346, 0.2981, 0.2764, 0.2218, 0.2727, 0.2704, 0.2645, 0.2101, 0.2686, 0.23, 0.2639,
     0.2258, 0.3034, 0.2635, 0.3299, 0.2849, 0.3162, 0.2]
)  # fmt: skip


def _brute_force_beta(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Nelder-Mead on scipy's beta-binomial log-pmf (no bounds, no gradients)."""

    def nll(z: np.ndarray) -> float:
        return -float(stats.betabinom.logpmf(k, n, *np.exp(z)).sum())

    res = optimize.minimize(
        nll, [0.0, 1.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12}
    )
    return np.asarray(np.exp(res.x), dtype=np.float64)


def _brute_force_gamma(y: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Nelder-Mead on scipy's negative-binomial log-pmf with size a and p = b / (b + e)."""

    def nll(z: np.ndarray) -> float:
        a, b = np.exp(z)
        return -float(stats.nbinom.logpmf(y, a, b / (b + e)).sum())

    res = optimize.minimize(
        nll, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12}
    )
    return np.asarray(np.exp(res.x), dtype=np.float64)


def test_beta_hyperparameters_match_brute_force_maximisation() -> None:
    rng = np.random.default_rng(11)
    n = rng.integers(5, 200, 40)
    k = rng.binomial(n, rng.beta(4.0, 16.0, 40))
    res = pool_beta_binomial(k, n)
    np.testing.assert_allclose([res.prior_a, res.prior_b], _brute_force_beta(k, n), rtol=1e-4)


def test_gamma_hyperparameters_match_brute_force_maximisation() -> None:
    rng = np.random.default_rng(12)
    e = rng.uniform(1.0, 30.0, 40)
    y = rng.poisson(rng.gamma(3.0, 0.5, 40) * e)
    res = pool_gamma_poisson(y, e)
    np.testing.assert_allclose([res.prior_a, res.prior_b], _brute_force_gamma(y, e), rtol=1e-4)


def _constrained_beta(k: np.ndarray, n: np.ndarray) -> float:
    """The best beta-binomial log-likelihood under the documented bounds, by plain SLSQP."""
    cap = n.sum() - n.max() + 1.0

    def nll(z: np.ndarray) -> float:
        return -float(stats.betabinom.logpmf(k, n, *np.exp(z)).sum())

    best = -np.inf
    for start in ([0.0, 0.0], [np.log(cap / 4), np.log(cap / 4)]):
        res = optimize.minimize(
            nll, start, method="SLSQP", bounds=[(np.log(0.5), np.log(cap))] * 2,
            constraints=[{"type": "ineq", "fun": lambda z: cap - np.exp(z).sum()}],
            options={"ftol": 1e-14, "maxiter": 1000},
        )  # fmt: skip
        best = max(best, -res.fun)
    return best


PATTERNS = ["heterogeneous", "identical", "rare", "zeros_and_ones"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_beta_fit_reaches_the_constrained_maximum(pattern: str) -> None:
    # Interior optima, complete pooling (the prior-size limit binds) and extreme groups: the
    # fitted prior is never worse than a plain constrained maximisation of the likelihood.
    rng = np.random.default_rng(PATTERNS.index(pattern))
    for _ in range(15):
        groups = int(rng.integers(2, 50))
        n = rng.integers(1, 300, groups)
        if pattern == "heterogeneous":
            p = rng.beta(*rng.uniform(0.3, 30.0, 2), groups)
        elif pattern == "identical":
            p = np.full(groups, rng.uniform(0.01, 0.99))
        elif pattern == "rare":
            p = np.full(groups, rng.uniform(0.001, 0.01))
        else:
            p = rng.choice([0.0, 1.0, rng.uniform()], groups)
        k = rng.binomial(n, p)
        res = pool_beta_binomial(k, n)
        fitted = stats.betabinom.logpmf(k, n, res.prior_a, res.prior_b).sum()
        assert res.prior_a + res.prior_b <= n.sum() - n.max() + 1.0 + 1e-6
        assert fitted >= _constrained_beta(k, n) - 1e-7


def _constrained_gamma(y: np.ndarray, e: np.ndarray) -> float:
    """The best negative-binomial log-likelihood with a >= 1/2 and b <= the other exposure."""
    cap = e.sum() - e.max()

    def nll(z: np.ndarray) -> float:
        a, b = np.exp(z)
        return -float(stats.nbinom.logpmf(y, a, b / (b + e)).sum())

    best = -np.inf
    for start in ([0.0, 0.0], [np.log(10.0), np.log(cap / 2)]):
        res = optimize.minimize(
            nll, start, method="L-BFGS-B", bounds=[(np.log(0.5), 20.0), (-20.0, np.log(cap))],
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000},
        )  # fmt: skip
        best = max(best, -res.fun)
    return best


@pytest.mark.parametrize("pattern", ["heterogeneous", "identical"])
def test_gamma_fit_reaches_the_constrained_maximum(pattern: str) -> None:
    rng = np.random.default_rng(10 + ["heterogeneous", "identical"].index(pattern))
    for _ in range(15):
        groups = int(rng.integers(3, 50))
        e = rng.uniform(0.5, 40.0, groups)
        rate = rng.gamma(rng.uniform(0.5, 30.0), 1.0, groups) if pattern == "heterogeneous" else 3.0
        y = rng.poisson(rate * e)
        res = pool_gamma_poisson(y, e)
        fitted = stats.nbinom.logpmf(y, res.prior_a, res.prior_b / (res.prior_b + e)).sum()
        assert res.prior_b <= e.sum() - e.max() + 1e-6
        assert fitted >= _constrained_gamma(y, e) - 1e-7


def test_flat_likelihood_ridges_are_followed_to_the_bound() -> None:
    # Rare events in many groups and rates that barely differ: the likelihood keeps rising,
    # ever more slowly, towards complete pooling. The fit must reach the bound rather than stop
    # on the ridge.
    k = np.array([1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 2, 0, 1, 3, 2, 1, 0, 1, 0, 0, 0, 1, 2])
    n = np.array(
        [131, 72, 110, 127, 68, 88, 273, 56, 240, 134, 123, 111, 65, 158, 267, 171, 185, 219,
         138, 249, 256, 10, 136, 26, 50, 253, 63]
    )  # fmt: skip
    res = pool_beta_binomial(k, n)
    np.testing.assert_allclose(res.prior_a + res.prior_b, n.sum() - n.max() + 1.0, rtol=1e-6)
    fitted = stats.betabinom.logpmf(k, n, res.prior_a, res.prior_b).sum()
    assert fitted >= _constrained_beta(k, n) - 1e-7
    y = np.array([146, 76, 161, 68, 101, 4, 19, 17, 22, 129, 110, 75, 6])
    e = np.array(
        [34.47, 18.89, 36.11, 14.79, 22.21, 1.61, 3.78, 3.43, 4.58, 30.62, 21.37, 18.21, 0.69]
    )
    counts = pool_gamma_poisson(y, e)
    np.testing.assert_allclose(counts.prior_b, e.sum() - e.max(), rtol=1e-6)


def test_posterior_is_the_conjugate_update_of_the_fitted_prior() -> None:
    k, n = np.array([3, 40, 9, 0]), np.array([20, 120, 30, 5])
    res = pool_beta_binomial(k, n, credible_level=0.9)
    post = stats.beta(res.prior_a + k, res.prior_b + n - k)
    np.testing.assert_allclose(res.mean, post.mean())
    np.testing.assert_allclose(res.ci_low, post.ppf(0.05))
    np.testing.assert_allclose(res.ci_high, post.ppf(0.95))
    prior_mean = res.prior_a / (res.prior_a + res.prior_b)
    np.testing.assert_allclose(res.mean, res.shrinkage * prior_mean + (1 - res.shrinkage) * k / n)


def test_gamma_posterior_is_the_conjugate_update_of_the_fitted_prior() -> None:
    y, e = np.array([3, 120, 40, 75, 0]), np.array([1.0, 20.0, 10.0, 15.0, 2.0])
    res = pool_gamma_poisson(y, e)
    post = stats.gamma(res.prior_a + y, scale=1 / (res.prior_b + e))
    np.testing.assert_allclose(res.mean, post.mean())
    np.testing.assert_allclose(res.ci_low, post.ppf(0.025))
    np.testing.assert_allclose(res.ci_high, post.ppf(0.975))
    np.testing.assert_allclose(
        res.mean, res.shrinkage * res.prior_a / res.prior_b + (1 - res.shrinkage) * y / e
    )


def test_efron_morris_batting_averages_shrink_towards_the_mean_and_predict_better() -> None:
    res = pool_beta_binomial(HITS, np.full(18, 45))
    grand = HITS.sum() / (18 * 45)
    # Every estimate moves towards the grand mean, keeps its order, and predicts the rest of
    # the season better than the raw averages: Efron & Morris report a total squared error
    # about 3.5 times smaller for the James-Stein estimate.
    assert np.all(np.abs(res.mean - grand) < np.abs(res.raw - grand))
    assert np.all(np.diff(res.mean) <= 0)
    raw_error = np.sum((res.raw - REMAINDER) ** 2)
    pooled_error = np.sum((res.mean - REMAINDER) ** 2)
    assert pooled_error < raw_error / 2


def test_small_groups_move_more_than_large_ones() -> None:
    k, n = np.array([1, 10, 100, 30]), np.array([10, 100, 1000, 100])
    res = pool_beta_binomial(k, n)
    assert res.shrinkage[0] > res.shrinkage[1] > res.shrinkage[2]
    moved = np.abs(res.mean - res.raw)
    assert moved[0] >= moved[1] >= moved[2]
    y, e = np.array([1, 10, 100, 60]), np.array([1.0, 10.0, 100.0, 20.0])
    counts = pool_gamma_poisson(y, e)
    assert counts.shrinkage[0] > counts.shrinkage[1] > counts.shrinkage[2]


def test_identical_groups_pool_completely_without_a_degenerate_interval() -> None:
    res = pool_beta_binomial([5, 10, 15], [10, 20, 30])
    np.testing.assert_allclose(res.mean, 0.5)
    # the prior size sits at its bound: all trials but the largest group's, plus one
    np.testing.assert_allclose(res.prior_a + res.prior_b, 31.0, rtol=1e-6)
    # the interval is about as wide as the pooled Jeffreys interval for 30 of 60, not ~0
    pooled = stats.beta(30.5, 30.5).interval(0.95)
    width = res.ci_high - res.ci_low
    assert np.all(width > 0.8 * (pooled[1] - pooled[0]))
    counts = pool_gamma_poisson([10, 20, 30], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(counts.prior_b, 3.0, rtol=1e-6)
    assert np.all(counts.ci_high - counts.ci_low > 3.0)


def test_one_group_gets_jeffreys_posterior() -> None:
    res = pool_beta_binomial([3], [10])
    np.testing.assert_allclose([res.prior_a, res.prior_b], [0.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(
        [res.ci_low[0], res.ci_high[0]], stats.beta(3.5, 7.5).interval(0.95), rtol=1e-5
    )
    counts = pool_gamma_poisson([4], [2.0])
    assert counts.ci_low[0] < 2.0 < counts.ci_high[0]
    np.testing.assert_allclose(counts.prior_a, 0.5, rtol=1e-6)


def test_zero_counts_give_wide_intervals_above_zero() -> None:
    res = pool_beta_binomial([0, 0, 0], [10, 20, 30])
    np.testing.assert_allclose(res.raw, 0.0)
    assert np.all(res.mean > 0)
    # at least as wide as the upper Jeffreys bound for 0 of all 60 trials
    assert np.all(res.ci_high > stats.beta(0.5, 60.5).ppf(0.975) * 0.9)
    counts = pool_gamma_poisson([0, 0, 0], [1.0, 2.0, 3.0])
    assert np.all(counts.mean > 0)
    assert np.all(np.isfinite(counts.ci_high))


def test_group_without_trials_gets_the_prior_and_nan_raw_rate() -> None:
    res = pool_beta_binomial([0, 5, 9], [0, 10, 30])
    assert np.isnan(res.raw[0])
    assert res.shrinkage[0] == 1.0
    np.testing.assert_allclose(res.mean[0], res.prior_a / (res.prior_a + res.prior_b))
    counts = pool_gamma_poisson([0, 5, 9], [0.0, 10.0, 30.0])
    assert np.isnan(counts.raw[0])
    assert counts.shrinkage[0] == 1.0


def test_huge_counts_do_not_break_the_fit() -> None:
    res = pool_beta_binomial([10**8, 2 * 10**8], [10**9, 2 * 10**9])
    np.testing.assert_allclose(res.mean, 0.1, rtol=1e-6)
    assert np.all(res.ci_low < res.mean)
    assert np.all(res.mean < res.ci_high)


def test_result_is_json_safe_and_contains_its_estimates() -> None:
    res = pool_beta_binomial([0, 5, 9], [0, 10, 30])
    assert isinstance(res, PooledEstimate)
    data = json.loads(json.dumps(res.to_dict()))
    assert data["raw"][0] is None
    assert np.all((res.ci_low <= res.mean) & (res.mean <= res.ci_high))
    assert np.all((res.shrinkage >= 0) & (res.shrinkage <= 1))


@pytest.mark.parametrize(
    ("successes", "trials", "match"),
    [
        ([1, 2], [1], "same shape"),
        ([[1]], [[2]], "1-d"),
        ([3], [2], "exceed"),
        ([-1], [2], "non-negative"),
        ([0, 0], [0, 0], "positive total"),
        ([np.nan], [2], "finite"),
    ],
)
def test_bad_input_names_the_parameter(successes: object, trials: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pool_beta_binomial(successes, trials)  # type: ignore[arg-type]


def test_bad_credible_level_is_rejected() -> None:
    with pytest.raises(ValueError, match="credible_level"):
        pool_gamma_poisson([1], [1.0], credible_level=1.5)


@pytest.mark.slow
def test_pooled_beta_intervals_cover_near_nominal_with_many_groups() -> None:
    # 98 groups (one per municipality) drawn from Beta(6, 24), 10 to 80 trials each, 300
    # replications: the plug-in intervals cover the true rates about 94% of the time. With
    # 10 groups the same setting gives about 84% (see docs/methods/pooling.md).
    rng = np.random.default_rng(2024)
    covered = []
    for _ in range(300):
        n = rng.integers(10, 80, 98)
        p = rng.beta(6.0, 24.0, 98)
        res = pool_beta_binomial(rng.binomial(n, p), n)
        covered.append(np.mean((res.ci_low <= p) & (p <= res.ci_high)))
    assert 0.93 < np.mean(covered) < 0.97


@pytest.mark.slow
def test_pooled_gamma_intervals_cover_near_nominal() -> None:
    # 30 groups with rates from Gamma(4, rate 2) and exposure 5 to 40, 300 replications.
    rng = np.random.default_rng(2024)
    covered = []
    for _ in range(300):
        e = rng.uniform(5.0, 40.0, 30)
        lam = rng.gamma(4.0, 0.5, 30)
        res = pool_gamma_poisson(rng.poisson(lam * e), e)
        covered.append(np.mean((res.ci_low <= lam) & (lam <= res.ci_high)))
    assert 0.93 < np.mean(covered) < 0.97
