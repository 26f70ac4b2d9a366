"""Cumulative sufficient statistics at successive looks (for monitoring and sequential tests).

Sums are additive, so the statistics at every weekly look come from one grouped aggregation by
publication week followed by a cumulative sum over weeks — the experiment is replayed without
re-reading the data once per look.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from rekrut.data._summary import SUFFICIENT_COLUMNS, Summary, load_postings, summarize
from rekrut.errors import DataError
from rekrut.model import Experiment

__all__ = ["cumulative_summary"]

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
        Grouped by ``look`` (the date of the look); each look's statistics include every earlier
        posting.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.Experiment.model_validate({"id": "x", "control": "A",
    ...     "metrics": ["applications_per_posting"],
    ...     "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}]})
    >>> data = rk.simulate(exp, postings=200, rng=1)
    >>> looks = cumulative_summary(exp, data).table
    >>> int(looks.groupby("look")["n"].sum().iloc[-1])
    200
    """
    postings = load_postings(experiment, data)
    if "published" not in postings.columns:
        raise DataError(
            "monitoring needs a 'published' date column", file=postings.source, column="published"
        )
    frame = postings.collect(["published", *_columns(postings)])
    if frame["published"].isna().any():
        pos = int(np.flatnonzero(frame["published"].isna().to_numpy())[0])
        raise DataError(
            "the publication date is blank",
            file=postings.source or "table",
            row=pos + 1,
            column="published",
        )
    frame = frame.assign(look=_period(pd.to_datetime(frame["published"]), every))
    per_period = summarize(experiment, frame, by=["look"])
    table = per_period.table.sort_values(["arm", "metric", "look"], kind="stable")
    cumulative = table.groupby(["arm", "metric"], sort=False)[list(SUFFICIENT_COLUMNS)].cumsum()
    table = table.assign(**{c: cumulative[c] for c in SUFFICIENT_COLUMNS})
    table = table.sort_values(["look", "arm", "metric"], kind="stable").reset_index(drop=True)
    return Summary(table, per_period.granularity, ("look",))


def _columns(postings: Any) -> list[str]:
    return [c for c in postings.columns if c not in ("arm", "published")]
