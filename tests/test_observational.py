"""Observational designs: adjusted associations, balance, overlap, E-values, and the words used."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import rekrut as rk
from rekrut import stats
from rekrut.errors import ExperimentError
from rekrut.model import experiment_from_mapping

CATEGORY_MEAN = {"sosu": 4.0, "paedagog": 14.0, "laerer": 9.0}


def _experiment(**extra: object) -> rk.Experiment:
    return experiment_from_mapping({
        "id": "historik", "title": "Kanaler i 2023-24", "design": "observational",
        "adjust_for": ["job_category"], "control": "jobnet",
        "metrics": ["applications_per_posting", "qualified_share", "fill_rate"],
        "arms": [{"id": "jobnet", "channel": "jobnet"}, {"id": "facebook", "channel": "facebook"}],
        **extra,
    })  # fmt: skip


def _history(seed: int, n: int = 1500, ratio: float = 1.0) -> pd.DataFrame:
    """Facebook was used mostly for pædagog posts, which draw many applicants anyway."""
    rng = np.random.default_rng(seed)
    category = rng.choice(list(CATEGORY_MEAN), n)
    p_facebook = np.select([category == "paedagog", category == "sosu"], [0.8, 0.15], 0.4)
    arm = np.where(rng.random(n) < p_facebook, "facebook", "jobnet")
    mean = np.array([CATEGORY_MEAN[c] for c in category]) * np.where(arm == "facebook", ratio, 1)
    applications = rng.negative_binomial(1.5, 1.5 / (1.5 + mean))
    qualified = rng.binomial(applications, 0.4)
    return pd.DataFrame({
        "posting_id": np.arange(n), "arm": arm, "job_category": category,
        "applications": applications, "qualified": qualified,
        "hires": (rng.random(n) < 0.6).astype(int) * (applications > 0),
    })  # fmt: skip


def test_adjusting_for_the_category_removes_a_channel_association_that_is_not_there() -> None:
    exp, data = _experiment(), _history(1)
    naive = rk.analyze(exp, data).table.set_index("metric").loc["applications_per_posting"]
    assert naive["lift"] > 0.4
    assert naive["p_value"] < 1e-6
    row = rk.observe(exp, data).table.set_index("metric").loc["applications_per_posting"]
    assert row["ci_low"] < 1 < row["ci_high"]
    assert row["scale"] == "rate_ratio"
    assert row["model"] == "negative_binomial"


def test_a_true_ratio_is_covered_and_matches_statsmodels_negative_binomial() -> None:
    data = _history(2, n=3000, ratio=1.3)
    row = rk.observe(_experiment(), data).table.iloc[0]
    assert row["ci_low"] <= 1.3 <= row["ci_high"]
    ref = smf.negativebinomial(
        "applications ~ C(arm, Treatment('jobnet')) + C(job_category)", data=data
    ).fit(disp=0)
    beta = ref.params["C(arm, Treatment('jobnet'))[T.facebook]"]
    assert row["ratio"] == pytest.approx(np.exp(beta), rel=1e-6)
    e, e_ci = stats.e_value(row["ratio"], row["ci_low"], row["ci_high"])
    assert (row["e_value"], row["e_value_ci"]) == pytest.approx((float(e), float(e_ci)))


def test_shares_use_binomial_models_and_odds_ratios() -> None:
    table = rk.observe(_experiment(), _history(3)).table.set_index("metric")
    assert table.loc["qualified_share", "model"] == "quasi_binomial"
    assert table.loc["fill_rate", "model"] == "logistic"
    assert (table.loc[["qualified_share", "fill_rate"], "scale"] == "odds_ratio").all()
    assert (table.loc[["qualified_share", "fill_rate"], "ci_low"] < 1).all()


def test_e_value_matches_the_published_example() -> None:
    # VanderWeele & Ding (2017): RR 3.9 (1.8 to 8.7) gives E-values 7.26 and 3.02
    e, e_ci = stats.e_value(3.9, 1.8, 8.7)
    assert float(e) == pytest.approx(7.26, abs=0.01)
    assert float(e_ci) == pytest.approx(3.0, abs=0.02)
    assert float(stats.e_value(0.5, 0.3, 1.2)[1]) == 1.0  # the interval includes 1


def test_balance_and_overlap_show_how_comparable_the_arms_were() -> None:
    data = _history(4)
    extra = pd.DataFrame({"posting_id": [9001, 9002], "arm": "jobnet", "job_category": "leder",
                          "applications": [3, 5], "qualified": [1, 2], "hires": [1, 0]})  # fmt: skip
    res = rk.observe(_experiment(), pd.concat([data, extra], ignore_index=True))
    paedagog = res.balance.set_index("level").loc["paedagog"]
    assert paedagog["arm_mean"] > paedagog["control_mean"]
    assert paedagog["imbalanced"]
    assert res.overlap.to_dict("records") == [
        {"arm": "facebook", "group": "job_category=leder", "postings_arm": 0, "postings_control": 2}
    ]
    assert [n.code for n in res.notes] == ["observational", "observational_imbalance",
                                           "observational_overlap"]  # fmt: skip


def test_wording_is_association_never_effect() -> None:
    exp, data = _experiment(), _history(5)
    res = rk.observe(exp, data)
    texts = [*res.note_texts("da"), *res.note_texts("en"), *res.table.columns]
    assert "sammenhæng" in res.note_texts("da")[0]
    assert "association" in res.note_texts("en")[0]
    assert not any("effe" in text.lower() for text in texts)
    analysed = rk.analyze(exp, data)
    assert analysed.notes[0].code == "observational_analyze"
    report = rk.report.render_report(analysed, kind="md", lang="da")
    assert report.index("Ikke randomiseret") < report.index("## Beslutning")
    assert report.index("## Beslutning") < report.index("## Justerede sammenhænge")
    assert "effekt" not in report.lower()
    html = rk.report.render_report(analysed, kind="html", lang="en")
    assert html.index("Not randomised") < html.index('id="decision"')
    assert 'id="associations"' in html
    assert "effect" not in html.lower().replace("sideeffect", "")


def test_an_observational_analysis_decides_nothing_and_reads_the_adjusted_association() -> None:
    exp, data = _experiment(), _history(1)  # Facebook mostly for pædagog posts: confounded
    result = rk.analyze(exp, data, rng=1)
    assert result.srm is None  # no planned allocation to check
    assert result.associations is not None
    adjusted = result.associations.table.set_index("metric").loc["applications_per_posting"]
    (decision,) = result.decisions()
    assert decision.action == "test"
    # the decision reads the adjusted rate ratio, not the confounded raw difference (+58 %)
    assert decision.lift == pytest.approx(adjusted["ratio"] - 1)
    assert decision.lift_ci_low < 0 < decision.lift_ci_high
    assert result.to_dict()["associations"]["table"][0]["metric"] == "applications_per_posting"
    assert rk.analyze(exp, data, by=["job_category"], rng=1).associations is None


def test_design_is_declared_and_checked() -> None:
    with pytest.raises(ExperimentError, match=r"key adjust_for: .*observational designs"):
        _experiment(design="randomised")
    randomised = experiment_from_mapping({"id": "r", "control": "a",
        "arms": [{"id": "a", "channel": "x"}, {"id": "b", "channel": "y"}]})  # fmt: skip
    assert randomised.design == "randomised"
    with pytest.raises(ExperimentError, match="key design"):
        rk.observe(randomised, _history(6).replace({"arm": {"jobnet": "a", "facebook": "b"}}))
    with pytest.raises(ExperimentError, match="key design"):
        _experiment(design="natural")


def test_hours_per_week_as_a_covariate_and_a_missing_covariate_named() -> None:
    data = _history(7).assign(hours_per_week=lambda d: np.where(d.index % 3 == 0, 30.0, 37.0))
    res = rk.observe(_experiment(adjust_for=["job_category", "hours_per_week"]), data)
    assert res.covariates == ("job_category", "hours_per_week")
    assert "hours_per_week" in set(res.balance["covariate"])
    with pytest.raises(rk.DataError, match="column region"):
        rk.observe(_experiment(adjust_for=["region"]), data)
