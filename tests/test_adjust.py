"""Regression adjustment and factorial designs against statsmodels, and by simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut._adjustment import adjust, factorial


def _two_arm() -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "adj",
            "control": "A",
            "metrics": ["applications_per_posting", "fill_rate", "qualified_share"],
            "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}],
        }
    )


def _with_pre_period(rng: np.random.Generator, n: int, effect: float) -> pd.DataFrame:
    """Postings whose attractiveness also drove applicants to the same job a year before."""
    g = rng.gamma(1.5, 1 / 1.5, n)
    arm = np.where(rng.random(n) < 0.5, "A", "B")
    mean = 6.0 * g * np.where(arm == "B", effect, 1.0)
    applications = rng.poisson(mean)
    return pd.DataFrame(
        {
            "arm": arm,
            "applications": applications,
            "qualified": rng.binomial(applications, 0.5),
            "hires": ((rng.random(n) < 0.6) & (applications > 0)).astype(int),
            "pre_applications": rng.poisson(6.0 * g),
            "job_category": np.where(rng.random(n) < 0.5, "sosu", "paedagog"),
        }
    )


def test_adjusted_effect_matches_statsmodels() -> None:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    data = _with_pre_period(np.random.default_rng(1), 300, 1.3)
    res = adjust(
        _two_arm(),
        data,
        covariates=["pre_applications", "job_category"],
        metrics=["applications_per_posting"],
    )
    row = res.table.iloc[0]
    ref_data = data.assign(
        treat=(data["arm"] == "B").astype(float),
        pre=data["pre_applications"] - data["pre_applications"].mean(),
    )
    ref = smf.glm(
        "applications ~ treat + pre + C(job_category)", ref_data, family=sm.families.Poisson()
    ).fit(cov_type="HC1")
    assert row["lift"] == pytest.approx(math.exp(ref.params["treat"]) - 1, rel=1e-8)
    assert row["p_value"] == pytest.approx(ref.pvalues["treat"], rel=1e-6)
    low = math.exp(ref.params["treat"] - 1.959963984540054 * ref.bse["treat"]) - 1
    assert row["lift_ci_low"] == pytest.approx(low, rel=1e-6)


def test_share_uses_the_denominator_as_offset() -> None:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    data = _with_pre_period(np.random.default_rng(2), 300, 1.0)
    row = adjust(
        _two_arm(), data, covariates=["job_category"], metrics=["qualified_share"]
    ).table.iloc[0]
    used = data[data["applications"] > 0].assign(treat=lambda d: (d["arm"] == "B").astype(float))
    ref = smf.glm(
        "qualified ~ treat + C(job_category)",
        used,
        family=sm.families.Poisson(),
        offset=np.log(used["applications"]),
    ).fit(cov_type="HC1")
    assert row["lift"] == pytest.approx(math.exp(ref.params["treat"]) - 1, rel=1e-8)


def test_cost_ratios_and_missing_covariates_are_refused() -> None:
    data = _with_pre_period(np.random.default_rng(3), 100, 1.0)
    with pytest.raises(ValueError, match="not cost_per_hire"):
        adjust(
            _two_arm(),
            data.assign(cost_dkk=100.0),
            covariates=["job_category"],
            metrics=["cost_per_hire"],
        )
    with pytest.raises(rk.DataError, match="covariate column is missing"):
        adjust(_two_arm(), data, covariates=["region"])
    holes = data.astype({"pre_applications": float})
    holes.loc[[3, 7], "pre_applications"] = np.nan
    with pytest.raises(rk.DataError, match="blank in 2 rows"):
        adjust(_two_arm(), holes, covariates=["pre_applications"])


@pytest.mark.slow
def test_pre_period_covariate_narrows_the_interval_and_keeps_alpha() -> None:
    rng = np.random.default_rng(4)
    ratios, rejections, covered = [], 0, 0
    replicates = 300
    for _ in range(replicates):
        data = _with_pre_period(rng, 120, 1.0)
        row = adjust(
            _two_arm(), data, covariates=["pre_applications"], metrics=["applications_per_posting"]
        ).table.iloc[0]
        ratios.append(row["ci_width_ratio"])
        rejections += row["p_value"] < 0.05
        covered += row["lift_ci_low"] <= 0 <= row["lift_ci_high"]
    assert np.mean(ratios) < 0.85  # the interval narrows by more than 15 % on average
    band = 3.5 * math.sqrt(0.05 * 0.95 / replicates)
    assert abs(rejections / replicates - 0.05) < band
    assert abs(covered / replicates - 0.95) < band


def _crossed() -> rk.Experiment:
    arms = [
        {"id": f"{v}-{c}", "variant": v, "channel": c}
        for v in ("standard", "fuldtid")
        for c in ("jobnet", "jobindex", "facebook")
    ]
    return rk.Experiment.model_validate(
        {
            "id": "fx",
            "control": "standard-jobnet",
            "metrics": ["applications_per_posting"],
            "arms": arms,
        }
    )


def test_factorial_matches_statsmodels() -> None:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    exp = _crossed()
    data = rk.simulate(
        exp,
        postings=900,
        effects={f"fuldtid-{c}": {"applications": 1.3} for c in ("jobnet", "jobindex", "facebook")},
        rng=5,
    )
    res = factorial(exp, data)
    data = data.assign(
        v=pd.Categorical(data["variant"], ["standard", "fuldtid"]),
        c=pd.Categorical(data["channel"], ["jobnet", "facebook", "jobindex"]),
    )
    ref = smf.glm("applications ~ v * c", data, family=sm.families.Poisson()).fit(cov_type="HC1")
    variant_row = res.table[res.table["term"] == "variant[T.fuldtid]"].iloc[0]
    assert variant_row["estimate"] == pytest.approx(math.exp(ref.params["v[T.fuldtid]"]), rel=1e-8)
    tests = res.tests.set_index("hypothesis")
    assert tests.loc["variant x channel", "df"] == 2
    names = [n for n in ref.params.index if ":" in n]
    matrix = np.zeros((2, len(ref.params)))
    for i, name in enumerate(names):
        matrix[i, list(ref.params.index).index(name)] = 1
    assert tests.loc["variant x channel", "p_value"] == pytest.approx(
        float(ref.wald_test(matrix, scalar=True).pvalue), rel=1e-8
    )


@pytest.mark.slow
def test_interaction_test_holds_alpha_without_interaction() -> None:
    exp = _crossed()
    effects = {f"fuldtid-{c}": {"applications": 1.3} for c in ("jobnet", "jobindex", "facebook")}
    replicates = 300
    data = rk.simulate(exp, postings=300, effects=effects, replicates=replicates, rng=6)
    rejected = 0
    for _, one in data.groupby("replicate"):
        tests = factorial(exp, one.drop(columns="replicate")).tests.set_index("hypothesis")
        rejected += tests.loc["variant x channel", "p_value"] < 0.05
    band = 3.5 * math.sqrt(0.05 * 0.95 / replicates)
    assert rejected / replicates < 0.05 + band


def test_rk_adjust_stays_the_function_after_its_module_is_imported() -> None:
    # a submodule named like the function would replace rk.adjust on first import
    import importlib

    importlib.import_module("rekrut._adjustment")
    assert callable(rk.adjust)
    assert rk.adjust is adjust
    assert rk.factorial is factorial
