"""The randomisation branch of :func:`rekrut.analyze`: re-randomisation tests per metric.

Postings are re-assigned to control and treatment as the randomised design could have done;
every posting-level metric (a count per posting, a share of applicants, a cost per outcome) is
compared by its ratio of sums in one :func:`rekrut.stats.randomization_test` call for all groups
and treatments. Unit-level values are gathered once, indexed by cell.

What cannot be re-randomised falls back to the frequentist method of the metric, with a note:
arm totals (no postings to re-assign), experiments randomised by impression or by applicant
source (the posting is not the randomised unit) and time to hire (censored; log-rank test).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rekrut.analysis._cells import (
    SMALL_SAMPLE_POSTINGS,
    Plan,
    cells_of,
    mode_of,
    sizes_of,
    small_cells,
)
from rekrut.analysis._frequentist import Block, frequentist_blocks
from rekrut.analysis._result import ESTIMATE_COLUMNS
from rekrut.data import PostingData, Summary, unit_columns
from rekrut.metrics import Metric, get_metric
from rekrut.model import Experiment
from rekrut.notes import Note
from rekrut.stats import Comparison, randomization_test

__all__ = ["randomization_blocks", "randomize_small_cells"]

FloatArray = np.ndarray


def randomization_blocks(
    experiment: Experiment, postings: PostingData, summary: Summary, plan: Plan, notes: list[Note]
) -> list[Block]:
    """Every metric's comparisons by re-randomisation, in the experiment's metric order.

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.analysis import Plan
    >>> from rekrut.data import load_postings
    >>> exp = rk.load_experiment("experiments/sosu_kanaltest.toml")
    >>> postings = load_postings(exp)
    >>> summary = rk.summarize(exp)
    >>> blocks = randomization_blocks(exp, postings, summary, Plan(0.95, "none"), [])
    >>> {b.comparison.method for b in blocks if b.metric.kind != "duration"}
    {'randomization'}
    """
    reason = _fallback_reason(experiment, summary)
    blocks = []
    for metric_id in experiment.metrics:
        metric = get_metric(metric_id)
        why = reason or ("duration" if metric.kind == "duration" else None)
        if why is None:
            blocks.append(_block(experiment, postings, summary, metric, plan, notes))
            continue
        notes.append(Note(f"randomization_{why}", {"metric": metric.id}))
        single = experiment.model_copy(update={"metrics": [metric_id]})
        blocks.extend(frequentist_blocks(single, postings, summary, plan, notes))
    return blocks


def _fallback_reason(experiment: Experiment, summary: Summary) -> str | None:
    if summary.granularity == "arm_totals":
        return "totals"
    if experiment.unit != "posting":
        return "unit"
    return None


def _block(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    metric: Metric,
    plan: Plan,
    notes: list[Note],
) -> Block:
    shape = (len(summary.groups), len(experiment.treatments))
    comparison = _comparison(
        experiment, postings, summary, metric, plan, notes, np.ones(shape, dtype=bool)
    )
    cells = cells_of(experiment, summary, metric.id)
    mode = mode_of(metric, experiment, summary)
    return Block(
        metric,
        sizes_of(metric, mode, cells.control),
        sizes_of(metric, mode, cells.treatment),
        comparison,
    )


def _comparison(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    metric: Metric,
    plan: Plan,
    notes: list[Note],
    wanted: np.ndarray,
) -> Comparison:
    """Re-randomisation comparisons of the cells ``wanted`` (groups, treatments); NaN elsewhere."""
    needed = [metric.numerator] + ([] if metric.per_posting else [metric.denominator])
    units = unit_columns(postings, experiment, summary.groups, summary.by, needed)
    arms = list(summary.arms)
    control = arms.index(experiment.control)
    treatments = [arms.index(a.id) for a in experiment.treatments]
    n_groups, n_treat = wanted.shape
    rows, treated, cell = [], [], []
    for g, j in zip(*np.nonzero(wanted), strict=True):
        rows_c, rows_t = units.rows(int(g), control), units.rows(int(g), treatments[int(j)])
        rows += [rows_c, rows_t]
        treated += [np.zeros(rows_c.size, bool), np.ones(rows_t.size, bool)]
        cell.append(np.full(rows_c.size + rows_t.size, g * n_treat + j, dtype=np.intp))
    index = np.concatenate(rows) if rows else np.zeros(0, dtype=np.intp)
    x = units.values[metric.numerator][index]
    y = np.ones(index.size) if metric.per_posting else units.values[metric.denominator][index]
    res = randomization_test(
        x,
        y,
        np.concatenate(treated) if treated else np.zeros(0, bool),
        np.concatenate(cell) if cell else np.zeros(0, dtype=np.intp),
        n_cells=n_groups * n_treat,
        n_resamples=plan.n_resamples,
        confidence_level=plan.confidence_level,
        rng=plan.rng,
    )
    flat = wanted.ravel()
    drawn = ~res.exact & (res.n_reassignments > 0) & flat
    if drawn.any():
        params = {
            "metric": metric.id,
            "count": int(drawn.sum()),
            "n_resamples": plan.n_resamples,
            "mcse": f"{float(np.nanmax(res.p_value_mcse[drawn])):.2g}",
        }
        notes.append(Note("randomization_monte_carlo", params))
    # the smallest p-value a cell can reach: with 3 + 3 postings (20 re-assignments, in mirror
    # pairs) no data can give p < 5 %, and the comparison cannot show a difference at all
    alpha = 1 - plan.confidence_level
    floor = flat & res.exact & (res.n_reassignments * alpha < 2.0)
    if floor.any():
        params = {
            "metric": metric.id,
            "count": int(floor.sum()),
            "alpha": f"{alpha:.0%}",
        }
        notes.append(Note("randomization_too_few", params))
    fields_ = {
        name: np.where(wanted, np.asarray(getattr(res, name)).reshape(wanted.shape), np.nan)
        for name in (*ESTIMATE_COLUMNS, "statistic", "p_value")
    }
    return Comparison(**fields_, method="randomization")


def randomize_small_cells(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    blocks: list[Block],
    plan: Plan,
    notes: list[Note],
) -> list[Block]:
    """The frequentist blocks with their small cells tested by re-randomisation instead.

    A comparison of posting-randomised postings in which an arm rests on fewer than
    :data:`SMALL_SAMPLE_POSTINGS` effective postings is re-randomised: the delta method and
    Welch's t-test do not hold their level there (A/A false-positive rates of 13-36 % for a
    clustered qualified share, 0.1-2 % for skewed counts and costs), the re-randomisation test
    does. Cells the randomisation cannot serve (arm totals, another randomised unit, channels
    paired within postings, time to hire, bootstrap intervals asked for) are left as they are.
    """
    if _fallback_reason(experiment, summary) is not None or plan.ratio_interval != "delta":
        return blocks
    result = []
    for block in blocks:
        metric = block.metric
        comparison = block.comparison
        mode = mode_of(metric, experiment, summary) if metric.kind != "duration" else None
        if mode not in ("units", "clustered") or comparison.method == "welch_paired":
            result.append(block)
            continue
        cells = cells_of(experiment, summary, metric.id)
        small = small_cells(metric, cells)
        if not small.any():
            result.append(block)
            continue
        exact = _comparison(experiment, postings, summary, metric, plan, notes, small)
        merged = {
            name: np.where(small, getattr(exact, name), getattr(comparison, name))
            for name in (*ESTIMATE_COLUMNS, "statistic", "p_value")
        }
        methods = np.where(small, "randomization", comparison.method)
        notes.append(
            Note(
                "small_sample_randomization",
                {
                    "metric": metric.id,
                    "count": int(small.sum()),
                    "threshold": int(SMALL_SAMPLE_POSTINGS),
                },
            )
        )
        result.append(
            replace(block, comparison=replace(comparison, **merged), method_codes=methods)
        )
    return result
