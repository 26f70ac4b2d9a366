"""Cumulative sufficient statistics at successive looks (for monitoring and sequential tests).

Sums are additive, so the statistics at every weekly look come from one aggregation by
publication week followed by a cumulative sum over weeks: the experiment is replayed from the
table checked once, without reading or validating it again per look.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from rekrut.data._aggregate import aggregate_pandas
from rekrut.data._postings import PostingData
from rekrut.data._summary import Summary, from_aggregate, load_postings
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
    experiment: Experiment, data: Any = None, *, every: Every = "week"
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

    Returns
    -------
    Summary
        Grouped by ``look`` (the date of the look, ascending); each look's statistics include
        every earlier posting.

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
    return cumulative_looks(experiment, load_postings(experiment, data), every=every)


def cumulative_looks(
    experiment: Experiment, postings: PostingData, *, every: Every = "week"
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
    where = postings.source or "table"
    if "published" not in postings.columns:
        raise DataError(
            "monitoring needs a 'published' date column", file=where, column="published"
        )
    needed = {
        c for m in experiment.metrics for c in (get_metric(m).numerator, get_metric(m).denominator)
    }
    frame = collect_columns(postings, experiment, ["published", *sorted(needed), "hires"])
    blank = frame["published"].isna().to_numpy()
    if blank.any():
        pos = int(np.flatnonzero(blank)[0])
        # a pandas table keeps its rows in order: name the row as a spreadsheet shows it
        row = None if postings.frame is None else pos + (2 if postings.source else 1)
        raise DataError("the publication date is blank", file=where, row=row, column="published")
    frame = frame.assign(look=_period(pd.to_datetime(frame["published"]), every))
    result = aggregate_pandas(frame, experiment.metrics, experiment.arm_ids, by=["look"])
    per_look = from_aggregate(result, experiment, postings.granularity, ("look",))
    order = np.argsort(per_look.groups["look"].to_numpy(), kind="stable")
    ordered = per_look.select_groups(order)
    return Summary(
        ordered.groups,
        ordered.arms,
        {m: v.cumsum(axis=0) for m, v in ordered.moments.items()},
        ordered.granularity,
        ordered.by,
        np.cumsum(ordered.units, axis=0),
        {c: np.cumsum(v, axis=0) for c, v in ordered.funnel.items()},
    )
