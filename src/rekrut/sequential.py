"""Monitoring week by week without inflating false positives.

``monitor`` replays an experiment look by look from the publication dates (one grouped
aggregation and a cumulative sum) and returns, for every look, the estimate with its fixed
interval, the always-valid confidence sequence and p-value, and — when the experiment plans a
number of postings — the group-sequential boundary for the information reached.
``analyze(..., method="sequential")`` reports the last look in the usual table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from rekrut.analysis import (
    Plan,
    cells_of,
    check_sequential_unit,
    compare_cells,
    mixture_horizon,
    mode_of,
    sequential_comparison,
    sizes_of,
)
from rekrut.data import Summary, cumulative_summary
from rekrut.metrics import Metric, get_metric
from rekrut.model import Experiment, load_experiment
from rekrut.stats import spending_boundaries

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MONITOR_COLUMNS", "MonitorResult", "monitor"]

FloatArray = np.ndarray

MONITOR_COLUMNS = (
    "look",
    "metric",
    "arm",
    "control",
    "n_control",
    "n_treatment",
    "diff",
    "ci_low",
    "ci_high",
    "cs_low",
    "cs_high",
    "p_value",
    "p_always_valid",
    "z",
    "information_fraction",
    "boundary",
)


@dataclass(frozen=True, slots=True)
class MonitorResult:
    """The path of each comparison over the looks: the data for a monitoring plot.

    ``table`` has :data:`MONITOR_COLUMNS`: the fixed-sample interval (``ci_*``) and p-value,
    which are only valid at a single planned look, next to the confidence sequence (``cs_*``) and
    the always-valid p-value, which are valid at every look; ``boundary`` is the
    group-sequential |z| boundary for the information fraction reached (NaN without
    ``planned_postings``).
    """

    table: pd.DataFrame
    spending: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values."""
        table = self.table.assign(look=self.table["look"].dt.strftime("%Y-%m-%d"))
        clean = table.astype(object).where(table.notna(), None)
        return {"spending": self.spending, "table": clean.to_dict("records")}


def _boundaries(
    experiment: Experiment, n_total: FloatArray, level: float, spending: Literal["obf", "pocock"]
) -> tuple[FloatArray, FloatArray]:
    """Information fraction and |z| boundary per look (NaN without planned postings)."""
    if experiment.planned_postings is None:
        nan = np.full(n_total.shape, np.nan)
        return nan, nan
    fraction = np.minimum(n_total / (2.0 * experiment.planned_postings), 1.0)
    bounds = np.full(fraction.shape, np.nan)
    for j in range(fraction.shape[1]):
        column = fraction[:, j]
        keep = np.r_[True, np.diff(column) > 0] & (column > 0)
        if keep.any():
            design = spending_boundaries(column[keep], alpha=experiment.alpha, spending=spending)
            bounds[keep, j] = design.boundaries
            bounds[:, j] = pd.Series(bounds[:, j]).ffill().to_numpy()
    return fraction, bounds


def monitor(
    experiment: Experiment | str | Path,
    data: Any = None,
    *,
    metrics: list[str] | None = None,
    every: Literal["week", "month"] = "week",
    spending: Literal["obf", "pocock"] = "obf",
) -> MonitorResult:
    """Replay the experiment look by look (weekly by default) with always-valid inference.

    Parameters
    ----------
    experiment, data
        As for :func:`rekrut.analyze`; the posting table needs a ``published`` date.
    metrics
        Metrics to follow (default: the experiment's, without time to hire).
    every
        Look every ``"week"`` (Sundays) or ``"month"``.
    spending
        Alpha-spending function for the group-sequential boundary (with ``planned_postings``).

    Examples
    --------
    >>> import rekrut as rk
    >>> res = monitor("experiments/admin_ordlyd.toml", metrics=["applications_per_posting"])
    >>> bool((res.table["p_always_valid"].diff().dropna() <= 0).all())  # never rises
    True
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    check_sequential_unit(experiment)
    summary = _planned_looks(experiment, cumulative_summary(experiment, data, every=every))
    chosen = metrics or [m for m in experiment.metrics if get_metric(m).kind != "duration"]
    frames = [_metric_path(experiment, summary, get_metric(m), spending) for m in chosen]
    return MonitorResult(pd.concat(frames, ignore_index=True), spending)


def _planned_looks(experiment: Experiment, summary: Summary) -> Summary:
    """Keep only the looks the experiment file plans (``[[looks]]``), if it plans any.

    A look by date is the last replayed look on or before that date; a look by postings is the
    first replayed look at which every arm has at least that many postings.
    """
    if not experiment.looks:
        return summary
    dates = summary.groups["look"].to_numpy()
    per_arm = summary.funnel["postings"].min(axis=1)  # postings of the smallest arm
    chosen: set[int] = set()
    for look in experiment.looks:
        if look.date is not None:
            before = np.flatnonzero(dates <= np.datetime64(pd.Timestamp(look.date)))
            if len(before):
                chosen.add(int(before[-1]))
        if look.postings is not None:
            reached = np.flatnonzero(per_arm >= look.postings)
            if len(reached):
                chosen.add(int(reached[0]))
    if not chosen:
        raise ValueError("none of the planned looks is reached by the data yet")
    return summary.select_groups(sorted(chosen))


def _metric_path(
    experiment: Experiment,
    summary: Summary,
    metric: Metric,
    spending: Literal["obf", "pocock"],
) -> pd.DataFrame:
    if metric.kind == "duration":
        raise ValueError(
            "time to hire cannot be monitored with these methods; leave it out of metrics"
        )
    cells = cells_of(experiment, summary, metric.id)
    mode = mode_of(metric, experiment, summary)
    level = experiment.confidence_level
    fixed = compare_cells(metric, mode, cells, Plan(level, "none"))
    sequential, z = sequential_comparison(cells, mode, level, horizon=mixture_horizon(experiment))
    n_c, n_t = sizes_of(metric, mode, cells.control), sizes_of(metric, mode, cells.treatment)
    fraction, bounds = _boundaries(experiment, cells.control.n + cells.treatment.n, level, spending)
    shape = n_t.shape
    treatments = [a.id for a in experiment.treatments]
    return pd.DataFrame(
        {
            "look": np.repeat(summary.groups["look"].to_numpy(), shape[1]),
            "metric": metric.id,
            "arm": np.tile(treatments, shape[0]),
            "control": experiment.control,
            "n_control": n_c.ravel(),
            "n_treatment": n_t.ravel(),
            "diff": sequential.diff.ravel(),
            "ci_low": np.asarray(fixed.diff_ci_low).ravel(),
            "ci_high": np.asarray(fixed.diff_ci_high).ravel(),
            "cs_low": sequential.diff_ci_low.ravel(),
            "cs_high": sequential.diff_ci_high.ravel(),
            "p_value": np.asarray(fixed.p_value).ravel(),
            "p_always_valid": sequential.p_value.ravel(),
            "z": z.ravel(),
            "information_fraction": fraction.ravel(),
            "boundary": bounds.ravel(),
        }
    )
