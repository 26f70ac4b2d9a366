"""Part-time and full-time posts: the part-time share of postings and hires per job category.

An optional ``hours_per_week`` column of the posting table holds the weekly hours a post
offers (37 is full time under the Danish collective agreements). :func:`part_time` describes
it; as a covariate it goes into :func:`rekrut.observe` (``adjust_for``) and
:func:`rekrut.words` (``controls``) like any numeric column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rekrut._json import dumps, json_records
from rekrut.errors import DataError
from rekrut.io import to_pandas

__all__ = ["FULL_TIME_HOURS", "PartTime", "part_time"]

FULL_TIME_HOURS = 37.0
"""Weekly hours of a full-time post in Danish municipalities."""

_MAX_HOURS = 80.0


@dataclass(frozen=True, slots=True)
class PartTime:
    """The part-time share of postings and hires per group.

    ``table`` columns: ``<by>, postings, part_time_postings, part_time_share, share_ci_low,
    share_ci_high, hires, part_time_hires, part_time_hire_share, mean_hours``; the last row,
    ``<by> = "all"``, sums every group. Intervals are Wilson's.
    """

    table: pd.DataFrame
    by: str
    full_time_hours: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe values (NaN becomes None)."""
        return {
            "by": self.by,
            "full_time_hours": self.full_time_hours,
            "table": json_records(self.table),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON."""
        return dumps(self.to_dict())


def _hours(frame: pd.DataFrame, source: str | None) -> pd.Series:
    if "hours_per_week" not in frame.columns:
        raise DataError("the column is missing", file=source, column="hours_per_week")
    raw = frame["hours_per_week"]
    hours = pd.to_numeric(raw, errors="coerce")
    bad = (hours.isna() | (hours <= 0) | (hours > _MAX_HOURS)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{raw.iloc[row]!r} is not weekly hours between 0 and {_MAX_HOURS:g} (use a point "
            "for decimals, e.g. 32.5)",
            file=source,
            row=row + 2,
            column="hours_per_week",
        )
    return hours


def part_time(
    postings: Any,
    *,
    by: str = "job_category",
    full_time_hours: float = FULL_TIME_HOURS,
    confidence_level: float = 0.95,
    source: str | None = None,
) -> PartTime:
    """The share of postings (and of hires) that were part-time, per ``by`` group.

    A post is part-time when ``hours_per_week`` is below ``full_time_hours``. Descriptive only:
    it says how often part-time posts were offered and filled, not what offering full time
    would change (test that with an experiment, or see :func:`rekrut.observe`).

    Examples
    --------
    >>> import pandas as pd
    >>> ads = pd.DataFrame({"job_category": ["sosu", "sosu", "sosu", "lærer"],
    ...                     "hours_per_week": [30, 37, 32, 37], "hires": [1, 0, 1, 1]})
    >>> part_time(ads).table[["job_category", "part_time_share", "part_time_hires"]].to_dict("list")
    {'job_category': ['lærer', 'sosu', 'all'], 'part_time_share': [0.0, 0.6666666666666666, 0.5], 'part_time_hires': [0, 2, 2]}
    """
    import rekrut.stats as stats

    frame = to_pandas(postings, "posting table").reset_index(drop=True)
    if by not in frame.columns:
        raise DataError("the column is missing", file=source, column=by)
    hours = _hours(frame, source)
    hires = pd.to_numeric(frame["hires"], errors="coerce") if "hires" in frame.columns else None
    work = pd.DataFrame({by: frame[by].astype(str), "part": (hours < full_time_hours).astype(int),
                         "hours": hours, "hires": 0 if hires is None else hires.fillna(0)})  # fmt: skip
    work["part_hires"] = work["part"] * work["hires"]
    grouped = work.groupby(by, sort=True).agg(postings=("part", "size"), part_time_postings=("part", "sum"),
        hires=("hires", "sum"), part_time_hires=("part_hires", "sum"), mean_hours=("hours", "mean"))  # fmt: skip
    total = pd.DataFrame(
        {**grouped.sum().to_dict(), "mean_hours": work["hours"].mean()}, index=["all"]
    )
    table = pd.concat([grouped, total]).rename_axis(by).reset_index()
    interval = stats.wilson_interval(table["part_time_postings"], table["postings"],
                                     confidence_level=confidence_level)  # fmt: skip
    table["part_time_share"] = table["part_time_postings"] / table["postings"]
    table["share_ci_low"], table["share_ci_high"] = interval.ci_low, interval.ci_high
    with np.errstate(divide="ignore", invalid="ignore"):
        table["part_time_hire_share"] = table["part_time_hires"] / table["hires"].where(
            table["hires"] > 0
        )
    for column in ("postings", "part_time_postings", "hires", "part_time_hires"):
        table[column] = table[column].astype(int)
    columns = [by, "postings", "part_time_postings", "part_time_share", "share_ci_low",
               "share_ci_high", "hires", "part_time_hires", "part_time_hire_share", "mean_hours"]  # fmt: skip
    return PartTime(table[columns], by, full_time_hours)
