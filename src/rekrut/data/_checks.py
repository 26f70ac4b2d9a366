"""The data contract's checks as narwhals expressions: one validation for every engine.

A pandas table (after its numbers and dates are parsed), a polars or pyarrow table, a DuckDB
relation, a Parquet file read by DuckDB and a PySpark DataFrame all run the same expressions,
and a broken table gets the same message from each: the column, what is wrong, and how many rows.
Each check is a 0/1 flag per row summed in the engine, so only one number per check leaves it.
A pandas table is checked in blocks of rows (the flags of one block at a time), which also gives
the first offending row.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import pandas as pd

from rekrut.errors import DataError

__all__ = ["LIMITS", "Contract", "check_table"]

LIMITS = {"count": 1e10, "amount": 1e12, "days": 1e5}
"""Largest believable values: a count (1e10 impressions would be more than the world's
population seeing a posting each day for a year), an amount in DKK (a trillion), and days (about
270 years). Anything larger is a unit or export error, and it would overflow the sums of squares
behind every test."""

_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
"""A number written as text (no comma, no spaces, no words)."""

_BLOCK = 1 << 20
"""Rows of a pandas table checked at a time (bounds the flag arrays)."""


@dataclass(frozen=True, slots=True)
class Contract:
    """Which columns hold what, and the row invariants (see the data contract)."""

    counts: tuple[str, ...]
    amounts: tuple[str, ...]
    blank_allowed: frozenset[str]
    invariants: tuple[tuple[str, str], ...]
    flags: tuple[str, ...] = ("reposted",)


@dataclass(frozen=True, slots=True)
class _Check:
    column: str
    message: str
    flag: nw.Expr


def _flag(expr: nw.Expr) -> nw.Expr:
    return expr.cast(nw.Int64())


def _limit(column: str, contract: Contract) -> float:
    if column in contract.counts:
        return LIMITS["count"]
    return LIMITS["days"] if column.startswith("days") else LIMITS["amount"]


def _number_checks(column: str, text: bool, contract: Contract, totals: bool) -> list[_Check]:
    raw = nw.col(column)
    if text:  # engines cast text to numbers differently: numbers must be stored as numbers
        cells = raw.cast(nw.String())
        words = _flag(~cells.is_null() & ~cells.str.contains(_NUMBER))
        stored = "holds numbers stored as text; store the column as numbers"
        return [
            _Check(column, "is not a number", words),
            _Check(column, stored, _flag(~cells.is_null())),
        ]
    value = raw.cast(nw.Float64())
    missing = value.is_null() | value.is_nan()
    known = ~missing & value.is_finite()
    checks = []
    if column not in contract.blank_allowed:
        blank = "the cell is blank; write 0 if there were none"
        checks.append(_Check(column, blank, _flag(missing)))
    checks += [
        _Check(column, "is not a finite number", _flag(~missing & ~value.is_finite())),
        _Check(column, "must not be negative", _flag(known & (value < 0))),
    ]
    if column in contract.counts:
        whole = known & ((value % 1) != 0)  # not floor: Spark's floor overflows past 2**63
        checks.append(_Check(column, "must be a whole number", _flag(whole)))
    limit = _limit(column, contract)
    beyond = f"is beyond any recruitment (above {limit:g}); check the unit or the export"
    checks.append(_Check(column, beyond, _flag(known & (value > limit))))
    if column in contract.flags and not totals:
        checks.append(_Check(column, "must be 0 or 1", _flag(known & (value > 1))))
    return checks


def _checks(schema: Any, contract: Contract) -> list[_Check]:
    names = set(schema.names())
    totals = "postings" in names
    checks: list[_Check] = []
    text = {name for name, dtype in schema.items() if dtype == nw.String() or dtype == nw.Object()}
    numeric = [c for c in (*contract.counts, *contract.amounts) if c in names]
    for column in numeric:
        checks += _number_checks(column, column in text, contract, totals)
    for small, large in contract.invariants:
        if small in names and large in names and not {small, large} & text:
            broken = nw.col(small).cast(nw.Float64()) > nw.col(large).cast(nw.Float64())
            checks.append(_Check(small, f"{small} exceeds {large}", _flag(broken)))
    return checks


def check_table(
    native: Any,
    contract: Contract,
    *,
    arms: Sequence[str],
    arm: nw.Expr | None = None,
    source: str | None = None,
    id_column: str = "posting_id",
) -> None:
    """Check a table against the data contract in its own engine; raise on the first problem.

    Parameters
    ----------
    native
        Any table narwhals accepts (pandas, polars, pyarrow, DuckDB, PySpark …).
    contract
        The columns and invariants to check.
    arms
        The experiment's arm ids.
    arm
        Expression giving each row's arm id (None: the arms and posting ids are already
        checked).
    source
        The file, for messages (row numbers then count the header as row 1).
    id_column
        Column of posting ids: an id may appear once per arm in per-posting rows.

    Raises
    ------
    DataError
        Naming the column, what is wrong and in how many rows (and, for a pandas table, the
        first row).

    Examples
    --------
    >>> import pandas as pd
    >>> contract = Contract(("applications", "qualified"), (), frozenset(),
    ...                     (("qualified", "applications"),))
    >>> table = pd.DataFrame({"applications": [3.0, float("inf")], "qualified": [1, 0]})
    >>> check_table(table, contract, arms=["A"])
    Traceback (most recent call last):
    ...
    rekrut.errors.DataError: table, row 2, column applications: is not a finite number in 1 row
    """
    frame = nw.from_native(native)
    lazy = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
    schema = lazy.collect_schema()
    where = source or "table"
    if arm is not None:
        _check_arms(lazy, arm, arms, where)
    checks = _checks(schema, contract)
    failed: tuple[_Check, int, int | None] | None = (
        _failed_pandas(native, checks)
        if isinstance(native, pd.DataFrame)
        else _failed_lazy(lazy, checks)
    )
    if failed is not None:
        check, count, first = failed
        row = None if first is None else first + (2 if source else 1)
        message = f"{check.message} in {rows_text(count)}"
        raise DataError(message, file=where, row=row, column=check.column)
    names = set(schema.names())
    if id_column in names and "postings" not in names and arm is not None:
        _check_ids(lazy, arm, id_column, where)


def rows_text(count: int) -> str:
    """``1 row`` or ``3 rows``."""
    return f"{count} row" if count == 1 else f"{count} rows"


def _failed_lazy(lazy: Any, checks: list[_Check]) -> tuple[_Check, int, None] | None:
    if not checks:
        return None
    # one pass; the text checks first, as the number checks cast what they guard
    sums = lazy.select(*[c.flag.sum().alias(f"__c{i}") for i, c in enumerate(checks)]).collect()
    counts = [int(sums.item(0, f"__c{i}") or 0) for i in range(len(checks))]
    return next(((c, n, None) for c, n in zip(checks, counts, strict=True) if n > 0), None)


def _failed_pandas(frame: pd.DataFrame, checks: list[_Check]) -> tuple[_Check, int, int] | None:
    if not checks:
        return None
    totals = [0] * len(checks)
    firsts: list[int | None] = [None] * len(checks)
    for start in range(0, len(frame), _BLOCK):
        block = nw.from_native(frame.iloc[start : start + _BLOCK])
        sums = block.select(*[c.flag.sum().alias(f"__c{i}") for i, c in enumerate(checks)])
        for i, check in enumerate(checks):
            count = int(sums.item(0, f"__c{i}"))
            totals[i] += count
            if count and firsts[i] is None:  # only now the rows of one flag: where is it?
                flags = block.select(check.flag.alias("f"))["f"].to_numpy()
                firsts[i] = start + int(flags.nonzero()[0][0])
    found = [(c, n, f) for c, n, f in zip(checks, totals, firsts, strict=True) if n > 0]
    if not found:
        return None
    check, count, first = found[0]
    assert first is not None
    return check, count, first


def _check_arms(lazy: Any, arm: nw.Expr, arms: Sequence[str], where: str) -> None:
    """Every row's arm is one of the experiment's, and every arm has rows (one small query)."""
    found = (
        lazy.select(arm.cast(nw.String()).alias("__arm"))
        .group_by("__arm")
        .agg(nw.len().alias("__n"))
        .collect()
        .to_pandas()
    )
    labels = found["__arm"].astype(object).where(found["__arm"].notna(), None)
    unknown = found[~labels.isin(list(arms))]
    if len(unknown):
        shown = sorted(labels[unknown.index], key=lambda v: (v is not None, str(v)))[-1]
        raise DataError(
            f"{unknown_arm_message(shown, arms)} ({rows_text(int(unknown['__n'].sum()))})",
            file=where,
            column="arm",
        )
    missing = [a for a in arms if a not in set(labels)]
    if missing:
        raise DataError(f"no rows for arm {missing[0]!r}", file=where, column="arm")


def _check_ids(lazy: Any, arm: nw.Expr, id_column: str, where: str) -> None:
    key = nw.col(id_column).cast(nw.String()).str.strip_chars()
    repeated = (
        lazy.select(key.alias("__id"), arm.cast(nw.String()).alias("__arm"))
        .group_by("__id", "__arm")
        .agg(nw.len().alias("__n"))
        .filter(nw.col("__n") > 1)
        .select(nw.col("__id"), (nw.col("__n") - 1).alias("__extra"))
        .collect()
    )
    if len(repeated):
        extra = int(repeated["__extra"].sum())
        first = sorted(str(v) for v in repeated["__id"].to_list())[0]
        raise DataError(
            f"posting {first!r} appears twice in this arm ({rows_text(extra)} repeat an id)",
            file=where,
            column=id_column,
        )


def unknown_arm_message(value: Any, known: Sequence[str]) -> str:
    """``unknown arm 'Jobnett'; did you mean 'jobnet'? …`` (or: the arm cell is blank).

    Examples
    --------
    >>> unknown_arm_message("Jobnett", ["jobnet", "facebook"])
    "unknown arm 'Jobnett'; did you mean 'jobnet'? The experiment's arms are ['jobnet', 'facebook']"
    """
    if _blank(value):
        return f"the arm is blank; write one of the experiment's arms {list(known)}"
    lowered = {arm.lower(): arm for arm in known}
    close = difflib.get_close_matches(str(value).strip().lower(), list(lowered), n=1, cutoff=0.75)
    hint = f"; did you mean {lowered[close[0]]!r}?" if close else ";"
    return f"unknown arm {value!r}{hint} The experiment's arms are {list(known)}"


def _blank(value: Any) -> bool:
    """None, NaN, pandas' NA or an empty or all-space text."""
    try:
        if bool(pd.isna(value)):
            return True
    except (TypeError, ValueError):  # an array-like value is not one blank cell
        return False
    return not str(value).strip()
