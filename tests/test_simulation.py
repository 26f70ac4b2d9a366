"""The simulator draws what it states: the true effects, the overdispersion and the contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut._simulation import JOB_PROFILES
from rekrut.cli import main
from rekrut.data import load_postings


def test_seeded_and_reproducible(two_arm: rk.Experiment) -> None:
    a = rk.simulate(two_arm, postings=200, rng=11)
    b = rk.simulate(two_arm, postings=200, rng=11)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(rk.simulate(two_arm, postings=200, rng=12))


def test_output_passes_the_data_contract(two_arm: rk.Experiment) -> None:
    data = rk.simulate(two_arm, postings=500, rng=1)
    postings = load_postings(two_arm, data)
    assert postings.granularity == "postings"
    assert len(postings.frame) == 500


def test_true_levels_and_effects_are_recovered(two_arm: rk.Experiment) -> None:
    base = JOB_PROFILES["paedagog"]
    effects = {"B": {"applications": 1.5, "fill_rate": 1.2, "qualified_share": 0.8}}
    data = rk.simulate(two_arm, postings=40_000, effects=effects, job_category="paedagog", rng=5)
    a, b = (data[data["arm"] == arm] for arm in ("A", "B"))
    # Standard errors at this size are about 1 % of each level; allow 4 %.
    assert a["applications"].mean() == pytest.approx(base.applications_mean, rel=0.04)
    assert b["applications"].mean() == pytest.approx(1.5 * base.applications_mean, rel=0.04)
    assert (a["hires"] > 0).mean() == pytest.approx(base.fill_rate, rel=0.04)
    assert (b["hires"] > 0).mean() == pytest.approx(min(1.0, 1.2 * base.fill_rate), rel=0.04)
    share = b["qualified"].sum() / b["applications"].sum()
    assert share == pytest.approx(0.8 * base.qualified_share, rel=0.05)


def test_applicant_counts_are_negative_binomial(two_arm: rk.Experiment) -> None:
    base = JOB_PROFILES["sosu_assistent"]
    data = rk.simulate(two_arm, postings=40_000, rng=9)
    apps = data.loc[data["arm"] == "A", "applications"]
    mean = apps.mean()
    expected_var = mean + mean**2 / base.dispersion
    assert apps.var() == pytest.approx(expected_var, rel=0.1)
    assert apps.var() > 3 * mean  # far from Poisson


def test_costs_follow_the_channel_cost_model(two_arm: rk.Experiment) -> None:
    data = rk.simulate(two_arm, postings=300, rng=2)
    a, b = (data[data["arm"] == arm] for arm in ("A", "B"))
    assert (a["cost_dkk"] == 0).all()
    np.testing.assert_allclose(b["cost_dkk"], 5 * b["clicks"])


def test_open_postings_are_censored_not_hired(two_arm: rk.Experiment) -> None:
    import datetime as dt

    data = rk.simulate(
        two_arm,
        postings=2000,
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 3, 1),
        as_of=dt.date(2026, 3, 15),
        rng=3,
    )
    open_ = data["hires"] == 0
    assert data.loc[open_, "days_to_hire"].isna().all()
    assert data.loc[open_, "days_open"].notna().all()
    assert data.loc[~open_, "days_open"].isna().all()
    # nobody can have been retained 12 months within 2.5 months of follow-up
    assert data.loc[~open_, "retained_12m"].isna().all()


@pytest.mark.parametrize(
    ("effects", "message"),
    [
        ({"Z": {"applications": 1.2}}, "unknown arm 'Z'"),
        ({"B": {"aplications": 1.2}}, "unknown effect 'aplications'"),
        ({"B": {"applications": -1.0}}, "positive multiplier"),
    ],
)
def test_bad_effects(
    two_arm: rk.Experiment, effects: dict[str, dict[str, float]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        rk.simulate(two_arm, postings=10, effects=effects)


def test_unknown_job_category(two_arm: rk.Experiment) -> None:
    with pytest.raises(ValueError, match="no baseline profile for job_category 'astronaut'"):
        rk.simulate(two_arm, postings=10, job_category="astronaut")


def test_every_profile_names_its_source() -> None:
    for name, profile in JOB_PROFILES.items():
        assert "assumption" in profile.source, name
        assert any(
            word in profile.source
            for word in ("STAR", "FOA", "Moderniseringsstyrelsen", "minister")
        ), name


@pytest.mark.parametrize("name", ["sosu_kanaltest", "admin_ordlyd", "paedagog_fuldtid"])
def test_bundled_example_data_are_what_the_simulation_table_says(
    examples: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / f"{name}.csv"
    assert main(["simulate", str(examples / f"{name}.toml"), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (examples / f"{name}.csv").read_text(encoding="utf-8")
