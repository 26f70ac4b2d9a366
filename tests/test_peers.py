"""Peers: found from covariates, shrinkage that respects size, suppression that never leaks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rekrut as rk
from rekrut import peers
from rekrut.disclosure import suppress

CAPITAL_SUBURBS = {
    "151",
    "153",
    "157",
    "159",
    "161",
    "163",
    "165",
    "167",
    "169",
    "173",
    "175",
    "183",
    "185",
    "187",
    "190",
}


def test_reference_has_98_municipalities_with_sources() -> None:
    table = peers.municipalities()
    assert len(table) == 98
    # Statistics Denmark, 1 January 2021: 5,840,045 in Denmark, of whom 90 on Christiansø,
    # which belongs to no municipality.
    assert table["population"].sum() == 5_840_045 - 90
    assert table["kommunegruppe"].value_counts().to_dict() == {
        "Landkommune": 31,
        "Hovedstadskommune": 24,
        "Oplandskommune": 24,
        "Provinsbykommune": 16,
        "Storbykommune": 3,
    }


@pytest.mark.parametrize("code", ["0159", "159", 159, "151"])
def test_capital_suburb_gets_capital_suburbs(code: str | int) -> None:
    found = peers.find(code, k=10)
    assert (found.table["region"] == "Region Hovedstaden").sum() >= 6  # mostly the capital region
    assert set(found.codes[:3]) <= CAPITAL_SUBURBS  # and the nearest are suburbs of Copenhagen
    assert (found.table["distance"].diff().dropna() >= 0).all()
    contributions = found.table.filter(like="contribution_").sum(axis=1)
    np.testing.assert_allclose(contributions, 1.0)


def test_given_peer_list_and_weights() -> None:
    given_list = peers.find("751", peers=["0461", "851", 101])
    assert given_list.codes == ["461", "851", "101"]
    weighted = peers.find("751", k=3, weights={"log_population": 10.0})
    assert set(weighted.codes) <= {
        "101",
        "461",
        "851",
        "147",
        "561",
        "621",
        "630",
        "657",
        "740",
        "791",
        "265",
        "217",
        "219",
        "259",
        "330",
        "370",
        "607",
        "615",
        "661",
        "730",
    }


def test_bad_inputs_are_named() -> None:
    with pytest.raises(rk.InputError, match="unknown municipality 999"):
        peers.find("999")
    with pytest.raises(rk.DataError, match="covariate is missing") as info:
        peers.find("159", covariates=["income"])
    assert info.value.column == "income"
    kpis = peers.example_kpis()
    bad = kpis.copy()
    bad.loc[4, "kommunekode"] = "998"
    with pytest.raises(rk.DataError, match="unknown municipality 998") as info:
        peers.validate_kpis(bad, source="kpi.csv")
    assert (info.value.row, info.value.column) == (6, "kommunekode")
    bad = kpis.copy()
    bad.loc[2, "hires"] = -1
    with pytest.raises(rk.DataError, match="non-negative"):
        peers.validate_kpis(bad)


def test_bundled_kpis_are_the_generator_output() -> None:
    bundled = peers.example_kpis()
    fresh = peers.synthetic_kpis(seed=2026).astype({"period": str})
    pd.testing.assert_frame_equal(bundled, fresh, check_dtype=False)


def test_shrinkage_moves_small_municipalities_more() -> None:
    kpis = peers.example_kpis()
    res = peers.compare(
        kpis, "101", job_category="sosu_assistent", period="2025", k=40, min_count=1
    )
    table = res.table[res.table["metric"] == "fill_rate"]
    moved = (table["shrunk"] - table["value"]).abs()
    small, large = (
        table["postings"] < table["postings"].quantile(0.3),
        table["postings"] > table["postings"].quantile(0.7),
    )
    assert moved[small].mean() > 2 * moved[large].mean()


def test_comparison_shape_and_json() -> None:
    res = peers.compare(peers.example_kpis(), "159", job_category="paedagog", period="2024")
    first = res.table.iloc[0]
    assert first["role"] == "municipality"
    assert set(res.table["verdict"].dropna()) <= {"above", "in_line", "below"}
    json.dumps(res.to_dict())


def test_comparing_by_category_equals_one_category_at_a_time() -> None:
    kpis = peers.example_kpis()
    found = peers.find("751")
    every = peers.compare(kpis, "751", period="2025", by="job_category", peers=found)
    assert list(every.table.columns[:2]) == ["job_category", "metric"]
    for category, part in every.table.groupby("job_category"):
        one = peers.compare(kpis, "751", job_category=category, period="2025", peers=found)
        pd.testing.assert_frame_equal(
            part.drop(columns="job_category").reset_index(drop=True), one.table
        )
    both = peers.compare(kpis, "751", by=["job_category", "period"], peers=found)
    assert both.table.groupby(["job_category", "period"]).ngroups == 6


def test_by_slices_without_the_municipality_are_noted_and_unknown_columns_named() -> None:
    kpis = peers.example_kpis()
    kpis = kpis[~((kpis["kommunekode"] == "751") & (kpis["job_category"] == "paedagog"))]
    res = peers.compare(kpis, "751", period="2025", by="job_category")
    assert "paedagog" not in set(res.table["job_category"])
    assert any(n.startswith("job_category=paedagog") for n in res.notes)
    with pytest.raises(rk.InputError, match="region"):
        peers.compare(kpis, "751", by="region")


def test_kpi_tables_from_other_engines_give_the_same_comparison() -> None:
    pl = pytest.importorskip("polars")
    kpis = peers.example_kpis()
    native = peers.compare(pl.from_pandas(kpis), "751", period="2025", by="job_category")
    pandas = peers.compare(kpis, "751", period="2025", by="job_category")
    pd.testing.assert_frame_equal(native.table, pandas.table)
    with pytest.raises(rk.DataError, match="cannot read a int as a KPI table"):
        peers.compare(42, "751")


def test_small_cells_never_leave() -> None:
    kpis = peers.example_kpis()
    tiny = kpis["kommunekode"] == "825"  # Læsø, the smallest municipality
    kpis.loc[tiny, ["hires", "failed", "early_leavers"]] = [2, 0, 0]
    kpis.loc[tiny, "postings"] = np.maximum(kpis.loc[tiny, "postings"], 2)
    res = peers.compare(kpis, "825", job_category="sosu_assistent", period="2025", k=5)
    mine = res.table[res.table["kommunekode"] == "825"]
    assert mine["suppressed"].all()
    assert mine[["hires", "value", "shrunk", "shrunk_ci_low"]].isna().all().all()
    assert any(note.startswith("825") for note in res.notes)
    text = json.dumps(res.to_dict())
    assert '"hires": 2' not in text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=12),
    st.integers(min_value=1, max_value=10),
)
def test_suppression_property(hires: list[int], threshold: int) -> None:
    table = pd.DataFrame({"name": [f"k{i}" for i in range(len(hires))], "hires": hires})
    table["rate"] = table["hires"] / 50
    out = suppress(
        table,
        count_columns=["hires"],
        blank_columns=["hires", "rate"],
        min_count=threshold,
        label_columns=["name"],
    )
    shown = out.table[~out.table["suppressed"]]
    assert (shown["hires"] >= threshold).all()
    hidden = out.table[out.table["suppressed"]]
    assert hidden[["hires", "rate"]].isna().all().all()
    assert len(out.notes) == int((table["hires"] < threshold).sum())
    assert not any(
        str(v) in " ".join(out.notes) for v in hidden.index.map(lambda i: f"hires={hires[i]}")
    )
    assert "total" not in out.table.columns
