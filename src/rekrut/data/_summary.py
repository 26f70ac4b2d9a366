"""From a posting table (any engine) to per-arm sufficient statistics.

Every catalogue metric is ``sum(x) / sum(y)`` over units (postings). Per arm (and per group) the
summary keeps ``n, sum_x, sum_y, sum_xx, sum_yy, sum_xy`` over the rows where both x and y are
known, which is all the statistical core needs for means, proportions and delta-method ratios.
Arm totals carry only ``n, sum_x, sum_y``; their second moments are NaN.

pandas tables and CSV files are validated row by row (errors name the row); other engines
(polars, pyarrow, DuckDB, PySpark, and Parquet files through DuckDB) are checked and aggregated
in one pass inside the engine, and errors name the column and the first offending posting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rekrut.data._aggregate import Aggregate, aggregate
from rekrut.data._postings import Granularity, PostingData, required_columns, validate_postings
from rekrut.errors import DataError
from rekrut.io import read_table
from rekrut.metrics import get_metric
from rekrut.model import Experiment

__all__ = ["SUFFICIENT_COLUMNS", "Summary", "load_postings", "summarize"]

SUFFICIENT_COLUMNS = ("n", "sum_x", "sum_y", "sum_xx", "sum_yy", "sum_xy")


@dataclass(frozen=True, slots=True)
class Summary:
    """Per-arm sufficient statistics, one row per group x arm x metric.

    Attributes
    ----------
    table
        Columns ``*by, arm, metric, n, sum_x, sum_y, sum_xx, sum_yy, sum_xy``.
    granularity
        ``"postings"`` or ``"arm_totals"`` (then the second moments are NaN).
    by
        The grouping columns.
    units
        Randomised units per group and arm (postings, or impressions for impression-level
        experiments): columns ``*by, arm, units``.
    """

    table: pd.DataFrame
    granularity: Granularity
    by: tuple[str, ...] = ()
    units: pd.DataFrame | None = None


def load_postings(experiment: Experiment, data: Any = None) -> PostingData:
    """Resolve ``data`` (or the experiment's own data file) to a validated posting table.

    ``data`` may be a pandas DataFrame, a CSV/TSV/Parquet path, any table narwhals understands
    (polars, pyarrow, DuckDB, PySpark), a :class:`PostingData`, or None for the file the
    experiment names. Parquet files are read through DuckDB when it is installed, without
    loading them into pandas.

    Examples
    --------
    >>> from rekrut.cli import demo_experiment_path
    >>> from rekrut.model import load_experiment
    >>> load_postings(load_experiment(demo_experiment_path())).granularity
    'postings'
    """
    if isinstance(data, PostingData):
        return data
    if data is None:
        if experiment.data_path is None:
            raise DataError("no data given and the experiment file names no 'data' file")
        data = experiment.data_path
    if isinstance(data, str | Path):
        path = Path(data)
        if path.suffix.lower() == ".parquet" and path.is_file() and _has_duckdb():
            import duckdb

            return _native_postings(duckdb.read_parquet(str(path)), experiment, str(path))
        return validate_postings(read_table(path), experiment, source=path)
    if isinstance(data, pd.DataFrame):
        return validate_postings(data, experiment)
    return _native_postings(data, experiment, None)


def _has_duckdb() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:  # pragma: no cover - duckdb is an optional extra
        return False
    return True


def _native_postings(native: Any, experiment: Experiment, source: str | None) -> PostingData:
    try:
        frame = nw.from_native(native)
    except TypeError:
        raise DataError(f"cannot read a {type(native).__name__} as a table", file=source) from None
    lazy = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
    columns = set(lazy.collect_schema().names())
    granularity: Granularity = "arm_totals" if "postings" in columns else "postings"
    where = source or "table"
    if "arm" not in columns and not {"variant", "channel"} <= columns:
        raise DataError(
            "the table needs an 'arm' column (or 'variant' and 'channel' columns)", file=where
        )
    for metric_id in experiment.metrics:
        if granularity == "arm_totals" and get_metric(metric_id).kind == "duration":
            continue
        for column in required_columns(metric_id, granularity):
            if column not in columns:
                raise DataError(
                    f"the column is missing; metric {metric_id} needs it", file=where, column=column
                )
    return PostingData(None, granularity, source, native=lazy, column_names=frozenset(columns))


def _arm_expr(postings: PostingData, experiment: Experiment) -> nw.Expr:
    if "arm" in postings.columns:
        return nw.col("arm").cast(nw.String()).str.strip_chars()
    expr: nw.Expr = nw.lit(None, dtype=nw.String())
    for arm in reversed(experiment.arms):
        match = (nw.col("variant").cast(nw.String()) == arm.variant) & (
            nw.col("channel").cast(nw.String()) == arm.channel
        )
        expr = nw.when(match).then(nw.lit(arm.id)).otherwise(expr)
    return expr


def summarize(
    experiment: Experiment, data: Any = None, *, by: Sequence[str] | None = None
) -> Summary:
    """Reduce a posting table to per-arm sufficient statistics for every metric.

    Parameters
    ----------
    experiment
        The experiment (its arms and metrics).
    data
        Per-posting rows or per-arm totals (see :func:`load_postings`).
    by
        Optional grouping columns (e.g. ``["job_category"]``).

    Examples
    --------
    >>> import pandas as pd
    >>> from rekrut.model import Experiment
    >>> exp = Experiment.model_validate({"id": "x", "control": "A",
    ...     "metrics": ["applications_per_posting"],
    ...     "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}]})
    >>> rows = pd.DataFrame({"arm": ["A", "A", "B"], "applications": [3, 5, 10]})
    >>> summarize(exp, rows).table[["arm", "n", "sum_x", "sum_xx"]].to_string(index=False)
    'arm   n  sum_x  sum_xx\\n  A 2.0    8.0    34.0\\n  B 1.0   10.0   100.0'
    """
    postings = load_postings(experiment, data)
    by = tuple(by or ())
    missing = [c for c in by if c not in postings.columns]
    if missing:
        raise DataError(
            "the grouping column is missing", file=postings.source or "table", column=missing[0]
        )
    native = postings.native if postings.frame is None else postings.frame
    engine = postings.frame is None
    result = aggregate(
        native,
        experiment.metrics,
        by=by,
        arm=_arm_expr(postings, experiment) if engine else None,
        check=engine,
        unit_column="impressions"
        if experiment.unit == "impression" and "impressions" in postings.columns
        else None,
    )
    if engine:
        _raise_violations(result, postings, experiment)
    if postings.granularity == "arm_totals":
        _check_one_row_per_arm(postings, by)
    table = _complete_arms(result.stats, experiment, by)
    if postings.granularity == "arm_totals":
        table[["sum_xx", "sum_yy", "sum_xy"]] = np.nan
    return Summary(table, postings.granularity, by, result.units)


def _raise_violations(result: Aggregate, postings: PostingData, experiment: Experiment) -> None:
    where = postings.source or "table"
    arms = set(result.units["arm"].dropna())
    unknown = sorted(arms - set(experiment.arm_ids), key=str)
    if unknown or result.units["arm"].isna().any():
        shown = unknown[0] if unknown else None
        raise DataError(
            f"unknown arm {shown!r}; the experiment's arms are {list(experiment.arm_ids)}",
            file=where,
            column="arm",
        )
    for column, message, count in result.violations.values():
        raise DataError(f"{message} in {count:.0f} rows", file=where, column=column)
    missing = [arm for arm in experiment.arm_ids if arm not in arms]
    if missing:
        raise DataError(f"no rows for arm {missing[0]!r}", file=where, column="arm")


def _complete_arms(
    table: pd.DataFrame, experiment: Experiment, by: tuple[str, ...]
) -> pd.DataFrame:
    """Give every group a row for every arm and metric (zeros where an arm has no rows)."""
    groups = table[list(by)].drop_duplicates() if by else pd.DataFrame(index=[0])
    combos = groups.merge(pd.DataFrame({"arm": list(experiment.arm_ids)}), how="cross")
    metrics = pd.DataFrame({"metric": table["metric"].drop_duplicates()})
    full = combos.merge(metrics, how="cross")
    keys = [*by, "arm", "metric"]
    merged = full.merge(table, on=keys, how="left")
    merged[list(SUFFICIENT_COLUMNS)] = merged[list(SUFFICIENT_COLUMNS)].fillna(0.0)
    return merged[[*keys, *SUFFICIENT_COLUMNS]]


def _check_one_row_per_arm(postings: PostingData, by: tuple[str, ...]) -> None:
    if postings.frame is None:
        return
    dup = postings.frame.duplicated(subset=[*by, "arm"])
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(
            "arm totals must have one row per arm" + (" and group" if by else ""),
            file=postings.source or "table",
            row=pos + 2 if postings.source else pos + 1,
            column="arm",
        )
