"""One-pass aggregation of a posting table to sufficient statistics, inside its own engine.

The same narwhals expressions run on pandas, polars, pyarrow, DuckDB and PySpark: derived
columns first (x, y and their products per metric, masked where a value is unknown, plus one 0/1
flag per data-contract check), then plain sums per group and arm. Only a few numbers per arm come
back, so a national job-board log can stay in DuckDB or Spark.
"""

from __future__ import annotations

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


def _value(column: str, per_posting: bool) -> nw.Expr:
    if column == "filled" and per_posting:
        return _flag(nw.col("hires") > 0)
    return nw.col(column).cast(nw.Float64())


def _metric_columns(metric: Metric, totals: bool) -> dict[str, nw.Expr]:
    x = _value(metric.numerator, not totals)
    if metric.per_posting:
        y = nw.col("postings").cast(nw.Float64()) if totals else nw.lit(1.0)
    else:
        y = _value(metric.denominator, not totals)
    unit = nw.col("postings").cast(nw.Float64()) if totals else nw.lit(1.0)
    known = ~(x.is_null() | y.is_null() | x.is_nan() | y.is_nan())
    masked = {
        "n": unit,
        "sum_x": x,
        "sum_y": y,
        "sum_xx": x * x,
        "sum_yy": y * y,
        "sum_xy": x * y,
    }
    return {
        f"{metric.id}__{name}": nw.when(known).then(expr).otherwise(0.0)
        for name, expr in masked.items()
    }


def _check_exprs(columns: set[str], totals: bool) -> dict[str, tuple[nw.Expr, str, str]]:
    """0/1 flags for every contract check that the present columns allow, with column and message."""
    from rekrut.data._postings import AMOUNT_COLUMNS, BLANK_ALLOWED, COUNT_COLUMNS, INVARIANTS

    checks: dict[str, tuple[nw.Expr, str, str]] = {}
    for column in (*COUNT_COLUMNS, *AMOUNT_COLUMNS):
        if column not in columns:
            continue
        value = nw.col(column).cast(nw.Float64())
        checks[f"neg:{column}"] = (_flag(value < 0), column, "must not be negative")
        if column in COUNT_COLUMNS:
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
    columns = set(lazy.collect_schema().names())
    totals = "postings" in columns
    metrics = [get_metric(m) for m in metric_ids if get_metric(m).kind != "duration"]
    sums: dict[str, nw.Expr] = {}
    for metric in metrics:
        sums.update(_metric_columns(metric, totals))
    units = unit_column or ("postings" if totals else None)
    sums["__units"] = nw.col(units).cast(nw.Float64()) if units else nw.lit(1.0)
    checks = _check_exprs(columns, totals) if check else {}
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
    for column in sums:
        summed[column] = summed[column].astype(np.float64)
    long = _long(summed, list(by), [m.id for m in metrics])
    unit_table = summed[[*by, "arm", "__units"]].rename(columns={"__units": "units"})
    violations = {
        name: (column, message, float(summed[f"__check__{name}"].sum()))
        for name, (_, column, message) in checks.items()
        if summed[f"__check__{name}"].sum() > 0
    }
    return Aggregate(long, unit_table, violations)


def _long(summed: pd.DataFrame, by: list[str], metric_ids: list[str]) -> pd.DataFrame:
    parts = []
    for metric_id in metric_ids:
        cols = {f"{metric_id}__{s}": s for s in _STATS}
        part = summed[[*by, "arm", *cols]].rename(columns=cols)
        part.insert(len(by) + 1, "metric", metric_id)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*by, "arm", "metric", *_STATS])
    return pd.concat(parts, ignore_index=True)
