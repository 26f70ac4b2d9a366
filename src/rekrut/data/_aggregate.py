"""One-pass aggregation of a posting table to sufficient statistics, inside its own engine.

The same narwhals expressions run on pandas, polars, pyarrow, DuckDB and PySpark: derived
columns first (x, y and their products per metric, masked where a value is unknown, plus one 0/1
flag per data-contract check), then plain sums per group and arm. Only a few numbers per arm come
back, so a national job-board log can stay in DuckDB or Spark.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rekrut.metrics import Metric, get_metric

__all__ = ["Aggregate", "aggregate"]

_STATS = ("n", "sum_x", "sum_y", "sum_xx", "sum_yy", "sum_xy")


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Sums per group and arm: the long sufficient-statistics table and the check counts."""

    stats: pd.DataFrame
    units: pd.DataFrame
    violations: dict[str, tuple[str, str, float]]


def _flag(expr: nw.Expr) -> nw.Expr:
    return nw.when(expr).then(1.0).otherwise(0.0)


@dataclass(frozen=True, slots=True)
class _Term:
    """One side of a metric: its expression, a key naming it, and whether it can be NaN."""

    expr: nw.Expr
    key: str
    nullable: bool
    may_be_nan: bool


def _term(column: str, per_posting: bool, integer: set[str]) -> _Term:
    if column == "filled" and per_posting:  # a 0/1 flag of the hires: never blank or NaN
        return _Term(_flag(nw.col("hires") > 0), "filled", nullable=False, may_be_nan=False)
    expr = nw.col(column).cast(nw.Float64())
    return _Term(expr, column, nullable=True, may_be_nan=column not in integer)


_ONE = _Term(nw.lit(1.0), "1", nullable=False, may_be_nan=False)


def _metric_sums(
    metric: Metric,
    totals: bool,
    integer: set[str],
    sums: dict[str, nw.Expr],
    aliases: dict[str, str],
) -> dict[str, str]:
    """Add the distinct sums ``metric`` needs to ``sums``; return which sum each statistic is.

    Metrics share sums (every per-posting metric's unit count, the same numerator in two
    metrics), and with a denominator of 1 the y-sums are the unit count and the x-sum, so an
    engine computes each distinct sum once. Integer columns need no NaN test.
    """
    x = _term(metric.numerator, not totals, integer)
    if metric.per_posting:
        y = _term("postings", False, integer) if totals else _ONE
    else:
        y = _term(metric.denominator, not totals, integer)
    unit = _term("postings", False, integer) if totals else _ONE
    unknown = [t.expr.is_null() for t in (x, y) if t.nullable]
    unknown += [t.expr.is_nan() for t in (x, y) if t.may_be_nan]
    mask = f"{x.key}|{y.key}"

    def add(stat: str, expr: nw.Expr) -> str:
        # a plain alias per distinct sum (engines differ in which characters names may hold)
        name = aliases.setdefault(f"{mask}|{stat}", f"__sum{len(aliases)}")
        if name not in sums:
            if unknown:
                known = ~functools.reduce(operator.or_, unknown)
                expr = nw.when(known).then(expr).otherwise(0.0)
            sums[name] = expr
        return name

    names = {
        "n": add(f"n:{unit.key}", unit.expr),
        "sum_x": add("x", x.expr),
        "sum_xx": add("xx", x.expr * x.expr),
    }
    if y is _ONE:  # y = 1 on every known row
        names.update(sum_y=names["n"], sum_yy=names["n"], sum_xy=names["sum_x"])
    else:
        names.update(
            sum_y=add("y", y.expr),
            sum_yy=add("yy", y.expr * y.expr),
            sum_xy=add("xy", x.expr * y.expr),
        )
    return {f"{metric.id}__{stat}": name for stat, name in names.items()}


def _check_exprs(
    columns: set[str], totals: bool, integer: set[str]
) -> dict[str, tuple[nw.Expr, str, str]]:
    """0/1 flags for every contract check that the present columns allow, with column and message."""
    from rekrut.data._postings import AMOUNT_COLUMNS, BLANK_ALLOWED, COUNT_COLUMNS, INVARIANTS

    checks: dict[str, tuple[nw.Expr, str, str]] = {}
    for column in (*COUNT_COLUMNS, *AMOUNT_COLUMNS):
        if column not in columns:
            continue
        value = nw.col(column).cast(nw.Float64())
        checks[f"neg:{column}"] = (_flag(value < 0), column, "must not be negative")
        if column in COUNT_COLUMNS and column not in integer:
            whole = _flag((value - value.floor()).abs() > 0)
            checks[f"int:{column}"] = (whole, column, "must be a whole number")
        if column not in BLANK_ALLOWED:
            checks[f"null:{column}"] = (_flag(value.is_null()), column, "is blank")
    for small, large in INVARIANTS:
        if small in columns and large in columns:
            broken = _flag(nw.col(small).cast(nw.Float64()) > nw.col(large).cast(nw.Float64()))
            checks[f"inv:{small}"] = (broken, small, f"{small} exceeds {large}")
    if not totals and "reposted" in columns:
        checks["flag:reposted"] = (_flag(nw.col("reposted") > 1), "reposted", "must be 0 or 1")
    return checks


def aggregate(
    native: Any,
    metric_ids: Sequence[str],
    *,
    by: Sequence[str] = (),
    arm: nw.Expr | None = None,
    check: bool = False,
    unit_column: str | None = None,
) -> Aggregate:
    """Sum the sufficient statistics of ``metric_ids`` per group and arm in one pass.

    Parameters
    ----------
    native
        Any table narwhals accepts (pandas, polars, pyarrow, DuckDB relation, PySpark …).
    metric_ids
        Catalogue metrics to summarise (durations are skipped: they need unit-level data).
    by
        Grouping columns.
    arm
        Expression giving the arm id (default: the ``arm`` column).
    check
        Also count the rows that break each data-contract check, per group and arm.
    unit_column
        Column whose sum counts the randomised units (default: rows, or ``postings`` for totals).
    """
    frame = nw.from_native(native)
    lazy = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
    schema = lazy.collect_schema()
    columns = set(schema.names())
    integer = {name for name, dtype in schema.items() if dtype.is_integer()}
    totals = "postings" in columns
    metrics = [get_metric(m) for m in metric_ids if get_metric(m).kind != "duration"]
    sums: dict[str, nw.Expr] = {}
    wanted: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for metric in metrics:
        wanted.update(_metric_sums(metric, totals, integer, sums, aliases))
    units = unit_column or ("postings" if totals else None)
    sums["__units"] = nw.col(units).cast(nw.Float64()) if units else nw.lit(1.0)
    checks = _check_exprs(columns, totals, integer) if check else {}
    sums.update({f"__check__{name}": expr for name, (expr, _, _) in checks.items()})
    arm_expr = (arm if arm is not None else nw.col("arm")).cast(nw.String())
    keys = [*by, "__arm"]
    summed = (
        lazy.select(
            *[nw.col(c) for c in by],
            arm_expr.alias("__arm"),
            *[expr.alias(name) for name, expr in sums.items()],
        )
        .group_by(keys)
        .agg(*[nw.col(c).sum() for c in sums])
        .collect()
        .to_pandas()
        .rename(columns={"__arm": "arm"})
    )
    summed = pd.concat([summed[[*by, "arm"]], summed[list(sums)].astype(np.float64)], axis=1)
    long = _long(summed, list(by), [m.id for m in metrics], wanted)
    unit_table = summed[[*by, "arm", "__units"]].rename(columns={"__units": "units"})
    violations = {
        name: (column, message, float(summed[f"__check__{name}"].sum()))
        for name, (_, column, message) in checks.items()
        if summed[f"__check__{name}"].sum() > 0
    }
    return Aggregate(long, unit_table, violations)


def _long(
    summed: pd.DataFrame, by: list[str], metric_ids: list[str], wanted: dict[str, str]
) -> pd.DataFrame:
    parts = []
    for metric_id in metric_ids:
        part = summed[[*by, "arm"]].copy()
        part.insert(len(by) + 1, "metric", metric_id)
        stats = {s: summed[wanted[f"{metric_id}__{s}"]].to_numpy() for s in _STATS}
        parts.append(part.assign(**stats))
    if not parts:
        return pd.DataFrame(columns=[*by, "arm", "metric", *_STATS])
    return pd.concat(parts, ignore_index=True)
