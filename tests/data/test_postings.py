"""Validation of posting tables: bad data is named by file, row and column; good data passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.data import load_postings

HEADER = "posting_id,arm,applications,qualified,hires,retained_12m,cost_dkk,days_to_hire,reposted"
GOOD = [
    "p1,A,10,4,1,1,0,30,0",
    "p2,A,0,0,0,,0,,1",
    "p3,B,25,9,1,,1200.5,41,0",
    "p4,B,7,2,0,0,300,,0",
]


@pytest.fixture
def experiment() -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "t",
            "control": "A",
            "metrics": [
                "applications_per_posting",
                "qualified_share",
                "fill_rate",
                "retention_12m",
                "cost_per_hire",
                "repost_rate",
            ],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )


def csv(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "postings.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_good_table_with_zeros_and_unknown_retention(
    tmp_path: Path, experiment: rk.Experiment
) -> None:
    data = load_postings(experiment, csv(tmp_path, GOOD))
    assert data.granularity == "postings"
    frame = data.frame
    assert frame["filled"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert np.isnan(frame.loc[2, "retained_12m"])
    assert frame["cost_dkk"].dtype == np.float64


@pytest.mark.parametrize(
    ("row_index", "replacement", "row", "column", "message"),
    [
        (1, "p2,A,-1,0,0,,0,,1", 3, "applications", "must not be negative"),
        (2, "p3,B,25,9,30,,1200,41,0", 4, "hires", r"hires \(30\) exceeds applications \(25\)"),
        (2, "p3,B,25,30,1,,1200,41,0", 4, "qualified", "exceeds applications"),
        (0, "p1,A,10,4,1,2,0,30,0", 2, "retained_12m", "exceeds hires"),
        (3, "p4,C,7,2,0,0,300,,0", 5, "arm", "unknown arm 'C'"),
        (1, "p2,A,ti,0,0,,0,,1", 3, "applications", "'ti' is not a number"),
        (1, "p2,A,2.5,0,0,,0,,1", 3, "applications", "whole number"),
        (3, "p4,B,7,2,0,0,,,0", 5, "cost_dkk", "blank"),
        (1, "p1,A,0,0,0,,0,,1", 3, "posting_id", "appears twice"),
        (3, "p4,B,7,2,0,0,300,12,0", 5, "days_to_hire", "hires is 0"),
        (1, "p2,A,0,0,0,,0,,2", 3, "reposted", "0 or 1"),
    ],
)
def test_bad_cells_are_named(
    tmp_path: Path,
    experiment: rk.Experiment,
    row_index: int,
    replacement: str,
    row: int,
    column: str,
    message: str,
) -> None:
    rows = list(GOOD)
    rows[row_index] = replacement
    path = csv(tmp_path, rows)
    with pytest.raises(rk.DataError, match=message) as info:
        load_postings(experiment, path)
    assert (info.value.file, info.value.row, info.value.column) == (str(path), row, column)
    assert str(info.value).startswith(f"{path}, row {row}, column {column}: ")


def test_empty_table(tmp_path: Path, experiment: rk.Experiment) -> None:
    with pytest.raises(rk.DataError, match="no rows"):
        load_postings(experiment, csv(tmp_path, []))
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(rk.DataError, match="empty"):
        load_postings(experiment, empty)


def test_missing_column_names_the_metric(tmp_path: Path, experiment: rk.Experiment) -> None:
    header = HEADER.replace(",cost_dkk", "")
    rows = [",".join(r.split(",")[:6] + r.split(",")[7:]) for r in GOOD]
    with pytest.raises(rk.DataError, match="metric cost_per_hire needs it") as info:
        load_postings(experiment, csv(tmp_path, rows, header))
    assert info.value.column == "cost_dkk"


def test_missing_optional_columns_are_fine(tmp_path: Path) -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "t",
            "control": "A",
            "metrics": ["applications_per_posting"],
            "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}],
        }
    )
    data = load_postings(exp, pd.DataFrame({"arm": ["A", "B"], "applications": [0, 3]}))
    assert list(data.frame["applications"]) == [0.0, 3.0]


def test_arm_without_rows(tmp_path: Path, experiment: rk.Experiment) -> None:
    with pytest.raises(rk.DataError, match="no rows for arm 'B'"):
        load_postings(experiment, csv(tmp_path, GOOD[:2]))


def test_dataframe_rows_count_from_one(experiment: rk.Experiment) -> None:
    frame = pd.DataFrame({"arm": ["A", "B", "B"], "applications": [1, -2, 3]})
    exp = experiment.model_copy(update={"metrics": ("applications_per_posting",)})
    with pytest.raises(rk.DataError) as info:
        load_postings(exp, frame)
    assert (info.value.row, info.value.column) == (2, "applications")


def test_semicolon_csv_with_decimal_comma(tmp_path: Path) -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "t",
            "control": "A",
            "metrics": ["cost_per_application"],
            "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}],
        }
    )
    path = tmp_path / "p.csv"
    path.write_text("arm;applications;cost_dkk\nA;3;1250,50\nB;4;99\n", encoding="utf-8")
    assert load_postings(exp, path).frame["cost_dkk"].tolist() == [1250.5, 99.0]


def test_variant_and_channel_columns_map_to_arms() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "t",
            "control": "A",
            "arms": [
                {"id": "A", "channel": "jobnet", "variant": "standard"},
                {"id": "B", "channel": "jobnet", "variant": "fuldtid"},
            ],
        }
    )
    frame = pd.DataFrame(
        {
            "variant": ["standard", "fuldtid"],
            "channel": ["jobnet", "jobnet"],
            "applications": [1, 2],
        }
    )
    assert load_postings(exp, frame).frame["arm"].tolist() == ["A", "B"]
    frame.loc[1, "channel"] = "tiktok"
    with pytest.raises(rk.DataError, match="no arm has variant and channel"):
        load_postings(exp, frame)


def test_arm_totals(experiment: rk.Experiment) -> None:
    totals = pd.DataFrame(
        {
            "arm": ["A", "B"],
            "postings": [40, 38],
            "applications": [300, 420],
            "qualified": [120, 150],
            "hires": [25, 27],
            "filled": [25, 27],
            "retained_12m": [20, 22],
            "reposted": [5, 3],
            "cost_dkk": [0, 91000],
        }
    )
    data = load_postings(experiment, totals)
    assert data.granularity == "arm_totals"
    bad = totals.assign(filled=[41, 27])
    with pytest.raises(rk.DataError, match=r"filled .* exceeds postings") as info:
        load_postings(experiment, bad)
    assert info.value.row == 1


def test_summary_sufficient_statistics_match_direct_sums(two_arm: rk.Experiment) -> None:
    data = rk.simulate(two_arm, postings=300, rng=3)
    table = rk.summarize(two_arm, data).table
    row = table[(table["arm"] == "B") & (table["metric"] == "cost_per_hire")].iloc[0]
    b = data[data["arm"] == "B"]
    assert row["n"] == len(b)
    assert row["sum_x"] == pytest.approx(b["cost_dkk"].sum())
    assert row["sum_xy"] == pytest.approx((b["cost_dkk"] * b["hires"]).sum())
    known = b["retained_12m"].notna()
    ret = table[(table["arm"] == "B") & (table["metric"] == "retention_12m")].iloc[0]
    assert ret["n"] == known.sum()
    assert ret["sum_y"] == b.loc[known, "hires"].sum()


def test_summary_by_group_keeps_every_arm(two_arm: rk.Experiment) -> None:
    data = rk.simulate(two_arm, postings=60, rng=4)
    data["region"] = np.where(np.arange(60) < 58, "north", "south")
    data.loc[data["region"] == "south", "arm"] = "A"
    table = rk.summarize(two_arm, data, by=["region"]).table
    south_b = table[(table["region"] == "south") & (table["arm"] == "B")]
    assert len(south_b) == len(rk.METRICS) - 1
    assert (south_b["n"] == 0).all()


def test_a_header_that_appears_twice_is_refused(tmp_path: Path, experiment: rk.Experiment) -> None:
    path = csv(tmp_path, [row + ",3" for row in GOOD], header=HEADER + ",applications ")
    with pytest.raises(
        rk.DataError, match=r"postings\.csv, row 1, column applications: two columns"
    ):
        load_postings(experiment, path)


def test_validation_leaves_the_callers_table_alone(experiment: rk.Experiment) -> None:
    data = pd.DataFrame(
        {" arm ": ["A", "B"], "applications": [4, 7]}, index=pd.Index([10, 20], name="id")
    )
    before = data.copy()
    frame = load_postings(
        experiment.model_copy(update={"metrics": ("applications_per_posting",)}), data
    ).frame
    assert frame is not None
    assert frame.index.tolist() == [0, 1]
    assert "arm" in frame.columns
    pd.testing.assert_frame_equal(data, before)
