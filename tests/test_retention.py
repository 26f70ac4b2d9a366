"""Kaplan–Meier retention of hires: published values, censoring, coverage, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut._retention import DAYS_PER_MONTH
from rekrut.errors import DataError

# Freireich et al. (1963), as in Gehan (1965), Biometrika 52, 203-223: weeks of remission in
# 21 leukaemia patients on 6-MP (+ = censored) and 21 on placebo (all relapsed). Here a week
# is a day after start and relapse is leaving.
SIX_MP = [
    "6",
    "6",
    "6",
    "6+",
    "7",
    "9+",
    "10",
    "10+",
    "11+",
    "13",
    "16",
    "17+",
    "19+",
    "20+",
    "22",
    "23",
    "25+",
    "32+",
    "32+",
    "34+",
    "35+",
]
PLACEBO = [
    "1",
    "1",
    "2",
    "2",
    "3",
    "4",
    "4",
    "5",
    "5",
    "8",
    "8",
    "8",
    "8",
    "11",
    "11",
    "12",
    "12",
    "15",
    "17",
    "22",
    "23",
]
AS_OF = pd.Timestamp("2025-01-01")


def _gehan() -> pd.DataFrame:
    rows = []
    for arm, times in (("6-MP", SIX_MP), ("placebo", PLACEBO)):
        for time in times:
            days = int(time.rstrip("+"))
            start = AS_OF - pd.Timedelta(days=days)
            end = None if time.endswith("+") else AS_OF.strftime("%Y-%m-%d")
            rows.append((arm, start.strftime("%Y-%m-%d"), end))
    frame = pd.DataFrame(rows, columns=["arm", "start_date", "end_date"])
    return frame.assign(hire_id=range(1, len(frame) + 1), as_of="2025-01-01")


def test_kaplan_meier_and_greenwood_log_log_intervals_match_the_published_table() -> None:
    res = rk.retention(_gehan(), months=[d / DAYS_PER_MONTH for d in (6, 7, 10, 13, 16, 22, 23)])
    six = res.table[res.table["group"] == "6-MP"]
    # > summary(survfit(Surv(time, status) ~ 1, data = gehan[gehan$treat == "6-MP", ],
    # +                 conf.type = "log-log"))
    np.testing.assert_allclose(six["retention"], [0.857, 0.807, 0.753, 0.690, 0.627, 0.538,
                                                  0.448], atol=5e-4)  # fmt: skip
    np.testing.assert_allclose(six["ci_low"], [0.620, 0.563, 0.503, 0.432, 0.368, 0.268, 0.188],
                               atol=5e-4)  # fmt: skip
    np.testing.assert_allclose(six["ci_high"], [0.952, 0.923, 0.889, 0.849, 0.805, 0.747, 0.680],
                               atol=5e-4)  # fmt: skip
    assert six["at_risk"].tolist() == [21, 17, 15, 12, 11, 7, 6]


def test_log_rank_and_cox_match_published_values() -> None:
    res = rk.retention(_gehan())
    # > survdiff(Surv(time, status) ~ treat, data = gehan): Chisq = 16.8 on 1 df, p = 4e-05
    assert res.log_rank is not None
    assert res.log_rank["statistic"] == pytest.approx(16.79, abs=0.01)
    assert res.log_rank["p_value"] == pytest.approx(4.17e-5, rel=0.01)
    # > coxph(Surv(time, status) ~ treat, data = gehan): coef 1.572, se 0.412 (Efron ties)
    row = res.comparison.iloc[0]
    assert (row["group"], row["reference"]) == ("placebo", "6-MP")
    assert row["hazard_ratio"] == pytest.approx(np.exp(1.572), rel=1e-3)
    assert np.log(row["ci_high"] / row["ci_low"]) / (2 * 1.959964) == pytest.approx(0.412, abs=1e-3)


def test_beyond_the_longest_follow_up_retention_is_unknown_not_carried_forward() -> None:
    hires = pd.DataFrame({"hire_id": [1, 2, 3], "arm": "A", "start_date": "2024-10-01",
                          "end_date": [None, "2024-11-01", None]})  # fmt: skip
    res = rk.retention(hires, as_of="2025-01-01")
    assert res.table["retention"].iloc[0] == pytest.approx(2 / 3)
    assert res.table["retention"].iloc[1:].isna().all()  # 6 and 12 months: nobody followed
    assert res.comparison.empty
    assert res.log_rank is None
    json.loads(res.to_json())


@pytest.mark.slow
def test_twelve_month_interval_covers_the_truth_under_censoring() -> None:
    rng = np.random.default_rng(5)
    truth = np.exp(-12 * DAYS_PER_MONTH / 900)  # exponential stays, mean 900 days
    covered = 0
    for _ in range(300):
        starts = AS_OF - pd.to_timedelta(rng.integers(0, 900, 150), "D")
        leaves = starts + pd.to_timedelta(rng.exponential(900, 150).astype(int), "D")
        end = pd.Series(leaves).where(leaves <= AS_OF)
        hires = pd.DataFrame({"hire_id": range(150), "arm": "A", "start_date": starts,
                              "end_date": end})  # fmt: skip
        row = rk.retention(hires, as_of=AS_OF, months=[12]).table.iloc[0]
        covered += row["ci_low"] <= truth <= row["ci_high"]
    assert 0.92 <= covered / 300 <= 0.98


def test_curves_start_at_one_and_the_plot_has_one_line_per_group() -> None:
    res = rk.retention(_gehan())
    first = res.curves.groupby("group").first()
    assert (first["days"] == 0).all()
    assert (first["retention"] == 1).all()
    fig = res.plot(lang="da")
    assert len(fig.axes[0].get_lines()) == 2
    assert "ansat" in fig.axes[0].get_ylabel()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end_date": ["2023-01-01", None]}, "row 2, column end_date: the end date is before"),
        ({"end_date": ["2026-01-01", None]}, "row 2, column end_date: after as_of"),
        ({"hire_id": [1, 1]}, "row 3, column hire_id: a hire id is repeated"),
        ({"start_date": ["1. marts", "2024-01-01"]}, "row 2, column start_date: '1. marts' is"),
        ({"as_of": ["2025-01-01", "2025-02-01"]}, "row 3, column as_of: differs"),
    ],
)
def test_bad_hire_tables_name_row_and_column(change: dict[str, list[object]], message: str) -> None:
    hires = pd.DataFrame({"hire_id": [1, 2], "arm": ["A", "B"], "as_of": "2025-01-01",
                          "start_date": ["2024-01-01"] * 2, "end_date": [None, None]})  # fmt: skip
    with pytest.raises(DataError, match=message):
        rk.retention(hires.assign(**change), source="ansatte.csv")


def test_as_of_given_twice_is_an_error() -> None:
    with pytest.raises(DataError, match="keep one"):
        rk.retention(_gehan(), as_of="2025-01-01")


def _experiment_hires(tmp_path: Path) -> Path:
    gen = np.random.default_rng(8)
    n = 120
    arm = np.where(np.arange(n) % 2 == 0, "jobnet", "facebook")
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(gen.integers(0, 300, n), unit="D")
    stay = gen.exponential(np.where(arm == "facebook", 400.0, 900.0))
    end = start + pd.to_timedelta(stay.astype(int), unit="D")
    left = end < pd.Timestamp("2025-06-30")
    hires = pd.DataFrame(
        {
            "hire_id": np.arange(n),
            "arm": arm,
            "start_date": start.strftime("%Y-%m-%d"),
            "end_date": np.where(left, end.strftime("%Y-%m-%d"), ""),
            "as_of": "2025-06-30",
        }
    )
    path = tmp_path / "ansaettelser.csv"
    hires.to_csv(path, index=False)
    return path


def test_the_report_shows_retention_per_arm(tmp_path: Path) -> None:
    from rekrut.cli import demo_experiment_path, main

    hires = _experiment_hires(tmp_path)
    result = rk.analyze(demo_experiment_path(), rng=1)
    found = rk.retention(pd.read_csv(hires))
    text = rk.report.render_report(result, kind="md", lang="da", retention=found)
    section = text[text.index("## Fastholdelse af nyansatte") :]
    assert "| Facebook" in section or "| facebook" in section.lower()
    assert "Log-rank" in section
    html = rk.report.render_report(result, kind="html", lang="en", retention=found)
    start = html.index('id="retention"')
    assert "<svg" in html[start : start + 200_000]
    out = tmp_path / "rapport.html"
    args = ["report", str(demo_experiment_path()), "--hires", str(hires), "--out", str(out)]
    assert main(args) == 0
    assert 'id="retention"' in out.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("hire_id,arm\n1,jobnet\n", encoding="utf-8")
    args = ["report", str(demo_experiment_path()), "--hires", str(bad), "--out", str(out)]
    assert main(args) == 2
