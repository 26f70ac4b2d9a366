"""The Bayesian branch of :func:`rekrut.analyze`: conjugate posteriors per metric kind.

* proportions — Beta–Binomial; when postings were randomised and the proportion is over their
  applicants, successes and trials are first divided by the design effect (clustering);
* counts per posting — Gamma posterior on the mean with the data deflated by the quasi-Poisson
  dispersion (per-posting data), or plain Gamma–Poisson (arm totals);
* cost ratios — Gamma posterior on the outcome rate (overdispersion from the postings) and,
  per posting, the mean cost per posting uncertain too (arm totals: taken as known);
* time to hire — not modelled (left out with a note).

Priors come from the experiment's ``[bayes]`` table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np

from rekrut.analysis._cells import SMALL_SAMPLE_POSTINGS, Cells, Mode, Plan, small_cells
from rekrut.analysis._result import ESTIMATE_COLUMNS
from rekrut.data import SUFFICIENT_COLUMNS, Moments
from rekrut.metrics import Metric
from rekrut.model import Experiment
from rekrut.notes import Note
from rekrut.stats import (
    BayesComparison,
    bayes_compare_cost_per_outcome,
    bayes_compare_counts,
    bayes_compare_poisson_totals,
    bayes_compare_proportions,
    bayes_prob_best_proportions,
    clustered_effective_counts,
    cost_outcome_posterior,
    pool_beta_binomial,
    pool_gamma_poisson,
    posterior_prob_best_gamma,
    rope_decision,
)

__all__ = ["BayesBlock", "bayes_block", "block_columns", "empty_cells", "pooled_experiment"]

FloatArray = np.ndarray


@dataclass(frozen=True, slots=True)
class BayesBlock:
    """One metric's Bayesian comparisons, arrays of shape (groups, treatments)."""

    comparison: BayesComparison
    prob_best: FloatArray
    prob_best_control: FloatArray
    decision: np.ndarray
    notes: tuple[Note, ...] = ()


def _all_arms(cells: Cells, key: str) -> FloatArray:
    """One statistic of every arm, the control first: (groups, 1 + treatments)."""
    result: FloatArray = getattr(cells.everyone, key)
    return result


Direction = Literal["higher", "lower"]
Model = Callable[
    [Cells, Mode, Experiment, Plan, float, Direction], tuple[BayesComparison, FloatArray]
]


def _proportion(
    cells: Cells, mode: Mode, experiment: Experiment, plan: Plan, level: float, direction: Direction
) -> tuple[BayesComparison, FloatArray]:
    prior = experiment.bayes
    keys = ("n", "sum_x", "sum_y", "sum_xx", "sum_yy", "sum_xy")
    if mode == "clustered":
        eff_c = clustered_effective_counts(*(getattr(cells.control, k) for k in keys))
        eff_t = clustered_effective_counts(*(getattr(cells.treatment, k) for k in keys))
        k_c, n_c, k_t, n_t = eff_c.successes, eff_c.trials, eff_t.successes, eff_t.trials
    else:
        k_c, n_c = cells.control.sum_x, cells.control.sum_y
        k_t, n_t = cells.treatment.sum_x, cells.treatment.sum_y
    comparison = bayes_compare_proportions(
        k_c,
        n_c,
        k_t,
        n_t,
        prior_alpha=prior.prior_alpha,
        prior_beta=prior.prior_beta,
        direction=direction,
        credible_level=level,
        n_draws=plan.n_draws,
        rng=plan.rng,
    )
    if k_t.shape[1] == 1:  # two arms: P(best) is P(better), already computed
        better = np.asarray(comparison.prob_better, dtype=np.float64)
        return comparison, np.concatenate([1.0 - better, better], axis=1)
    best = bayes_prob_best_proportions(
        np.concatenate([k_c[:, :1], k_t], axis=1),
        np.concatenate([n_c[:, :1], n_t], axis=1),
        prior_alpha=prior.prior_alpha,
        prior_beta=prior.prior_beta,
        direction=direction,
        n_draws=plan.n_draws,
        rng=plan.rng,
    )
    return comparison, best.prob_best


def _count(
    cells: Cells, mode: Mode, experiment: Experiment, plan: Plan, level: float, direction: Direction
) -> tuple[BayesComparison, FloatArray]:
    prior = experiment.bayes
    c, t = cells.control, cells.treatment
    n, total = _all_arms(cells, "n"), _all_arms(cells, "sum_x")
    if mode == "totals":
        comparison = bayes_compare_poisson_totals(
            c.sum_x,
            c.n,
            t.sum_x,
            t.n,
            prior_shape=prior.prior_shape,
            prior_rate=prior.prior_rate,
            direction=direction,
            credible_level=level,
            n_draws=plan.n_draws,
            rng=plan.rng,
        )
        phi = np.ones((n.shape[0], 1))
    else:
        # one dispersion per group, pooled over every arm: the control's posterior is then the
        # same beside each treatment, and P(best) uses the same one
        phi = _pooled_dispersion(n, total, _all_arms(cells, "sum_xx"))[:, None]
        comparison = bayes_compare_counts(
            c.n,
            c.sum_x,
            c.sum_xx,
            t.n,
            t.sum_x,
            t.sum_xx,
            prior_shape=prior.prior_shape,
            prior_rate=prior.prior_rate,
            direction=direction,
            credible_level=level,
            n_draws=plan.n_draws,
            rng=plan.rng,
            dispersion=phi,
        )
    best = posterior_prob_best_gamma(
        prior.prior_shape + total / phi,
        prior.prior_rate + n / phi,
        direction=direction,
        n_draws=plan.n_draws,
        rng=plan.rng,
    )
    return comparison, best.prob_best


def _pooled_dispersion(n: FloatArray, total: FloatArray, squares: FloatArray) -> FloatArray:
    """Pearson's quasi-Poisson dispersion over all arms, at least 1 (as dispersion_factor)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        pearson = np.where(mean > 0, (squares - total * mean) / mean, 0.0).sum(axis=1)
        dof = n.sum(axis=1) - (n > 0).sum(axis=1)  # an arm without postings has no mean
        phi = pearson / dof
    return np.where(np.isfinite(phi) & (dof > 0), np.maximum(phi, 1.0), 1.0)


_COST_PRIOR = (2.0, 2.0)  # the Gamma(2, 2) outcome-rate prior of bayes_compare_cost_per_outcome


def _cost_prior(experiment: Experiment) -> tuple[float, float]:
    """The outcome-rate prior for costs: pooled when partial pooling set one, else Gamma(2, 2)."""
    pooled = experiment.bayes.cost_prior
    return pooled if pooled is not None else _COST_PRIOR


def _ratio(
    cells: Cells, mode: Mode, experiment: Experiment, plan: Plan, level: float, direction: Direction
) -> tuple[BayesComparison, FloatArray]:
    c, t = cells.control, cells.treatment
    shape0, rate0 = _cost_prior(experiment)
    n, cost, outcomes = _all_arms(cells, "n"), _all_arms(cells, "sum_x"), _all_arms(cells, "sum_y")
    per_posting = mode == "units"
    # per posting: the mean cost per posting is uncertain, and outcomes may be overdispersed
    phi = (
        _pooled_dispersion(n, outcomes, _all_arms(cells, "sum_yy"))[:, None]
        if per_posting
        else np.ones((n.shape[0], 1))
    )
    comparison = bayes_compare_cost_per_outcome(
        c.sum_x,
        c.n,
        c.sum_y,
        t.sum_x,
        t.n,
        t.sum_y,
        prior_shape=shape0,
        prior_rate=rate0,
        direction=direction,
        credible_level=level,
        n_draws=plan.n_draws,
        rng=plan.rng,
        cost_sq_control=c.sum_xx if per_posting else None,
        cost_sq_treatment=t.sum_xx if per_posting else None,
        dispersion=phi,
    )
    # Outcomes per krone, lambda / c, is (matched by) a gamma; the lowest cost per outcome is
    # its highest.
    with np.errstate(divide="ignore", invalid="ignore"):
        shape, rate = cost_outcome_posterior(
            shape0 + outcomes / phi,
            rate0 + n / phi,
            cost,
            n,
            _all_arms(cells, "sum_xx") if per_posting else None,
        )
    usable = (np.isfinite(rate) & (rate > 0)).all(axis=1, keepdims=True)
    best = posterior_prob_best_gamma(
        np.where(usable, shape, 1.0),
        np.where(usable, rate, 1.0),
        direction="higher" if direction == "lower" else "lower",
        n_draws=plan.n_draws,
        rng=plan.rng,
    )
    # A free arm (cost 0) costs nothing per outcome for certain: it is best, or shares it.
    free = (cost == 0) & (n > 0)
    free_share = free / np.maximum(free.sum(axis=1, keepdims=True), 1)
    certain = free.any(axis=1, keepdims=True)
    if direction == "higher":
        certain = np.zeros_like(certain)
    prob = np.where(certain, free_share, np.where(usable, best.prob_best, np.nan))
    return comparison, prob


_MODELS: dict[str, Model] = {"proportion": _proportion, "count": _count, "ratio": _ratio}


def bayes_block(
    metric: Metric, cells: Cells, mode: Mode, experiment: Experiment, plan: Plan
) -> BayesBlock:
    """Posterior comparisons of one metric for every group and treatment arm.

    A cell whose control or treatment has no data (no postings, or no trials for a share) is
    not compared: its values are NaN and its decision ``"no_data"``, never the prior presented
    as a result; so is P(best) in a group where any arm has no data.

    A share over the applicants of randomised postings (clustered) needs at least two postings
    in each arm to estimate the variation between postings (the design effect). With fewer,
    the comparison is not made: the arms' values stand, everything else is NaN, the decision
    is ``"continue"`` and the block carries a ``clustered_few_postings`` note. Counts from arm
    totals carry a ``poisson_totals_bayes`` note: overdispersion cannot be checked.
    """
    model = _MODELS[metric.kind]
    empty_arms = _without_data(metric, cells.everyone)  # (groups, arms)
    if empty_arms.any():
        cells = _stand_in(cells, empty_arms)
    if plan.pool:
        experiment = pooled_experiment(metric, cells, mode, experiment)
    comparison, best = model(cells, mode, experiment, plan, plan.confidence_level, metric.direction)
    level = experiment.bayes.decision_probability
    decider = comparison
    if not np.isclose(level, plan.confidence_level):
        decider, _ = model(cells, mode, experiment, plan, level, metric.direction)
    decision = rope_decision(decider, rope=experiment.bayes.rope, on="lift")
    notes: list[Note] = []
    if mode == "totals" and metric.kind == "count":
        notes.append(Note("poisson_totals_bayes", {"metric": metric.id}))
    if mode == "totals" and metric.kind == "ratio":
        notes.append(Note("ratio_totals", {"metric": metric.id}))
    if (
        mode == "binomial"
        and metric.kind == "proportion"
        and not metric.per_posting
        and experiment.unit == "posting"
    ):  # a share of applicants from arm totals: the postings' clustering cannot be seen
        notes.append(Note("binomial_totals", {"metric": metric.id}))
    single = _single_posting(metric, mode, cells) & ~empty_arms  # (groups, arms)
    not_compared = (single | empty_arms)[:, :1] | (single | empty_arms)[:, 1:]
    if single.any():
        # one posting's applicants tell nothing of the variation between postings: the design
        # effect cannot be estimated, and the raw counts would pretend they are independent
        few = (single[:, :1] | single[:, 1:]) & ~(empty_arms[:, :1] | empty_arms[:, 1:])
        comparison = _blank(comparison, few, keep=("control_value", "treatment_value"))
        decision = np.where(few, "continue", decision)
        best = np.where(single.any(axis=1, keepdims=True), np.nan, best)
        notes.append(Note("clustered_few_postings", {"metric": metric.id, "count": int(few.sum())}))
    if (
        mode in ("units", "clustered")
        and metric.kind != "ratio"
        and plan.small_sample != "asymptotic"
    ):
        # counts and shares resting on few effective postings: the conjugate models plug in
        # the variation between postings, and their probabilities are too confident there
        # (A/A: 7-26 % of runs beyond 2.5 % / 97.5 %, docs/methods/bayesian.md); no decision.
        # Cost per outcome, with its cost uncertain, held 2-5 % on the same data.
        uncalibrated = small_cells(metric, cells) & ~not_compared
        if uncalibrated.any():
            # the arms' posterior means and the difference stand; the probabilities and
            # intervals, which would look far surer than the data allow, are left blank
            comparison = _blank(
                comparison, uncalibrated, keep=("control_value", "treatment_value", "diff", "lift")
            )
            best = np.where(uncalibrated.any(axis=1, keepdims=True), np.nan, best)
            decision = np.where(uncalibrated, "continue", decision)
            params = {
                "metric": metric.id,
                "count": int(uncalibrated.sum()),
                "threshold": int(SMALL_SAMPLE_POSTINGS),
            }
            notes.append(Note("bayes_few_effective_postings", params))
    if empty_arms.any():
        empty = empty_arms[:, :1] | empty_arms[:, 1:]
        comparison = _blank(comparison, empty)
        decision = np.where(empty, "no_data", decision)
        best = np.where(empty_arms.any(axis=1, keepdims=True), np.nan, best)
    control_best = np.broadcast_to(best[:, :1], best[:, 1:].shape)
    return BayesBlock(comparison, best[:, 1:], control_best, decision, tuple(notes))


def _single_posting(metric: Metric, mode: Mode, cells: Cells) -> np.ndarray:
    """(groups, arms): arms of a clustered share with fewer than two postings."""
    if metric.kind != "proportion" or mode != "clustered":
        return np.zeros(cells.everyone.n.shape, dtype=bool)
    result: np.ndarray = cells.everyone.n < 2
    return result


def empty_cells(metric: Metric, cells: Cells) -> np.ndarray:
    """(groups, treatments): the comparisons where the control or the treatment has no data.

    Examples
    --------
    >>> import numpy as np, rekrut as rk
    >>> from rekrut.analysis import cells_of
    >>> exp = rk.load_experiment("experiments/sosu_kanaltest.toml")
    >>> cells = cells_of(exp, rk.summarize(exp), "fill_rate")
    >>> bool(empty_cells(rk.get_metric("fill_rate"), cells).any())
    False
    """
    empty = _without_data(metric, cells.everyone)
    result: np.ndarray = empty[:, :1] | empty[:, 1:]
    return result


def _without_data(metric: Metric, moments: Moments) -> np.ndarray:
    missing = moments.n == 0
    if metric.kind == "proportion":  # a share of nothing
        missing = missing | (moments.sum_y == 0)
    result: np.ndarray = missing
    return result


def _stand_in(cells: Cells, empty_arms: np.ndarray) -> Cells:
    """Cells whose arms without data hold one harmless unit, so every model can run.

    The results of those comparisons are blanked afterwards; the stand-in only keeps the
    numerical core from refusing the whole call.
    """
    one = {"n": 1.0, "sum_x": 0.0, "sum_y": 1.0, "sum_xx": 0.0, "sum_yy": 1.0, "sum_xy": 0.0}

    def fill(moments: Moments, empty: np.ndarray) -> Moments:
        return Moments(*(np.where(empty, one[s], getattr(moments, s)) for s in SUFFICIENT_COLUMNS))

    control = np.broadcast_to(empty_arms[:, :1], cells.control.n.shape)
    return Cells(
        fill(cells.control, control),
        fill(cells.treatment, empty_arms[:, 1:]),
        fill(cells.everyone, empty_arms),
    )


def _blank(
    comparison: BayesComparison, empty: np.ndarray, keep: tuple[str, ...] = ()
) -> BayesComparison:
    """The comparison with NaN in the cells that had no data (``keep`` names fields kept)."""
    values: dict[str, Any] = {
        f.name: getattr(comparison, f.name)
        if f.name in keep
        else np.where(empty, np.nan, getattr(comparison, f.name))
        for f in fields(comparison)
        if f.name != "method"
    }
    return BayesComparison(**values, method=comparison.method)


def block_columns(block: BayesBlock) -> dict[str, Any]:
    """The table columns of one metric, arrays shaped (groups, treatments) or scalars."""
    comp = block.comparison
    data: dict[str, Any] = {
        name: np.asarray(getattr(comp, name), dtype=np.float64)
        for name in (*ESTIMATE_COLUMNS, "prob_better", "expected_loss")
    }
    undefined = ~np.isfinite(data["lift"]) | (data["control_value"] == 0)
    for name in ("lift", "lift_ci_low", "lift_ci_high"):
        data[name] = np.where(undefined, np.nan, data[name])  # no relative change from zero
    data["prob_best"] = block.prob_best
    data["prob_best_control"] = np.asarray(block.prob_best_control)
    data["decision"] = np.asarray(block.decision)
    data["method"] = comp.method
    return data


def pooled_experiment(
    metric: Metric, cells: Cells, mode: Mode, experiment: Experiment
) -> Experiment:
    """The experiment with its prior replaced by an empirical-Bayes prior fitted to all cells.

    Every group and arm of the metric shares one Beta (proportions) or Gamma (counts, outcome
    rates) prior whose hyperparameters maximise the marginal likelihood of all cells, so each
    group's estimates shrink towards the common level, small groups more than large ones.
    """
    keys = ("n", "sum_x", "sum_y", "sum_xx", "sum_yy", "sum_xy")
    stacked = {k: _all_arms(cells, k).ravel() for k in keys}
    plan = experiment.bayes
    if metric.kind == "proportion":
        if mode == "clustered":
            eff = clustered_effective_counts(*(stacked[key] for key in keys))
            k, m = eff.successes, eff.trials
        else:
            k, m = stacked["sum_x"], stacked["sum_y"]
        fit = pool_beta_binomial(k[m > 0], m[m > 0])
        update: dict[str, object] = {
            "prior_alpha": float(fit.prior_a),
            "prior_beta": float(fit.prior_b),
        }
    elif metric.kind == "count":
        used = stacked["n"] > 0
        fit = pool_gamma_poisson(stacked["sum_x"][used], stacked["n"][used])
        update = {"prior_shape": float(fit.prior_a), "prior_rate": float(fit.prior_b)}
    else:
        used = stacked["n"] > 0
        fit = pool_gamma_poisson(stacked["sum_y"][used], stacked["n"][used])
        # The cost-per-outcome model needs a prior shape above 1 for its mean to exist.
        update = {"cost_prior": (max(float(fit.prior_a), 1.01), float(fit.prior_b))}
    return experiment.model_copy(update={"bayes": plan.model_copy(update=update)})
