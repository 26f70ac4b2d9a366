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

from rekrut.data._looks import cumulative_summary
from rekrut.errors import InputError
from rekrut.metrics import Metric, get_metric
from rekrut.model import Experiment, load_experiment
from rekrut.stats._ratios import RatioStats
from rekrut.stats._result import Comparison, FloatArray
from rekrut.stats._sequential import always_valid_pvalue, confidence_sequence, spending_boundaries

if TYPE_CHECKING:
    from pathlib import Path

    from rekrut.analysis import Cells, Mode, Plan

__all__ = ["MONITOR_COLUMNS", "MonitorResult", "last_look", "monitor", "sequential_comparison"]

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


def _variances(mode: Mode, cells: Cells) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-arm estimates and their variances for the sequential tests."""
    c, t = cells.control, cells.treatment
    if mode == "binomial":
        with np.errstate(divide="ignore", invalid="ignore"):
            p_c, p_t = c["sum_x"] / c["sum_y"], t["sum_x"] / t["sum_y"]
            return p_c, p_t, p_c * (1 - p_c) / c["sum_y"], p_t * (1 - p_t) / t["sum_y"]
    stats_c = RatioStats(c["n"], c["sum_x"], c["sum_y"], c["sum_xx"], c["sum_yy"], c["sum_xy"])
    stats_t = RatioStats(t["n"], t["sum_x"], t["sum_y"], t["sum_xx"], t["sum_yy"], t["sum_xy"])
    return stats_c.ratio(), stats_t.ratio(), stats_c.variance(), stats_t.variance()


def sequential_comparison(cells: Cells, mode: Mode, level: float) -> tuple[Comparison, FloatArray]:
    """Always-valid comparison along the first axis (looks) of the cells; returns it and z.

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.analysis import _cells
    >>> from rekrut.data._looks import cumulative_summary
    >>> exp = rk.load_experiment("experiments/admin_ordlyd.toml")
    >>> cells = _cells(exp, cumulative_summary(exp), "applications_per_posting")
    >>> comparison, z = sequential_comparison(cells, "units", 0.95)
    >>> bool((comparison.p_value[1:] <= comparison.p_value[:-1]).all())
    True
    """
    r_c, r_t, v_c, v_t = _variances(mode, cells)
    diff, var = r_t - r_c, v_c + v_t
    var = np.where(var > 0, var, np.nan)
    cs = confidence_sequence(diff, var, confidence_level=level, axis=0)
    low, high = cs.ci_low, cs.ci_high
    p = always_valid_pvalue(diff, var, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(r_t / r_c)
        log_var = v_t / r_t**2 + v_c / r_c**2
    log_var = np.where(np.isfinite(log_var) & (log_var > 0), log_var, np.nan)
    log_ratio = np.where(np.isfinite(log_ratio), log_ratio, np.nan)
    cs = confidence_sequence(log_ratio, log_var, confidence_level=level, axis=0)
    lift_low, lift_high = cs.ci_low, cs.ci_high
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = diff / np.sqrt(var)
        lift = np.where(r_c > 0, r_t / r_c - 1, np.nan)
        lift_low, lift_high = np.exp(lift_low) - 1, np.exp(lift_high) - 1
    comparison = Comparison(
        r_c,
        r_t,
        diff,
        low,
        high,
        lift,
        lift_low,
        lift_high,
        z,
        p,
        "msprt",
    )
    return comparison, z


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
    from rekrut.analysis import _cells, _mode

    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    _check_unit(experiment)
    summary = _planned_looks(experiment, cumulative_summary(experiment, data, every=every))
    looks = summary.table["look"].drop_duplicates().sort_values().to_list()
    treatments = [a.id for a in experiment.treatments]
    chosen = metrics or [m for m in experiment.metrics if get_metric(m).kind != "duration"]
    frames = []
    for metric_id in chosen:
        metric = get_metric(metric_id)
        frames.append(
            _metric_path(experiment, summary, metric, looks, treatments, spending, _cells, _mode)
        )
    return MonitorResult(pd.concat(frames, ignore_index=True), spending)


def _check_unit(experiment: Experiment) -> None:
    if experiment.unit == "source":
        raise InputError(
            "the sequential methods compare independent postings, but with unit 'source' the "
            "channels of one posting are paired; analyse it with rekrut.analyze (frequentist)",
            column="unit",
        )


def _planned_looks(experiment: Experiment, summary: Any) -> Any:
    """Keep only the looks the experiment file plans (``[[looks]]``), if it plans any.

    A look by date is the last replayed look on or before that date; a look by postings is the
    first replayed look at which every arm has at least that many postings.
    """
    if not experiment.looks:
        return summary
    table = summary.table
    dates = pd.Series(table["look"].drop_duplicates().sort_values().to_numpy())
    per_arm = table[table["metric"] == table["metric"].iloc[0]].groupby("look")["n"].min()
    chosen = set()
    for look in experiment.looks:
        if look.date is not None:
            before = dates[dates <= pd.Timestamp(look.date)]
            if len(before):
                chosen.add(before.iloc[-1])
        if look.postings is not None:
            reached = per_arm[per_arm >= look.postings]
            if len(reached):
                chosen.add(reached.index[0])
    if not chosen:
        raise ValueError("none of the planned looks is reached by the data yet")
    kept = table[table["look"].isin(chosen)].reset_index(drop=True)
    return type(summary)(kept, summary.granularity, summary.by)


def _metric_path(
    experiment: Experiment,
    summary: Any,
    metric: Metric,
    looks: list[Any],
    treatments: list[str],
    spending: Literal["obf", "pocock"],
    cells_of: Any,
    mode_of: Any,
) -> pd.DataFrame:
    from rekrut.analysis import _DISPATCH, Plan

    if metric.kind == "duration":
        raise ValueError(
            "time to hire cannot be monitored with these methods; leave it out of metrics"
        )
    cells = cells_of(experiment, summary, metric.id)
    mode = mode_of(metric, experiment, summary)
    level = experiment.confidence_level
    fixed = _DISPATCH[(metric.kind, mode)][0](cells, Plan(level, "none"))
    sequential, z = sequential_comparison(cells, mode, level)
    n_key = "sum_y" if mode == "binomial" and not metric.per_posting else "n"
    n_c, n_t = cells.control[n_key], cells.treatment[n_key]
    fraction, bounds = _boundaries(
        experiment, cells.control["n"] + cells.treatment["n"], level, spending
    )
    shape = n_t.shape
    return pd.DataFrame(
        {
            "look": np.repeat(looks, shape[1]),
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


def last_look(
    experiment: Experiment, data: Any, plan: Plan
) -> list[tuple[Metric, FloatArray, FloatArray, Comparison]]:
    """Always-valid comparisons at the latest look, per metric: (metric, n_c, n_t, comparison).

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.analysis import Plan
    >>> exp = rk.load_experiment("experiments/admin_ordlyd.toml")
    >>> [m.id for m, *_ in last_look(exp, None, Plan(0.95, "holm"))][:2]
    ['applications_per_posting', 'qualified_share']
    """
    from rekrut.analysis import ESTIMATE_COLUMNS, _cells, _mode

    _check_unit(experiment)
    summary = cumulative_summary(experiment, data)
    out = []
    for metric_id in experiment.metrics:
        metric = get_metric(metric_id)
        if metric.kind == "duration":
            continue
        cells = _cells(experiment, summary, metric_id)
        mode = _mode(metric, experiment, summary)
        comparison, _ = sequential_comparison(cells, mode, plan.confidence_level)
        n_key = "sum_y" if mode == "binomial" and not metric.per_posting else "n"
        last = {
            name: np.asarray(getattr(comparison, name))[-1:]
            for name in (*ESTIMATE_COLUMNS, "statistic", "p_value")
        }
        out.append(
            (
                metric,
                cells.control[n_key][-1:],
                cells.treatment[n_key][-1:],
                Comparison(**last, method=comparison.method),
            )
        )
    return out
