"""Synthetic control and difference-in-differences with placebo inference: properties,
a reference against statsmodels, and calibration on panels with a known truth."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf

from rekrut.stats import did_regression, placebo_synthetic_control


def _panel(
    rng: np.random.Generator, units: int = 40, periods: int = 24, noise: np.ndarray | None = None
) -> np.ndarray:
    """Units loading on two common random-walk factors, with unit levels and noise."""
    factors = rng.normal(size=(2, periods)).cumsum(axis=1) * 0.3
    loadings = rng.normal(size=(units, 2))
    scale = 0.03 if noise is None else noise[:, None]
    levels = rng.normal(0, 0.05, (units, 1))
    return 0.7 + 0.02 * loadings @ factors + levels + rng.normal(0, 1, (units, periods)) * scale


PRE = np.arange(24) < 16


def test_weights_are_a_convex_combination_and_recover_a_mixture() -> None:
    rng = np.random.default_rng(1)
    donors = rng.normal(size=(10, 30)).cumsum(axis=1)
    treated = 0.6 * donors[2] + 0.4 * donors[7] + 5.0  # a level shift is allowed
    res = placebo_synthetic_control(np.vstack([treated, donors]), 0, np.arange(30) < 20)
    assert res.weights.min() >= 0
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.weights[[2, 7]] == pytest.approx([0.6, 0.4], abs=1e-4)
    assert res.pre_rmspe < 1e-4
    assert abs(res.estimate) < 1e-4


def test_a_large_effect_is_found_and_the_counterfactual_adds_up() -> None:
    rng = np.random.default_rng(2)
    y = _panel(rng)
    y[0, ~PRE] += 0.2
    res = placebo_synthetic_control(y, 0, PRE)
    assert res.p_value == pytest.approx(1 / 40)
    assert res.ci_low < 0.2 < res.ci_high
    assert np.allclose(res.counterfactual + res.gap, y[0])


def test_did_estimate_matches_a_two_way_fixed_effects_regression() -> None:
    import pandas as pd

    rng = np.random.default_rng(3)
    y = _panel(rng, units=12)
    y[4, ~PRE] += 0.05
    res = placebo_synthetic_control(y, 4, PRE, method="did")
    reg = did_regression(y, 4, PRE)
    long = pd.DataFrame(
        {
            "y": y.ravel(),
            "unit": np.repeat(np.arange(12), 24),
            "period": np.tile(np.arange(24), 12),
        }
    )
    long["treated"] = ((long["unit"] == 4) & (long["period"] >= 16)).astype(float)
    ref = smf.ols("y ~ treated + C(unit) + C(period)", long).fit(
        cov_type="cluster", cov_kwds={"groups": long["unit"]}
    )
    assert res.estimate == pytest.approx(ref.params["treated"], rel=1e-9)
    assert reg.estimate == pytest.approx(ref.params["treated"], rel=1e-9)
    assert reg.se == pytest.approx(ref.bse["treated"], rel=1e-9)
    assert (reg.ci_low, reg.ci_high) == pytest.approx(
        tuple(ref.conf_int().loc["treated"]), rel=1e-9
    )


def test_the_pretrend_check_sees_a_diverging_path() -> None:
    rng = np.random.default_rng(4)
    y = _panel(rng)
    flat = did_regression(y, 0, PRE)
    y[0] += 0.01 * np.arange(24)
    drifting = did_regression(y, 0, PRE)
    assert drifting.pretrend_p_value < 0.01 < flat.pretrend_p_value


def test_too_few_donors_for_the_level_give_an_unbounded_interval() -> None:
    y = _panel(np.random.default_rng(5), units=10)
    res = placebo_synthetic_control(y, 0, PRE)
    assert np.isinf(res.ci_low)
    assert np.isinf(res.ci_high)


@pytest.mark.parametrize(
    "bad",
    [
        {"pre": np.arange(24) < 1},
        {"pre": np.ones(24, dtype=bool)},
        {"treated": 50},
        {"method": "bogus"},
    ],
)
def test_bad_arguments_are_refused(bad: dict[str, object]) -> None:
    args: dict[str, object] = {"treated": 0, "pre": PRE, "method": "synthetic_control"}
    with pytest.raises(ValueError, match=r"(pre|treated|method) must"):
        placebo_synthetic_control(_panel(np.random.default_rng(6)), **(args | bad))  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["synthetic_control", "did"])
def test_calibration_no_effect_and_known_effect(method: str) -> None:
    # Units of unequal size (noise from 0.01 to 0.08): with no initiative the placebo p-value
    # is at most 0.05 in about 5 % of panels (exact: floor(0.05 * 40) / 40 = 5 % when the
    # treated unit is exchangeable); with an effect of 0.05 the interval covers it about
    # 95 % of the time and the estimate is unbiased.
    rng = np.random.default_rng(2026)
    reps = 300
    p_values, covered, errors = [], 0, []
    for _ in range(reps):
        y = _panel(rng, noise=rng.uniform(0.01, 0.08, 40))
        treated = int(rng.integers(40))
        p_values.append(placebo_synthetic_control(y, treated, PRE, method=method).p_value)  # type: ignore[arg-type]
        y[treated, ~PRE] += 0.05
        res = placebo_synthetic_control(y, treated, PRE, method=method)  # type: ignore[arg-type]
        covered += res.ci_low <= 0.05 <= res.ci_high
        errors.append(res.estimate - 0.05)
    rate = np.mean(np.asarray(p_values) <= 0.05)
    assert 0.01 <= rate <= 0.085
    assert 0.9 <= covered / reps <= 0.985
    assert abs(np.mean(errors)) < 3 * np.std(errors) / np.sqrt(reps)
    # uniform p-values: about half at or below one half
    assert 0.4 <= np.mean(np.asarray(p_values) <= 0.5) <= 0.6
