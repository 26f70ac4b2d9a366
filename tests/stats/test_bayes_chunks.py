"""The exact Bayesian computations give the same numbers chunk by chunk as over all cells."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pytest

from rekrut.stats import _chunks
from rekrut.stats import _posteriors as post
from rekrut.stats._bayes import (
    BayesComparison,
    bayes_compare_cost_per_outcome,
    bayes_compare_counts,
    bayes_compare_poisson_totals,
    bayes_compare_proportions,
    bayes_prob_best_proportions,
    posterior_prob_best_gamma,
)

FIELDS = (
    "control_value",
    "treatment_value",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "prob_better",
    "expected_loss",
    "mc_error",
)
SMALL = 7  # cells per chunk in the chunked runs: many chunks, one of them short


def _both(monkeypatch: pytest.MonkeyPatch, call: Callable[[], Any]) -> tuple[Any, Any]:
    """``call()`` with every cell in one chunk, and with :data:`SMALL` cells per chunk."""
    monkeypatch.setattr(_chunks, "CHUNK_CELLS", 10**9)
    whole = call()
    monkeypatch.setattr(_chunks, "CHUNK_CELLS", SMALL)
    return whole, call()


def _same(whole: Any, chunked: Any) -> None:
    """Equal to 1e-12 of the value (bit for bit in practice), NaN where the other is NaN."""
    np.testing.assert_array_equal(np.isnan(whole), np.isnan(chunked))
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-300)
    assert np.shape(chunked) == np.shape(whole)


def _same_comparison(whole: BayesComparison, chunked: BayesComparison) -> None:
    for name in FIELDS:
        _same(getattr(whole, name), getattr(chunked, name))
    assert whole.method == chunked.method


def _counts(rng: np.random.Generator, size: int | tuple[int, ...]) -> tuple[Any, Any]:
    """Successes and trials from none to thousands, with zero and all-success cells."""
    n = rng.choice([0, 1, 2, 3, 5, 10, 40, 300, 5000], size=size)
    rate = rng.choice([0.0, 0.001, 0.02, 0.3, 0.5, 0.97, 1.0], size=size)
    return rng.binomial(n, rate).astype(float), n.astype(float)


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_beta_binomial_is_the_same_in_chunks(
    monkeypatch: pytest.MonkeyPatch, direction: Literal["higher", "lower"]
) -> None:
    rng = np.random.default_rng(1)
    k_c, n_c = _counts(rng, 61)
    k_t, n_t = _counts(rng, 61)
    whole, chunked = _both(
        monkeypatch,
        lambda: bayes_compare_proportions(k_c, n_c, k_t, n_t, direction=direction),
    )
    _same_comparison(whole, chunked)
    # J-shaped posteriors: a prior below one with no or all successes
    whole, chunked = _both(
        monkeypatch,
        lambda: bayes_compare_proportions(
            k_c, n_c, k_t, n_t, prior_alpha=0.3, prior_beta=0.5, credible_level=0.8
        ),
    )
    _same_comparison(whole, chunked)


def test_broadcast_shapes_are_the_same_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    k_c, n_c = _counts(rng, (5, 1))
    k_t, n_t = _counts(rng, (1, 6))
    whole, chunked = _both(monkeypatch, lambda: bayes_compare_proportions(k_c, n_c, k_t, n_t))
    _same_comparison(whole, chunked)
    assert chunked.diff_ci_low.shape == (5, 6)
    e_c, e_t = rng.uniform(0.5, 50.0, (4, 1, 3)), rng.uniform(0.5, 50.0, (1, 5, 1))
    whole, chunked = _both(
        monkeypatch, lambda: bayes_compare_poisson_totals(k_c[:3, 0], e_c, 4.0, e_t)
    )
    _same_comparison(whole, chunked)
    assert chunked.prob_better.shape == (4, 5, 3)


def test_gamma_families_are_the_same_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    y_c, e_c = _counts(rng, 53)
    y_t, e_t = _counts(rng, 53)
    e_c, e_t = e_c + 0.5, e_t + 0.5
    gamma = _both(
        monkeypatch, lambda: bayes_compare_poisson_totals(y_c, e_c, y_t, e_t, direction="lower")
    )
    _same_comparison(*gamma)
    units_c, units_t = rng.integers(1, 40, 53).astype(float), rng.integers(1, 40, 53).astype(float)
    squares_c, squares_t = y_c * y_c / units_c * 3.0, y_t * y_t / units_t * 3.0
    counts = _both(
        monkeypatch,
        lambda: bayes_compare_counts(units_c, y_c, squares_c, units_t, y_t, squares_t),
    )
    _same_comparison(*counts)
    cost = _both(
        monkeypatch,
        lambda: bayes_compare_cost_per_outcome(
            e_c * 1000.0, units_c, y_c / 100.0, e_t * 900.0, units_t, y_t / 100.0
        ),
    )
    _same_comparison(*cost)


def test_shared_posteriors_across_chunks_get_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Node tables are built per chunk: a posterior in several chunks gets its nodes in each,
    and every cell the answer of all cells at once."""
    rng = np.random.default_rng(4)
    k, n = _counts(rng, (2, 9))
    pick = rng.integers(0, 9, size=80)
    whole, chunked = _both(
        monkeypatch,
        lambda: bayes_compare_proportions(k[0, pick], n[0, pick], k[1, pick], n[1, pick]),
    )
    _same_comparison(whole, chunked)


def test_monte_carlo_intervals_keep_their_draws_in_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The draws of ``interval="monte_carlo"`` are not chunked with the exact parts: the same
    seed gives the same intervals whatever the chunk size."""
    rng = np.random.default_rng(5)
    k_c, n_c = _counts(rng, 23)
    k_t, n_t = _counts(rng, 23)
    beta = _both(
        monkeypatch,
        lambda: bayes_compare_proportions(
            k_c, n_c, k_t, n_t, interval="monte_carlo", n_draws=200, rng=9
        ),
    )
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(beta[1], name), getattr(beta[0], name))
    gamma = _both(
        monkeypatch,
        lambda: bayes_compare_poisson_totals(
            k_c, n_c + 1.0, k_t, n_t + 1.0, interval="monte_carlo", n_draws=200, rng=9
        ),
    )
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(gamma[1], name), getattr(gamma[0], name))


def test_prob_best_is_the_same_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(6)
    k, n = _counts(rng, (3, 17, 2))
    two = _both(
        monkeypatch, lambda: bayes_prob_best_proportions(k, n, prior_alpha=0.5, prior_beta=0.5)
    )
    _same(two[0].prob_best, two[1].prob_best)
    assert two[1].prob_best.shape == (3, 17, 2)
    three = _both(
        monkeypatch,
        lambda: bayes_prob_best_proportions(
            k[..., :1].repeat(3, -1), n[..., :1].repeat(3, -1), n_draws=150, rng=4
        ),
    )
    np.testing.assert_array_equal(three[1].prob_best, three[0].prob_best)
    gamma = _both(monkeypatch, lambda: posterior_prob_best_gamma(k[:2] + 0.5, n[:2] + 1.0, axis=0))
    _same(gamma[0].prob_best, gamma[1].prob_best)


def test_posterior_helpers_are_the_same_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quantile helpers of :mod:`rekrut.stats._posteriors` without tables chunk too, and
    cells with undefined posteriors stay NaN."""
    rng = np.random.default_rng(7)
    a_c, b_c, a_t, b_t = rng.choice([0.3, 0.5, 1.0, 2.0, 6.0, 40.0, 900.0], size=(4, 45))
    a_c[[3, 20, 44]] = np.nan
    control, treatment = post.BetaPost(a_c, b_c), post.BetaPost(a_t, b_t)
    probs = (0.05, 0.5, 0.95)
    for fn in (post.difference_quantiles, post.log_ratio_quantiles):
        whole, chunked = _both(monkeypatch, lambda fn=fn: fn(control, treatment, probs))
        _same(whole, chunked)
        assert np.isnan(chunked[[3, 20, 44]]).all()
    inverse_c = post.GammaPost(a_c + 1.5, b_t, inverse=True)
    inverse_t = post.GammaPost(a_t + 1.5, b_c, inverse=True)
    whole, chunked = _both(
        monkeypatch, lambda: post.difference_quantiles(inverse_c, inverse_t, probs)
    )
    _same(whole, chunked)
    greater = _both(monkeypatch, lambda: post.beta_greater(a_t, b_t, b_c, a_c))
    _same(*greater)


def test_by_chunks_writes_every_cell_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def kernel(cells: slice) -> tuple[np.ndarray, np.ndarray]:
        seen.append(cells.stop - cells.start)
        ids = np.arange(cells.start, cells.stop)
        return ids.astype(float), np.stack([ids, -ids], axis=-1)

    monkeypatch.setattr(_chunks, "CHUNK_CELLS", 4)
    first, second = _chunks.by_chunks(kernel, 10)
    assert seen == [4, 4, 2]
    np.testing.assert_array_equal(first, np.arange(10.0))
    np.testing.assert_array_equal(second[:, 1], -np.arange(10))
    assert second.dtype == np.int64
