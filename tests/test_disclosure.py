"""Disclosure control against an adversary who combines everything a comparison publishes.

The adversary knows the additivity of the KPI table (a total is the sum of its parts), that
counts are non-negative, and every number any query shows. For each count it cannot see it asks a
linear programme for the smallest and largest value consistent with all that; a count whose
range collapses to one value is recovered. Nothing here reuses the code under test.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from rekrut import peers
from rekrut.disclosure import ALL, protect_cube

Cell = tuple[str, str]  # (job_category or ALL, period or ALL)


def _cells(categories: Iterable[str], periods: Iterable[str]) -> list[Cell]:
    return list(itertools.product([*categories, ALL], [*periods, ALL]))


def _relations(cells: list[Cell]) -> list[tuple[Cell, list[Cell]]]:
    """Every total with its parts, along either breakdown."""
    cats = sorted({c for c, _ in cells if c != ALL})
    pers = sorted({p for _, p in cells if p != ALL})
    out = [((ALL, p), [(c, p) for c in cats]) for p in [*pers, ALL]]
    out += [((c, ALL), [(c, p) for p in pers]) for c in [*cats, ALL]]
    return out


def recovered(truth: dict[Cell, float], known: dict[Cell, float]) -> dict[Cell, float]:
    """Hidden cells whose value the published ones fix (min = max of a linear programme)."""
    cells = list(truth)
    unknown = [c for c in cells if c not in known]
    if not unknown:
        return {}
    column = {c: j for j, c in enumerate(unknown)}
    rows, rhs = [], []
    for total, parts in _relations(cells):
        row = np.zeros(len(unknown))
        constant = 0.0
        for cell, sign in [(total, 1.0), *((p, -1.0) for p in parts)]:
            if cell in column:
                row[column[cell]] += sign
            else:
                constant -= sign * known[cell]
        if row.any():
            rows.append(row)
            rhs.append(constant)
    found = {}
    for cell in unknown:
        goal = np.zeros(len(unknown))
        goal[column[cell]] = 1.0
        low = linprog(goal, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None))
        high = linprog(-goal, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None))
        assert low.status == 0
        assert high.status in (0, 3)
        if high.status == 0 and -high.fun - low.fun < 0.5:
            found[cell] = low.fun
    return found


def _truth(kpis: pd.DataFrame, code: str, column: str) -> dict[Cell, float]:
    mine = kpis[kpis["kommunekode"] == code]
    cats, pers = sorted(mine["job_category"].unique()), sorted(mine["period"].unique())
    out = {}
    for cat, per in _cells(cats, pers):
        rows = mine[
            ((mine["job_category"] == cat) | (cat == ALL))
            & ((mine["period"] == per) | (per == ALL))
        ]
        out[(cat, per)] = float(rows[column].sum())
    return out


def _published(kpis: pd.DataFrame, code: str) -> dict[str, dict[Cell, float]]:
    """Every count of ``code`` that any query on --job-category, --period and --by shows."""
    cats = sorted(kpis["job_category"].unique())
    pers = sorted(kpis["period"].unique())
    found = peers.find(code, k=3)
    shown: dict[str, dict[Cell, float]] = {"hires": {}, "applications": {}, "early_leavers": {}}
    queries = [
        {"job_category": c, "period": p, "by": ()}
        for c, p in itertools.product([None, *cats], [None, *pers])
    ]
    queries += [{"job_category": None, "period": p, "by": "job_category"} for p in [None, *pers]]
    queries += [{"job_category": c, "period": None, "by": "period"} for c in [None, *cats]]
    queries += [{"job_category": None, "period": None, "by": ["job_category", "period"]}]
    for query in queries:
        result = peers.compare(kpis, code, peers=found, **query)  # type: ignore[arg-type]
        payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
        for row in payload["table"]:
            if row["kommunekode"] != code or row["suppressed"]:
                continue
            cell = (
                row.get("job_category", query["job_category"] or ALL),
                row.get("period", query["period"] or ALL),
            )
            for count in ("hires", "applications"):
                _agree(shown[count], cell, row[count])
            if row["metric"] == "retention_12m":
                leavers = round(row["hires"] * (1 - row["value"]))
                _agree(shown["early_leavers"], cell, leavers)
    return shown


def _agree(book: dict[Cell, float], cell: Cell, value: float) -> None:
    assert book.setdefault(cell, value) == value, f"two queries disagree on {cell}"


def _small_cells() -> pd.DataFrame:
    kpis = peers.example_kpis()
    for code, category, period, hires in [
        ("751", "sosu_assistent", "2025", 3),
        ("461", "paedagog", "2024", 2),
        ("461", "paedagog", "2025", 0),
        ("751", "sygeplejerske", "2024", 4),
    ]:
        at = (
            (kpis["kommunekode"] == code)
            & (kpis["job_category"] == category)
            & (kpis["period"] == period)
        )
        kpis.loc[at, ["hires", "early_leavers"]] = [hires, min(hires, 1)]
    return kpis


@pytest.mark.slow
@pytest.mark.parametrize("code", ["751", "461"])
def test_no_query_combination_recovers_a_suppressed_count(code: str) -> None:
    kpis = _small_cells()
    shown = _published(kpis, code)
    for count, known in shown.items():
        truth = _truth(kpis, code, count)
        if count == "early_leavers":
            assert len(known) < len(truth)  # retention is suppressed somewhere
        assert all(truth[c] == v for c, v in known.items())
        assert recovered(truth, known) == {}, count
    hires = _truth(kpis, code, "hires")
    small = [c for c, v in hires.items() if v < 5]
    assert small
    assert not set(small) & set(shown["hires"])


def test_funnel_limits_and_rates_of_hidden_rows_are_blank() -> None:
    kpis = _small_cells()
    result = peers.compare(kpis, "751", job_category="sosu_assistent", period="2025", k=3)
    mine = result.table[result.table["kommunekode"] == "751"]
    assert mine["suppressed"].all()
    blank = mine.filter(regex="funnel|value|shrunk|hires|applications|postings|percentile")
    assert blank.isna().all().all()


def test_retention_with_few_early_leavers_is_hidden() -> None:
    kpis = peers.example_kpis()
    result = peers.compare(kpis, "751", job_category="paedagog", period="2025", k=10)
    table = result.table[result.table["metric"] == "retention_12m"]
    rows = kpis[(kpis["job_category"] == "paedagog") & (kpis["period"] == "2025")]
    leavers = rows.set_index("kommunekode")["early_leavers"]
    shown = table[~table["suppressed"]]
    assert (shown["kommunekode"].map(leavers) >= 5).all()
    assert (table["kommunekode"].map(leavers) < 5).any()


def test_json_has_no_bare_infinity() -> None:
    kpis = peers.example_kpis()
    at = kpis["kommunekode"] == "751"
    kpis.loc[at, ["hires", "early_leavers"]] = [0, 0]
    result = peers.compare(kpis, "101", job_category="paedagog", period="2025", min_count=1)
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert "Infinity" not in text
    assert "NaN" not in text


@pytest.mark.slow
@example([0, 3, 0, 0, 0, 2], [1, 2, 0, 0, 0, 2], 2)  # zeros pinned by non-negativity
@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=6, max_size=6),
    st.lists(st.integers(0, 30), min_size=6, max_size=6),
    st.integers(2, 6),
)
def test_cube_suppression_survives_the_adversary(
    hires: list[int], applications: list[int], threshold: int
) -> None:
    cats, pers = ["a", "b", "c"], ["x", "y"]
    table = pd.DataFrame(
        {
            "unit": "m",
            "job_category": [c for c in cats for _ in pers],
            "period": pers * len(cats),
            "hires": hires,
            "applications": applications,
        }
    )
    cube = protect_cube(
        table,
        unit="unit",
        dims=["job_category", "period"],
        counts=["hires", "applications"],
        min_count=threshold,
    )
    for count in ("hires", "applications"):
        truth = {
            (c, p): float(
                table[
                    ((table["job_category"] == c) | (c == ALL))
                    & ((table["period"] == p) | (p == ALL))
                ][count].sum()
            )
            for c, p in _cells(cats, pers)
        }
        status = {
            cell: cube.status("m", dict(zip(["job_category", "period"], cell, strict=True)))
            for cell in truth
        }
        known = {cell: v for cell, v in truth.items() if status[cell] == "shown"}
        assert all(v >= threshold for v in known.values())
        assert recovered(truth, known) == {}
