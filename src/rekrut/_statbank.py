"""Statistics Denmark's StatBank export (``api.statbank.dk/v1/data/<TABLE>/CSV``) as KPI rows.

The API's CSV is semicolon-separated with one column per variable (the area, e.g. ``OMRÅDE``;
the time, ``TID``; any others) and the figure in ``INDHOLD``. Periods are written ``2024``,
``2024K1`` (quarter) or ``2024M01`` (month); ``..`` marks a figure that is not available.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from rekrut.errors import DataError
from rekrut.io import read_resource_table, read_table
from rekrut.model import normalize_kommunekode

__all__ = ["AREA_COLUMNS", "read_statbank"]

AREA_COLUMNS = ("OMRÅDE", "OMRADE", "KOMK", "KOMKODE", "KOMMUNE", "BOPKOM", "AREA", "REGION")
"""Names StatBank gives the municipality variable (matched without regard to case)."""

_TIME_COLUMNS = ("TID", "TIME")
_VALUE_COLUMNS = ("INDHOLD", "CONTENT", "CONTENTS")
# Aggregates in area variables: all of Denmark, the regions (codes 081-085) and Christiansø
# (411, which belongs to no municipality).
_NOT_MUNICIPALITIES = {
    "000",
    "0",
    "081",
    "082",
    "083",
    "084",
    "085",
    "411",
    "Hele landet",
    "Christiansø",
}
_PERIODS = (
    (r"^(\d{4})$", r"\1"),
    (r"^(\d{4})K([1-4])$", r"\1Q\2"),
    (r"^(\d{4})M(\d{2})$", r"\1-\2"),
)


def read_statbank(path: str | Path, *, kpi: str, category: str | None = None) -> pd.DataFrame:
    """One StatBank table (CSV from the API) as KPI rows: one KPI column per file.

    Parameters
    ----------
    path
        The CSV file (``format=CSV``; codes or labels, Danish or English headers).
    kpi
        The KPI column the figure fills (e.g. ``"postings"``).
    category
        A variable of the table to use as ``job_category`` (e.g. an occupation or sector);
        without it every other variable must hold one value, and ``job_category`` is ``"all"``.

    Returns
    -------
    pandas.DataFrame
        ``kommunekode, job_category, period, <kpi>``; rows for all of Denmark, the regions and
        Christiansø are left out.

    Raises
    ------
    DataError
        Naming the file, row and column of the first value that does not fit.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "tabel.csv"
    >>> _ = file.write_text("OMRÅDE;TID;INDHOLD\\nHele landet;2024K1;900\\nAarhus;2024K1;120\\n",
    ...                     encoding="utf-8")
    >>> read_statbank(file, kpi="postings").to_dict("records")
    [{'kommunekode': '751', 'job_category': 'all', 'period': '2024Q1', 'postings': 120.0}]
    """
    name = str(path)
    raw = read_table(path)
    upper = {str(c).strip().upper(): str(c) for c in raw.columns}
    area = _one_column(upper, AREA_COLUMNS, "area (OMRÅDE)", name)
    time = _one_column(upper, _TIME_COLUMNS, "time (TID)", name)
    value = _one_column(upper, _VALUE_COLUMNS, "figure (INDHOLD)", name)
    others = [c for c in raw.columns if c not in (area, time, value)]
    if category is not None and category not in others:
        raise DataError(
            f"no variable {category!r} to use as job category", file=name, column=category
        )
    for column in others:
        values = raw[column].astype(str).to_numpy()
        if column != category and (values != values[0]).any():
            raise DataError(
                "the table has several values of this variable; select one in StatBank or "
                "name it with category=",
                file=name,
                column=str(column),
            )
    areas = raw[area].astype(str).str.strip()
    keep = ~areas.isin(_NOT_MUNICIPALITIES) & ~areas.str.startswith("Region")
    rows = np.flatnonzero(keep.to_numpy())
    part = raw.iloc[rows]
    out = pd.DataFrame(
        {
            "kommunekode": _codes(part[area], rows, name, str(area)),
            "job_category": part[category].astype(str).to_numpy() if category else "all",
            "period": _periods(part[time], rows, name, str(time)),
            kpi: _figures(part[value], rows, name, str(value)),
        }
    )
    return out.reset_index(drop=True)


def _one_column(upper: dict[str, str], names: tuple[str, ...], what: str, file: str) -> str:
    found = [upper[n] for n in names if n in upper]
    if len(found) != 1:
        detail = "no" if not found else "more than one"
        raise DataError(f"{detail} {what} column ({', '.join(names)})", file=file)
    return found[0]


def _codes(values: pd.Series, rows: np.ndarray, file: str, column: str) -> list[str]:
    names = read_resource_table("kommuner.csv", {"kommunekode": str})
    by_name = dict(zip(names["name"], names["kommunekode"], strict=True))
    codes = []
    for i, value in zip(rows, values.astype(str).str.strip(), strict=True):
        code = by_name.get(value)
        if code is None:
            try:
                code = normalize_kommunekode(value)
            except ValueError:
                raise DataError(
                    f"{value!r} is neither a municipality nor a kommunekode",
                    file=file,
                    row=int(i) + 2,
                    column=column,
                ) from None
        codes.append(code)
    return codes


def _periods(values: pd.Series, rows: np.ndarray, file: str, column: str) -> list[str]:
    out = []
    for i, value in zip(rows, values.astype(str).str.strip(), strict=True):
        for pattern, written in _PERIODS:
            if re.match(pattern, value):
                out.append(re.sub(pattern, written, value))
                break
        else:
            raise DataError(
                f"{value!r} is not a StatBank year, quarter or month (2024, 2024K1, 2024M01)",
                file=file,
                row=int(i) + 2,
                column=column,
            )
    return out


def _figures(values: pd.Series, rows: np.ndarray, file: str, column: str) -> np.ndarray:
    text = values.astype(str).str.strip()
    # a decimal comma (Danish output) or point; StatBank writes no thousands separators
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    bad = numbers.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = text.iloc[i]
        why = " (not available in StatBank)" if shown in ("..", ".", "nan") else ""
        raise DataError(
            f"{shown!r} is not a number{why}; leave the municipality or period out of the query",
            file=file,
            row=int(rows[i]) + 2,
            column=column,
        )
    result: np.ndarray = numbers.to_numpy(float)
    return result
