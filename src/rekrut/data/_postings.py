"""Validation of posting tables against the data contract.

A posting table has one row per posting (or per posting x channel), or one row per arm with
summed counts and a ``postings`` column (arm totals). Validation turns the table into a
normalised pandas frame: ``arm`` as text, counts and costs as float64 with NaN for missing values,
``published`` as datetime64, and the derived 0/1 column ``filled`` (the posting got a hire).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from rekrut.errors import DataError
from rekrut.metrics import get_metric
from rekrut.model import Experiment

__all__ = ["COUNT_COLUMNS", "PostingData", "required_columns", "validate_postings"]

COUNT_COLUMNS = (
    "postings",
    "impressions",
    "clicks",
    "applications",
    "qualified",
    "interviews",
    "hires",
    "retained_12m",
    "filled",
    "reposted",
)
"""Columns that hold non-negative whole numbers."""

AMOUNT_COLUMNS = ("cost_dkk", "days_to_hire", "days_open")
"""Columns that hold non-negative amounts (DKK, days)."""

BLANK_ALLOWED = frozenset(
    {"impressions", "clicks", "interviews", "retained_12m", "days_to_hire", "days_open"}
)
"""Columns where a blank cell means 'not recorded' or 'not known yet' rather than an error."""

INVARIANTS = (
    ("qualified", "applications"),
    ("hires", "applications"),
    ("interviews", "applications"),
    ("retained_12m", "hires"),
    ("clicks", "impressions"),
    ("filled", "postings"),
    ("reposted", "postings"),
)
"""Pairs (smaller, larger): the first may never exceed the second in a row."""

_FLAG_WORDS = {"true": 1.0, "false": 0.0, "ja": 1.0, "nej": 0.0, "yes": 1.0, "no": 0.0}

Granularity = Literal["postings", "arm_totals"]


@dataclass(frozen=True, slots=True)
class PostingData:
    """A validated, normalised posting table.

    Attributes
    ----------
    frame
        The normalised pandas table (one row per posting, or per arm for totals), or None when
        the table stays in another engine (``native``).
    granularity
        ``"postings"`` for per-posting rows, ``"arm_totals"`` for one row per arm.
    source
        Where the table came from (a file name), for messages.
    native
        The narwhals LazyFrame of a table held by another engine (polars, DuckDB, Spark …).
    column_names
        The columns of ``native``.
    """

    frame: pd.DataFrame | None
    granularity: Granularity
    source: str | None = None
    native: Any = None
    column_names: frozenset[str] = frozenset()

    @property
    def columns(self) -> frozenset[str]:
        """The columns present in the table."""
        if self.frame is not None:
            return frozenset(str(c) for c in self.frame.columns)
        return self.column_names

    def collect(self, columns: Sequence[str]) -> pd.DataFrame:
        """Return the listed columns (that exist) plus ``arm`` as a pandas frame.

        For a table held by another engine only these columns are brought into memory.
        """
        wanted = [c for c in dict.fromkeys(["arm", *columns]) if c in self.columns]
        if self.frame is not None:
            return self.frame[wanted]
        # the derived 0/1 column 'filled' (validate_postings adds it to pandas tables)
        derive = "filled" in columns and "filled" not in self.columns and "hires" in self.columns
        if derive and "hires" not in wanted:
            wanted.append("hires")
        collected: pd.DataFrame = self.native.select(*wanted).collect().to_pandas()
        if derive:
            collected["filled"] = filled(collected["hires"])
        return collected


def required_columns(metric_id: str, granularity: Granularity) -> tuple[str, ...]:
    """Return the columns a metric needs from a table of the given granularity.

    Examples
    --------
    >>> required_columns("cost_per_hire", "postings")
    ('cost_dkk', 'hires')
    """
    metric = get_metric(metric_id)
    needed = [c for c in (metric.numerator, metric.denominator) if c != "postings"]
    if granularity == "postings" and "filled" in needed:
        needed = ["hires" if c == "filled" else c for c in needed]
    if metric.kind == "duration":
        needed.append("hires")
    return tuple(dict.fromkeys(needed))


def validate_postings(
    data: pd.DataFrame, experiment: Experiment, *, source: str | Path | None = None
) -> PostingData:
    """Check a posting table against the data contract and normalise it.

    Parameters
    ----------
    data
        The raw table (text or numbers), one row per posting or one row per arm.
    experiment
        The experiment whose arms and metrics the table must serve.
    source
        The file the table came from; errors then name it and count rows as a spreadsheet does
        (header = row 1). Without it, rows are counted from 1 over the data.

    Raises
    ------
    DataError
        On the first problem, naming the row and column.

    Examples
    --------
    >>> import pandas as pd
    >>> from rekrut.model import Experiment
    >>> exp = Experiment.model_validate({"id": "x", "control": "A",
    ...     "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}]})
    >>> validate_postings(pd.DataFrame({"arm": ["A", "B"], "applications": [4, -1]}), exp)
    Traceback (most recent call last):
    ...
    rekrut.errors.DataError: table, row 2, column applications: must not be negative (got -1)
    """
    where = _Where(str(source) if source is not None else None)
    if len(data) == 0:
        raise DataError("the table has no rows", file=where.file)
    frame = data.rename(columns=lambda c: str(c).strip()).reset_index(drop=True)
    granularity: Granularity = "arm_totals" if "postings" in frame.columns else "postings"
    out = pd.DataFrame(index=frame.index)
    out["arm"] = _arms(frame, experiment, where)
    for column in frame.columns:
        if column in COUNT_COLUMNS or column in AMOUNT_COLUMNS:
            out[column] = _numbers(frame[column], column, where)
        elif column == "published":
            out[column] = _dates(frame[column], where)
        elif column not in out.columns and column not in ("variant", "channel"):
            out[column] = frame[column]
    for column in ("variant", "channel"):
        out[column] = out["arm"].map({a.id: getattr(a, column) for a in experiment.arms})
    if granularity == "postings":
        out = _per_posting_columns(out, where)
    _check_invariants(out, where)
    _check_columns(out, experiment, granularity, where)
    _check_arms_present(out, experiment, where)
    return PostingData(out, granularity, where.file)


class _Where:
    """Turns a 0-based row position into the row number a user sees."""

    def __init__(self, file: str | None) -> None:
        self.file = file

    def row(self, position: int) -> int:
        return position + 2 if self.file else position + 1

    def error(
        self, message: str, position: int | None = None, column: str | None = None
    ) -> DataError:
        row = None if position is None else self.row(position)
        return DataError(message, file=self.file or "table", row=row, column=column)


def _first(mask: Any) -> int:
    return int(np.flatnonzero(np.asarray(mask, dtype=bool))[0])


def _arms(frame: pd.DataFrame, experiment: Experiment, where: _Where) -> pd.Series:
    known = experiment.arm_ids
    if "arm" in frame.columns:
        arms = frame["arm"].astype("string").str.strip()
        bad = arms.isna() | ~arms.isin(known)
        if bad.any():
            pos = _first(bad)
            value = frame["arm"].iloc[pos]
            raise where.error(
                f"unknown arm {value!r}; the experiment's arms are {list(known)}", pos, "arm"
            )
        return arms.astype(object)
    if {"variant", "channel"} <= set(frame.columns):
        lookup = {(a.variant, a.channel): a.id for a in experiment.arms}
        keys = zip(
            frame["variant"].astype(str).str.strip(),
            frame["channel"].astype(str).str.strip(),
            strict=True,
        )
        arms_list = [lookup.get(key) for key in keys]
        if None in arms_list:
            pos = arms_list.index(None)
            pair = (frame["variant"].iloc[pos], frame["channel"].iloc[pos])
            raise where.error(f"no arm has variant and channel {pair}", pos, "variant")
        return pd.Series(arms_list, index=frame.index, dtype=object)
    raise where.error("the table needs an 'arm' column (or 'variant' and 'channel' columns)")


def _numbers(values: pd.Series, column: str, where: _Where) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.Series(np.asarray(values, dtype=np.float64), index=values.index)
        blank = numbers.isna()
        bad = pd.Series(~np.isfinite(numbers.fillna(0.0).to_numpy()), index=values.index)
    else:
        numbers, blank, bad = _parse_text_numbers(values, column)
    if bad.any():
        pos = _first(bad)
        raise where.error(f"{values.iloc[pos]!r} is not a number", pos, column)
    if blank.any() and column not in BLANK_ALLOWED:
        raise where.error("the cell is blank; write 0 if there were none", _first(blank), column)
    negative = numbers < 0
    if negative.any():
        pos = _first(negative)
        raise where.error(f"must not be negative (got {values.iloc[pos]})", pos, column)
    if column in COUNT_COLUMNS:
        fractional = numbers.notna() & (numbers != np.floor(numbers.fillna(0.0)))
        if fractional.any():
            pos = _first(fractional)
            raise where.error(f"must be a whole number (got {values.iloc[pos]})", pos, column)
    return numbers


def _parse_text_numbers(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse text cells (decimal comma allowed; yes/no words for flags): numbers, blank, bad."""
    text = values.astype("string").str.strip()
    parsed = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    if column in ("reposted", "filled"):
        flags = text.str.lower().map(_FLAG_WORDS, na_action="ignore")
        parsed = parsed.where(flags.isna(), flags)
    numbers = pd.Series(np.asarray(parsed, dtype=np.float64), index=values.index)
    blank = text.isna() | (text == "")
    bad = (numbers.isna() & ~blank) | ~np.isfinite(numbers.fillna(0.0))
    return numbers, blank, bad


def _dates(values: pd.Series, where: _Where) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce", format="mixed", dayfirst=False)
    bad = parsed.isna() & values.notna() & (values.astype("string").str.strip() != "")
    if bad.any():
        pos = _first(bad)
        raise where.error(f"{values.iloc[pos]!r} is not a date (use YYYY-MM-DD)", pos, "published")
    return parsed


def filled(hires: pd.Series) -> pd.Series:
    """The derived 0/1 column ``filled``: the posting got at least one hire."""
    return (hires > 0).astype(np.float64)


def _per_posting_columns(out: pd.DataFrame, where: _Where) -> pd.DataFrame:
    if "reposted" in out.columns and (out["reposted"] > 1).any():
        pos = _first(out["reposted"] > 1)
        raise where.error("must be 0 or 1 (was the posting a re-posting?)", pos, "reposted")
    if "hires" in out.columns:
        out["filled"] = filled(out["hires"])
    if "days_to_hire" in out.columns and "hires" in out.columns:
        stray = out["days_to_hire"].notna() & (out["hires"] == 0)
        if stray.any():
            raise where.error("days_to_hire is given but hires is 0", _first(stray), "days_to_hire")
    if "posting_id" in out.columns:
        out["posting_id"] = out["posting_id"].astype("string").str.strip().astype(object)
        dup = out.duplicated(subset=["posting_id", "arm"])
        if dup.any():
            pos = _first(dup)
            raise where.error(
                f"posting {out['posting_id'].iloc[pos]!r} appears twice in this arm",
                pos,
                "posting_id",
            )
    return out


def _check_invariants(out: pd.DataFrame, where: _Where) -> None:
    for small, large in INVARIANTS:
        if small in out.columns and large in out.columns:
            broken = out[small] > out[large]
            if broken.any():
                pos = _first(broken)
                raise where.error(
                    f"{small} ({out[small].iloc[pos]:g}) exceeds {large} ({out[large].iloc[pos]:g})",
                    pos,
                    small,
                )


def _check_columns(
    out: pd.DataFrame, experiment: Experiment, granularity: Granularity, where: _Where
) -> None:
    for metric_id in experiment.metrics:
        if granularity == "arm_totals" and get_metric(metric_id).kind == "duration":
            continue
        for column in required_columns(metric_id, granularity):
            if column not in out.columns:
                raise where.error(
                    f"the column is missing; metric {metric_id} needs it", column=column
                )


def _check_arms_present(out: pd.DataFrame, experiment: Experiment, where: _Where) -> None:
    present = set(out["arm"])
    missing = [arm for arm in experiment.arm_ids if arm not in present]
    if missing:
        raise where.error(f"no rows for arm {missing[0]!r}", column="arm")
