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

import numpy as np

from rekrut.analysis._cells import Plan, cells_of, mode_of, sizes_of
from rekrut.analysis._frequentist import Block, frequentist_blocks
from rekrut.analysis._result import ESTIMATE_COLUMNS
from rekrut.data import PostingData, Summary, unit_columns
from rekrut.metrics import Metric, get_metric
from rekrut.model import Experiment
from rekrut.notes import Note
from rekrut.stats import Comparison, randomization_test

__all__ = ["randomization_blocks"]


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
    needed = [metric.numerator] + ([] if metric.per_posting else [metric.denominator])
    units = unit_columns(postings, experiment, summary.groups, summary.by, needed)
    arms = list(summary.arms)
    control = arms.index(experiment.control)
    treatments = [arms.index(a.id) for a in experiment.treatments]
    n_groups, n_treat = len(summary.groups), len(treatments)
    rows, treated, cell = [], [], []
    for g in range(n_groups):
        rows_c = units.rows(g, control)
        for j, arm in enumerate(treatments):
            rows_t = units.rows(g, arm)
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
    drawn = ~res.exact & (res.n_reassignments > 0)
    if drawn.any():
        params = {
            "metric": metric.id,
            "count": int(drawn.sum()),
            "n_resamples": plan.n_resamples,
            "mcse": f"{float(np.nanmax(res.p_value_mcse[drawn])):.2g}",
        }
        notes.append(Note("randomization_monte_carlo", params))
    shape = (n_groups, n_treat)
    fields_ = {
        name: np.asarray(getattr(res, name)).reshape(shape)
        for name in (*ESTIMATE_COLUMNS, "statistic", "p_value")
    }
    comparison = Comparison(**fields_, method="randomization")
    cells = cells_of(experiment, summary, metric.id)
    mode = mode_of(metric, experiment, summary)
    return Block(
        metric,
        sizes_of(metric, mode, cells.control),
        sizes_of(metric, mode, cells.treatment),
        comparison,
    )
