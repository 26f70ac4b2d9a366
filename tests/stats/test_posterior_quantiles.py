"""Exact credible intervals of a difference or ratio of two posteriors, against references.

The reference is independent of the code under test: scipy's adaptive quadrature of
P(T - C <= d) = ∫ F_T(Q_C(u) + d) du over u in (0, 1), inverted with Brent's method.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from rekrut.stats import _posteriors as post
from rekrut.stats._bayes import (
    bayes_compare_cost_per_outcome,
    bayes_compare_poisson_totals,
    bayes_compare_proportions,
)

PROBS = (0.025, 0.975)


def _reference(
    dist_c: stats.rv_continuous, dist_t: stats.rv_continuous, log: bool = False
) -> np.ndarray:
    """Quantiles of T - C (or log T/C) by adaptive quadrature and root finding."""

    def cdf(x: float) -> float:
        if log:
            inner = lambda u: dist_t.cdf(np.exp(x) * dist_c.ppf(u))  # noqa: E731
        else:
            inner = lambda u: dist_t.cdf(dist_c.ppf(u) + x)  # noqa: E731
        with warnings.catch_warnings():  # quad reports round-off near its tolerance
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            return float(integrate.quad(inner, 0, 1, limit=500, epsabs=1e-13, epsrel=1e-12)[0])

    span = 60.0 if log else 2.0 * max(dist_c.ppf(1 - 1e-9), dist_t.ppf(1 - 1e-9))
    roots = [optimize.brentq(lambda x, q=q: cdf(x) - q, -span, span, xtol=1e-13) for q in PROBS]
    return np.array(roots)


def _one(*values: float) -> list[np.ndarray]:
    return [np.array([v], dtype=float) for v in values]


BETA_CASES = [
    (1, 1, 1, 1),  # uniform: the difference is triangular, quantile -1 + sqrt(0.05)
    (1, 20, 3, 18),  # no and few successes
    (1, 21, 1, 21),
    (0.5, 10, 200, 300),  # a J-shaped arm beside a narrow one
    (0.5, 0.5, 0.5, 3),
    (30, 2, 28, 1),  # near 1
    (2, 40, 30, 12),
    (40, 60, 45, 55),  # near normal
]


@pytest.mark.parametrize(("a_c", "b_c", "a_t", "b_t"), BETA_CASES)
def test_beta_difference_and_ratio_quantiles_match_adaptive_quadrature(
    a_c: float, b_c: float, a_t: float, b_t: float
) -> None:
    control, treatment = post.BetaPost(*_one(a_c, b_c)), post.BetaPost(*_one(a_t, b_t))
    dist_c, dist_t = stats.beta(a_c, b_c), stats.beta(a_t, b_t)
    expected = _reference(dist_c, dist_t)
    # Cornish-Fisher quantiles (accepted to 5e-4 sd) or numerical inversion (about 1e-8)
    got = post.difference_quantiles(control, treatment, PROBS)[0]
    np.testing.assert_allclose(got, expected, atol=1e-4 * (expected[1] - expected[0]))
    expected_log = _reference(dist_c, dist_t, log=True)
    got_log = post.log_ratio_quantiles(control, treatment, PROBS)[0]
    width = expected_log[1] - expected_log[0]
    np.testing.assert_allclose(got_log, expected_log, atol=1e-4 * width)


def test_uniform_difference_has_the_triangular_quantiles() -> None:
    control = treatment = post.BetaPost(*_one(1.0, 1.0))
    got = post.difference_quantiles(control, treatment, PROBS)[0]
    np.testing.assert_allclose(got, [-1 + np.sqrt(0.05), 1 - np.sqrt(0.05)], atol=1e-9)


GAMMA_CASES = [
    (1.5, 2.0, 3.0, 2.0, False),
    (0.5, 3.0, 0.7, 1.0, False),  # Jeffreys-like shapes below 1
    (20.0, 5.0, 30.0, 6.0, False),
    (3.5, 1e4, 4.0, 2e4, True),  # cost per hire with 1-2 hires: heavy right tails
    (14.0, 2e5, 12.0, 1.5e5, True),
]


@pytest.mark.parametrize(("a_c", "r_c", "a_t", "r_t", "inverse"), GAMMA_CASES)
def test_gamma_and_inverse_gamma_differences_match_adaptive_quadrature(
    a_c: float, r_c: float, a_t: float, r_t: float, inverse: bool
) -> None:
    control = post.GammaPost(*_one(a_c, r_c), inverse)
    treatment = post.GammaPost(*_one(a_t, r_t), inverse)
    if inverse:  # θ = 1/Y with Y ~ Gamma(a, rate r): inverse gamma with scale r
        dist_c, dist_t = stats.invgamma(a_c, scale=r_c), stats.invgamma(a_t, scale=r_t)
    else:
        dist_c, dist_t = stats.gamma(a_c, scale=1 / r_c), stats.gamma(a_t, scale=1 / r_t)
    expected = _reference(dist_c, dist_t)
    got = post.difference_quantiles(control, treatment, PROBS)[0]
    np.testing.assert_allclose(got, expected, atol=1e-4 * (expected[1] - expected[0]))


def _random_pairs(family: str, n: int, rng: np.random.Generator) -> tuple[post.Post, post.Post]:
    def shapes() -> np.ndarray:
        return np.exp(rng.uniform(np.log(0.5), np.log(3000), n))

    if family == "beta":
        a, b = shapes(), shapes()
        control = post.BetaPost(a, b)
        treatment = post.BetaPost(a * rng.uniform(0.5, 2, n), b * rng.uniform(0.5, 2, n))
        return control, treatment
    inverse = family == "inverse_gamma"
    a, r = shapes() + (1.0 if inverse else 0.0), np.exp(rng.uniform(np.log(0.1), np.log(100), n))
    control = post.GammaPost(a, r, inverse)
    treatment = post.GammaPost(a * rng.uniform(0.7, 1.5, n), r * rng.uniform(0.5, 2, n), inverse)
    return control, treatment


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "log"), [("beta", False), ("beta", True), ("gamma", False), ("inverse_gamma", False)]
)
def test_cornish_fisher_is_used_only_where_it_matches_the_exact_quantiles(
    family: str, log: bool
) -> None:
    """Where the series is accepted it agrees with numerical inversion to 1e-4 of the interval
    (5e-4 sd in a 95% interval about 4 sd wide); elsewhere the answer is the inversion."""
    n = 3000
    control, treatment = _random_pairs(family, n, np.random.default_rng(11))
    got = (post.log_ratio_quantiles if log else post.difference_quantiles)(  # type: ignore[operator]
        control, treatment, PROBS
    )
    tables = (post.NodeTable(control), post.NodeTable(treatment))
    every = np.arange(n)
    exact = post._exact(control, treatment, PROBS, np.full((n, 2), np.nan), log, tables, every)
    # in units of the spread of the exact interval (the sd may not exist: inverse gamma)
    error = np.abs(got - exact).max(axis=1) / (exact[:, 1] - exact[:, 0])
    assert np.all(np.isfinite(got))
    assert error.max() < 1e-4, error.max()


def test_intervals_do_not_depend_on_the_seed_and_agree_with_monte_carlo() -> None:
    args = ([3, 40, 120], [25, 200, 400], [6, 52, 150], [25, 200, 400])
    a = bayes_compare_proportions(*args, rng=1)
    b = bayes_compare_proportions(*args, rng=2)
    np.testing.assert_array_equal(a.diff_ci_low, b.diff_ci_low)
    np.testing.assert_array_equal(a.lift_ci_high, b.lift_ci_high)
    mc = bayes_compare_proportions(*args, interval="monte_carlo", n_draws=400_000, rng=3)
    for name in ("diff_ci_low", "diff_ci_high", "lift_ci_low", "lift_ci_high"):
        exact, sampled = getattr(a, name), getattr(mc, name)
        # 400,000 draws: the 2.5 % quantile has a standard error of about 0.5 % of the sd
        np.testing.assert_allclose(exact, sampled, rtol=0.02, atol=2e-3, err_msg=name)


def test_count_and_cost_intervals_agree_with_monte_carlo() -> None:
    gp = bayes_compare_poisson_totals([12, 240], [10, 30], [20, 300], [10, 30])
    gp_mc = bayes_compare_poisson_totals(
        [12, 240], [10, 30], [20, 300], [10, 30], interval="monte_carlo", n_draws=400_000, rng=4
    )
    np.testing.assert_allclose(gp.diff_ci_low, gp_mc.diff_ci_low, rtol=0.02)
    np.testing.assert_allclose(gp.diff_ci_high, gp_mc.diff_ci_high, rtol=0.02)
    cost = bayes_compare_cost_per_outcome(
        [60_000, 9e5], [20, 100], [2, 40], [40_000, 8e5], [20, 100], [5, 45]
    )
    cost_mc = bayes_compare_cost_per_outcome(
        [60_000, 9e5], [20, 100], [2, 40], [40_000, 8e5], [20, 100], [5, 45],
        interval="monte_carlo", n_draws=400_000, rng=5,
    )  # fmt: skip
    width = cost.diff_ci_high - cost.diff_ci_low
    assert np.all(np.abs(cost.diff_ci_low - cost_mc.diff_ci_low) < 0.02 * width)
    assert np.all(np.abs(cost.diff_ci_high - cost_mc.diff_ci_high) < 0.02 * width)


def test_narrower_level_nests_inside_and_scalars_keep_their_shape() -> None:
    wide = bayes_compare_proportions(4, 30, 9, 30, credible_level=0.95)
    narrow = bayes_compare_proportions(4, 30, 9, 30, credible_level=0.8)
    assert np.ndim(wide.diff_ci_low) == 0
    assert wide.diff_ci_low < narrow.diff_ci_low < narrow.diff_ci_high < wide.diff_ci_high
    assert wide.lift_ci_low < narrow.lift_ci_low < narrow.lift_ci_high < wide.lift_ci_high


def test_cells_with_undefined_posteriors_are_nan_and_leave_the_others_alone() -> None:
    control = post.BetaPost(np.array([5.0, np.nan, 50.0]), np.array([20.0, 3.0, 70.0]))
    treatment = post.BetaPost(np.array([8.0, 4.0, 60.0]), np.array([17.0, 3.0, 60.0]))
    got = post.difference_quantiles(control, treatment, PROBS)
    assert np.isnan(got[1]).all()
    alone = post.difference_quantiles(
        post.BetaPost(control.a[[0, 2]], control.b[[0, 2]]),
        post.BetaPost(treatment.a[[0, 2]], treatment.b[[0, 2]]),
        PROBS,
    )
    np.testing.assert_allclose(got[[0, 2]], alone, rtol=1e-12)


def test_bad_interval_option_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="interval must be one of"):
        bayes_compare_proportions(1, 2, 1, 2, interval="bootstrap")  # type: ignore[arg-type]


@pytest.mark.parametrize("family", ["beta", "gamma", "inverse_gamma"])
def test_swapping_the_arms_mirrors_the_interval(family: str) -> None:
    # q_p(T - C) = -q_(1-p)(C - T): the two arms take different paths through the code
    control, treatment = _random_pairs(family, 400, np.random.default_rng(5))
    forward = post.difference_quantiles(control, treatment, PROBS)
    backward = post.difference_quantiles(treatment, control, PROBS)
    width = forward[:, 1] - forward[:, 0]
    assert np.all(np.abs(forward + backward[:, ::-1]) <= 1e-4 * width[:, None])
    if family == "beta":
        log_f = post.log_ratio_quantiles(control, treatment, PROBS)
        log_b = post.log_ratio_quantiles(treatment, control, PROBS)
        width = log_f[:, 1] - log_f[:, 0]
        assert np.all(np.abs(log_f + log_b[:, ::-1]) <= 1e-4 * width[:, None])


@pytest.mark.parametrize("family", ["beta", "gamma", "inverse_gamma"])
def test_mapped_nodes_integrate_known_moments(family: str) -> None:
    """The mapped rule is a change of variables, so it must integrate smooth functions of θ
    as well as the quantile nodes do: E[θ], E[θ²] and E[log θ] against their closed forms."""
    rng = np.random.default_rng(2)
    n = 2000
    a = np.exp(rng.uniform(np.log(post.MAP_MIN_SHAPE), np.log(1e5), n))
    other = np.exp(rng.uniform(np.log(post.MAP_MIN_SHAPE), np.log(1e5), n))
    if family == "beta":
        posterior: post.BetaPost | post.GammaPost = post.BetaPost(a, other)
        s = a + other
        moments = [a / s, a * (a + 1) / (s * (s + 1)), special.digamma(a) - special.digamma(s)]
    else:
        inverse = family == "inverse_gamma"
        a = a + 2.0  # the second moment of an inverse Gamma needs a > 2
        posterior = post.GammaPost(a, other, inverse)
        if inverse:
            moments = [other / (a - 1), other**2 / ((a - 1) * (a - 2))]
            moments.append(np.log(other) - special.digamma(a))
        else:
            moments = [a / other, a * (a + 1) / other**2, special.digamma(a) - np.log(other)]
    normal = post._NormalMap.of(posterior)
    assert normal.usable().all()
    nodes, weights = normal.nodes()
    for power, expected in zip((1, 2), moments[:2], strict=False):
        got = (weights * nodes**power).sum(axis=1)
        np.testing.assert_allclose(got, expected, rtol=1e-10)
    got_log = (weights * np.log(nodes)).sum(axis=1)
    sd = np.sqrt(special.polygamma(1, a) + (special.polygamma(1, other) if family == "beta" else 0))
    assert np.all(np.abs(got_log - moments[2]) <= 1e-11 * sd + 1e-13 * (1 + np.abs(moments[2])))


def test_polygamma_series_that_place_the_nodes_match_scipy() -> None:
    x = np.exp(np.linspace(np.log(post.MAP_MIN_SHAPE), np.log(1e7), 500))
    series = post._polygamma_series(x)
    np.testing.assert_allclose(series[0], special.digamma(x), rtol=1e-7)
    for n in (1, 2, 3):
        np.testing.assert_allclose(series[n], special.polygamma(n, x), rtol=1e-5)


@pytest.mark.parametrize("family", ["beta", "gamma", "inverse_gamma"])
def test_early_stop_of_the_root_search_does_not_move_the_interval(
    family: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search stops one Halley step after the Newton distance to the root falls below
    3e-3 of the spread (1e-4 at a sharp kink); searching to 1e-10 gives the same interval to
    1e-7 of its width, and to 1e-5 where an arm has a shape below 5 (2e-6 measured, for
    U-shaped arms)."""
    control, treatment = _random_pairs(family, 600, np.random.default_rng(8))
    sharp = np.zeros(600, dtype=bool)
    if family == "beta":  # an arm with fewer than five successes or failures
        shapes = np.minimum.reduce([control.a, control.b, treatment.a, treatment.b])
        sharp = shapes < post._SMOOTH_CONTACT
    bound = np.where(sharp, 1e-5, 1e-7)[:, None]
    quick = post.difference_quantiles(control, treatment, PROBS)
    quick_log = post.log_ratio_quantiles(control, treatment, PROBS) if family == "beta" else None
    monkeypatch.setattr(post, "_STEP_TOLERANCE", 1e-10)
    monkeypatch.setattr(post, "_SHARP_TOLERANCE", 1e-10)
    slow = post.difference_quantiles(control, treatment, PROBS)
    width = slow[:, 1] - slow[:, 0]
    assert np.all(np.abs(quick - slow) <= bound * width[:, None])
    if quick_log is not None:
        slow_log = post.log_ratio_quantiles(control, treatment, PROBS)
        width = slow_log[:, 1] - slow_log[:, 0]
        assert np.all(np.abs(quick_log - slow_log) <= bound * width[:, None])


def test_cells_sharing_a_posterior_get_the_answer_of_that_cell_alone() -> None:
    """Node tables are computed once per distinct posterior: repeated, shuffled cells must
    each get exactly what the cell gets on its own."""
    rng = np.random.default_rng(13)
    n = rng.integers(3, 15, size=(2, 40))
    x = rng.binomial(n, 0.3)
    pick = rng.integers(0, 40, size=400)  # many repeats
    together = bayes_compare_proportions(x[0, pick], n[0, pick], x[1, pick], n[1, pick])
    for j in range(0, 400, 37):
        alone = bayes_compare_proportions(*(v[pick[j]] for v in (x[0], n[0], x[1], n[1])))
        for name in ("prob_better", "expected_loss", "diff_ci_low", "lift_ci_high"):
            assert getattr(together, name)[j] == pytest.approx(getattr(alone, name), rel=1e-12)
