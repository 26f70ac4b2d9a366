"""Bayesian comparisons: exact quantities against independent references, properties, calibration."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import integrate, special, stats

from rekrut.stats._bayes import (
    BayesComparison,
    bayes_compare_cost_per_outcome,
    bayes_compare_counts,
    bayes_compare_poisson_totals,
    bayes_compare_proportions,
    bayes_prob_best_proportions,
    dispersion_factor,
    posterior_prob_best_gamma,
    prior_from_history,
    rope_decision,
)


def _miller(a_c: int, b_c: int, a_t: int, b_t: int) -> float:
    """P(p_t > p_c), Evan Miller's closed form sum for integer a_t (evanmiller.org, 2015)."""
    total = 0.0
    for i in range(a_t):
        total += np.exp(
            special.betaln(a_c + i, b_c + b_t)
            - np.log(b_t + i)
            - special.betaln(1 + i, b_t)
            - special.betaln(a_c, b_c)
        )
    return total


def _quad_greater(t: stats.rv_continuous, c: stats.rv_continuous) -> float:
    """P(T > C) = ∫ f_c(x) (1 - F_t(x)) dx by adaptive quadrature over C's support."""
    lo, hi = c.ppf(1e-12), c.isf(1e-12)
    return float(integrate.quad(lambda x: c.pdf(x) * t.sf(x), lo, hi, limit=200)[0])


@pytest.mark.parametrize(
    ("k_c", "n_c", "k_t", "n_t"),
    [(30, 100, 45, 100), (0, 10, 3, 10), (5, 50, 5, 50), (12, 40, 2, 35), (1, 3, 2, 4)],
)
def test_prob_better_matches_evan_millers_closed_form(
    k_c: int, n_c: int, k_t: int, n_t: int
) -> None:
    res = bayes_compare_proportions(k_c, n_c, k_t, n_t, n_draws=100, rng=0)
    expected = _miller(1 + k_c, 1 + n_c - k_c, 1 + k_t, 1 + n_t - k_t)
    np.testing.assert_allclose(res.prob_better, expected, atol=1e-12)


def test_prob_better_matches_the_closed_form_on_random_cells() -> None:
    """Random cells from 1 to 1,500 trials and success rates from 0.05 % to 95 %: within
    1e-11 where every shape is at least 5, within 5e-8 with very few successes or failures."""
    rng = np.random.default_rng(21)
    n = rng.integers(1, 1500, size=(2, 1500))
    x = rng.binomial(n, np.exp(rng.uniform(np.log(5e-4), np.log(0.95), size=(2, 1500))))
    res = bayes_compare_proportions(x[0], n[0], x[1], n[1])
    a, b = 1 + x, 1 + n - x
    expected = np.array([_miller(*cell) for cell in zip(a[0], b[0], a[1], b[1], strict=True)])
    error = np.abs(res.prob_better - expected)
    large = np.minimum(a, b).min(axis=0) >= 5
    assert large.sum() > 300
    assert (~large).sum() > 300
    assert error[large].max() < 1e-11
    assert error.max() < 5e-8


def test_expected_loss_matches_quadrature_on_random_cells() -> None:
    """E[max(p_c - p_t, 0)] = ∫ f_t(y) E[max(p_c - y, 0)] dy, the inner expectation in
    closed form, the outer by adaptive quadrature."""
    rng = np.random.default_rng(22)
    n = rng.integers(1, 800, size=(2, 40))
    x = rng.binomial(n, rng.uniform(0.01, 0.9, size=(2, 40)))
    res = bayes_compare_proportions(x[0], n[0], x[1], n[1])
    for i in range(40):
        c = stats.beta(1 + x[0, i], 1 + n[0, i] - x[0, i])
        c_plus = stats.beta(2 + x[0, i], 1 + n[0, i] - x[0, i])  # size-biased
        t = stats.beta(1 + x[1, i], 1 + n[1, i] - x[1, i])

        def inner(y: float, c=c, c_plus=c_plus, t=t) -> float:
            return float(t.pdf(y) * (c.mean() * c_plus.sf(y) - y * c.sf(y)))

        expected = integrate.quad(
            inner, *t.ppf([1e-13, 1 - 1e-13]), epsabs=1e-14, epsrel=1e-10, limit=200
        )[0]
        assert abs(res.expected_loss[i] - expected) <= 1e-8 * expected + 1e-13, i


def test_prob_better_and_loss_with_millions_of_trials() -> None:
    """A national job board: millions of views per arm. P(better) against Evan Miller's sum
    (two million terms), the loss against quadrature with scipy's beta functions."""
    k_c, n_c, k_t, n_t = 41_200, 2_000_000, 41_650, 2_000_000
    res = bayes_compare_proportions(k_c, n_c, k_t, n_t)
    a_c, b_c, a_t, b_t = 1 + k_c, 1 + n_c - k_c, 1 + k_t, 1 + n_t - k_t
    i = np.arange(a_t)
    terms = (
        special.betaln(a_c + i, b_c + b_t)
        - np.log(b_t + i)
        - special.betaln(1 + i, b_t)
        - special.betaln(a_c, b_c)
    )
    np.testing.assert_allclose(res.prob_better, np.exp(terms).sum(), atol=1e-10)
    c, c_plus, t = stats.beta(a_c, b_c), stats.beta(a_c + 1, b_c), stats.beta(a_t, b_t)
    expected = integrate.quad(
        lambda y: t.pdf(y) * (c.mean() * c_plus.sf(y) - y * c.sf(y)),
        *t.ppf([1e-13, 1 - 1e-13]),
        epsabs=0,
        epsrel=1e-10,
        limit=200,
    )[0]
    np.testing.assert_allclose(res.expected_loss, expected, rtol=1e-8)


def test_prob_better_matches_quadrature_when_arms_differ_hugely_in_size() -> None:
    res = bayes_compare_proportions(3, 10, 300_500, 1_000_000, n_draws=100, rng=0)
    expected = _quad_greater(stats.beta(300_501, 699_501), stats.beta(4, 8))
    np.testing.assert_allclose(res.prob_better, expected, atol=1e-7)


def test_expected_loss_matches_quadrature_and_monte_carlo() -> None:
    res = bayes_compare_proportions(30, 100, 36, 100, n_draws=100, rng=0)
    c, t = stats.beta(31, 71), stats.beta(37, 65)
    # E[max(p_c - p_t, 0)] = ∫∫_{x > y} (x - y) f_c(x) f_t(y)
    inner = integrate.dblquad(
        lambda y, x: (x - y) * c.pdf(x) * t.pdf(y), 0, 1, 0, lambda x: x, epsabs=1e-11
    )[0]
    np.testing.assert_allclose(res.expected_loss, inner, rtol=1e-7)
    rng = np.random.default_rng(5)
    draws_c, draws_t = c.rvs(2_000_000, random_state=rng), t.rvs(2_000_000, random_state=rng)
    np.testing.assert_allclose(
        res.expected_loss, np.maximum(draws_c - draws_t, 0).mean(), rtol=0.01
    )


def test_beta_intervals_agree_with_independent_monte_carlo() -> None:
    res = bayes_compare_proportions(30, 100, 45, 100, n_draws=200_000, rng=1)
    rng = np.random.default_rng(9)
    c, t = rng.beta(31, 71, 1_000_000), rng.beta(46, 56, 1_000_000)
    np.testing.assert_allclose(
        [res.diff_ci_low, res.diff_ci_high], np.quantile(t - c, [0.025, 0.975]), atol=0.002
    )
    np.testing.assert_allclose(
        [res.lift_ci_low, res.lift_ci_high], np.quantile(t / c - 1, [0.025, 0.975]), atol=0.01
    )


def test_gamma_poisson_exact_quantities_match_monte_carlo() -> None:
    res = bayes_compare_poisson_totals(40, 10.0, 55, 12.0, n_draws=100, rng=0)
    rng = np.random.default_rng(3)
    c, t = rng.gamma(40.5, 1 / 10.0, 2_000_000), rng.gamma(55.5, 1 / 12.0, 2_000_000)
    np.testing.assert_allclose(res.prob_better, np.mean(t > c), atol=0.002)
    np.testing.assert_allclose(res.expected_loss, np.maximum(c - t, 0).mean(), rtol=0.01)
    np.testing.assert_allclose(
        [res.lift_ci_low, res.lift_ci_high], np.quantile(t / c - 1, [0.025, 0.975]), atol=0.003
    )
    # and P(λ_t > λ_c) by adaptive quadrature
    np.testing.assert_allclose(
        res.prob_better,
        _quad_greater(stats.gamma(55.5, scale=1 / 12), stats.gamma(40.5, scale=1 / 10)),
        atol=1e-8,
    )


def test_cost_per_outcome_matches_monte_carlo_of_its_model() -> None:
    res = bayes_compare_cost_per_outcome(60_000, 20, 12, 40_000, 20, 14, n_draws=100_000, rng=2)
    rng = np.random.default_rng(4)
    # cost per posting / hire rate, hire rate ~ Gamma(2 + hires, 2 + postings)
    c = 3000 / rng.gamma(14, 1 / 22, 2_000_000)
    t = 2000 / rng.gamma(16, 1 / 22, 2_000_000)
    np.testing.assert_allclose(res.control_value, c.mean(), rtol=0.01)
    np.testing.assert_allclose(res.prob_better, np.mean(t < c), atol=0.002)
    np.testing.assert_allclose(res.expected_loss, np.maximum(t - c, 0).mean(), rtol=0.03)
    np.testing.assert_allclose(
        [res.lift_ci_low, res.lift_ci_high], np.quantile(t / c - 1, [0.025, 0.975]), atol=0.01
    )
    np.testing.assert_allclose(
        [res.diff_ci_low, res.diff_ci_high], np.quantile(t - c, [0.025, 0.975]), rtol=0.03
    )


def test_arm_without_outcomes_has_a_finite_wide_cost_posterior() -> None:
    res = bayes_compare_cost_per_outcome(50_000, 10, 0, 50_000, 10, 8, n_draws=2000, rng=0)
    assert np.isfinite(res.control_value)
    assert res.control_value > 5 * res.treatment_value
    assert np.isfinite(res.diff_ci_low)
    assert res.prob_better > 0.99
    free = bayes_compare_cost_per_outcome(50_000, 10, 3, 0, 10, 0, n_draws=2000, rng=0)
    assert free.treatment_value == 0.0
    assert free.prob_better == 1.0


def test_swapping_arms_flips_diff_and_prob_better() -> None:
    a = bayes_compare_proportions(12, 80, 20, 90, n_draws=20_000, rng=1)
    b = bayes_compare_proportions(20, 90, 12, 80, n_draws=20_000, rng=1)
    np.testing.assert_allclose(a.diff, -b.diff)
    np.testing.assert_allclose(a.prob_better, 1 - b.prob_better, atol=1e-12)
    np.testing.assert_allclose(a.diff_ci_low, -b.diff_ci_high, atol=0.005)


def test_direction_lower_reverses_better_and_loss() -> None:
    hi = bayes_compare_poisson_totals(40, 10.0, 55, 12.0, n_draws=500, rng=0)
    lo = bayes_compare_poisson_totals(40, 10.0, 55, 12.0, direction="lower", n_draws=500, rng=0)
    np.testing.assert_allclose(lo.prob_better, 1 - hi.prob_better)
    # E[max(t - c, 0)] - E[max(c - t, 0)] = E[t - c]
    np.testing.assert_allclose(lo.expected_loss - hi.expected_loss, hi.diff, rtol=1e-8)


def test_all_equal_arms_are_a_coin_flip() -> None:
    res = bayes_compare_proportions([0, 7, 10**6], [10, 20, 10**7], [0, 7, 10**6], [10, 20, 10**7])
    np.testing.assert_allclose(res.prob_better, 0.5, atol=1e-7)
    np.testing.assert_allclose(res.diff, 0.0)


def test_vectorised_equals_looped_and_is_seeded() -> None:
    k_c, k_t = np.array([[0, 5], [17, 40]]), np.array([[1, 9], [20, 38]])
    whole = bayes_compare_proportions(k_c, 50, k_t, 60, rng=7)
    again = bayes_compare_proportions(k_c, 50, k_t, 60, rng=7)
    np.testing.assert_array_equal(whole.diff_ci_low, again.diff_ci_low)
    for idx in np.ndindex(k_c.shape):
        one = bayes_compare_proportions(k_c[idx], 50, k_t[idx], 60, rng=7)
        np.testing.assert_allclose(whole.prob_better[idx], one.prob_better, atol=1e-12)
        np.testing.assert_allclose(whole.expected_loss[idx], one.expected_loss, rtol=1e-9)
        np.testing.assert_allclose(whole.diff_ci_low[idx], one.diff_ci_low, atol=0.01)
    assert whole.diff.shape == (2, 2)


def test_intervals_contain_estimates_and_results_are_json_safe() -> None:
    rng = np.random.default_rng(0)
    n = rng.integers(1, 200, 50)
    res = bayes_compare_proportions(rng.binomial(n, 0.3), n, rng.binomial(n, 0.35), n, rng=1)
    assert np.all((res.diff_ci_low <= res.diff) & (res.diff <= res.diff_ci_high))
    assert np.all((res.lift_ci_low <= res.lift) & (res.lift <= res.lift_ci_high))
    assert np.all((res.prob_better >= 0) & (res.prob_better <= 1))
    assert np.all(res.expected_loss >= 0)
    assert isinstance(res, BayesComparison)
    json.dumps(res.to_dict())


def test_prob_best_with_two_arms_is_the_exact_prob_better() -> None:
    exact = bayes_compare_proportions(30, 100, 38, 100, n_draws=100)
    two = bayes_prob_best_proportions([[30, 38]], [[100, 100]])
    assert two.prob_best.shape == (1, 2)
    np.testing.assert_allclose(two.prob_best[0], [1 - exact.prob_better, exact.prob_better])
    assert np.all(two.mc_error == 0)
    # independently: plain numpy draws from the two posteriors
    rng = np.random.default_rng(3)
    draws = rng.beta([31, 39], [71, 63], size=(400_000, 2))
    assert abs((draws[:, 1] > draws[:, 0]).mean() - two.prob_best[0, 1]) < 0.003
    # the Monte Carlo path for k arms agrees when a third arm has no chance
    three = bayes_prob_best_proportions([[30, 38, 0]], [[100, 100, 1000]], n_draws=200_000, rng=4)
    assert abs(three.prob_best[0, 1] - two.prob_best[0, 1]) < 4 * three.mc_error[0, 1]
    lower = bayes_prob_best_proportions([[30, 38]], [[100, 100]], direction="lower")
    np.testing.assert_allclose(lower.prob_best, two.prob_best[:, ::-1])


def test_posterior_prob_best_gamma_with_two_arms_is_exact() -> None:
    shape, rate = np.array([[20.0, 26.0]]), np.array([[10.0, 11.0]])
    two = posterior_prob_best_gamma(shape, rate)
    rng = np.random.default_rng(5)
    draws = rng.gamma(shape[0], 1 / rate[0], size=(400_000, 2))
    assert abs((draws[:, 1] > draws[:, 0]).mean() - two.prob_best[0, 1]) < 0.003
    three = posterior_prob_best_gamma(
        [[20.0, 26.0, 1.0]], [[10.0, 11.0, 100.0]], n_draws=200_000, rng=6
    )
    assert abs(three.prob_best[0, 1] - two.prob_best[0, 1]) < 4 * three.mc_error[0, 1]
    by_rows = posterior_prob_best_gamma(shape.T, rate.T, axis=0)
    np.testing.assert_allclose(by_rows.prob_best[:, 0], two.prob_best[0])


def test_prob_best_axis_and_direction() -> None:
    k = np.array([[10, 50], [20, 20], [30, 5]])  # arms along axis 0, two cells
    res = bayes_prob_best_proportions(k, 100, axis=0, n_draws=5000, rng=1)
    assert res.prob_best.shape == (2, 3)
    assert res.prob_best[0].argmax() == 2
    assert res.prob_best[1].argmax() == 0
    low = bayes_prob_best_proportions(k, 100, axis=0, direction="lower", n_draws=5000, rng=1)
    assert low.prob_best[0].argmax() == 0


def test_rope_decision_rule() -> None:
    trials = [1000, 10000, 1000, 1000]
    res = bayes_compare_proportions(
        [300, 3000, 30, 400], trials, [400, 3010, 33, 300], trials, n_draws=20_000, rng=1
    )
    decisions = rope_decision(res, rope=(-0.05, 0.05)).tolist()
    assert decisions == ["choose_treatment", "keep_control", "continue", "keep_control"]
    # for a cost (lower is better) a clearly lower treatment is chosen
    cost = bayes_compare_cost_per_outcome(100_000, 50, 40, 50_000, 50, 40, n_draws=5000, rng=1)
    assert rope_decision(cost, rope=(-0.1, 0.1)).tolist() == "choose_treatment"
    # a 10-point difference inside a 20-point ROPE on the absolute scale: equivalent
    assert rope_decision(res, rope=(-0.2, 0.2), on="diff").tolist()[0] == "keep_control"


def test_prior_from_history_is_worth_what_was_asked() -> None:
    prior = prior_from_history(150, 500, worth=50)
    np.testing.assert_allclose(prior.a + prior.b, 50)
    np.testing.assert_allclose(prior.a / (prior.a + prior.b), 150.5 / 501)
    # worth 10 postings when 500 applications came from 100 postings: 50 trials
    per_unit = prior_from_history(150, 500, worth=10, units=100)
    np.testing.assert_allclose(per_unit.a + per_unit.b, 50)
    gamma = prior_from_history([0, 120], [40, 40], worth=20, family="gamma")
    np.testing.assert_allclose(gamma.b, 20)
    np.testing.assert_allclose(gamma.a / gamma.b, [0.5 / 40, 120.5 / 40])
    assert np.all(gamma.a > 0)


def test_dispersion_factor_is_pearson_over_degrees_of_freedom() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.negative_binomial(1.5, 1.5 / 9.5, 40), rng.negative_binomial(1.5, 1.5 / 9.5, 35)
    pearson = ((x - x.mean()) ** 2).sum() / x.mean() + ((y - y.mean()) ** 2).sum() / y.mean()
    phi = dispersion_factor(40, x.sum(), (x**2).sum(), 35, y.sum(), (y**2).sum())
    np.testing.assert_allclose(phi, pearson / 73)
    assert dispersion_factor(1, 3, 9, 1, 5, 25) == 1.0
    assert dispersion_factor(10, 0, 0, 10, 0, 0) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"direction": "up"}, "direction"),
        ({"credible_level": 1.0}, "credible_level"),
        ({"n_draws": 10}, "n_draws"),
        ({"prior_alpha": 0.0}, "prior_alpha"),
    ],
)
def test_bad_options_name_the_parameter(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bayes_compare_proportions(1, 10, 2, 10, **kwargs)  # type: ignore[arg-type]


def test_bad_data_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="successes_t"):
        bayes_compare_proportions(1, 10, 12, 10)
    with pytest.raises(ValueError, match="exposure_c"):
        bayes_compare_poisson_totals(1, 0.0, 2, 1.0)
    with pytest.raises(ValueError, match="prior_shape"):
        bayes_compare_cost_per_outcome(10, 1, 1, 10, 1, 1, prior_shape=1.0)
    with pytest.raises(ValueError, match="rope"):
        rope_decision(bayes_compare_proportions(1, 10, 2, 10, n_draws=100), rope=(0.01, 0.05))


@pytest.mark.slow
def test_credible_intervals_cover_when_truth_is_drawn_from_the_prior() -> None:
    # 4000 cells: p_c, p_t ~ Beta(1, 1) (the prior), 5 to 60 trials per arm. Under the
    # prior the 95% intervals of the difference cover exactly 95% on average.
    rng = np.random.default_rng(2025)
    cells = 4000
    p_c, p_t = rng.uniform(size=cells), rng.uniform(size=cells)
    n_c, n_t = rng.integers(5, 60, cells), rng.integers(5, 60, cells)
    res = bayes_compare_proportions(rng.binomial(n_c, p_c), n_c, rng.binomial(n_t, p_t), n_t)
    truth = p_t - p_c
    coverage = np.mean((res.diff_ci_low <= truth) & (truth <= res.diff_ci_high))
    assert 0.94 < coverage < 0.96  # binomial s.e. of the estimate is 0.0034
    lift = p_t / p_c - 1
    assert 0.94 < np.mean((res.lift_ci_low <= lift) & (lift <= res.lift_ci_high)) < 0.96
    # prob_better is calibrated: among cells with prob_better near 0.8, ~80% are better
    band = (res.prob_better > 0.75) & (res.prob_better < 0.85)
    assert abs(np.mean(truth[band] > 0) - 0.8) < 0.06


@pytest.mark.slow
def test_large_samples_agree_with_the_wald_z_interval() -> None:
    k_c, n_c, k_t, n_t = 3000, 10_000, 3150, 10_000
    res = bayes_compare_proportions(k_c, n_c, k_t, n_t)
    p_c, p_t = k_c / n_c, k_t / n_t
    se = np.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(
        [res.diff_ci_low, res.diff_ci_high], [p_t - p_c - z * se, p_t - p_c + z * se], atol=3e-4
    )
    # one-sided p-value of the z-test ≈ 1 - prob_better
    np.testing.assert_allclose(1 - res.prob_better, stats.norm.sf((p_t - p_c) / se), atol=2e-3)


def _nb_arm(
    rng: np.random.Generator, mean: float, k: float, cells: int, units: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = rng.negative_binomial(k, k / (k + mean), size=(cells, units))
    return np.full(cells, units), x.sum(axis=1), (x**2).sum(axis=1)


@pytest.mark.slow
def test_overdispersed_intervals_cover_on_negative_binomial_data() -> None:
    # 3000 cells, 30 postings per arm, applicants per posting negative binomial with mean 8
    # (control) and 10 (treatment) and k = 1.5. The plain gamma-Poisson ignores the extra
    # variance and its lift interval covers the true lift 0.25 far less often.
    rng = np.random.default_rng(77)
    n_c, s_c, ss_c = _nb_arm(rng, 8.0, 1.5, 3000, 30)
    n_t, s_t, ss_t = _nb_arm(rng, 10.0, 1.5, 3000, 30)
    over = bayes_compare_counts(n_c, s_c, ss_c, n_t, s_t, ss_t, n_draws=200, rng=1)
    plain = bayes_compare_poisson_totals(s_c, n_c, s_t, n_t, n_draws=200, rng=1)
    cover_over = np.mean((over.lift_ci_low <= 0.25) & (over.lift_ci_high >= 0.25))
    cover_plain = np.mean((plain.lift_ci_low <= 0.25) & (plain.lift_ci_high >= 0.25))
    assert 0.92 < cover_over < 0.97
    assert cover_plain < 0.6


@pytest.mark.slow
def test_overdispersed_aa_decisions_are_rarely_confident() -> None:
    # A/A: both arms NB(mean 8, k = 1.2). P(prob_better > 0.975) should be about 2.5%.
    rng = np.random.default_rng(78)
    n_c, s_c, ss_c = _nb_arm(rng, 8.0, 1.2, 3000, 25)
    n_t, s_t, ss_t = _nb_arm(rng, 8.0, 1.2, 3000, 25)
    over = bayes_compare_counts(n_c, s_c, ss_c, n_t, s_t, ss_t, n_draws=200, rng=1)
    plain = bayes_compare_poisson_totals(s_c, n_c, s_t, n_t, n_draws=200, rng=1)
    assert 0.01 < np.mean(over.prob_better > 0.975) < 0.045
    assert np.mean(plain.prob_better > 0.975) > 0.15


def test_a_cost_that_does_not_vary_is_known() -> None:
    from rekrut.stats import cost_outcome_posterior

    shape, rate = cost_outcome_posterior(14.0, 22.0, 40_000.0, 20.0, 20 * 2000.0**2)
    assert float(shape) == 14.0
    assert float(rate) == pytest.approx(22.0 * 2000.0)


def test_an_uncertain_cost_widens_the_interval_and_matches_monte_carlo() -> None:
    from rekrut.stats import cost_outcome_posterior

    known = bayes_compare_cost_per_outcome(60_000, 20, 12, 40_000, 20, 14, rng=1)
    sq_c, sq_t = 20 * 3000.0**2 + 19 * 2500.0**2, 20 * 2000.0**2 + 19 * 1800.0**2
    uncertain = bayes_compare_cost_per_outcome(
        60_000, 20, 12, 40_000, 20, 14, rng=1, cost_sq_control=sq_c, cost_sq_treatment=sq_t
    )
    assert uncertain.lift_ci_high - uncertain.lift_ci_low > known.lift_ci_high - known.lift_ci_low
    assert abs(uncertain.prob_better - 0.5) < abs(known.prob_better - 0.5)
    # the matched gamma against draws of lambda / mean cost from the two gamma factors
    gen = np.random.default_rng(5)
    a, r = 2.0 + 12, 2.0 + 20
    k = 20 * 3000.0**2 / 2500.0**2
    lam = gen.gamma(a, 1 / r, size=400_000)
    cost = gen.gamma(k, 3000.0 / k, size=400_000)
    shape, rate = cost_outcome_posterior(a, r, 60_000.0, 20.0, sq_c)
    for q in (0.025, 0.5, 0.975):
        drawn = np.quantile(lam / cost, q)
        matched = stats.gamma.ppf(q, shape, scale=1 / rate)
        assert matched == pytest.approx(
            drawn, rel=0.04
        )  # measured: 2.5 % and 97.5 % within 3.2 %, median 1.2 %


def test_inverse_trigamma_inverts_trigamma_from_tiny_to_huge_shapes() -> None:
    from rekrut.stats._bayes import _inverse_trigamma

    shapes = np.array([1e-4, 0.05, 0.7, 3.0, 42.0, 5e3, 1e7])
    np.testing.assert_allclose(_inverse_trigamma(special.polygamma(1, shapes)), shapes, rtol=1e-8)
