"""The data layer hands analysis arrays shaped groups x arms: the same sums however the table
arrives, funnel totals whatever the metrics, and looks that replay the table checked once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.data import _aggregate as aggregation
from rekrut.data import cumulative_summary, load_postings, unit_columns


@pytest.fixture
def experiment() -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "s",
            "control": "A",
            "metrics": ["applications_per_posting", "qualified_share", "cost_per_hire"],
            "arms": [
                {"id": "A", "channel": "jobnet"},
                {"id": "B", "channel": "facebook"},
                {"id": "C", "channel": "linkedin"},
            ],
        }
    )


@pytest.fixture
def postings(experiment: rk.Experiment) -> pd.DataFrame:
    data = rk.simulate(experiment, postings=600, rng=11)
    data["region"] = np.where(np.arange(len(data)) % 3 == 0, "Nord", "Syd")
    return data


def test_arrays_equal_sums_by_hand(experiment: rk.Experiment, postings: pd.DataFrame) -> None:
    summary = rk.summarize(experiment, postings, by=["job_category", "region"])
    moments = summary.moments["qualified_share"]
    for g, group in summary.groups.iterrows():
        for a, arm in enumerate(summary.arms):
            rows = postings[
                (postings["arm"] == arm)
                & (postings["job_category"] == group["job_category"])
                & (postings["region"] == group["region"])
            ]
            known = rows.dropna(subset=["qualified", "applications"])
            assert moments.n[g, a] == len(known)
            assert moments.sum_x[g, a] == known["qualified"].sum()
            assert moments.sum_xy[g, a] == pytest.approx(
                (known["qualified"] * known["applications"]).sum(), rel=1e-12
            )
            assert summary.funnel["postings"][g, a] == len(rows)


def test_chunks_change_nothing(
    experiment: rk.Experiment, postings: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = rk.summarize(experiment, postings, by=["region"])
    monkeypatch.setattr(aggregation, "_CHUNK_ROWS", 37)  # groups first seen in later chunks
    chunked = rk.summarize(experiment, postings, by=["region"])
    pd.testing.assert_frame_equal(whole.groups, chunked.groups)
    for metric, moments in whole.moments.items():
        for stat in rk.data.SUFFICIENT_COLUMNS:
            np.testing.assert_allclose(
                getattr(chunked.moments[metric], stat), getattr(moments, stat), rtol=1e-12
            )


def test_missing_group_values_form_one_group(experiment: rk.Experiment) -> None:
    data = rk.simulate(experiment, postings=60, rng=2)
    data["region"] = [None, np.nan, "Nord"] * 20
    summary = rk.summarize(experiment, data, by=["region"])
    assert len(summary.groups) == 2
    assert summary.funnel["postings"].sum() == 60


def test_funnel_totals_do_not_depend_on_the_metrics(postings: pd.DataFrame) -> None:
    only_fill = rk.Experiment.model_validate(
        {
            "id": "f",
            "control": "A",
            "metrics": ["fill_rate"],
            "arms": [
                {"id": "A", "channel": "jobnet"},
                {"id": "B", "channel": "facebook"},
                {"id": "C", "channel": "linkedin"},
            ],
        }
    )
    totals = rk.summarize(only_fill, postings).totals()
    expected = postings.groupby("arm")["qualified"].sum()
    assert totals["qualified"].tolist() == expected.loc[["A", "B", "C"]].tolist()
    assert (
        totals["postings"].tolist() == postings["arm"].value_counts().loc[["A", "B", "C"]].tolist()
    )


def test_tidy_table_matches_the_arrays(experiment: rk.Experiment, postings: pd.DataFrame) -> None:
    summary = rk.summarize(experiment, postings, by=["region"])
    table = summary.table
    assert list(table.columns) == ["region", "arm", "metric", *rk.data.SUFFICIENT_COLUMNS]
    row = table[(table["region"] == summary.groups.loc[1, "region"]) & (table["arm"] == "C")]
    row = row[row["metric"] == "cost_per_hire"].iloc[0]
    assert row["sum_x"] == summary.moments["cost_per_hire"].sum_x[1, 2]


def test_unit_columns_slice_each_cell(experiment: rk.Experiment, postings: pd.DataFrame) -> None:
    summary = rk.summarize(experiment, postings, by=["region"])
    units = unit_columns(
        load_postings(experiment, postings),
        experiment,
        summary.groups,
        summary.by,
        ["applications"],
    )
    for g in range(len(summary.groups)):
        for a, arm in enumerate(summary.arms):
            region = summary.groups.loc[g, "region"]
            expected = postings[(postings["arm"] == arm) & (postings["region"] == region)]
            got = units.cell(g, a)["applications"]
            assert sorted(got) == sorted(expected["applications"].to_numpy(float))


def test_looks_are_running_totals(experiment: rk.Experiment, postings: pd.DataFrame) -> None:
    looks = cumulative_summary(experiment, postings)
    assert looks.groups["look"].is_monotonic_increasing
    n = looks.moments["applications_per_posting"].n
    assert (np.diff(n, axis=0) >= 0).all()
    whole = rk.summarize(experiment, postings).moments["applications_per_posting"].n
    np.testing.assert_array_equal(n[-1], whole[0])


def test_a_blank_publication_date_names_the_spreadsheet_row(
    tmp_path: Path, experiment: rk.Experiment, postings: pd.DataFrame
) -> None:
    data = postings.head(10).copy()
    data["published"] = data["published"].astype(str)
    data.loc[4, "published"] = ""
    path = tmp_path / "opslag.csv"
    data.to_csv(path, index=False)
    with pytest.raises(rk.DataError, match=r"opslag\.csv, row 6, column published"):
        cumulative_summary(experiment, path)
