"""Disclosure control: counts about people are suppressed before anything leaves rekrut.

A row whose underlying count of people (hires, applicants) is below a threshold has that count
and every value derived from it blanked, and the output says what was suppressed and why.
Outputs built on this module contain no totals across rows, so a suppressed count cannot be
recovered by subtracting the others from a total (no secondary suppression is needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_MIN_COUNT", "Suppressed", "suppress"]

DEFAULT_MIN_COUNT = 5
"""Cells about fewer than 5 people are suppressed (the usual rule of Danish statistics)."""


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A table after suppression, with the reasons."""

    table: pd.DataFrame
    notes: tuple[str, ...]


def suppress(
    table: pd.DataFrame,
    *,
    count_columns: Sequence[str],
    blank_columns: Sequence[str],
    min_count: int = DEFAULT_MIN_COUNT,
    label_columns: Sequence[str] = (),
) -> Suppressed:
    """Blank every row in which any of ``count_columns`` is below ``min_count``.

    Parameters
    ----------
    table
        One row per cell (e.g. municipality x metric).
    count_columns
        Counts of people that decide suppression (e.g. ``hires``, ``applications``).
    blank_columns
        Columns blanked in a suppressed row: the counts themselves and everything derived from
        them (rates, shrunk estimates, intervals).
    min_count
        Rows with a count below this are suppressed.
    label_columns
        Columns naming the row in the notes.

    Examples
    --------
    >>> t = pd.DataFrame({"kommune": ["A", "B"], "hires": [12, 3], "rate": [0.4, 0.1]})
    >>> out = suppress(t, count_columns=["hires"], blank_columns=["hires", "rate"],
    ...                label_columns=["kommune"])
    >>> out.table["rate"].tolist(), out.notes
    ([0.4, nan], ('B: suppressed (hires below 5)',))
    """
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count!r}")
    missing = [c for c in (*count_columns, *blank_columns) if c not in table.columns]
    if missing:
        raise ValueError(f"suppress: no column {missing[0]!r} in the table")
    out = table.copy()
    small = np.zeros(len(out), dtype=bool)
    reasons: list[list[str]] = [[] for _ in range(len(out))]
    for column in count_columns:
        below = (out[column].to_numpy(dtype=float) < min_count) & out[column].notna().to_numpy()
        small |= below
        for i in np.flatnonzero(below):
            reasons[i].append(column)
    for column in blank_columns:
        out[column] = (
            out[column].astype(object).where(~small, None)
            if out[column].dtype == object
            else out[column].where(~small, np.nan)
        )
    out["suppressed"] = small
    notes = tuple(
        f"{' '.join(str(out.iloc[i][c]) for c in label_columns) or f'row {i + 1}'}: suppressed "
        f"({', '.join(reasons[i])} below {min_count})"
        for i in np.flatnonzero(small)
    )
    return Suppressed(out, notes)
