"""Cumulative sufficient statistics at successive looks (for monitoring and sequential tests).

Sums are additive, so the statistics at every weekly look come from one aggregation by
publication week followed by a cumulative sum over weeks: the experiment is replayed from the
table checked once, without reading or validating it again per look.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from rekrut.data._aggregate import STAT_NAMES, Moments, aggregate_pandas
from rekrut.data._postings import PostingData
from rekrut.data._summary import Summary, load_postings
from rekrut.data._units import collect_columns
from rekrut.errors import DataError
from rekrut.metrics import get_metric
from rekrut.model import Experiment

__all__ = ["cumulative_looks", "cumulative_summary"]

Every = Literal["week", "month"]


def _period(published: pd.Series, every: Every) -> pd.Series:
    freq = "W-SUN" if every == "week" else "M"
    ends: pd.Series = published.dt.to_period(freq).dt.end_time.dt.normalize()
    return ends


def cumulative_summary(
    experiment: Experiment,
    data: Any = None,
    *,
    every: Every = "week",
    by: Sequence[str] | None = None,
) -> Summary:
    """Per-arm sufficient statistics of all postings published up to the end of each period.

    Parameters
    ----------
    experiment
        The experiment.
    data
        Per-posting rows with a ``published`` date (see :func:`rekrut.summarize`).
    every
        ``"week"`` (looks on Sundays) or ``"month"`` (looks at month ends).
    by
        Grouping columns (job category, municipality …) monitored side by side.

    Returns
    -------
    Summary
        Grouped by ``look`` (the date of the look, ascending), then by the ``by`` groups in
        order of first appearance: row ``k * G + g`` is group g at look k, so every array
        reshapes to (looks, groups, arms). Every group has every look; each look's statistics
        include every earlier posting of the group.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.Experiment.model_validate({"id": "x", "control": "A",
    ...     "metrics": ["applications_per_posting"],
    ...     "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}]})
    >>> data = rk.simulate(exp, postings=200, rng=1)
    >>> looks = cumulative_summary(exp, data)
    >>> int(looks.moments["applications_per_posting"].n[-1].sum())
    200
    """
    return cumulative_looks(experiment, load_postings(experiment, data), every=every, by=by)


def cumulative_looks(
    experiment: Experiment,
    postings: PostingData,
    *,
    every: Every = "week",
    by: Sequence[str] | None = None,
) -> Summary:
    """:func:`cumulative_summary` for a table that has already been checked.

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.data import load_postings
    >>> exp = rk.load_experiment("experiments/admin_ordlyd.toml")
    >>> looks = cumulative_looks(exp, load_postings(exp))
    >>> bool(looks.groups["look"].is_monotonic_increasing)
    True
    """
    by = tuple(by or ())
    missing = [c for c in by if c not in postings.columns]
    if missing:
        where = postings.source or "table"
        raise DataError("the grouping column is missing", file=where, column=missing[0])
    where = postings.source or "table"
    if "published" not in postings.columns:
        raise DataError(
            "monitoring needs a 'published' date column", file=where, column="published"
        )
    needed = {
        c for m in experiment.metrics for c in (get_metric(m).numerator, get_metric(m).denominator)
    }
    frame = collect_columns(postings, experiment, ["published", *by, *sorted(needed), "hires"])
    blank = frame["published"].isna().to_numpy()
    if blank.any():
        pos = int(np.flatnonzero(blank)[0])
        # a pandas table keeps its rows in order: name the row as a spreadsheet shows it
        row = None if postings.frame is None else pos + (2 if postings.source else 1)
        raise DataError("the publication date is blank", file=where, row=row, column="published")
    frame = frame.assign(look=_period(pd.to_datetime(frame["published"]), every))
    result = aggregate_pandas(frame, experiment.metrics, experiment.arm_ids, by=[*by, "look"])
    keys = result.groups
    dates, look = np.unique(keys["look"].to_numpy(), return_inverse=True)
    if by:
        # groups in order of first appearance, as summarize numbers them
        group = keys.groupby(list(by), sort=False, dropna=False).ngroup().to_numpy()
        first = np.unique(group, return_index=True)[1]
        values = keys[list(by)].iloc[first].reset_index(drop=True)
    else:
        group, values = np.zeros(len(keys), dtype=np.intp), pd.DataFrame(index=pd.RangeIndex(1))
    n_looks, n_groups = len(dates), len(values)

    def running(array: np.ndarray) -> np.ndarray:
        """(looks x groups, arms): the cells of each group at each look, summed up to it."""
        grid = np.zeros((n_looks, n_groups, array.shape[1]))
        grid[look.ravel(), group] = array
        return np.cumsum(grid, axis=0).reshape(n_looks * n_groups, array.shape[1])

    moments = {
        m: Moments(*(running(getattr(v, s)) for s in STAT_NAMES)) for m, v in result.moments.items()
    }
    groups = pd.concat(
        [
            pd.DataFrame({"look": np.repeat(dates, n_groups)}),
            values.loc[np.tile(values.index, n_looks)].reset_index(drop=True),
        ],
        axis=1,
    )
    return Summary(
        groups,
        tuple(experiment.arm_ids),
        moments,
        postings.granularity,
        ("look", *by),
        running(result.units),
        {c: running(v) for c, v in result.funnel.items()},
    )
