"""analyze(): the table's shape, its agreement with independent references, grouping, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.analysis import TABLE_COLUMNS


@pytest.fixture
def three_arm() -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "t3",
            "control": "A",
            "metrics": [
                "applications_per_posting",
                "fill_rate",
                "qualified_share",
                "cost_per_hire",
            ],
            "arms": [
                {"id": "A", "channel": "jobnet"},
                {"id": "B", "channel": "jobindex"},
                {"id": "C", "channel": "facebook"},
            ],
            "channels": [
                {"id": "jobindex", "cost": {"per_posting_dkk": 4000}},
                {"id": "facebook", "kind": "social", "cost": {"per_click_dkk": 5}},
            ],
        }
    )


def test_table_has_one_row_per_metric_and_treatment(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=600, rng=1)
    table = rk.analyze(three_arm, data).table
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert len(table) == 4 * 2
    assert set(table["arm"]) == {"B", "C"}
    assert (table["control"] == "A").all()
    assert (table.loc[table["metric"] == "cost_per_hire", "direction"] == "lower").all()


def test_fill_rate_matches_statsmodels(three_arm: rk.Experiment) -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    data = rk.simulate(three_arm, postings=900, effects={"B": {"fill_rate": 1.15}}, rng=2)
    row = rk.analyze(three_arm, data, proportion_test="z").table.query(
        "metric == 'fill_rate' and arm == 'B'"
    )
    filled = (data["hires"] > 0).groupby(data["arm"]).agg(["sum", "count"])
    (xa, na), (xb, nb) = filled.loc["A"], filled.loc["B"]
    assert row["control_value"].item() == pytest.approx(xa / na)
    assert row["treatment_value"].item() == pytest.approx(xb / nb)
    _, p = proportions_ztest([xb, xa], [nb, na])
    assert row["p_value"].item() == pytest.approx(p, rel=1e-9)
    low, high = confint_proportions_2indep(xb, nb, xa, na, method="newcomb", compare="diff")
    assert row["diff_ci_low"].item() == pytest.approx(low, rel=1e-9)
    assert row["diff_ci_high"].item() == pytest.approx(high, rel=1e-9)


def test_applications_per_posting_matches_welch(three_arm: rk.Experiment) -> None:
    from scipy import stats

    data = rk.simulate(three_arm, postings=300, effects={"C": {"applications": 1.4}}, rng=3)
    row = rk.analyze(three_arm, data).table.query(
        "metric == 'applications_per_posting' and arm == 'C'"
    )
    a = data.loc[data["arm"] == "A", "applications"]
    c = data.loc[data["arm"] == "C", "applications"]
    assert row["diff"].item() == pytest.approx(c.mean() - a.mean())
    assert row["p_value"].item() == pytest.approx(
        stats.ttest_ind(c, a, equal_var=False).pvalue, rel=1e-6
    )


def test_primary_and_secondary_families(three_arm: rk.Experiment) -> None:
    from statsmodels.stats.multitest import multipletests

    data = rk.simulate(three_arm, postings=600, rng=4)
    table = rk.analyze(three_arm, data).table
    primary = table[table["family"] == "primary"]
    assert set(primary["metric"]) == {"applications_per_posting"}
    assert (primary["correction"] == "holm").all()  # two treatment arms share the primary
    secondary = table[table["family"] == "secondary"]
    expected = multipletests(secondary["p_value"], method="holm")[1]
    np.testing.assert_allclose(secondary["p_value_corrected"], expected)


def test_grouped_analysis_equals_separate_runs(three_arm: rk.Experiment) -> None:
    parts = []
    for i, category in enumerate(["paedagog", "laerer"]):
        part = rk.simulate(three_arm, postings=400, job_category=category, rng=10 + i)
        parts.append(part.assign(job_category=category, posting_id=category + part["posting_id"]))
    data = pd.concat(parts, ignore_index=True)
    grouped = rk.analyze(three_arm, data, by=["job_category"]).table
    assert list(grouped.columns[:1]) == ["job_category"]
    for category, part in zip(["paedagog", "laerer"], parts, strict=True):
        alone = rk.analyze(three_arm, part).table
        mine = grouped[grouped["job_category"] == category].drop(columns="job_category")
        numeric = ["diff", "diff_ci_low", "diff_ci_high", "lift", "p_value"]
        np.testing.assert_allclose(mine[numeric].to_numpy(), alone[numeric].to_numpy(), rtol=1e-10)


def test_json_export_is_strict_json(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=200, rng=5)
    result = rk.analyze(three_arm, data)
    decoded = json.loads(result.to_json())
    assert decoded["method"] == "frequentist"
    assert len(decoded["table"]) == len(result.table)
    assert decoded["experiment"]["id"] == "t3"


def test_arm_without_hires_gives_open_interval_not_a_crash(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=300, rng=6)
    data.loc[data["arm"] == "C", ["hires", "retained_12m"]] = 0
    data.loc[data["arm"] == "C", "days_to_hire"] = np.nan
    result = rk.analyze(three_arm, data)
    row = result.table.query("metric == 'cost_per_hire' and arm == 'C'")
    assert np.isnan(row["treatment_value"].item())
    assert any(n.code == "zero_denominator" and n.params["arm"] == "C" for n in result.notes)
    json.loads(result.to_json())


def test_arm_totals_use_poisson_with_a_note(three_arm: rk.Experiment) -> None:
    totals = pd.DataFrame(
        {
            "arm": ["A", "B", "C"],
            "postings": [40, 41, 39],
            "applications": [240, 330, 300],
            "qualified": [120, 150, 140],
            "hires": [24, 26, 25],
            "filled": [24, 26, 25],
            "cost_dkk": [0, 164000, 40000],
        }
    )
    result = rk.analyze(three_arm, totals)
    codes = {n.code for n in result.notes}
    assert {"poisson_totals", "binomial_totals", "ratio_totals"} <= codes
    row = result.table.query("metric == 'applications_per_posting' and arm == 'B'")
    assert row["control_value"].item() == pytest.approx(6.0)
    assert row["treatment_value"].item() == pytest.approx(330 / 41)


def test_arm_totals_with_no_hires_give_an_undefined_cost_not_infinity(
    three_arm: rk.Experiment,
) -> None:
    totals = pd.DataFrame(
        {
            "arm": ["A", "B", "C"],
            "postings": [20, 18, 19],
            "applications": [150, 210, 160],
            "qualified": [60, 90, 70],
            "hires": [12, 0, 10],
            "filled": [12, 0, 10],
            "cost_dkk": [90000, 54000, 60000],
        }
    )
    result = rk.analyze(three_arm, totals)
    cost = result.table.query("metric == 'cost_per_hire'").set_index("arm")
    assert np.isnan(cost.loc["B", ["treatment_value", "diff", "lift"]].astype(float)).all()
    assert np.isinf(cost.loc["B", "lift_ci_high"])
    assert cost.loc["B", "lift_ci_low"] > 0  # B's cost per hire is above A's, exactly
    assert cost.loc["C", "lift"] == pytest.approx((60000 / 10) / (90000 / 12) - 1)
    assert any(n.code == "zero_denominator" and n.params["arm"] == "B" for n in result.notes)
    assert "Infinity" not in result.to_json()


SOURCE = {
    "id": "kilde",
    "control": "jobnet",
    "unit": "source",
    "metrics": ["applications_per_posting", "qualified_share"],
    "arms": [{"id": "jobnet", "channel": "jobnet"}, {"id": "facebook", "channel": "facebook"}],
}


def _attributed(postings: int, seed: int) -> pd.DataFrame:
    """One posting in both channels, applicants attributed to the channel they came from."""
    rng = np.random.default_rng(seed)
    total = rng.poisson(15, postings)
    facebook = rng.binomial(total, 0.6)
    rows = []
    for arm, apps in (("jobnet", total - facebook), ("facebook", facebook)):
        rows.append(
            pd.DataFrame(
                {
                    "posting_id": [f"P{i}" for i in range(postings)],
                    "arm": arm,
                    "applications": apps,
                    "qualified": rng.binomial(apps, 0.4),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_source_attribution_pairs_the_channels_of_each_posting() -> None:
    from scipy import stats

    data = _attributed(30, 1)
    result = rk.analyze(rk.Experiment.model_validate(SOURCE), data)
    row = result.table.query("metric == 'applications_per_posting'").iloc[0]
    wide = data.pivot_table(index="posting_id", columns="arm", values="applications")
    assert row["p_value"] == pytest.approx(
        stats.ttest_rel(wide["facebook"], wide["jobnet"]).pvalue, rel=1e-9
    )
    assert row["n_control"] == row["n_treatment"] == 30
    assert row["method"] == "welch_paired"
    assert any(n.code == "source_paired" for n in result.notes)
    # a posting missing from one channel drops out of that comparison
    fewer = rk.analyze(rk.Experiment.model_validate(SOURCE), data.drop(index=[0, 1]))
    assert fewer.table["n_control"].iloc[0] == 28


def test_source_attribution_needs_posting_ids_and_is_not_monitored() -> None:
    from rekrut.sequential import monitor

    plan = rk.Experiment.model_validate(SOURCE)
    with pytest.raises(rk.DataError, match="posting_id"):
        rk.analyze(plan, _attributed(10, 2).drop(columns="posting_id"))
    bayes = rk.analyze(plan, _attributed(10, 2), method="bayesian")
    assert any(n.code == "source_unpaired" for n in bayes.notes)
    timed = plan.model_copy(update={"metrics": ("time_to_hire_days",)})
    days = _attributed(10, 2).assign(hires=1, days_to_hire=30)
    assert [n.code for n in rk.analyze(timed, days).notes if n.code.startswith("source")] == [
        "source_unpaired"
    ]
    with pytest.raises(rk.InputError, match="source"):
        monitor(plan, _attributed(10, 2).assign(published="2026-01-05"))


@pytest.mark.parametrize("grouped", [False, True])
def test_per_posting_methods_use_each_arms_own_postings(examples: Path, grouped: bool) -> None:
    # time to hire and the bootstrap work on the postings of each arm (not on sufficient
    # statistics): the table must equal the stats functions called on those postings directly,
    # with and without grouping
    from rekrut.stats import bootstrap_ratios, compare_time_to_event

    exp = rk.load_experiment(examples / "sosu_kanaltest.toml")
    data = pd.read_csv(examples / "sosu_kanaltest.csv")
    by = ["job_category"] if grouped else None
    result = rk.analyze(exp, data, by=by, ratio_interval="bootstrap", n_resamples=500, rng=3)
    table = result.table.set_index(["metric", "arm"])
    hired = data["hires"] > 0
    time = np.where(hired, data["days_to_hire"], data["days_open"])

    def arm(name: str) -> pd.Series:
        return (data["arm"] == name).to_numpy()

    c, t = arm("jobnet"), arm("facebook")
    ref = compare_time_to_event(time[c], hired[c], time[t], hired[t])
    row = table.loc[("time_to_hire_days", "facebook")]
    assert row["n_control"] == c.sum()
    np.testing.assert_allclose(
        row[["control_value", "treatment_value", "p_value"]].astype(float),
        [ref.control_value, ref.treatment_value, ref.p_value],
    )
    # the seeded generator serves the cells in order: the first bootstrap metric and arm
    # (cost per hire, jobindex) sees it fresh
    cost, hires = data["cost_dkk"].to_numpy(float), data["hires"].to_numpy(float)
    t = arm("jobindex")
    boot = bootstrap_ratios(cost[c], hires[c], cost[t], hires[t], n_resamples=500, rng=3)
    row = table.loc[("cost_per_hire", "jobindex")]
    np.testing.assert_allclose(
        row[["diff_ci_low", "diff_ci_high"]].astype(float),
        [boot.comparison.diff_ci_low, boot.comparison.diff_ci_high],
    )


def test_sample_ratio_mismatch_is_flagged(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=900, rng=7)
    keep = (data["arm"] != "B") | (np.arange(len(data)) % 3 == 0)
    result = rk.analyze(three_arm, data[keep])
    assert result.srm is not None
    assert bool(result.srm.mismatch)
    assert any(n.code == "srm" for n in result.notes)


def test_example_experiments_run(examples: Path) -> None:
    for name in ("sosu_kanaltest", "admin_ordlyd", "paedagog_fuldtid"):
        result = rk.analyze(examples / f"{name}.toml")
        assert not result.table.empty
        primary = result.table[result.table["family"] == "primary"]
        assert primary["p_value"].notna().all()


def test_sequential_method_keeps_the_table_and_is_wider(examples: Path) -> None:
    path = examples / "sosu_kanaltest.toml"
    fixed = rk.analyze(path).table.set_index(["metric", "arm"])
    seq = rk.analyze(path, method="sequential")
    assert list(seq.table.columns) == list(TABLE_COLUMNS)
    table = seq.table.set_index(["metric", "arm"])
    row = ("applications_per_posting", "facebook")
    assert table.loc[row, "diff"] == pytest.approx(fixed.loc[row, "diff"])
    assert table.loc[row, "diff_ci_low"] < fixed.loc[row, "diff_ci_low"]
    assert table.loc[row, "p_value"] >= fixed.loc[row, "p_value"]
    assert any(n.code == "duration_sequential" for n in seq.notes)


def test_monitor_path_ends_at_the_full_data(examples: Path) -> None:
    from rekrut.sequential import monitor

    res = monitor(examples / "admin_ordlyd.toml", metrics=["applications_per_posting"])
    last = res.table.iloc[-1]
    full = rk.analyze(examples / "admin_ordlyd.toml").table.iloc[0]
    assert last["diff"] == pytest.approx(full["diff"])
    assert last["n_control"] + last["n_treatment"] == 140
    json.loads(json.dumps(res.to_dict()))


def test_monitor_uses_the_looks_planned_in_the_experiment(examples: Path) -> None:
    import datetime as dt

    from rekrut.sequential import monitor

    exp = rk.load_experiment(examples / "admin_ordlyd.toml")
    planned = exp.model_copy(
        update={
            "looks": (
                rk.Look(date=dt.date(2026, 4, 1)),
                rk.Look(postings=60),
                rk.Look(date=dt.date(2026, 12, 31)),
            )
        }
    )
    table = monitor(planned, metrics=["applications_per_posting"]).table
    assert len(table) == 3
    assert table["look"].iloc[0] <= pd.Timestamp("2026-04-01")
    assert table["n_control"].iloc[1] >= 60 or table["n_treatment"].iloc[1] >= 60
    assert table["n_control"].iloc[-1] + table["n_treatment"].iloc[-1] == 140


def test_fisher_cells_whose_interval_disagrees_are_flagged() -> None:
    """0/10 vs 4/10 filled postings: the lift interval (score, inverting the z-test, p = 0.025)
    is (+27 %, inf), but with small counts the p-value is Fisher's (0.087; scipy
    fisher_exact([[4, 6], [0, 10]]) = 0.0867): the note says which to read."""
    exp = rk.Experiment.model_validate(
        {
            "id": "x",
            "control": "A",
            "metrics": ["fill_rate"],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )
    data = pd.DataFrame(
        {
            "posting_id": [f"p{i}" for i in range(20)],
            "arm": ["A"] * 10 + ["B"] * 10,
            "hires": [0] * 10 + [1] * 4 + [0] * 6,
        }
    )
    fisher = rk.analyze(exp, data)
    row = fisher.table.iloc[0]
    assert row["p_value"] == pytest.approx(0.08668730650154797)
    assert row["lift_ci_low"] == pytest.approx(0.27121802003618)
    assert [n.code for n in fisher.notes] == ["fisher_interval"]
    assert "Fisher" in fisher.note_texts("da")[0]
    z = rk.analyze(exp, data, proportion_test="z")
    assert z.table["p_value"].item() == pytest.approx(0.025347318677468277)
    assert z.notes == ()


def test_time_to_hire_alone_by_group() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "tth",
            "control": "A",
            "metrics": ["time_to_hire_days"],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )
    data = rk.simulate(exp, postings=120, rng=3)
    data["region"] = np.where(np.arange(len(data)) % 2 == 0, "Nord", "Syd")
    table = rk.analyze(exp, data, by=["region"]).table
    assert table["region"].tolist() == ["Nord", "Syd"]
    assert np.isfinite(table["p_value"]).all()
    assert (table["n_control"] + table["n_treatment"]).sum() == len(data)


def _share_experiment() -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "share",
            "control": "A",
            "metrics": ["qualified_share"],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )


def test_a_share_resting_on_few_postings_carries_a_note() -> None:
    # 30 postings per arm, but two of them bring almost every applicant
    applications = np.array([0, 1, 2] * 10)
    applications[[3, 17]] = [400, 350]
    rows = pd.DataFrame(
        {
            "arm": ["A"] * 30 + ["B"] * 30,
            "applications": np.concatenate([applications, applications]),
        }
    )
    rows["qualified"] = rows["applications"] // 2
    result = rk.analyze(_share_experiment(), rows, small_sample="asymptotic")
    assert [n.code for n in result.notes] == ["few_effective_postings"]
    assert "rekrut check" in result.note_texts("da")[0]


def test_a_share_resting_on_few_postings_is_re_randomised_by_default() -> None:
    applications = np.array([0, 1, 2] * 10)
    applications[[3, 17]] = [400, 350]
    rows = pd.DataFrame(
        {
            "arm": ["A"] * 30 + ["B"] * 30,
            "applications": np.concatenate([applications, applications]),
        }
    )
    rows["qualified"] = (rows["applications"] * np.r_[np.full(30, 0.4), np.full(30, 0.6)]).astype(
        int
    )
    result = rk.analyze(_share_experiment(), rows, rng=1)
    assert result.table["method"].tolist() == ["randomization"]
    codes = [n.code for n in result.notes]
    assert "small_sample_randomization" in codes
    assert "few_effective_postings" not in codes
    # the same comparison as method="randomization" with the same seed
    exact = rk.analyze(_share_experiment(), rows, method="randomization", rng=1)
    cols = ["p_value", "diff_ci_low", "diff_ci_high", "lift_ci_low", "lift_ci_high"]
    pd.testing.assert_frame_equal(result.table[cols], exact.table[cols])


def test_many_postings_keep_the_delta_method() -> None:
    rng = np.random.default_rng(4)
    apps = rng.poisson(20, size=200)
    rows = pd.DataFrame({"arm": ["A"] * 100 + ["B"] * 100, "applications": apps})
    rows["qualified"] = rng.binomial(apps, 0.4)
    result = rk.analyze(_share_experiment(), rows)
    assert result.table["method"].tolist() == ["welch_delta"]
    assert "small_sample_randomization" not in [n.code for n in result.notes]


def test_a_share_spread_over_many_postings_has_no_such_note() -> None:
    rng = np.random.default_rng(3)
    applications = rng.integers(5, 15, size=120)
    rows = pd.DataFrame(
        {
            "arm": ["A"] * 60 + ["B"] * 60,
            "applications": applications,
            "qualified": rng.binomial(applications, 0.4),
        }
    )
    assert not rk.analyze(_share_experiment(), rows).notes
