"""Statistics Denmark StatBank CSV (the API's semicolon format) into the KPI panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rekrut import peers
from rekrut.errors import DataError

# The shape of api.statbank.dk/v1/data/<TABLE>/CSV?lang=da: a UTF-8 BOM, semicolons, one
# column per variable, the figure in INDHOLD, quarters as 2024K1, ".." where not available.
HEADER = "\ufeffOMRÅDE;SEKTOR;TID;INDHOLD\n"


def _write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _quarters(names: list[str], sector: str, figures: dict[str, list[int]]) -> list[str]:
    periods = [f"{year}K{q}" for year in (2023, 2024) for q in (1, 2, 3, 4)]
    return [
        f"{name};{sector};{period};{figures[name][i]}"
        for name in names
        for i, period in enumerate(periods)
    ]


def test_labels_quarters_and_aggregates(tmp_path: Path) -> None:
    rows = ["Hele landet;Kommuner;2024K1;9000", "Region Midtjylland;Kommuner;2024K1;2000"]
    rows += ["Aarhus;Kommuner;2024K1;120", "Høje-Taastrup;Kommuner;2024K1;30,0"]
    table = peers.read_statbank(_write(tmp_path / "t.csv", rows), kpi="postings")
    assert table.to_dict("records") == [
        {"kommunekode": "751", "job_category": "all", "period": "2024Q1", "postings": 120.0},
        {"kommunekode": "169", "job_category": "all", "period": "2024Q1", "postings": 30.0},
    ]


def test_codes_months_and_a_category(tmp_path: Path) -> None:
    rows = [
        "0751;SOSU;2024M01;12",
        "751;PAED;2024M01;7",
        "101;SOSU;2024M02;40",
        "000;SOSU;2024M01;1",
    ]
    table = peers.read_statbank(
        _write(tmp_path / "t.csv", rows, "KOMK;STILLING;TID;INDHOLD\n"),
        kpi="hires",
        category="STILLING",
    )
    assert table["kommunekode"].tolist() == ["751", "751", "101"]
    assert table["job_category"].tolist() == ["SOSU", "PAED", "SOSU"]
    assert table["period"].tolist() == ["2024-01", "2024-01", "2024-02"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "Aarhus;Kommuner;2024K1;..",
            r"t.csv, row 3, column INDHOLD: '\.\.' is not a number \(not available",
        ),
        ("Atlantis;Kommuner;2024K1;5", "t.csv, row 3, column OMRÅDE: 'Atlantis' is neither"),
        ("Aarhus;Kommuner;2024H1;5", "t.csv, row 3, column TID: '2024H1' is not a StatBank"),
        ("Aarhus;Stat;2024K1;5", "t.csv, column SEKTOR: the table has several values"),
    ],
)
def test_bad_rows_name_file_row_and_column(tmp_path: Path, row: str, message: str) -> None:
    path = _write(tmp_path / "t.csv", ["Aarhus;Kommuner;2023K4;4", row])
    with pytest.raises(DataError, match=message):
        peers.read_statbank(path, kpi="postings")


def test_a_file_without_a_figure_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ["Aarhus;2024K1;5"], "OMRÅDE;TID;ANTAL\n")
    with pytest.raises(DataError, match=r"no figure \(INDHOLD\) column"):
        peers.read_statbank(path, kpi="postings")


def test_two_tables_make_a_panel_that_evaluate_reads(tmp_path: Path) -> None:
    # postings and failed recruitments per municipality and quarter, one StatBank table each
    rng = np.random.default_rng(3)
    names = list(peers.municipalities()["name"].iloc[:30])
    posted = {n: list(rng.integers(40, 60, 8)) for n in names}
    failed = {n: [int(rng.integers(5, 15)) for _ in range(8)] for n in names}
    postings = peers.read_statbank(
        _write(tmp_path / "opslag.csv", _quarters(names, "Kommuner", posted)), kpi="postings"
    )
    failures = peers.read_statbank(
        _write(tmp_path / "forgaeves.csv", _quarters(names, "Kommuner", failed)), kpi="failed"
    )
    panel = postings.merge(failures, on=["kommunekode", "job_category", "period"])
    res = peers.evaluate(panel, postings["kommunekode"].iloc[0], start="2024Q3")
    assert len(res.path) == 8
    assert res.path["period"].iloc[-1] == "2024Q4"
    first = panel[panel["kommunekode"] == postings["kommunekode"].iloc[0]]
    expected = 1 - first["failed"] / first["postings"]
    assert res.path["observed"].to_numpy() == pytest.approx(expected.to_numpy())
    with pytest.raises(DataError, match="column cost_dkk: the column is missing"):
        peers.evaluate(panel, "101", start="2024Q3", metric="cost_per_hire")
