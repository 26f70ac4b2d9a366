"""``rk.check_calibration``: A/A re-randomisation of the user's own postings."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.calibration import CALIBRATION_COLUMNS, binomial_band, permuted_arms, verdicts
from rekrut.errors import InputError


def _experiment(metrics: list[str], unit: str = "posting", arms: int = 2) -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "aa",
            "control": "A",
            "unit": unit,
            "metrics": metrics,
            "arms": [
                {"id": name, "channel": channel}
                for name, channel in zip("ABC", ("jobnet", "facebook", "jobindex"), strict=False)
            ][:arms],
        }
    )


@pytest.fixture(scope="module")
def welch() -> rk.CalibrationResult:
    exp = _experiment(["applications_per_posting", "fill_rate"])
    data = rk.simulate(exp, postings=300, rng=11)
    return rk.check_calibration(exp, data, replications=300, rng=5)


def test_welch_on_applicants_per_posting_is_calibrated(welch: rk.CalibrationResult) -> None:
    table = welch.table
    assert list(table.columns) == list(CALIBRATION_COLUMNS)
    row = table.set_index("metric").loc["applications_per_posting"]
    assert row["method"] == "welch"
    assert row["replications"] == 300
    assert row["band_low"] <= row["rate"] <= row["band_high"]
    assert row["verdict"] == "ok"
    assert row["coverage_verdict"] == "ok"
    assert row["mc_se"] == pytest.approx(np.sqrt(row["rate"] * (1 - row["rate"]) / 300))
    assert row["rate"] == row["false_positives"] / 300
    assert welch.nominal == pytest.approx(0.05)
    assert welch.postings == 300
    assert welch.notes == ()


def test_result_is_json_safe(welch: rk.CalibrationResult) -> None:
    payload = json.loads(json.dumps(welch.to_dict(), allow_nan=False))
    assert payload["replications"] == 300
    assert payload["seed"] == 5
    assert payload["band_level"] == 0.99
    assert {row["metric"] for row in payload["table"]} == {"applications_per_posting", "fill_rate"}


def test_a_seed_reproduces_the_check() -> None:
    exp = _experiment(["applications_per_posting", "qualified_share", "fill_rate"])
    data = rk.simulate(exp, postings=80, rng=3)
    first = rk.check_calibration(exp, data, replications=40, rng=9)
    again = rk.check_calibration(exp, data, replications=40, rng=9)
    pd.testing.assert_frame_equal(first.table, again.table)
    other = rk.check_calibration(exp, data, replications=40, rng=11)
    assert not first.table.equals(other.table)


def _mixed_costs(postings: int, rng: int) -> pd.DataFrame:
    """Half the postings free (Jobnet-like), half at 4,500 kr.: cost varies between postings."""
    gen = np.random.default_rng(rng)
    applications = gen.integers(5, 40, size=postings)
    return pd.DataFrame(
        {
            "posting_id": [f"P{i}" for i in range(postings)],
            "arm": np.repeat(["A", "B"], postings // 2),
            "applications": applications,
            "qualified": gen.binomial(applications, 0.5),
            "cost_dkk": np.where(gen.random(postings) < 0.5, 0.0, 4500.0),
        }
    )


def _small_skewed_experiment() -> pd.DataFrame:
    """4-8 postings per arm, zero-inflated heavy-tailed applicants (tests/municipal_dgp.py)."""
    spec = importlib.util.spec_from_file_location(
        "municipal_dgp", Path(__file__).with_name("municipal_dgp.py")
    )
    assert spec is not None
    assert spec.loader is not None
    dgp = importlib.util.module_from_spec(spec)
    sys.modules["municipal_dgp"] = dgp
    spec.loader.exec_module(dgp)
    return dgp.draw(1, "4-8", 1).drop(columns="rep")


def test_a_method_too_sure_on_these_postings_is_flagged() -> None:
    # The delta method plugs in the variation between postings estimated from a handful of
    # them, one of which brings most applicants: far too sure, and the check must say so. The
    # frequentist default re-randomises these postings and stays in the band.
    exp = _experiment(["qualified_share"])
    data = _small_skewed_experiment()
    delta = rk.check_calibration(exp, data, replications=200, small_sample="asymptotic", rng=1)
    row = delta.table.iloc[0]
    assert row["method"] == "welch_delta"
    assert row["verdict"] == "too_many"
    assert row["coverage_verdict"] == "too_narrow"
    assert row["rate"] > 0.2
    assert [n.code for n in delta.notes] == ["calibration_too_many"]
    assert "too optimistic" in delta.note_texts("en")[0]
    assert "for optimistiske" in delta.note_texts("da")[0]
    freq = rk.check_calibration(exp, data, replications=200, rng=1)
    assert freq.table.iloc[0]["method"] == "randomization"
    assert freq.table.iloc[0]["verdict"] == "ok"
    # the Bayesian share declines to put a probability on these postings at all
    bayes = rk.check_calibration(exp, data, replications=50, method="bayesian", rng=1)
    assert bayes.table.iloc[0]["verdict"] == "no_data"


def test_the_bayesian_cost_per_outcome_with_an_uncertain_cost_holds() -> None:
    # half the postings free, half at 4,500 kr.: the cost per posting varies, and the model
    # that carries that uncertainty stays in the band (taking the cost as known gave 30 %+)
    exp = _experiment(["cost_per_qualified"])
    data = _mixed_costs(60, rng=4)
    bayes = rk.check_calibration(exp, data, replications=100, method="bayesian", rng=1)
    assert bayes.table.iloc[0]["verdict"] == "ok"


def test_verdicts_against_the_binomial_band() -> None:
    low, high = binomial_band(np.array([200, 1000]), 0.05)
    assert low.tolist() == [0.015, 0.033]
    assert high.tolist() == [0.095, 0.069]
    hits = np.array([3, 19, 2, 20, 10, 0])
    trials = np.array([200, 200, 200, 200, 200, 0])
    assert verdicts(hits, trials, 0.05).tolist() == [
        "ok",
        "ok",
        "too_few",
        "too_many",
        "ok",
        "no_data",
    ]


def test_shuffles_keep_arm_sizes_within_groups() -> None:
    codes = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 1])
    groups = np.array([0, 1, 0, 1, 0, 1, 1, 0, 1, 0])
    out = permuted_arms(codes, groups, 500, np.random.default_rng(0))
    for g in (0, 1):
        inside = np.sort(out[:, groups == g], axis=1)
        assert (inside == np.sort(codes[groups == g])).all()
    # every row of a group gets every arm of the group in some shuffle
    assert set(out[:, 0]) == {0, 1, 2}


def test_by_reports_per_group() -> None:
    exp = _experiment(["applications_per_posting"])
    data = rk.simulate(exp, postings=120, rng=2)
    data["region"] = np.where(np.arange(len(data)) % 3 == 0, "nord", "syd")
    check = rk.check_calibration(exp, data, replications=30, by=["region"], rng=1)
    assert list(check.table.columns[:2]) == ["region", "metric"]
    assert sorted(check.table["region"]) == ["nord", "syd"]
    assert (check.table["replications"] == 30).all()
    assert check.by == ("region",)


def test_sequential_and_three_arms() -> None:
    exp = _experiment(["applications_per_posting"], arms=3)
    data = rk.simulate(exp, postings=90, rng=6)
    check = rk.check_calibration(exp, data, replications=20, method="sequential", rng=2)
    assert check.table["arm"].tolist() == ["B", "C"]
    assert (check.table["replications"] == 20).all()
    assert set(check.table["method"]) == {"msprt"}


def test_sequential_is_checked_per_group_in_batches() -> None:
    exp = _experiment(["applications_per_posting"])
    data = rk.simulate(exp, postings=80, rng=4)
    data["region"] = np.where(np.arange(len(data)) % 2 == 0, "nord", "syd")
    check = rk.check_calibration(
        exp, data, replications=12, method="sequential", by=["region"], rng=3
    )
    assert sorted(check.table["region"]) == ["nord", "syd"]
    assert (check.table["replications"] == 12).all()


def test_metrics_selects_a_subset() -> None:
    exp = _experiment(["applications_per_posting", "fill_rate"])
    data = rk.simulate(exp, postings=60, rng=1)
    check = rk.check_calibration(exp, data, replications=10, metrics=["fill_rate"], rng=1)
    assert check.table["metric"].tolist() == ["fill_rate"]
    with pytest.raises(InputError, match="not one of the experiment's metrics"):
        rk.check_calibration(exp, data, replications=10, metrics=["cost_per_hire"])


def test_paired_channels_are_refused() -> None:
    exp = _experiment(["applications_per_posting"], unit="source")
    with pytest.raises(InputError, match=r"unit 'source'.*no arm labels to re-randomise"):
        rk.check_calibration(exp, pd.DataFrame({"arm": ["A", "B"], "applications": [1, 2]}))


def test_arm_totals_are_refused() -> None:
    exp = _experiment(["applications_per_posting"])
    totals = pd.DataFrame({"arm": ["A", "B"], "postings": [10, 12], "applications": [40, 50]})
    with pytest.raises(InputError, match="arm totals cannot be re-randomised"):
        rk.check_calibration(exp, totals)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"replications": 0}, "positive whole number"),
        ({"method": "magic"}, "method must be"),
        ({"by": ["region"]}, "grouping column is missing"),
    ],
)
def test_bad_options(options: dict[str, object], message: str) -> None:
    exp = _experiment(["applications_per_posting"])
    data = rk.simulate(exp, postings=20, rng=1)
    with pytest.raises(InputError, match=message):
        rk.check_calibration(exp, data, **options)  # type: ignore[arg-type]


def test_takes_a_path(examples: Path) -> None:
    check = rk.check_calibration(
        examples / "admin_ordlyd.toml", replications=20, metrics=["fill_rate"], rng=1
    )
    assert check.experiment_id == "admin-ordlyd-2026"
    assert check.postings == 140


def test_a_polars_table_gives_the_same_check(examples: Path) -> None:
    pl = pytest.importorskip("polars")
    exp = rk.load_experiment(examples / "admin_ordlyd.toml")
    options = {"replications": 30, "rng": 3, "metrics": ["fill_rate", "applications_per_posting"]}
    native = rk.check_calibration(exp, pl.read_csv(examples / "admin_ordlyd.csv"), **options)
    in_pandas = rk.check_calibration(exp, examples / "admin_ordlyd.csv", **options)
    pd.testing.assert_frame_equal(native.table, in_pandas.table)
    assert native.table["metric"].tolist() == ["applications_per_posting", "fill_rate"]
