"""analyze(method="bayesian"): shape, coherence of the decision quantities, agreement in large samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.analysis import BAYES_COLUMNS


@pytest.fixture
def three_arm() -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "b3",
            "control": "A",
            "metrics": [
                "applications_per_posting",
                "fill_rate",
                "qualified_share",
                "cost_per_hire",
                "repost_rate",
            ],
            "arms": [
                {"id": "A", "channel": "jobindex"},
                {"id": "B", "channel": "facebook"},
                {"id": "C", "channel": "avis"},
            ],
            "channels": [
                {"id": "jobindex", "cost": {"per_posting_dkk": 4000}},
                {"id": "facebook", "kind": "social", "cost": {"per_click_dkk": 5}},
                {"id": "avis", "kind": "print", "cost": {"per_posting_dkk": 3000}},
            ],
        }
    )


def test_columns_and_rows(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=400, rng=1)
    table = rk.analyze(three_arm, data, method="bayesian", rng=1).table
    assert list(table.columns) == list(BAYES_COLUMNS)
    assert len(table) == 5 * 2
    assert set(table["decision"]) <= {"choose_treatment", "keep_control", "continue"}


def test_probability_best_sums_to_one_over_arms(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=400, effects={"B": {"applications": 1.3}}, rng=2)
    table = rk.analyze(three_arm, data, method="bayesian", rng=2).table
    for _, rows in table.groupby("metric"):
        total = rows["prob_best"].sum() + rows["prob_best_control"].iloc[0]
        assert total == pytest.approx(1.0, abs=1e-9)


def test_control_is_the_same_beside_every_treatment(three_arm: rk.Experiment) -> None:
    """One pooled dispersion per group: the overdispersed count model gives the control one
    posterior, whichever treatment it stands beside."""
    data = rk.simulate(three_arm, postings=25, effects={"C": {"applications": 2.0}}, rng=5)
    table = rk.analyze(three_arm, data, method="bayesian", rng=5).table
    for _, rows in table.groupby("metric"):
        values = rows["control_value"].to_numpy()
        assert (values == values[0]).all(), rows["metric"].iloc[0]


def test_given_dispersion_is_used_as_given() -> None:
    from rekrut.stats import bayes_compare_counts

    res = bayes_compare_counts(20, 160, 2400, 20, 220, 4000, dispersion=3.0)
    # Jeffreys prior Gamma(0.5, 0) on the data divided by 3: mean (0.5 + 160/3) / (20/3)
    assert res.control_value == pytest.approx((0.5 + 160 / 3) / (20 / 3))
    with pytest.raises(ValueError, match="dispersion must be finite and positive"):
        bayes_compare_counts(20, 160, 2400, 20, 220, 4000, dispersion=0.0)


def test_seeded_runs_repeat(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=200, rng=3)
    a = rk.analyze(three_arm, data, method="bayesian", rng=9).table
    b = rk.analyze(three_arm, data, method="bayesian", rng=9).table
    pd.testing.assert_frame_equal(a, b)


def test_direction_lower_for_reposts(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=3000, effects={"B": {"repost_rate": 0.5}}, rng=4)
    row = rk.analyze(three_arm, data, method="bayesian", rng=4).table.query(
        "metric == 'repost_rate' and arm == 'B'"
    )
    assert row["lift"].item() < 0
    assert row["prob_better"].item() > 0.99  # fewer reposts is better
    assert row["decision"].item() == "choose_treatment"


def test_large_sample_agrees_with_frequentist_interval(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=30_000, effects={"B": {"fill_rate": 1.1}}, rng=5)
    bayes = rk.analyze(three_arm, data, method="bayesian", rng=5).table.set_index(["metric", "arm"])
    freq = rk.analyze(three_arm, data).table.set_index(["metric", "arm"])
    for metric in ("fill_rate", "applications_per_posting", "qualified_share"):
        b, f = bayes.loc[(metric, "B")], freq.loc[(metric, "B")]
        width = f["diff_ci_high"] - f["diff_ci_low"]
        assert b["diff"] == pytest.approx(f["diff"], abs=0.02 * width)
        assert b["diff_ci_low"] == pytest.approx(f["diff_ci_low"], abs=0.1 * width), metric
        assert b["diff_ci_high"] == pytest.approx(f["diff_ci_high"], abs=0.1 * width), metric


def test_free_control_is_certainly_cheapest(examples: Path) -> None:
    table = rk.analyze(examples / "sosu_kanaltest.toml", method="bayesian", rng=1).table
    cost = table[table["metric"] == "cost_per_hire"]
    assert (cost["prob_best_control"] == 1.0).all()
    assert cost["lift"].isna().all()  # no relative change from a cost of zero


def test_arm_totals_work(three_arm: rk.Experiment) -> None:
    totals = pd.DataFrame(
        {
            "arm": ["A", "B", "C"],
            "postings": [40, 41, 39],
            "applications": [240, 330, 0],
            "qualified": [120, 150, 0],
            "hires": [24, 26, 0],
            "filled": [24, 26, 0],
            "reposted": [3, 2, 9],
            "cost_dkk": [160000, 40000, 117000],
        }
    )
    table = rk.analyze(three_arm, totals, method="bayesian", rng=1).table
    c_cost = table.query("metric == 'cost_per_hire' and arm == 'C'")
    assert np.isfinite(c_cost["treatment_value"].item())  # the prior keeps zero hires finite
    assert c_cost["prob_better"].item() < 0.01


def test_partial_pooling_moves_small_groups_more(three_arm: rk.Experiment) -> None:
    parts = []
    for i, postings in enumerate([24, 30, 600, 900]):
        part = rk.simulate(three_arm, postings=postings, rng=20 + i)
        part["kommune"] = f"k{i}"
        part["posting_id"] = part["kommune"] + part["posting_id"]
        parts.append(part)
    data = pd.concat(parts, ignore_index=True)
    alone = rk.analyze(three_arm, data, method="bayesian", by=["kommune"], rng=1).table
    pooled = rk.analyze(three_arm, data, method="bayesian", by=["kommune"], pool=True, rng=1).table
    rows = (alone["metric"] == "applications_per_posting") & (alone["arm"] == "B")
    moved = (pooled.loc[rows, "lift"] - alone.loc[rows, "lift"]).abs().to_numpy()
    assert moved[:2].min() > moved[2:].max()


def test_pooling_needs_groups_and_bayes(three_arm: rk.Experiment) -> None:
    data = rk.simulate(three_arm, postings=60, rng=1)
    with pytest.raises(ValueError, match="pool=True needs"):
        rk.analyze(three_arm, data, method="bayesian", pool=True)


@pytest.mark.parametrize(
    "metric", ["applications_per_posting", "qualified_share", "cost_per_hire", "fill_rate"]
)
def test_a_group_without_treatment_postings_is_blank_not_the_prior(metric: str) -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "x",
            "control": "A",
            "metrics": [metric],
            "arms": [
                {"id": "A", "channel": "jobnet"},
                {"id": "B", "channel": "facebook"},
                {"id": "C", "channel": "linkedin"},
            ],
        }
    )
    data = rk.simulate(exp, postings=900, rng=3)  # enough effective postings per cell
    data["cost_dkk"] = 1500.0  # every channel paid, so cost per hire is defined
    # region Syd has postings of A and C only
    data["region"] = np.where(data["arm"].eq("B") | (np.arange(len(data)) % 2 == 0), "Nord", "Syd")
    table = rk.analyze(exp, data, by=["region"], method="bayesian").table
    syd_b = table[(table["region"] == "Syd") & (table["arm"] == "B")].iloc[0]
    assert np.isnan(syd_b["treatment_value"])
    assert np.isnan(syd_b["prob_better"])
    assert syd_b["decision"] == "no_data"
    syd_c = table[(table["region"] == "Syd") & (table["arm"] == "C")].iloc[0]
    assert np.isfinite(syd_c["prob_better"])  # the other comparison in the group stands
    assert np.isnan(syd_c["prob_best"])  # but no arm can be called best without B's data
    nord = table[table["region"] == "Nord"]
    assert np.isfinite(nord["prob_better"]).all()


def test_a_comparison_without_data_carries_a_note() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "x",
            "control": "A",
            "metrics": ["fill_rate"],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )
    data = rk.simulate(exp, postings=80, rng=5)
    data["region"] = np.where(data["arm"].eq("B") | (np.arange(len(data)) % 2 == 0), "Nord", "Syd")
    result = rk.analyze(exp, data, by=["region"], method="bayesian")
    assert [n.code for n in result.notes] == ["no_data"]
    assert "region Syd, B" in result.note_texts("en")[0]


def _two_arms(*metrics: str) -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "x",
            "control": "A",
            "metrics": list(metrics),
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )


def test_a_clustered_share_with_one_posting_per_arm_is_not_compared() -> None:
    """4/4 vs 0/3 qualified applicants, one posting per arm: the applicants of one posting are
    not independent and the design effect needs two postings per arm. Before, the raw counts
    gave P(better) = 0.99 and 'choose_treatment' (the frequentist path gives no interval)."""
    exp = _two_arms("qualified_share")
    data = pd.DataFrame(
        {"posting_id": ["p1", "p2"], "arm": ["A", "B"], "applications": [3, 4], "qualified": [0, 4]}
    )
    result = rk.analyze(exp, data, method="bayesian", rng=1)
    row = result.table.iloc[0]
    assert np.isfinite(row["control_value"])
    assert np.isfinite(row["treatment_value"])
    for column in ("diff", "lift_ci_low", "prob_better", "prob_best", "expected_loss"):
        assert np.isnan(row[column]), column
    assert row["decision"] == "continue"
    assert [n.code for n in result.notes] == ["clustered_few_postings"]
    assert "fewer than two postings" in result.note_texts("en")[0]
    assert "færre end to opslag" in result.note_texts("da")[0]


def test_a_clustered_share_with_two_postings_per_arm_is_compared() -> None:
    exp = _two_arms("qualified_share")
    data = pd.DataFrame(
        {
            "posting_id": ["p1", "p2", "p3", "p4"],
            "arm": ["A", "A", "B", "B"],
            "applications": [3, 5, 4, 6],
            "qualified": [0, 1, 4, 5],
        }
    )
    result = rk.analyze(exp, data, method="bayesian", rng=1)
    # compared, but two postings per arm are far too few to put a probability on
    assert [n.code for n in result.notes] == ["bayes_few_effective_postings"]
    assert result.table["decision"].item() == "continue"
    assert np.isnan(result.table["prob_better"].item())
    assert np.isfinite(result.table["treatment_value"].item())


def test_many_effective_postings_let_the_bayesian_decide() -> None:
    exp = _two_arms("qualified_share")
    rng = np.random.default_rng(2)
    apps = rng.poisson(20, size=200)
    data = pd.DataFrame(
        {
            "posting_id": [f"p{i}" for i in range(200)],
            "arm": ["A"] * 100 + ["B"] * 100,
            "applications": apps,
            "qualified": rng.binomial(apps, np.r_[np.full(100, 0.3), np.full(100, 0.6)]),
        }
    )
    result = rk.analyze(exp, data, method="bayesian", rng=1)
    assert result.notes == ()
    assert result.table["decision"].item() != "continue"


def test_counts_from_arm_totals_carry_the_poisson_note() -> None:
    """From totals the Gamma–Poisson model cannot see overdispersion between postings (A/A
    runs with one row per arm gave an extreme P(better) in most runs); the frequentist path
    says so with 'poisson_totals', and so must the Bayesian one."""
    exp = _two_arms("applications_per_posting", "fill_rate")
    totals = pd.DataFrame(
        {"arm": ["A", "B"], "postings": [10, 10], "applications": [90, 130], "filled": [6, 7]}
    )
    result = rk.analyze(exp, totals, method="bayesian", rng=1)
    assert [n.code for n in result.notes] == ["poisson_totals_bayes"]
    assert "overdispersion" in result.note_texts("en")[0]
    assert "forskelle mellem opslag" in result.note_texts("da")[0]


def test_costs_and_shares_from_arm_totals_say_what_they_cannot_see() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "t",
            "control": "A",
            "metrics": ["cost_per_hire", "qualified_share"],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "jobindex"}],
        }
    )
    totals = pd.DataFrame(
        {
            "arm": ["A", "B"],
            "postings": [20, 20],
            "applications": [300, 340],
            "qualified": [120, 150],
            "hires": [12, 14],
            "cost_dkk": [60_000.0, 40_000.0],
        }
    )
    result = rk.analyze(exp, totals, method="bayesian", rng=1)
    assert [n.code for n in result.notes] == ["ratio_totals", "binomial_totals"]
