"""Aggregation of a validated posting table to per-arm sufficient statistics.

Every catalogue metric is ``sum(x) / sum(y)`` over units (postings). Per arm (and per group) the
summary keeps ``n, sum_x, sum_y, sum_xx, sum_yy, sum_xy`` over the rows where both x and y are
known, which is all the statistical core needs for means, proportions and delta-method ratios.
Arm totals carry only ``n, sum_x, sum_y``; their second moments are NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rekrut.data._postings import Granularity, PostingData, validate_postings
from rekrut.errors import DataError
from rekrut.io import read_table
from rekrut.metrics import get_metric
from rekrut.model import Experiment

__all__ = ["SUFFICIENT_COLUMNS", "Summary", "load_postings", "summarize"]

SUFFICIENT_COLUMNS = ("n", "sum_x", "sum_y", "sum_xx", "sum_yy", "sum_xy")

DataLike = Any
"""A pandas DataFrame, a path to a CSV/Parquet file, a validated PostingData, or any table that
narwhals understands (polars, pyarrow, DuckDB …)."""


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
    """

    table: pd.DataFrame
    granularity: Granularity
    by: tuple[str, ...] = ()


def load_postings(experiment: Experiment, data: DataLike = None) -> PostingData:
    """Resolve ``data`` (or the experiment's own data file) and validate it."""
    if isinstance(data, PostingData):
        return data
    if data is None:
        if experiment.data_path is None:
            raise DataError("no data given and the experiment file names no 'data' file")
        data = experiment.data_path
    if isinstance(data, str | Path):
        return validate_postings(read_table(data), experiment, source=data)
    if not isinstance(data, pd.DataFrame):
        data = _to_pandas(data)
    return validate_postings(data, experiment)


def _to_pandas(data: Any) -> pd.DataFrame:
    try:
        import narwhals as nw
    except ImportError:  # pragma: no cover - narwhals is an optional extra
        raise DataError(
            f"cannot read a {type(data).__name__}; pass a pandas DataFrame or install rekrut[engines]"
        ) from None
    try:
        frame = nw.from_native(data)
    except TypeError:
        raise DataError(f"cannot read a {type(data).__name__} as a table") from None
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()


def summarize(
    experiment: Experiment, data: DataLike = None, *, by: Sequence[str] | None = None
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
        raise DataError("the grouping column is missing", file=postings.source, column=missing[0])
    frame = postings.frame
    if postings.granularity == "arm_totals":
        _check_one_row_per_arm(frame, by, postings.source)
    parts = [
        _metric_sums(frame, metric_id, by, postings.granularity)
        for metric_id in experiment.metrics
        if get_metric(metric_id).kind != "duration"
    ]
    keys = [*by, "arm", "metric"]
    table = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=[*keys, *SUFFICIENT_COLUMNS])
    )
    table = _complete_arms(table, experiment, by)
    return Summary(table, postings.granularity, by)


def _metric_sums(
    frame: pd.DataFrame, metric_id: str, by: tuple[str, ...], granularity: Granularity
) -> pd.DataFrame:
    metric = get_metric(metric_id)
    x = frame[metric.numerator].to_numpy(dtype=np.float64)
    if metric.per_posting:
        ones = np.ones(len(frame))
        y = frame["postings"].to_numpy(dtype=np.float64) if granularity == "arm_totals" else ones
    else:
        y = frame[metric.denominator].to_numpy(dtype=np.float64)
    known = ~(np.isnan(x) | np.isnan(y))
    units = (
        frame["postings"].to_numpy(dtype=np.float64)
        if granularity == "arm_totals"
        else np.ones(len(frame))
    )
    parts = pd.DataFrame({c: frame[c].to_numpy() for c in (*by, "arm")})
    parts["n"] = np.where(known, units, 0.0)
    parts["sum_x"] = np.where(known, x, 0.0)
    parts["sum_y"] = np.where(known, y, 0.0)
    for name, values in (("sum_xx", x * x), ("sum_yy", y * y), ("sum_xy", x * y)):
        parts[name] = np.where(known, values, 0.0)
    sums = parts.groupby([*by, "arm"], sort=False, dropna=False).sum().reset_index()
    if granularity == "arm_totals":
        sums[["sum_xx", "sum_yy", "sum_xy"]] = np.nan
    sums.insert(len(by) + 1, "metric", metric_id)
    return sums


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
    merged[["n", "sum_x", "sum_y"]] = merged[["n", "sum_x", "sum_y"]].fillna(0.0)
    return merged[[*keys, *SUFFICIENT_COLUMNS]]


def _check_one_row_per_arm(frame: pd.DataFrame, by: tuple[str, ...], source: str | None) -> None:
    dup = frame.duplicated(subset=[*by, "arm"])
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(
            "arm totals must have one row per arm" + (" and group" if by else ""),
            file=source or "table",
            row=pos + 2 if source else pos + 1,
            column="arm",
        )
