"""Planning: analytic power against closed forms and against simulation of the actual tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import rekrut as rk
from rekrut.stats import RatioStats, compare_counts, compare_proportions


def test_proportions_follow_cohens_closed_form() -> None:
    # n = 2 ((z_{1-a/2} + z_{1-b}) / h)^2 per arm, h = 2 asin sqrt(p_t) - 2 asin sqrt(p_c):
    # each arcsine-transformed share has variance 1/n (Cohen 1988, Statistical Power Analysis,
    # ch. 6, whose table gives n = 392 per group for h = 0.2 at power 0.8, two-sided 0.05).
    p_c, p_t = 0.6, 0.7
    h = 2 * math.asin(math.sqrt(p_t)) - 2 * math.asin(math.sqrt(p_c))
    closed = 2 * ((stats.norm.isf(0.025) + stats.norm.isf(0.2)) / h) ** 2
    res = rk.power.postings_needed("fill_rate", p_c, diff=0.1)
    assert res.postings_per_arm == math.ceil(closed)
    assert res.power >= 0.8


def test_cohens_table_value() -> None:
    import statsmodels.stats.proportion as smp

    p_c = 0.5
    p_t = math.sin((2 * math.asin(math.sqrt(p_c)) + 0.2) / 2) ** 2  # h = 0.2 exactly
    assert smp.proportion_effectsize(p_t, p_c) == pytest.approx(0.2)
    assert rk.power.postings_needed("fill_rate", p_c, diff=p_t - p_c).postings_per_arm in (392, 393)


def test_bonferroni_split_and_weeks() -> None:
    one = rk.power.postings_needed("fill_rate", 0.6, lift=0.2)
    three = rk.power.postings_needed("fill_rate", 0.6, lift=0.2, treatments=3, postings_per_week=12)
    assert three.alpha_per_comparison == pytest.approx(0.05 / 3)
    assert three.postings_per_arm > one.postings_per_arm
    assert three.weeks == pytest.approx(three.postings_per_arm * 4 / 12)
    assert "split over 3 treatment arms" in str(three)


def test_minimum_detectable_lift_inverts_sample_size() -> None:
    n = rk.power.postings_needed("applications_per_posting", 6.0, lift=0.3).postings_per_arm
    mde = rk.power.minimum_detectable_lift("applications_per_posting", 6.0, n)
    assert 0.29 < mde.lift <= 0.3


def test_metrics_without_an_analytic_formula_point_to_simulation() -> None:
    with pytest.raises(ValueError, match="use simulate_power"):
        rk.power.postings_needed("cost_per_hire", 5000, lift=-0.2)
    with pytest.raises(ValueError, match="exactly one of lift"):
        rk.power.postings_needed("fill_rate", 0.5)


@pytest.mark.parametrize("postings", [0, 1])
def test_too_few_postings_are_named(postings: int) -> None:
    with pytest.raises(ValueError, match="postings_per_arm must be at least 2"):
        rk.power.power_at("fill_rate", 0.6, postings, lift=0.1)
    with pytest.raises(ValueError, match="postings_per_arm must be at least 2"):
        rk.power.minimum_detectable_lift("applications_per_posting", 6.0, postings)


@pytest.mark.slow
def test_count_power_agrees_with_simulating_the_welch_test() -> None:
    """At the planned size, the test rekrut runs detects the effect about 80 % of the time."""
    k, mean, lift = 1.5, 6.0, 0.3
    n = rk.power.postings_needed(
        "applications_per_posting", mean, lift=lift, dispersion=1 / k
    ).postings_per_arm
    rng = np.random.default_rng(1)
    draws = 3000

    def arm(mu: float) -> RatioStats:
        return RatioStats.from_units(
            rng.negative_binomial(k, k / (k + mu), (draws, n)).astype(float)
        )

    res = compare_counts(arm(mean), arm(mean * (1 + lift)))
    empirical = float(np.mean(res.p_value < 0.05))
    assert abs(empirical - 0.8) < 3.5 * math.sqrt(0.8 * 0.2 / draws) + 0.02, empirical


@pytest.mark.slow
def test_proportion_power_agrees_with_simulating_the_z_test() -> None:
    n = rk.power.postings_needed("fill_rate", 0.6, lift=0.15).postings_per_arm
    rng = np.random.default_rng(2)
    draws = 4000
    res = compare_proportions(
        rng.binomial(n, 0.6, draws), n, rng.binomial(n, 0.69, draws), n, test="z"
    )
    empirical = float(np.mean(res.p_value < 0.05))
    assert abs(empirical - 0.8) < 3.5 * math.sqrt(0.8 * 0.2 / draws) + 0.01, empirical


@pytest.mark.slow
def test_simulated_power_matches_analytic_power() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "p",
            "control": "A",
            "metrics": ["fill_rate"],
            "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}],
        }
    )
    analytic = rk.power.power_at("fill_rate", 0.77, 250, lift=0.12)
    simulated = rk.power.simulate_power(
        exp,
        postings=500,
        effects={"B": {"fill_rate": 1.12}},
        replicates=2000,
        job_category="paedagog",
        rng=3,
    )
    row = simulated.table.iloc[0]
    assert row["power_ci_low"] - 0.04 < analytic.power < row["power_ci_high"] + 0.04


def test_sequential_plan_next_to_the_fixed_design() -> None:
    fixed = rk.power.postings_needed("applications_per_posting", 6.0, lift=0.25)
    plan = rk.power.sequential_plan(fixed, looks=5)
    # O'Brien-Fleming-type spending: a few per cent more at most, less on average under H1.
    assert fixed.postings_per_arm < plan.max_postings_per_arm <= 1.05 * fixed.postings_per_arm + 1
    assert plan.expected_postings_per_arm_h1 < fixed.postings_per_arm
    pocock = rk.power.sequential_plan(fixed, looks=5, spending="pocock")
    assert pocock.max_postings_per_arm > plan.max_postings_per_arm
