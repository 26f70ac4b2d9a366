"""Unit-level columns for the metrics that sums cannot serve (paired, bootstrap, durations).

The columns are gathered once — only those asked for leave the engine — and indexed by cell
(group x arm), so a method that needs the postings of a cell takes a slice, not a search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rekrut.data._aggregate import FloatArray
from rekrut.data._postings import PostingData, filled
from rekrut.model import Experiment

__all__ = ["UnitColumns", "arm_expression", "collect_columns", "unit_columns"]

IntArray = np.ndarray[Any, np.dtype[np.intp]]


def arm_expression(postings: PostingData, experiment: Experiment) -> nw.Expr:
    """The arm id of each row of an engine table (from ``arm``, or ``variant`` and ``channel``)."""
    if "arm" in postings.columns:
        return nw.col("arm").cast(nw.String()).str.strip_chars()
    expr: nw.Expr = nw.lit(None, dtype=nw.String())
    for arm in reversed(experiment.arms):
        match = (nw.col("variant").cast(nw.String()) == arm.variant) & (
            nw.col("channel").cast(nw.String()) == arm.channel
        )
        expr = nw.when(match).then(nw.lit(arm.id)).otherwise(expr)
    return expr


def collect_columns(
    postings: PostingData, experiment: Experiment, columns: Sequence[str]
) -> pd.DataFrame:
    """The listed columns that exist, plus ``arm`` (the arm id), as a pandas frame.

    A pandas table is already normalised; for another engine only these columns are brought
    into memory, the arm is computed in the engine and ``filled`` is derived from ``hires``.

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.data import load_postings
    >>> exp = rk.load_experiment("experiments/sosu_kanaltest.toml")
    >>> list(collect_columns(load_postings(exp), exp, ["hires"]).columns)
    ['arm', 'hires']
    """
    present = [c for c in dict.fromkeys(columns) if c in postings.columns and c != "arm"]
    if postings.frame is not None:
        return postings.frame[["arm", *present]]
    derive = "filled" in columns and "filled" not in postings.columns
    if derive and "hires" in postings.columns and "hires" not in present:
        present.append("hires")
    frame: pd.DataFrame = (
        postings.native.select(arm_expression(postings, experiment).alias("arm"), *present)
        .collect()
        .to_pandas()
    )
    if derive and "hires" in frame.columns:
        frame["filled"] = filled(frame["hires"])
    return frame


@dataclass(frozen=True, slots=True)
class UnitColumns:
    """Unit-level values with the cell (group, arm) of every row.

    Attributes
    ----------
    values
        Column name -> float values, one per row (NaN where unknown).
    keys
        Column name -> the raw values of identifying columns (``posting_id``), one per row.
    group, arm
        Per row, the index of its group (in the summary's ``groups``) and arm.
    shape
        (groups, arms).
    """

    values: dict[str, FloatArray]
    keys: dict[str, np.ndarray]
    group: IntArray
    arm: IntArray
    shape: tuple[int, int]
    _starts: IntArray
    _order: IntArray

    def rows(self, group: int, arm: int) -> IntArray:
        """Row positions of one cell."""
        cell = group * self.shape[1] + arm
        return self._order[self._starts[cell] : self._starts[cell + 1]]

    def cell(self, group: int, arm: int) -> dict[str, FloatArray]:
        """The values of one cell, per column."""
        where = self.rows(group, arm)
        return {c: v[where] for c, v in self.values.items()}


def unit_columns(
    postings: PostingData,
    experiment: Experiment,
    groups: pd.DataFrame,
    by: Sequence[str],
    columns: Sequence[str],
    keys: Sequence[str] = (),
) -> UnitColumns:
    """Gather ``columns`` (as floats) and ``keys`` (as they are) once, indexed by cell.

    ``groups`` gives the order of the groups axis (a summary's ``groups``).

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.data import load_postings
    >>> exp = rk.load_experiment("experiments/sosu_kanaltest.toml")
    >>> summary = rk.summarize(exp)
    >>> units = unit_columns(load_postings(exp), exp, summary.groups, (), ["hires"])
    >>> int(units.cell(0, 0)["hires"].size) == int(summary.funnel["postings"][0, 0])
    True
    """
    frame = collect_columns(postings, experiment, [*by, *keys, *columns])
    arms = list(experiment.arm_ids)
    arm = pd.Categorical(frame["arm"], categories=arms).codes.astype(np.intp)
    if by:
        index = pd.MultiIndex.from_frame(groups[list(by)])
        group = index.get_indexer(pd.MultiIndex.from_frame(frame[list(by)])).astype(np.intp)
    else:
        group = np.zeros(len(frame), dtype=np.intp)
    shape = (len(groups), len(arms))
    cells = np.where((group >= 0) & (arm >= 0), group * shape[1] + arm, shape[0] * shape[1])
    order = np.argsort(cells, kind="stable").astype(np.intp)
    counts = np.bincount(cells, minlength=shape[0] * shape[1] + 1)
    starts = np.r_[0, np.cumsum(counts)].astype(np.intp)
    values = {
        c: frame[c].to_numpy(np.float64, na_value=np.nan) for c in columns if c in frame.columns
    }
    raw = {k: frame[k].to_numpy() for k in keys if k in frame.columns}
    return UnitColumns(values, raw, group, arm, shape, starts, order)
