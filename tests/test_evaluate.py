"""rk.peers.evaluate: an initiative against comparable municipalities, on the bundled panel
and on panels with a known truth; its errors, notes, CLI and report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut import peers
from rekrut.cli import main
from rekrut.errors import DataError, InputError

OTHERS = {
    code: [c for c in peers.PANEL_INITIATIVES if c != code] for code in peers.PANEL_INITIATIVES
}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return peers.example_panel()


def test_the_bundled_panel_is_labelled_synthetic_and_complete(panel: pd.DataFrame) -> None:
    assert len(panel) == 98 * 3 * 32
    assert peers.validate_kpis(panel).shape[0] == len(panel)
    regenerated = peers.synthetic_panel(seed=2026)
    pd.testing.assert_frame_equal(
        panel.reset_index(drop=True), regenerated.astype(panel.dtypes.to_dict()), check_dtype=False
    )


@pytest.mark.parametrize("method", ["synthetic_control", "did"])
def test_aarhus_initiative_is_found(panel: pd.DataFrame, method: str) -> None:
    start, effect = peers.PANEL_INITIATIVES["751"]
    res = peers.evaluate(panel, "0751", start="2023-01", method=method, exclude=OTHERS["751"])  # type: ignore[arg-type]
    assert res.start == start
    assert res.placebo.ci_low <= effect <= res.placebo.ci_high
    assert res.estimate > 0
    assert res.placebo.p_value < 0.1
    assert res.weights["weight"].sum() == pytest.approx(1.0)
    assert len(res.placebos) == 95
    path = res.path
    assert path["post"].sum() == 12
    assert np.allclose(path["observed"] - path["counterfactual"], path["gap"])
    json.loads(res.to_json())


def test_did_carries_its_regression_and_the_one_cluster_caveat(panel: pd.DataFrame) -> None:
    res = peers.evaluate(panel, "751", start="2023Q1", method="did", exclude=OTHERS["751"])
    assert res.regression is not None
    assert res.regression.estimate == pytest.approx(res.estimate, rel=1e-9)
    assert "did_clustered_se" in [n.code for n in res.notes]


def test_a_poorly_matched_municipality_gets_a_note(panel: pd.DataFrame) -> None:
    # Læsø (825): a handful of postings a quarter, a path no mix of donors can follow
    res = peers.evaluate(panel, "825", start="2023Q1", exclude=list(peers.PANEL_INITIATIVES))
    assert "poor_pre_fit" in [n.code for n in res.notes]
    good = peers.evaluate(panel, "751", start="2023Q1", exclude=OTHERS["751"])
    assert "poor_pre_fit" not in [n.code for n in good.notes]


def test_a_given_peer_set_is_the_donor_pool(panel: pd.DataFrame) -> None:
    found = peers.find("751", k=25)
    res = peers.evaluate(panel, "751", start="2023Q1", donors=found)
    assert set(res.placebos["kommunekode"]) == set(found.codes)
    few = peers.evaluate(panel, "751", start="2023Q1", donors=found.codes[:10])
    assert np.isinf(few.placebo.ci_high)
    assert "few_donors" in [n.code for n in few.notes]


def test_one_job_category_and_other_metrics(panel: pd.DataFrame) -> None:
    res = peers.evaluate(
        panel, "751", start="2023Q1", job_category="paedagog", metric="cost_per_hire"
    )
    assert res.metric == "cost_per_hire"
    with pytest.raises(InputError, match="no rows for job category 'laerer'"):
        peers.evaluate(panel, "751", start="2023Q1", job_category="laerer")


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2023-02", "does not begin one of the panel's periods"),
        ("2018Q2", "at least two before"),
        ("2026Q1", "does not begin"),
        ("i fjor", "not a period"),
    ],
)
def test_a_start_that_is_not_a_period_boundary_is_refused(
    panel: pd.DataFrame, start: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        peers.evaluate(panel, "751", start=start)


def test_mixed_period_formats_name_the_row() -> None:
    small = peers.synthetic_panel(seed=1, periods=("2024", "2025"), job_categories=("paedagog",))
    small.loc[5, "period"] = "2025-01"
    with pytest.raises(DataError, match="row 6, column period"):
        peers.evaluate(small, "751", start="2025")


def test_a_municipality_without_postings_in_a_period_is_refused() -> None:
    small = peers.synthetic_panel(
        seed=1, periods=("2022", "2023", "2024", "2025"), job_categories=("paedagog",)
    )
    small.loc[
        (small["kommunekode"] == "751") & (small["period"] == "2022"),
        ["postings", "failed", "reposts"],
    ] = 0
    with pytest.raises(InputError, match="751 has no fill_rate for period 2022"):
        peers.evaluate(small, "751", start="2024")
    donor = small["kommunekode"] == "101"
    small.loc[(small["kommunekode"] == "751") & (small["period"] == "2022"), ["postings"]] = 5
    small.loc[donor & (small["period"] == "2022"), ["postings", "failed", "reposts"]] = 0
    res = peers.evaluate(small, "751", start="2024")
    assert "101" not in set(res.placebos["kommunekode"])
    assert "donors_incomplete" in [n.code for n in res.notes]


@pytest.mark.slow
def test_calibration_on_generated_panels() -> None:
    # No initiative anywhere: a municipality drawn at random gets a placebo p-value at most 0.05
    # in about 5 % of panels; with a fill-rate effect of 0.05 the interval covers it about
    # 95 % of the time and the estimate is unbiased. 25 panels x 4 municipalities.
    from rekrut._initiative import metric_panel

    rng = np.random.default_rng(7)
    p_values, covered, errors = [], 0, []
    for seed in range(25):
        data = peers.synthetic_panel(seed=100 + seed, initiatives={})
        wide = metric_panel(peers.validate_kpis(data), "filled", "postings")
        for code in rng.choice(wide.index.to_numpy(), 4, replace=False):
            null = rk._initiative.evaluate_panel(wide, code, metric="fill_rate", start="2023Q1")
            p_values.append(null.placebo.p_value)
            shifted = wide.copy()
            shifted.loc[code, shifted.columns >= "2023Q1"] += 0.05
            res = rk._initiative.evaluate_panel(shifted, code, metric="fill_rate", start="2023Q1")
            covered += res.placebo.ci_low <= 0.05 <= res.placebo.ci_high
            errors.append(res.estimate - 0.05)
    assert np.mean(np.asarray(p_values) <= 0.05) <= 0.1
    assert 0.88 <= covered / 100 <= 1.0
    assert abs(np.mean(errors)) < 3 * np.std(errors) / np.sqrt(100)


def test_cli_evaluates_the_example_and_writes_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "indsats.html"
    code = main(
        ["evaluate", "example", "--municipality", "0751", "--start", "2023-01", "--exclude", "461",
         "--exclude", "147", "--format", "json", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"]["municipality"] == "751"
    text = out.read_text(encoding="utf-8")
    assert "<svg" in text
    assert "Sammenligningsgrundlag" in text


def test_cli_names_the_file_row_and_column_of_a_bad_panel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = peers.synthetic_panel(seed=1, periods=("2024", "2025"), job_categories=("paedagog",))
    bad.loc[3, "failed"] = 10**6
    path = tmp_path / "panel.csv"
    bad.to_csv(path, index=False)
    assert main(["evaluate", str(path), "--municipality", "751", "--start", "2025"]) == 2
    err = capsys.readouterr().err
    assert "panel.csv, row 5, column failed" in err


def test_the_english_markdown_report_states_the_assumption(panel: pd.DataFrame) -> None:
    res = peers.evaluate(panel, "751", start="2023Q1", exclude=OTHERS["751"])
    text = rk.report.render_evaluation(res, kind="md", lang="en")
    assert "was not randomised" in text
    assert "synthetic control" in text


def test_cli_names_the_file_row_of_a_mixed_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = peers.synthetic_panel(seed=1, periods=("2024", "2025"), job_categories=("paedagog",))
    bad.loc[5, "period"] = "2025-01"
    path = tmp_path / "panel.csv"
    bad.to_csv(path, index=False)
    assert main(["evaluate", str(path), "--municipality", "751", "--start", "2025"]) == 2
    assert "panel.csv, row 7, column period" in capsys.readouterr().err


def test_few_pre_periods_get_a_note() -> None:
    yearly = peers.synthetic_panel(
        seed=3, periods=tuple(str(y) for y in range(2018, 2026)), job_categories=("paedagog",)
    )
    res = peers.evaluate(yearly, "751", start="2023")
    assert "few_pre_periods" in [n.code for n in res.notes]
    did = peers.evaluate(yearly, "751", start="2023", method="did")
    assert "few_pre_periods" not in [n.code for n in did.notes]
