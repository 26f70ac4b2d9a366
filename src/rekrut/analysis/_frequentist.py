"""The frequentist branch of :func:`rekrut.analyze`: one comparison per metric, by lookup.

The method for each metric is chosen from the metric catalogue (its kind) and from how the data
were collected (per posting or arm totals) — a table, not a chain of special cases per metric.
Metrics that sums cannot serve (channels paired within postings, bootstrap intervals, time to
hire) read unit-level columns gathered once for all groups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rekrut._progress import progress
from rekrut.analysis._cells import Cells, Mode, Plan, cells_of, mode_of, ratio_stats, sizes_of
from rekrut.analysis._result import ESTIMATE_COLUMNS
from rekrut.data import PostingData, Summary, UnitColumns, unit_columns
from rekrut.errors import DataError
from rekrut.metrics import Metric
from rekrut.model import Experiment
from rekrut.notes import Note
from rekrut.stats import (
    Comparison,
    PairedStats,
    RatioStats,
    bootstrap_ratios,
    compare_counts,
    compare_paired_ratios,
    compare_poisson_totals,
    compare_proportions,
    compare_ratios,
    compare_time_to_event,
)

__all__ = ["Block", "compare_cells", "frequentist_blocks"]

FloatArray = np.ndarray


@dataclass(frozen=True, slots=True)
class Block:
    """One metric's comparisons, arrays of shape (groups, treatments)."""

    metric: Metric
    n_control: FloatArray
    n_treatment: FloatArray
    comparison: Comparison
    method_codes: np.ndarray | None = None
    """Per cell (groups, treatments), when cells used different methods; else ``comparison.method``."""


def _compare_binomial(cells: Cells, plan: Plan) -> Comparison:
    c, t = cells.control, cells.treatment
    return compare_proportions(
        c.sum_x,
        c.sum_y,
        t.sum_x,
        t.sum_y,
        test=plan.proportion_test,
        confidence_level=plan.confidence_level,
    )


def _compare_units(cells: Cells, plan: Plan) -> Comparison:
    return compare_ratios(
        ratio_stats(cells.control),
        ratio_stats(cells.treatment),
        confidence_level=plan.confidence_level,
    )


def _compare_count_units(cells: Cells, plan: Plan) -> Comparison:
    return compare_counts(
        ratio_stats(cells.control),
        ratio_stats(cells.treatment),
        confidence_level=plan.confidence_level,
    )


def _compare_count_totals(cells: Cells, plan: Plan) -> Comparison:
    c, t = cells.control, cells.treatment
    return compare_poisson_totals(
        c.sum_x, c.sum_y, t.sum_x, t.sum_y, confidence_level=plan.confidence_level
    )


def _compare_ratio_totals(cells: Cells, plan: Plan) -> Comparison:
    """Cost per outcome from arm totals: the cost is fixed, the outcome count Poisson."""
    c, t = cells.control, cells.treatment
    per_dkk = compare_poisson_totals(
        c.sum_y, c.sum_x, t.sum_y, t.sum_x, confidence_level=plan.confidence_level
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        # no outcomes: the cost per outcome is undefined (NaN), never an infinite value
        value_c = np.where(c.sum_y > 0, c.sum_x / c.sum_y, np.nan)
        value_t = np.where(t.sum_y > 0, t.sum_x / t.sum_y, np.nan)
        lift = np.where(np.isnan(value_c) | np.isnan(value_t), np.nan, value_t / value_c - 1.0)
        low = 1.0 / (1.0 + per_dkk.lift_ci_high) - 1.0
        high = 1.0 / (1.0 + per_dkk.lift_ci_low) - 1.0
    nan = np.full_like(value_c, np.nan)
    return Comparison(
        value_c,
        value_t,
        value_t - value_c,
        nan,
        nan,
        lift,
        low,
        high,
        per_dkk.statistic,
        per_dkk.p_value,
        "poisson_exact_cost_fixed",
    )


_DISPATCH: dict[tuple[str, Mode], tuple[Callable[[Cells, Plan], Comparison], str | None]] = {
    ("count", "units"): (_compare_count_units, None),
    ("count", "totals"): (_compare_count_totals, "poisson_totals"),
    ("proportion", "binomial"): (_compare_binomial, None),
    ("proportion", "clustered"): (_compare_units, None),
    ("ratio", "units"): (_compare_units, None),
    ("ratio", "totals"): (_compare_ratio_totals, "ratio_totals"),
}
"""Frequentist method by (metric kind, data mode), with the note the method always carries."""


def compare_cells(metric: Metric, mode: Mode, cells: Cells, plan: Plan) -> Comparison:
    """The fixed-sample comparison of one metric's cells (any leading shape).

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.analysis import Plan, cells_of
    >>> exp = rk.load_experiment("experiments/sosu_kanaltest.toml")
    >>> cells = cells_of(exp, rk.summarize(exp), "fill_rate")
    >>> res = compare_cells(rk.get_metric("fill_rate"), "binomial", cells, Plan(0.95, "none"))
    >>> res.p_value.shape == (1, len(exp.treatments))
    True
    """
    return _DISPATCH[(metric.kind, mode)][0](cells, plan)


def frequentist_blocks(
    experiment: Experiment, postings: PostingData, summary: Summary, plan: Plan, notes: list[Note]
) -> list[Block]:
    """Every metric's comparisons (metrics that cannot be compared leave a note instead)."""
    from rekrut.metrics import get_metric

    blocks = []
    for metric_id in experiment.metrics:
        block = _metric_block(experiment, postings, summary, get_metric(metric_id), plan, notes)
        if block is not None:
            blocks.append(block)
    return blocks


def _metric_block(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    metric: Metric,
    plan: Plan,
    notes: list[Note],
) -> Block | None:
    if metric.kind == "duration":
        if summary.granularity == "arm_totals":
            notes.append(Note("duration_totals", {"metric": metric.id}))
            return None
        if experiment.unit == "source":
            notes.append(Note("source_unpaired", {"metric": metric.id}))
        return _duration_block(experiment, postings, summary, metric, plan)
    cells = cells_of(experiment, summary, metric.id)
    mode = mode_of(metric, experiment, summary)
    if is_paired(experiment, summary, metric):
        comparison, pairs = _paired_block(experiment, postings, summary, metric, plan)
        notes.append(Note("source_paired", {"metric": metric.id}))
        _zero_denominator_notes(experiment, metric, cells, notes)
        return Block(metric, pairs, pairs, comparison)
    if metric.kind == "ratio" and mode == "units" and plan.ratio_interval == "bootstrap":
        comparison = _bootstrap_block(experiment, postings, summary, metric, plan, notes)
    else:
        compare, note = _DISPATCH[(metric.kind, mode)]
        comparison = compare(cells, plan)
        if note:
            notes.append(Note(note, {"metric": metric.id}))
        _fisher_note(metric, comparison, plan, notes)
    if (
        metric.kind == "proportion"
        and summary.granularity == "arm_totals"
        and not metric.per_posting
        and experiment.unit == "posting"
    ):
        notes.append(Note("binomial_totals", {"metric": metric.id}))
    re_randomised = plan.small_sample == "randomization" and experiment.unit == "posting"
    if mode == "clustered" and plan.ratio_interval == "delta" and not re_randomised:
        _few_effective_postings_note(metric, cells, notes)
    _zero_denominator_notes(experiment, metric, cells, notes)
    return Block(
        metric,
        sizes_of(metric, mode, cells.control),
        sizes_of(metric, mode, cells.treatment),
        comparison,
    )


def _fisher_note(metric: Metric, comparison: Comparison, plan: Plan, notes: list[Note]) -> None:
    """Flag the cells where Fisher's p-value and the (z-test) score interval disagree.

    The lift interval of two proportions inverts the z-test; where small counts made the
    p-value Fisher's exact test, the two can disagree, and the reader is told which to trust.
    """
    if comparison.method not in ("fisher_exact", "z_or_fisher"):
        return
    with np.errstate(invalid="ignore"):
        excludes = (comparison.lift_ci_low > 0) | (comparison.lift_ci_high < 0)
        rejects = comparison.p_value < 1.0 - plan.confidence_level
    disagree = (excludes != rejects) & np.isfinite(comparison.p_value)
    if disagree.any():
        notes.append(Note("fisher_interval", {"metric": metric.id, "count": int(disagree.sum())}))


def is_paired(experiment: Experiment, summary: Summary, metric: Metric) -> bool:
    """Whether the arms are measured on the same postings (applicant source attribution)."""
    return (
        experiment.unit == "source"
        and summary.granularity == "postings"
        and metric.kind in ("count", "proportion", "ratio")
    )


def _units(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    columns: list[str],
    keys: tuple[str, ...] = (),
) -> UnitColumns:
    return unit_columns(postings, experiment, summary.groups, summary.by, columns, keys)


def _xy(cell: dict[str, FloatArray], metric: Metric) -> tuple[FloatArray, FloatArray]:
    x = cell[metric.numerator]
    y = np.ones(len(x)) if metric.per_posting else cell[metric.denominator]
    known = ~(np.isnan(x) | np.isnan(y))
    return x[known], y[known]


def _paired_block(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    metric: Metric,
    plan: Plan,
) -> tuple[Comparison, FloatArray]:
    """Each treatment channel against the control channel within the same postings."""
    if "posting_id" not in postings.columns:
        raise DataError(
            "unit 'source' compares the channels of each posting, so the table needs posting_id",
            file=postings.source,
            column="posting_id",
        )
    needed = [metric.numerator] + ([] if metric.per_posting else [metric.denominator])
    units = _units(experiment, postings, summary, needed, ("posting_id",))
    ids = units.keys["posting_id"]
    arms = list(summary.arms)
    control = arms.index(experiment.control)
    treatments = [arms.index(a.id) for a in experiment.treatments]
    n_groups = len(summary.groups)
    stats = ("n", "x_c", "y_c", "xx_c", "yy_c", "xy_c", "x_t", "y_t", "xx_t", "yy_t", "xy_t")
    cross = ("xt_xc", "xt_yc", "yt_xc", "yt_yc")
    sums = {k: np.zeros((n_groups, len(treatments))) for k in (*stats, *cross)}
    for g in range(n_groups):
        rows_c = units.rows(g, control)
        xc, yc = _xy_rows(units, rows_c, metric)
        index_c = {pid: i for i, pid in enumerate(ids[rows_c])}
        for j, arm in enumerate(treatments):
            rows_t = units.rows(g, arm)
            xt, yt = _xy_rows(units, rows_t, metric)
            pairs = [(index_c[pid], i) for i, pid in enumerate(ids[rows_t]) if pid in index_c]
            if not pairs:
                continue
            ic, it = (np.array(p, dtype=np.intp) for p in zip(*pairs, strict=True))
            a_x, a_y, b_x, b_y = xc[ic], yc[ic], xt[it], yt[it]
            known = ~(np.isnan(a_x) | np.isnan(a_y) | np.isnan(b_x) | np.isnan(b_y))
            a_x, a_y, b_x, b_y = a_x[known], a_y[known], b_x[known], b_y[known]
            for key, value in (
                ("n", np.ones_like(a_x)),
                ("x_c", a_x),
                ("y_c", a_y),
                ("xx_c", a_x * a_x),
                ("yy_c", a_y * a_y),
                ("xy_c", a_x * a_y),
                ("x_t", b_x),
                ("y_t", b_y),
                ("xx_t", b_x * b_x),
                ("yy_t", b_y * b_y),
                ("xy_t", b_x * b_y),
                ("xt_xc", b_x * a_x),
                ("xt_yc", b_x * a_y),
                ("yt_xc", b_y * a_x),
                ("yt_yc", b_y * a_y),
            ):
                sums[key][g, j] = value.sum()

    def side(s: str) -> RatioStats:
        return RatioStats(
            sums["n"], sums[f"x_{s}"], sums[f"y_{s}"], sums[f"xx_{s}"], sums[f"yy_{s}"],
            sums[f"xy_{s}"],
        )  # fmt: skip

    paired = PairedStats(sums["n"], sums["xt_xc"], sums["xt_yc"], sums["yt_xc"], sums["yt_yc"])
    comparison = compare_paired_ratios(
        side("c"), side("t"), paired, confidence_level=plan.confidence_level
    )
    return comparison, sums["n"]


def _xy_rows(units: UnitColumns, rows: np.ndarray, metric: Metric) -> tuple[FloatArray, FloatArray]:
    """x and y of the given rows, NaN kept (pairs drop a posting unknown on either side)."""
    x = units.values[metric.numerator][rows]
    y = np.ones(len(x)) if metric.per_posting else units.values[metric.denominator][rows]
    return x, y


FEW_EFFECTIVE_POSTINGS = 20.0
"""Below this many effective postings in an arm, a share over applicants is flagged.

Kish's effective number of postings, (sum of applicants)^2 / sum of squared applicants, counts
how many postings a share really rests on when a few postings bring most applicants. On
zero-inflated applicant counts with a heavy tail (a quarter of postings without applicants, 4 %
with 150–400), the delta-method test of the qualified share rejected 29–33 % of A/A runs with
fewer than 3 effective postings per arm, 7–19 % with 3–10, 8 % with 10–20 and 6 % with 20–30
(2,000–4,000 runs per size, 4 to 250 postings per arm; benchmarks/effective_postings.py).
"""


def _few_effective_postings_note(metric: Metric, cells: Cells, notes: list[Note]) -> None:
    """Flag a share whose applicants come from few postings: its interval is too narrow."""
    applicants = cells.everyone
    with np.errstate(divide="ignore", invalid="ignore"):
        effective = applicants.sum_y**2 / applicants.sum_yy
    effective = effective[np.isfinite(effective)]
    if effective.size and effective.min() < FEW_EFFECTIVE_POSTINGS:
        params = {"metric": metric.id, "effective": f"{effective.min():.1f}"}
        notes.append(Note("few_effective_postings", params))


def _zero_denominator_notes(
    experiment: Experiment, metric: Metric, cells: Cells, notes: list[Note]
) -> None:
    if metric.kind not in ("ratio", "proportion") or metric.per_posting:
        return
    arms = [experiment.control, *(a.id for a in experiment.treatments)]
    empty = sorted({arms[j] for j in np.flatnonzero((cells.everyone.sum_y == 0).any(axis=0))})
    for arm in empty:
        notes.append(
            Note(
                "zero_denominator",
                {"metric": metric.id, "arm": arm, "denominator": metric.denominator},
            )
        )


def _per_cell(
    experiment: Experiment,
    summary: Summary,
    compute: Callable[[int, int], Comparison],
    plan: Plan,
) -> Comparison:
    """Run ``compute(group, treatment arm index)`` per cell; stack into (groups, treatments)."""
    arms = list(summary.arms)
    treatments = [arms.index(a.id) for a in experiment.treatments]
    shown = progress(
        range(len(summary.groups)), total=len(summary.groups), desc="cells", enabled=plan.progress
    )
    results = [[compute(g, arm) for arm in treatments] for g in shown]
    names = (*ESTIMATE_COLUMNS, "statistic", "p_value")
    fields_ = {
        name: np.array([[float(getattr(r, name)) for r in row] for row in results])
        for name in names
    }
    method = results[0][0].method if results and results[0] else "no_data"
    return Comparison(**fields_, method=method)


def _bootstrap_block(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    metric: Metric,
    plan: Plan,
    notes: list[Note],
) -> Comparison:
    dropped: list[float] = []
    limit: list[bool] = []
    units = _units(experiment, postings, summary, [metric.numerator, metric.denominator])
    control = list(summary.arms).index(experiment.control)

    def compute(group: int, arm: int) -> Comparison:
        xc, yc = _xy(units.cell(group, control), metric)
        xt, yt = _xy(units.cell(group, arm), metric)
        res = bootstrap_ratios(
            xc,
            yc,
            xt,
            yt,
            n_resamples=plan.n_resamples,
            confidence_level=plan.confidence_level,
            rng=plan.rng,
        )
        dropped.append(float(np.max(res.zero_denominator_share)))
        limit.append(res.normal_sums)
        return res.comparison

    comparison = _per_cell(experiment, summary, compute, plan)
    if any(limit):
        notes.append(Note("bootstrap_normal_sums", {"metric": metric.id}))
    if dropped and max(dropped) > 0:
        share = f"{max(dropped):.1%}"
        notes.append(
            Note(
                "bootstrap_zero",
                {"metric": metric.id, "share": share, "denominator": metric.denominator},
            )
        )
    return comparison


def _duration_block(
    experiment: Experiment, postings: PostingData, summary: Summary, metric: Metric, plan: Plan
) -> Block:
    units = _units(experiment, postings, summary, [metric.numerator, "hires", "days_open"])
    control = list(summary.arms).index(experiment.control)

    def times(group: int, arm: int) -> tuple[FloatArray, FloatArray]:
        part = units.cell(group, arm)
        event = part["hires"] > 0
        follow = part["days_open"] if "days_open" in part else np.full(event.size, np.nan)
        time = np.where(event, part[metric.numerator], follow)
        known = ~np.isnan(time)
        return time[known], event[known].astype(np.float64)

    sizes: dict[str, list[float]] = {"control": [], "treatment": []}

    def compute(group: int, arm: int) -> Comparison:
        tc, ec = times(group, control)
        tt, et = times(group, arm)
        sizes["control"].append(float(len(tc)))
        sizes["treatment"].append(float(len(tt)))
        return compare_time_to_event(tc, ec, tt, et, confidence_level=plan.confidence_level)

    comparison = _per_cell(experiment, summary, compute, plan)
    shape = comparison.p_value.shape
    n_control = np.array(sizes["control"]).reshape(shape)
    n_treatment = np.array(sizes["treatment"]).reshape(shape)
    return Block(metric, n_control, n_treatment, comparison)
