"""Always-valid comparisons along a first axis of looks (``method="sequential"``).

The cells of a look hold every posting published up to it, so the comparisons along the looks
form a path; a mixture SPRT gives p-values and confidence sequences valid at every look.
"""

from __future__ import annotations

import numpy as np

from rekrut.analysis._cells import Cells, Mode, Plan, cells_of, mode_of, ratio_stats, sizes_of
from rekrut.analysis._frequentist import Block
from rekrut.analysis._result import ESTIMATE_COLUMNS
from rekrut.data import SUFFICIENT_COLUMNS, Moments, PostingData, Summary, cumulative_looks
from rekrut.errors import InputError
from rekrut.metrics import get_metric
from rekrut.model import Experiment
from rekrut.stats import Comparison, always_valid_pvalue, confidence_sequence

__all__ = [
    "DEFAULT_HORIZON_POSTINGS",
    "check_sequential_unit",
    "last_look",
    "mixture_horizon",
    "sequential_comparison",
]

FloatArray = np.ndarray

DEFAULT_HORIZON_POSTINGS = 60
"""Postings of control and treatment together that the always-valid tests are tuned for when
the experiment plans no number of postings (30 per arm: the upper end of municipal practice)."""


def mixture_horizon(experiment: Experiment) -> float:
    """Postings (control and treatment together) at which the always-valid tests are sharpest.

    Twice ``planned_postings`` (planned per arm) when the experiment file gives it, else
    :data:`DEFAULT_HORIZON_POSTINGS`. Fixed before any data, so the p-value of a look is the
    same in a weekly re-run and in the monitor's replay.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.Experiment.model_validate({"id": "x", "control": "A", "planned_postings": 40,
    ...     "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}]})
    >>> mixture_horizon(exp)
    80.0
    """
    if experiment.planned_postings is None:
        return float(DEFAULT_HORIZON_POSTINGS)
    return 2.0 * experiment.planned_postings


def _variances(mode: Mode, cells: Cells) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-arm estimates and their variances for the sequential tests."""
    c, t = cells.control, cells.treatment
    if mode == "binomial":
        with np.errstate(divide="ignore", invalid="ignore"):
            p_c, p_t = c.sum_x / c.sum_y, t.sum_x / t.sum_y
            # the variance of Agresti & Caffo (2000): one success and one failure added per
            # arm, so that an arm with all or no successes among a few postings still varies
            a_c, a_t = (c.sum_x + 1) / (c.sum_y + 2), (t.sum_x + 1) / (t.sum_y + 2)
            v_c, v_t = a_c * (1 - a_c) / (c.sum_y + 2), a_t * (1 - a_t) / (t.sum_y + 2)
            return p_c, p_t, np.where(c.sum_y > 0, v_c, np.nan), np.where(t.sum_y > 0, v_t, np.nan)
    stats_c, stats_t = ratio_stats(c), ratio_stats(t)
    return stats_c.ratio(), stats_t.ratio(), stats_c.variance(), stats_t.variance()


def _degrees_of_freedom(cells: Cells, v_c: FloatArray, v_t: FloatArray) -> FloatArray:
    """Welch–Satterthwaite degrees of freedom of the difference's variance.

    Each arm counts its effective number of postings, ``(sum y)^2 / sum y^2`` (Kish): a ratio's
    variance rests on few postings when one of them has most of the applicants.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        arms = []
        for m in (cells.control, cells.treatment):
            arms.append(m.sum_y**2 / m.sum_yy - 1.0)
        df_c, df_t = arms
        df = (v_c + v_t) ** 2 / (v_c**2 / df_c + v_t**2 / df_t)
    result: FloatArray = np.where((df_c > 0) & (df_t > 0), df, np.nan)
    return result


def sequential_comparison(
    cells: Cells, mode: Mode, level: float, *, horizon: float = DEFAULT_HORIZON_POSTINGS
) -> tuple[Comparison, FloatArray]:
    """Always-valid comparison along the first axis (looks) of the cells; returns it and z.

    The normal mixture is standardised (see :func:`rekrut.stats.always_valid_pvalue`): its
    clock is the number of units (postings) of control and treatment with data, and it is
    sharpest at ``horizon`` of them (see :func:`mixture_horizon`).

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
    units = cells.control.n + cells.treatment.n
    df = _degrees_of_freedom(cells, v_c, v_t)
    cs = confidence_sequence(
        diff, var, confidence_level=level, sample_size=units, horizon=horizon, df=df, axis=0
    )
    low, high = cs.ci_low, cs.ci_high
    p = always_valid_pvalue(
        diff, var, sample_size=units, horizon=horizon, alpha=1.0 - level, df=df, axis=0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(r_t / r_c)
        log_var = v_t / r_t**2 + v_c / r_c**2
    log_var = np.where(np.isfinite(log_var) & (log_var > 0), log_var, np.nan)
    log_ratio = np.where(np.isfinite(log_ratio), log_ratio, np.nan)
    cs = confidence_sequence(
        log_ratio,
        log_var,
        confidence_level=level,
        sample_size=units,
        horizon=horizon,
        df=df,
        axis=0,
    )
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


def _by_look(moments: Moments, n_looks: int) -> Moments:
    """Arrays (looks x groups, treatments) as (looks, groups, treatments)."""
    return Moments(
        *(getattr(moments, s).reshape(n_looks, -1, moments.n.shape[-1]) for s in SUFFICIENT_COLUMNS)
    )


def last_look(
    experiment: Experiment, postings: PostingData, plan: Plan, summary: Summary | None = None
) -> list[Block]:
    """Always-valid comparisons at the latest look, one block per metric (not durations).

    With a grouped ``summary`` (:func:`rekrut.summarize` with ``by``), every group is monitored
    along its own looks and the blocks follow the summary's groups.

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
    by = summary.by if summary is not None else ()
    looks = cumulative_looks(experiment, postings, by=by)
    n_looks = int(looks.groups["look"].nunique())
    order: slice | np.ndarray = slice(None)
    if by and summary is not None:
        last = looks.groups.iloc[-(len(looks.groups) // n_looks) :][list(by)]
        position = last.reset_index(drop=True).assign(_position=np.arange(len(last)))
        merged = summary.groups[list(by)].merge(position, on=list(by), how="left")
        order = merged["_position"].to_numpy(dtype=np.intp)
    horizon = mixture_horizon(experiment)
    blocks = []
    for metric_id in experiment.metrics:
        metric = get_metric(metric_id)
        if metric.kind == "duration":
            continue
        flat = cells_of(experiment, looks, metric_id)
        cells = Cells(
            *(_by_look(m, n_looks) for m in (flat.control, flat.treatment, flat.everyone))
        )
        mode = mode_of(metric, experiment, looks)
        comparison, _ = sequential_comparison(cells, mode, plan.confidence_level, horizon=horizon)
        final = {
            name: np.asarray(getattr(comparison, name))[-1][order]
            for name in (*ESTIMATE_COLUMNS, "statistic", "p_value")
        }
        blocks.append(
            Block(
                metric,
                sizes_of(metric, mode, cells.control)[-1][order],
                sizes_of(metric, mode, cells.treatment)[-1][order],
                Comparison(**final, method=comparison.method),
            )
        )
    return blocks
