"""From a posting table (any engine) to per-arm sufficient statistics as arrays.

Every catalogue metric is ``sum(x) / sum(y)`` over units (postings). Per group and arm the
summary keeps ``n, sum_x, sum_y, sum_xx, sum_yy, sum_xy`` over the rows where both x and y are
known, as arrays shaped (groups, arms) — all the statistical core needs for means, proportions
and delta-method ratios. Arm totals carry only ``n, sum_x, sum_y``; their second moments are NaN.

pandas tables and CSV files are validated row by row (errors name the row) and summed with
numpy; other engines (polars, pyarrow, DuckDB, PySpark, and Parquet files through DuckDB) are
checked and aggregated in one pass inside the engine, and errors name the column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rekrut.data._aggregate import (
    STAT_NAMES,
    Aggregate,
    FloatArray,
    Moments,
    aggregate,
    aggregate_pandas,
)
from rekrut.data._checks import check_table
from rekrut.data._columns import missing_column_hint, renamed
from rekrut.data._postings import (
    CONTRACT,
    Granularity,
    PostingData,
    required_columns,
    validate_postings,
)
from rekrut.data._units import arm_expression
from rekrut.errors import DataError
from rekrut.io import read_table, scan_parquet
from rekrut.metrics import get_metric
from rekrut.model import Experiment, as_experiment

__all__ = ["SUFFICIENT_COLUMNS", "Moments", "Summary", "load_postings", "summarize"]

SUFFICIENT_COLUMNS = STAT_NAMES


@dataclass(frozen=True, slots=True)
class Summary:
    """Per-arm sufficient statistics of every metric, as arrays shaped (groups, arms).

    Attributes
    ----------
    groups
        One row per group with the grouping columns (without ``by``: one row, no columns).
    arms
        The arm ids, in the experiment's order: the last axis of every array.
    moments
        Per metric id, its :class:`Moments` (``n, sum_x, sum_y, sum_xx, sum_yy, sum_xy``).
    granularity
        ``"postings"`` or ``"arm_totals"`` (then the second moments are NaN).
    by
        The grouping columns.
    units
        Randomised units per group and arm (postings, or impressions for impression-level
        experiments).
    funnel
        Plain totals per group and arm of the funnel columns the table has (``postings``,
        ``applications``, ``qualified``, ``hires``, ``filled``, ``cost_dkk`` …), whatever the
        metrics.
    """

    groups: pd.DataFrame
    arms: tuple[str, ...]
    moments: Mapping[str, Moments]
    granularity: Granularity
    by: tuple[str, ...] = ()
    units: FloatArray = field(default_factory=lambda: np.zeros((1, 0)))
    funnel: Mapping[str, FloatArray] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """The statistics as a tidy table: ``*by, arm, metric, n, sum_x, … sum_xy``.

        Rows run over groups, then arms, then metrics.
        """
        n_groups, n_arms = len(self.groups), len(self.arms)
        metrics = list(self.moments)
        keys = pd.DataFrame(
            {
                "arm": np.tile(
                    np.repeat(np.asarray(self.arms, dtype=object), len(metrics)), n_groups
                ),
                "metric": np.tile(np.asarray(metrics, dtype=object), n_groups * n_arms),
            }
        )
        if self.by:
            repeated = self.groups.loc[self.groups.index.repeat(n_arms * len(metrics))]
            keys = pd.concat([repeated.reset_index(drop=True), keys], axis=1)
        stats = {
            s: np.stack([getattr(self.moments[m], s) for m in metrics], axis=-1).ravel()
            if metrics
            else np.zeros(0)
            for s in STAT_NAMES
        }
        return keys.assign(**stats)

    def select_groups(self, index: Any) -> Summary:
        """The summary of the groups at ``index`` (positions along the groups axis)."""
        index = np.asarray(index, dtype=np.intp)
        return Summary(
            self.groups.iloc[index].reset_index(drop=True),
            self.arms,
            {m: v.take(index, axis=0) for m, v in self.moments.items()},
            self.granularity,
            self.by,
            self.units[index],
            {c: v[index] for c, v in self.funnel.items()},
        )

    def totals(self) -> pd.DataFrame:
        """The funnel per arm, summed over groups: one row per arm, one column per count."""
        sums = {c: v.sum(axis=0) for c, v in self.funnel.items()}
        return pd.DataFrame(sums, index=pd.Index(self.arms, name="arm"))


def load_postings(experiment: Experiment, data: Any = None) -> PostingData:
    """Resolve ``data`` (or the experiment's own data file) to a validated posting table.

    ``data`` may be a pandas DataFrame, a CSV/TSV/Excel/OpenDocument/Parquet path, any table
    narwhals understands (polars, pyarrow, DuckDB, PySpark), a :class:`PostingData`, or None for
    the file the experiment names. Parquet files are read through DuckDB when it is installed,
    without loading them into pandas. The experiment's ``[data]`` table (column mapping, sheet,
    date format, decimal mark) applies to whichever table is given.

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
        relation = (
            scan_parquet(path) if path.suffix.lower() == ".parquet" and path.is_file() else None
        )
        if relation is not None:
            return _native_postings(relation, experiment, str(path))
        return validate_postings(experiment, _read_postings_file(path, experiment), source=path)
    if isinstance(data, pd.DataFrame):
        return validate_postings(experiment, data)
    return _native_postings(data, experiment, None)


def _read_postings_file(path: Path, experiment: Experiment) -> pd.DataFrame:
    spec = experiment.data_source
    sheet = spec.sheet if spec is not None else None
    return read_table(
        path,
        sheet=sheet if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods") else None,
    )


def _native_postings(native: Any, experiment: Experiment, source: str | None) -> PostingData:
    try:
        frame = nw.from_native(native)
    except TypeError:
        raise DataError(f"cannot read a {type(native).__name__} as a table", file=source) from None
    lazy = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
    spec = experiment.data_source
    if spec is not None and spec.columns:
        lazy = lazy.rename(renamed(lazy.collect_schema().names(), spec.columns))
    columns = set(lazy.collect_schema().names())
    granularity: Granularity = "arm_totals" if "postings" in columns else "postings"
    where = source or "table"
    if "arm" not in columns and not {"variant", "channel"} <= columns:
        raise DataError(
            "the table needs an 'arm' column (or 'variant' and 'channel' columns); "
            + missing_column_hint("arm", sorted(columns)),
            file=where,
            column="arm",
        )
    for metric_id in experiment.metrics:
        if granularity == "arm_totals" and get_metric(metric_id).kind == "duration":
            continue
        for column in required_columns(metric_id, granularity):
            if column not in columns:
                raise DataError(
                    f"the column is missing; metric {metric_id} needs it; "
                    + missing_column_hint(column, sorted(columns)),
                    file=where,
                    column=column,
                )
    postings = PostingData(None, granularity, source, native=lazy, column_names=frozenset(columns))
    arm = arm_expression(postings, experiment)
    check_table(lazy, CONTRACT, arms=experiment.arm_ids, arm=arm, source=source)
    return postings


def summarize(
    experiment: Experiment | str | Path, data: Any = None, *, by: Sequence[str] | None = None
) -> Summary:
    """Reduce a posting table to per-arm sufficient statistics for every metric.

    Parameters
    ----------
    experiment
        The experiment (its arms and metrics), or its file.
    data
        Per-posting rows or per-arm totals (see :func:`load_postings`).
    by
        Optional grouping columns (e.g. ``["job_category"]``).

    Examples
    --------
    >>> import pandas as pd
    >>> from rekrut.model import Experiment, as_experiment
    >>> exp = Experiment.model_validate({"id": "x", "control": "A",
    ...     "metrics": ["applications_per_posting"],
    ...     "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}]})
    >>> rows = pd.DataFrame({"arm": ["A", "A", "B"], "applications": [3, 5, 10]})
    >>> summary = summarize(exp, rows)
    >>> summary.moments["applications_per_posting"].sum_xx.tolist()
    [[34.0, 100.0]]
    >>> summary.table[["arm", "n", "sum_x", "sum_xx"]].to_string(index=False)
    'arm   n  sum_x  sum_xx\\n  A 2.0    8.0    34.0\\n  B 1.0   10.0   100.0'
    """
    experiment = as_experiment(experiment)
    postings = load_postings(experiment, data)
    return summarize_postings(experiment, postings, by=by)


def summarize_postings(
    experiment: Experiment, postings: PostingData, *, by: Sequence[str] | None = None
) -> Summary:
    """:func:`summarize` for a table that :func:`load_postings` has already checked.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.load_experiment("experiments/sosu_kanaltest.toml")
    >>> summarize_postings(exp, load_postings(exp)).arms == exp.arm_ids
    True
    """
    by = tuple(by or ())
    missing = [c for c in by if c not in postings.columns]
    if missing:
        raise DataError(
            "the grouping column is missing", file=postings.source or "table", column=missing[0]
        )
    unit_column = (
        "impressions"
        if experiment.unit == "impression" and "impressions" in postings.columns
        else None
    )
    arms = experiment.arm_ids
    if postings.frame is not None:
        result = aggregate_pandas(
            postings.frame, experiment.metrics, arms, by=by, unit_column=unit_column
        )
        if postings.granularity == "arm_totals" and (result.rows > 1).any():
            _check_one_row_per_arm(postings, by)
    else:
        result = aggregate(
            postings.native,
            experiment.metrics,
            arms,
            by=by,
            arm=arm_expression(postings, experiment),
            unit_column=unit_column,
        )
    return from_aggregate(result, experiment, postings.granularity, by)


def from_aggregate(
    result: Aggregate, experiment: Experiment, granularity: Granularity, by: tuple[str, ...]
) -> Summary:
    """Wrap an aggregation as a :class:`Summary`."""
    return Summary(
        result.groups,
        tuple(experiment.arm_ids),
        result.moments,
        granularity,
        by,
        result.units,
        result.funnel,
    )


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
