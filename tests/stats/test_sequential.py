"""Sequential monitoring: published boundaries, and error rates under 20 looks by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rekrut.stats._ratios import RatioStats
from rekrut.stats._sequential import (
    always_valid_pvalue,
    confidence_sequence,
    group_sequential_test,
    sequential_sample_size,
    spending_boundaries,
)

FIVE = [0.2, 0.4, 0.6, 0.8, 1.0]


def test_obrien_fleming_type_boundaries_match_the_published_values() -> None:
    # > gsDesign::gsDesign(k=5, test.type=2, alpha=0.025, sfu=sfLDOF)$upper$bound
    #   (equivalently ldbounds::ldBounds(seq(0.2, 1, 0.2), iuse=1, alpha=0.025) per side)
    # 4.8769 3.3569 2.6803 2.2898 2.0310
    design = spending_boundaries(FIVE, alpha=0.05, spending="obf")
    np.testing.assert_allclose(
        design.boundaries, [4.8769, 3.3569, 2.6803, 2.2898, 2.0310], atol=2e-4
    )


def test_pocock_type_boundaries_match_the_published_values() -> None:
    # > gsDesign::gsDesign(k=5, test.type=2, alpha=0.025, sfu=sfLDPocock)$upper$bound
    # 2.4380 2.4268 2.4101 2.3966 2.3859
    design = spending_boundaries(FIVE, alpha=0.05, spending="pocock")
    np.testing.assert_allclose(
        design.boundaries, [2.4380, 2.4268, 2.4101, 2.3966, 2.3859], atol=2e-4
    )


def test_boundaries_spend_what_they_promise_by_monte_carlo() -> None:
    """Brownian motion crosses each unequally spaced boundary with the planned probability."""
    times = np.array([0.1, 0.25, 0.45, 0.7, 1.0])
    design = spending_boundaries(times, alpha=0.05, spending="obf")
    rng = np.random.default_rng(1)
    steps = rng.normal(0, np.sqrt(np.diff(np.r_[0, times])), size=(400_000, times.size))
    z = np.cumsum(steps, axis=1) / np.sqrt(times)
    crossed = np.abs(z) >= design.boundaries
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), -1)
    for k in range(times.size):
        expected = design.alpha_spent[k] - (design.alpha_spent[k - 1] if k else 0)
        assert np.mean(first == k) == pytest.approx(
            expected, abs=4 * math.sqrt(expected / 400_000) + 1e-5
        )


def test_inflation_factor_and_expected_size() -> None:
    res = sequential_sample_size(FIVE, alpha=0.05, power=0.8, spending="obf")
    # Jennison & Turnbull (2000), Table 7.6: the O'Brien-Fleming-type design needs a few per cent
    # more at most and fewer on average under the alternative.
    assert 1.0 < float(res.inflation_factor) < 1.05
    assert float(res.expected_under_h1) < 0.9
    pocock = sequential_sample_size(FIVE, spending="pocock")
    assert float(pocock.inflation_factor) > float(res.inflation_factor)


def test_recommendation_at_the_final_look() -> None:
    assert group_sequential_test([1.0, 1.2], [0.5, 1.0]).recommendation == "stop: no difference"
    assert group_sequential_test([1.0, 1.2], [0.3, 0.6]).recommendation == "continue"


def test_bad_information_fractions() -> None:
    with pytest.raises(ValueError, match="must increase"):
        spending_boundaries([0.5, 0.4])


def _aa_paths(
    rng: np.random.Generator, replicates: int, looks: int, effect: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Difference of two arm means and its variance after each of ``looks`` equal batches."""
    per_look = 10
    a = rng.normal(0, 1, (replicates, looks * per_look))
    b = rng.normal(effect, 1, (replicates, looks * per_look))
    n = per_look * np.arange(1, looks + 1)
    diff = np.stack([b[:, :m].mean(1) - a[:, :m].mean(1) for m in n], axis=1)
    var = np.stack([b[:, :m].var(1, ddof=1) / m + a[:, :m].var(1, ddof=1) / m for m in n], axis=1)
    return diff, var


@pytest.mark.slow
def test_twenty_looks_keep_alpha_where_naive_testing_does_not() -> None:
    replicates = 4000
    diff, var = _aa_paths(np.random.default_rng(2), replicates, 20)
    band = 3.5 * math.sqrt(0.05 * 0.95 / replicates)
    ever_avp = np.mean(always_valid_pvalue(diff, var).min(axis=1) <= 0.05)
    assert ever_avp <= 0.05 + band
    z = diff / np.sqrt(var)
    design = spending_boundaries(np.arange(1, 21) / 20, alpha=0.05)
    ever_gs = np.mean((np.abs(z) >= design.boundaries).any(axis=1))
    assert ever_gs <= 0.05 + band
    ever_naive = np.mean((np.abs(z) >= 1.959964).any(axis=1))
    assert ever_naive > 0.15  # peeking 20 times roughly quadruples the false positives


@pytest.mark.slow
def test_twenty_looks_on_overdispersed_applicant_counts() -> None:
    replicates, looks, per_look, k, mu = 2000, 20, 6, 1.2, 6.0
    rng = np.random.default_rng(3)
    shape = (replicates, looks * per_look)
    a = rng.negative_binomial(k, k / (k + mu), shape).astype(float)
    b = rng.negative_binomial(k, k / (k + mu), shape).astype(float)
    diffs, variances = [], []
    for m in per_look * np.arange(1, looks + 1):
        ca, cb = RatioStats.from_units(a[:, :m]), RatioStats.from_units(b[:, :m])
        diffs.append(cb.ratio() - ca.ratio())
        variances.append(ca.variance() + cb.variance())
    p = always_valid_pvalue(np.stack(diffs, 1), np.stack(variances, 1))
    assert np.mean(p.min(axis=1) <= 0.05) <= 0.05 + 3.5 * math.sqrt(0.05 * 0.95 / replicates)


def test_undefined_looks_leave_the_sequence_open_not_at_the_largest_float() -> None:
    # the first look has no estimate (e.g. no hires yet); the second has one
    cs = confidence_sequence([np.nan, 1.0, 1.2], [np.inf, 0.25, 0.2])
    low, high = cs.ci_low, cs.ci_high
    assert low[0] == -np.inf
    assert high[0] == np.inf
    assert np.all(np.isfinite(low[1:]))
    assert np.all(np.diff(low[1:]) >= 0)


@pytest.mark.slow
def test_confidence_sequence_covers_at_all_looks_and_finds_real_effects() -> None:
    replicates = 3000
    diff, var = _aa_paths(np.random.default_rng(4), replicates, 20, effect=0.45)
    cs = confidence_sequence(diff, var)
    low, high = cs.ci_low, cs.ci_high
    always = np.all((low <= 0.45) & (high >= 0.45), axis=1)
    assert np.mean(always) >= 0.95 - 3.5 * math.sqrt(0.05 * 0.95 / replicates)
    found = np.mean(always_valid_pvalue(diff, var)[:, -1] <= 0.05)
    assert found > 0.6  # 200 per arm, effect 0.45 sd (fixed-design power 0.99): still found


def test_a_looks_p_value_does_not_depend_on_later_looks() -> None:
    rng = np.random.default_rng(7)
    diff, var = rng.normal(0, 1, 12), rng.uniform(0.5, 2, 12) / np.arange(1, 13)
    n = 4.0 * np.arange(1, 13)
    full = always_valid_pvalue(diff, var, sample_size=n, horizon=40, df=n - 2)
    cs = confidence_sequence(diff, var, sample_size=n, horizon=40, df=n - 2)
    for k in range(1, 13):
        part = always_valid_pvalue(diff[:k], var[:k], sample_size=n[:k], horizon=40, df=n[:k] - 2)
        assert part[-1] == full[k - 1]
        low = confidence_sequence(diff[:k], var[:k], sample_size=n[:k], horizon=40, df=n[:k] - 2)
        assert low.ci_low[-1] == cs.ci_low[k - 1]


def test_the_t_reference_is_more_cautious_and_agrees_with_the_sequence() -> None:
    diff, var, n = np.array([1.0, 0.9]), np.array([0.1, 0.05]), np.array([6.0, 12.0])
    normal = always_valid_pvalue(diff, var, sample_size=n, horizon=12)
    student = always_valid_pvalue(diff, var, sample_size=n, horizon=12, df=n - 2)
    assert np.all(student >= normal)
    # p <= alpha exactly when the sequence (before intersecting) leaves out 0
    for df in (None, n[:1] - 2):
        p = always_valid_pvalue(diff[:1], var[:1], sample_size=n[:1], horizon=12, df=df)
        cs = confidence_sequence(diff[:1], var[:1], sample_size=n[:1], horizon=12, df=df)
        assert (p[0] <= 0.05) == (cs.ci_low[0] > 0)


def test_mixture_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="not both"):
        always_valid_pvalue([1.0], [1.0], mixture_variance=1.0, sample_size=[3], horizon=10)
    with pytest.raises(ValueError, match="horizon"):
        always_valid_pvalue([1.0], [1.0], sample_size=[3])
    with pytest.raises(ValueError, match="positive"):
        confidence_sequence([1.0], [1.0], mixture_variance=0.0)
