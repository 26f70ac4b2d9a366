"""Part-time and full-time posts: the descriptive table, its intervals, and bad hours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

import rekrut as rk
from rekrut.errors import DataError


def test_part_time_shares_of_postings_and_hires_per_category() -> None:
    history = rk.simulate_ad_history(600, rng=2)
    res = rk.part_time(history)
    table = res.table.set_index("job_category")
    for category, part in history.groupby("job_category"):
        row = table.loc[category]
        assert row["postings"] == len(part)
        assert row["part_time_postings"] == int((part["hours_per_week"] < 37).sum())
        assert row["part_time_hires"] == int(part.loc[part["hours_per_week"] < 37, "hires"].sum())
        low, high = proportion_confint(row["part_time_postings"], row["postings"], method="wilson")
        assert (row["share_ci_low"], row["share_ci_high"]) == pytest.approx((low, high))
    assert table.loc["all", "postings"] == 600
    assert table.loc["all", "mean_hours"] == pytest.approx(history["hours_per_week"].mean())
    assert res.to_dict()["table"][-1]["job_category"] == "all"


def test_full_time_threshold_and_no_hires_column() -> None:
    ads = pd.DataFrame({"job_category": ["a", "a", "b"], "hours_per_week": ["32.5", "30", "37"]})
    res = rk.part_time(ads, full_time_hours=32.5)
    table = res.table.set_index("job_category")
    assert table.loc["a", "part_time_postings"] == 1
    assert np.isnan(table.loc["a", "part_time_hire_share"])


@pytest.mark.parametrize("bad", ["37,5", "0", "", "120"])
def test_bad_hours_name_the_row(bad: str) -> None:
    ads = pd.DataFrame({"job_category": ["a", "b"], "hours_per_week": ["37", bad]})
    with pytest.raises(DataError, match=r"opslag\.csv, row 3, column hours_per_week"):
        rk.part_time(ads.replace({"": None}), source="opslag.csv")
