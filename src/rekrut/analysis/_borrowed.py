"""A prior on the lift borrowed from earlier experiments (``[bayes] prior_from``).

The Bayesian branch computes each comparison under the experiment's own arm priors. With a
borrowed prior on the lift (:func:`rekrut.prior_from_meta`), the lift's posterior is
summarised as normal on the log scale, :math:`\\log(1 + \\text{lift}) \\sim N(m, s^2)` with
:math:`s` read from the credible interval, and combined with the prior
:math:`N(\\mu_0, \\sigma_0^2)` by precision weighting. The lift, its interval, the probability
to beat control, the expected loss (lognormal, control value held at its posterior mean) and
the ROPE decision are recomputed; P(best) among more than two arms cannot be, and is blanked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from rekrut.analysis._result import ESTIMATE_COLUMNS
from rekrut.errors import InputError
from rekrut.meta import EffectPrior, combine, prior_from_meta, read_estimates
from rekrut.model import Experiment
from rekrut.notes import Note
from rekrut.stats import BayesComparison, rope_decision

__all__ = ["apply_borrowed_prior", "experiment_prior"]


def experiment_prior(experiment: Experiment) -> EffectPrior | None:
    """The prior that ``[bayes] prior_from`` names (a table of estimates), or None."""
    path = experiment.prior_path
    if path is None:
        return None
    meta = combine(read_estimates(path))
    prior = prior_from_meta(meta)
    return EffectPrior(prior.mean, prior.sd, experiment.primary_metric, prior.studies)


def apply_borrowed_prior(
    table: pd.DataFrame, experiment: Experiment, prior: EffectPrior, credible_level: float
) -> tuple[pd.DataFrame, Note]:
    """The Bayesian table with the lift of ``prior.metric`` updated by the borrowed prior."""
    metric = prior.metric or experiment.primary_metric
    rows = (table["metric"] == metric).to_numpy()
    if not rows.any():
        raise InputError(
            f"the Bayesian analysis has no lift of {metric!r} for the borrowed prior to update "
            "(time to hire has no Bayesian model; name a metric of the experiment)",
            column="prior_from",
        )
    out = table.copy()
    part = out.loc[rows]
    z = float(sps.norm.isf((1 - credible_level) / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.log1p(part["lift"].to_numpy(float))
        s = (
            np.log1p(part["lift_ci_high"].to_numpy(float))
            - np.log1p(part["lift_ci_low"].to_numpy(float))
        ) / (2 * z)
    usable = np.isfinite(m) & np.isfinite(s) & (s > 0)
    precision = 1 / s**2 + 1 / prior.sd**2
    mean = np.where(usable, (m / s**2 + prior.mean / prior.sd**2) / precision, np.nan)
    sd = np.where(usable, 1 / np.sqrt(precision), np.nan)
    control = part["control_value"].to_numpy(float)
    higher = (part["direction"] == "higher").to_numpy()
    comparison = _comparison(mean, sd, control, higher, z)
    decider = _comparison(
        mean,
        sd,
        control,
        higher,
        float(sps.norm.isf((1 - experiment.bayes.decision_probability) / 2)),
    )
    decision = rope_decision(decider, rope=experiment.bayes.rope, on="lift")
    for name in (*ESTIMATE_COLUMNS[1:], "prob_better", "expected_loss"):  # all but control_value
        out.loc[rows, name] = np.where(usable, getattr(comparison, name), out.loc[rows, name])
    out.loc[rows, "decision"] = np.where(usable, decision, out.loc[rows, "decision"])
    out.loc[rows, "method"] = np.where(usable, "meta_prior", out.loc[rows, "method"])
    two_arms = len(experiment.arms) == 2
    out.loc[rows, "prob_best"] = np.where(
        usable, comparison.prob_better if two_arms else np.nan, out.loc[rows, "prob_best"]
    )
    out.loc[rows, "prob_best_control"] = np.where(
        usable,
        1 - comparison.prob_better if two_arms else np.nan,
        out.loc[rows, "prob_best_control"],
    )
    low, high = prior.lift_interval(credible_level)
    note = Note(
        "borrowed_prior" if prior.studies else "borrowed_prior_given",
        {"metric": metric, "studies": prior.studies, "low": f"{low:+.0%}", "high": f"{high:+.0%}"},
    )
    return out, note


def _comparison(
    mean: np.ndarray, sd: np.ndarray, control: np.ndarray, higher: np.ndarray, z: float
) -> BayesComparison:
    """The lift's normal posterior on the log scale, as the fields a decision reads."""
    lift = np.expm1(mean)
    low, high = np.expm1(mean - z * sd), np.expm1(mean + z * sd)
    above = sps.norm.sf(0.0, mean, sd)  # P(treatment above control)
    # expected shortfall of choosing the treatment: c E[max(1 - e^L, 0)] or c E[max(e^L - 1, 0)]
    grow = np.exp(mean + sd**2 / 2)
    short_up = sps.norm.cdf(-mean / sd) - grow * sps.norm.cdf(-mean / sd - sd)
    short_down = grow * sps.norm.cdf(mean / sd + sd) - sps.norm.cdf(mean / sd)
    return BayesComparison(
        control_value=control,
        treatment_value=control * (1 + lift),
        diff=control * lift,
        diff_ci_low=control * low,
        diff_ci_high=control * high,
        lift=lift,
        lift_ci_low=low,
        lift_ci_high=high,
        prob_better=np.where(higher, above, 1 - above),
        expected_loss=control * np.where(higher, short_up, short_down),
        mc_error=np.zeros_like(mean),
        method="beta_binomial",
    )
