"""Always-valid comparisons along a first axis of looks (``method="sequential"``).

The cells of a look hold every posting published up to it, so the comparisons along the looks
form a path; a mixture SPRT gives p-values and confidence sequences valid at every look.
"""

from __future__ import annotations

import numpy as np

from rekrut.analysis._cells import Cells, Mode, Plan, cells_of, mode_of, ratio_stats, sizes_of
from rekrut.analysis._frequentist import Block
from rekrut.analysis._result import ESTIMATE_COLUMNS
from rekrut.data import PostingData, cumulative_looks
from rekrut.errors import InputError
from rekrut.metrics import get_metric
from rekrut.model import Experiment
from rekrut.stats import Comparison, always_valid_pvalue, confidence_sequence

__all__ = ["check_sequential_unit", "last_look", "sequential_comparison"]

FloatArray = np.ndarray


def _variances(mode: Mode, cells: Cells) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-arm estimates and their variances for the sequential tests."""
    c, t = cells.control, cells.treatment
    if mode == "binomial":
        with np.errstate(divide="ignore", invalid="ignore"):
            p_c, p_t = c.sum_x / c.sum_y, t.sum_x / t.sum_y
            return p_c, p_t, p_c * (1 - p_c) / c.sum_y, p_t * (1 - p_t) / t.sum_y
    stats_c, stats_t = ratio_stats(c), ratio_stats(t)
    return stats_c.ratio(), stats_t.ratio(), stats_c.variance(), stats_t.variance()


def sequential_comparison(cells: Cells, mode: Mode, level: float) -> tuple[Comparison, FloatArray]:
    """Always-valid comparison along the first axis (looks) of the cells; returns it and z.

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.analysis import cells_of, cumulative_summary
    >>> exp = rk.load_experiment("experiments/admin_ordlyd.toml")
    >>> cells = cells_of(exp, cumulative_summary(exp), "applications_per_posting")
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


def check_sequential_unit(experiment: Experiment) -> None:
    """The sequential methods compare independent postings: refuse paired channels.

    Examples
    --------
    >>> import rekrut as rk
    >>> check_sequential_unit(rk.load_experiment("experiments/admin_ordlyd.toml"))
    """
    if experiment.unit == "source":
        raise InputError(
            "the sequential methods compare independent postings, but with unit 'source' the "
            "channels of one posting are paired; analyse it with rekrut.analyze (frequentist)",
            column="unit",
        )


def last_look(experiment: Experiment, postings: PostingData, plan: Plan) -> list[Block]:
    """Always-valid comparisons at the latest look, one block per metric (not durations).

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.analysis import Plan
    >>> from rekrut.data import load_postings
    >>> exp = rk.load_experiment("experiments/admin_ordlyd.toml")
    >>> blocks = last_look(exp, load_postings(exp), Plan(0.95, "holm"))
    >>> [b.metric.id for b in blocks][:2]
    ['applications_per_posting', 'qualified_share']
    """
    check_sequential_unit(experiment)
    summary = cumulative_looks(experiment, postings)
    blocks = []
    for metric_id in experiment.metrics:
        metric = get_metric(metric_id)
        if metric.kind == "duration":
            continue
        cells = cells_of(experiment, summary, metric_id)
        mode = mode_of(metric, experiment, summary)
        comparison, _ = sequential_comparison(cells, mode, plan.confidence_level)
        last = {
            name: np.asarray(getattr(comparison, name))[-1:]
            for name in (*ESTIMATE_COLUMNS, "statistic", "p_value")
        }
        blocks.append(
            Block(
                metric,
                sizes_of(metric, mode, cells.control)[-1:],
                sizes_of(metric, mode, cells.treatment)[-1:],
                Comparison(**last, method=comparison.method),
            )
        )
    return blocks
