"""``analyze``: from an experiment and its data to a tidy table of comparisons.

The data layer hands every metric's sufficient statistics as arrays shaped groups x arms; each
method block compares them in one vectorised call of :mod:`rekrut.stats`:

* ``_cells`` — the run's options (:class:`Plan`) and the control/treatment cells of a metric;
* ``_frequentist`` — the method per metric kind and data mode, by lookup;
* ``_bayesian`` — conjugate posteriors, P(better), P(best), expected loss, ROPE decisions;
* ``_sequential`` — always-valid comparisons along the looks;
* ``_randomization`` — re-randomisation tests of randomised postings;
* ``_table`` — the result table and multiplicity control;
* ``_result`` — :class:`AnalysisResult` and its JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rekrut._seeds import resolve_rng
from rekrut.analysis._bayesian import BayesBlock, bayes_block, empty_cells
from rekrut.analysis._borrowed import apply_borrowed_prior, experiment_prior
from rekrut.analysis._cells import Cells, Mode, Plan, cells_of, mode_of, sizes_of
from rekrut.analysis._decision import ArmDecision
from rekrut.analysis._frequentist import compare_cells, frequentist_blocks, is_paired
from rekrut.analysis._randomization import randomization_blocks, randomize_small_cells
from rekrut.analysis._result import (
    BAYES_COLUMNS,
    ESTIMATE_COLUMNS,
    KEY_COLUMNS,
    TABLE_COLUMNS,
    AnalysisResult,
    Method,
)
from rekrut.analysis._sequential import (
    check_sequential_unit,
    last_look,
    mixture_horizon,
    sequential_comparison,
)
from rekrut.analysis._table import bayesian_table, frequentist_table
from rekrut.data import Summary, cumulative_summary, load_postings, summarize_postings
from rekrut.meta import EffectPrior
from rekrut.metrics import Metric, get_metric
from rekrut.model import Experiment, as_experiment
from rekrut.notes import Lang, Note
from rekrut.stats import SRMResult, sample_ratio_mismatch

__all__ = [
    "BAYES_COLUMNS",
    "ESTIMATE_COLUMNS",
    "KEY_COLUMNS",
    "TABLE_COLUMNS",
    "AnalysisResult",
    "ArmDecision",
    "Cells",
    "Method",
    "Mode",
    "Plan",
    "analyze",
    "cells_of",
    "check_sequential_unit",
    "compare_cells",
    "cumulative_summary",
    "mixture_horizon",
    "mode_of",
    "sequential_comparison",
    "sizes_of",
]


def analyze(
    experiment: Experiment | str | Path,
    data: Any = None,
    *,
    method: Method = "frequentist",
    by: Sequence[str] | None = None,
    confidence_level: float | None = None,
    multiplicity: Literal["holm", "bh", "none"] | None = None,
    proportion_test: Literal["auto", "z", "fisher"] = "auto",
    ratio_interval: Literal["delta", "bootstrap"] = "delta",
    small_sample: Literal["randomization", "asymptotic"] = "randomization",
    n_resamples: int = 2000,
    n_draws: int = 10_000,
    pool: bool = False,
    prior: EffectPrior | None = None,
    progress: bool = False,
    rng: np.random.Generator | int | None = None,
    lang: Lang = "da",
) -> AnalysisResult:
    """Compare every treatment arm with the control on every metric of the experiment.

    Parameters
    ----------
    experiment
        An :class:`~rekrut.Experiment` or the path of an experiment file.
    data
        Posting rows or arm totals: a DataFrame, a file path, or None for the file the
        experiment names.
    method
        ``"frequentist"`` (confidence intervals and p-values), ``"sequential"`` (always-valid
        p-values and confidence sequences, valid however often the data were looked at; needs
        ``published`` dates) or ``"bayesian"`` (conjugate
        posteriors: credible intervals, probability to beat control and to be best, expected
        loss and a region-of-practical-equivalence decision; see the experiment's ``[bayes]``)
        or ``"randomization"`` (re-randomisation tests of randomised postings, exact under the
        sharp null; ``n_resamples`` re-assignments where enumerating them all would take more
        than 10,000; intervals by test inversion under a shift model for ``diff`` and a scale
        model for ``lift``). Arm totals, experiments randomised by impression or by source, and
        time to hire cannot be re-randomised: they fall back to the frequentist method, with a
        note.
    by
        Grouping columns: the analysis runs per group and the table gets these columns first.
    confidence_level, multiplicity
        Override the experiment's plan (``multiplicity`` applies to the secondary metrics;
        the primary metric is adjusted only across several treatment arms).
    proportion_test
        ``"auto"`` uses Fisher's exact test when an expected cell count is small, else a z-test.
    ratio_interval
        ``"delta"`` (delta method over postings) or ``"bootstrap"`` (resampling postings) for
        cost ratios.
    small_sample
        With the frequentist method: ``"randomization"`` (the default) tests a comparison of
        posting-randomised postings by re-randomisation when an arm rests on fewer than 30
        effective postings (Kish's count of how many postings its total really rests on),
        where the delta method and Welch's test do not hold their level; the ``method``
        column says which rows. ``"asymptotic"`` keeps the delta method everywhere. With the
        Bayesian method, the default leaves the probabilities and intervals of counts and
        shares resting on so few postings blank (no model is calibrated there, a note says
        so); ``"asymptotic"`` shows them.
    n_resamples, n_draws, rng
        Bootstrap resamples (and Monte Carlo re-assignments of the randomisation test), Monte
        Carlo draws (Bayesian probability of being best among more than two arms; Bayesian
        intervals are exact), and the seed or generator. Without ``rng`` the seed is derived
        from the experiment id and the data (see :mod:`rekrut._seeds`), so two runs give the
        same numbers; the seed used is ``result.seed`` and is in the JSON and the report.
    lang
        The language of the result in notebooks — its notes, headline and decision table:
        ``"da"`` (default, as reports) or ``"en"``. The numbers do not depend on it.
    pool
        With ``method="bayesian"`` and ``by``: partial pooling across the groups — every cell's
        prior is an empirical-Bayes prior fitted to all groups and arms of the metric, so small
        groups are not judged on noise.
    prior
        With ``method="bayesian"``: a prior on the lift of ``prior.metric`` (default the
        primary metric) borrowed from earlier experiments (:func:`rekrut.prior_from_meta`);
        the experiment's ``[bayes] prior_from`` gives one from a file. The result carries a
        ``borrowed_prior`` note stating the risk.

    Returns
    -------
    AnalysisResult
        With ``.table`` (one row per metric and treatment arm), ``.notes`` and ``.to_json()``.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.Experiment.model_validate({"id": "x", "control": "A",
    ...     "metrics": ["fill_rate"],
    ...     "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}]})
    >>> data = rk.simulate(exp, postings=300, rng=7)
    >>> result = rk.analyze(exp, data)
    >>> result.table[["metric", "arm", "control"]].to_dict("records")
    [{'metric': 'fill_rate', 'arm': 'B', 'control': 'A'}]
    """
    experiment = as_experiment(experiment)
    if method not in ("frequentist", "bayesian", "sequential", "randomization"):
        msg = (
            "method must be 'frequentist', 'bayesian', 'sequential' or 'randomization', "
            f"got {method!r}"
        )
        raise ValueError(msg)
    if lang not in ("da", "en"):
        raise ValueError(f"lang must be 'da' or 'en', got {lang!r}")
    if prior is not None and method != "bayesian":
        raise ValueError("prior= is a Bayesian prior on the lift; it needs method='bayesian'")
    if pool and (method != "bayesian" or not by):
        raise ValueError("pool=True needs method='bayesian' and grouping columns in by=")
    postings = load_postings(experiment, data)
    summary = summarize_postings(experiment, postings, by=by)
    gen, seed = resolve_rng(rng, *_seed_parts(experiment, summary))
    plan = Plan(
        confidence_level=confidence_level or experiment.confidence_level,
        multiplicity=multiplicity or experiment.multiplicity,
        proportion_test=proportion_test,
        ratio_interval=ratio_interval,
        small_sample=small_sample,
        n_resamples=n_resamples,
        n_draws=n_draws,
        pool=pool,
        progress=progress,
        rng=gen,
    )
    notes: list[Note] = list(postings.notes)
    if experiment.design == "observational":
        notes.append(Note("observational_analyze", {}))
    if method == "bayesian":
        table = _bayesian(experiment, summary, plan, notes)
        prior = prior or experiment_prior(experiment)
        if prior is not None:
            table, note = apply_borrowed_prior(table, experiment, prior, plan.confidence_level)
            notes.append(note)
    elif method == "sequential":
        blocks = last_look(experiment, postings, plan, summary)
        table = frequentist_table(experiment, summary, blocks, plan)
        if any(get_metric(m).kind == "duration" for m in experiment.metrics):
            notes.append(Note("duration_sequential", {"metric": "time_to_hire_days"}))
    elif method == "randomization":
        blocks = randomization_blocks(experiment, postings, summary, plan, notes)
        table = frequentist_table(experiment, summary, blocks, plan)
    else:
        blocks = frequentist_blocks(experiment, postings, summary, plan, notes)
        if small_sample == "randomization":
            blocks = randomize_small_cells(experiment, postings, summary, blocks, plan, notes)
        table = frequentist_table(experiment, summary, blocks, plan)
    # postings not assigned at random have no planned allocation to check
    observational = experiment.design == "observational"
    srm = None if observational else _sample_ratio(experiment, summary, notes)
    associations = None
    if observational and not by:
        from rekrut._observational import observe

        associations = observe(experiment, postings)
    return AnalysisResult(
        experiment, method, table, tuple(notes), srm, summary, lang, associations, seed
    )


def _seed_parts(experiment: Experiment, summary: Summary) -> list[Any]:
    """What the default seed is derived from: the experiment id and the data's statistics."""
    parts: list[Any] = [experiment.id, list(summary.by), summary.units]
    for metric_id in sorted(summary.moments):
        moments = summary.moments[metric_id]
        parts += [metric_id, np.stack([moments.n, moments.sum_x, moments.sum_y, moments.sum_xx])]
    return parts


def _bayesian(experiment: Experiment, summary: Summary, plan: Plan, notes: list[Note]) -> Any:
    blocks: list[tuple[Metric, np.ndarray, np.ndarray, BayesBlock]] = []
    for metric_id in experiment.metrics:
        metric = get_metric(metric_id)
        if metric.kind == "duration":
            notes.append(Note("duration_bayes", {"metric": metric.id}))
            continue
        cells = cells_of(experiment, summary, metric_id)
        mode = mode_of(metric, experiment, summary)
        if is_paired(experiment, summary, metric):
            notes.append(Note("source_unpaired", {"metric": metric.id}))
        block = bayes_block(metric, cells, mode, experiment, plan)
        notes.extend(block.notes)
        _no_data_note(experiment, summary, metric, empty_cells(metric, cells), notes)
        sizes = (sizes_of(metric, mode, cells.control), sizes_of(metric, mode, cells.treatment))
        blocks.append((metric, *sizes, block))
    return bayesian_table(experiment, summary, blocks)


def _no_data_note(
    experiment: Experiment, summary: Summary, metric: Metric, empty: np.ndarray, notes: list[Note]
) -> None:
    if not empty.any():
        return
    g, t = (int(i[0]) for i in np.nonzero(empty))
    group = ", ".join(f"{c} {summary.groups[c].iloc[g]}" for c in summary.by)
    arm = experiment.treatments[t].id
    where = f"{group}, {arm}" if group else arm
    notes.append(Note("no_data", {"metric": metric.id, "count": int(empty.sum()), "where": where}))


def _sample_ratio(experiment: Experiment, summary: Summary, notes: list[Note]) -> SRMResult | None:
    """Chi-square check of randomised units per arm against the planned allocation."""
    if experiment.unit == "source":
        return None
    observed = summary.units.sum(axis=0)
    weights = np.array([a.weight for a in experiment.arms])
    result = sample_ratio_mismatch(observed, weights)
    if bool(np.asarray(result.mismatch)):
        shown = ", ".join(
            f"{a}: {o:.0f}" for a, o in zip(experiment.arm_ids, observed, strict=True)
        )
        notes.append(Note("srm", {"observed": shown, "p_value": f"{float(result.p_value):.2g}"}))
    return result
