"""The numerical core: vectorised tests and posteriors on sufficient statistics.

Everything here takes arrays (counts, sums, sums of squares per arm) and returns frozen
dataclasses of arrays, so one call answers thousands of cells. It depends on numpy, scipy and
statsmodels only, and imports each part on first use: ``import rekrut.stats`` loads neither
``scipy.stats`` nor ``statsmodels``.

Vocabulary
----------
Two-arm functions take the control's statistics, then the treatment's, named
``<statistic>_control`` and ``<statistic>_treatment`` (``successes_control, trials_control,
successes_treatment, trials_treatment``; ``counts_control, exposure_control, ...``). Ratio
metrics, whose per-arm statistics are six moments, take one :class:`RatioStats` per arm.
Options are keyword-only: ``confidence_level`` (frequentist intervals), ``credible_level``
(Bayesian intervals), ``alternative`` (frequentist tests), ``direction`` (which way is better,
Bayesian), ``rng`` (a generator or seed). Bayesian functions start with ``bayes_`` (they take
data and a prior) or ``posterior_`` (they take posterior parameters); the rest are frequentist.
Every result names its method by a code (:data:`MethodCode`); :mod:`rekrut.methods` holds the
labels.

>>> from rekrut import stats
>>> res = stats.compare_proportions([30, 12], [100, 40], [45, 20], [100, 40])
>>> res.diff.round(3).tolist()
[0.15, 0.2]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rekrut.stats._bayes import (
        BayesComparison,
        EffectiveCounts,
        Prior,
        ProbBest,
        bayes_compare_cost_per_outcome,
        bayes_compare_counts,
        bayes_compare_poisson_totals,
        bayes_compare_proportions,
        bayes_prob_best_poisson_totals,
        bayes_prob_best_proportions,
        clustered_effective_counts,
        cost_outcome_posterior,
        dispersion_factor,
        posterior_prob_best_gamma,
        prior_from_history,
        rope_decision,
    )
    from rekrut.stats._counts import (
        compare_counts,
        compare_poisson_totals,
    )
    from rekrut.stats._evalue import e_value
    from rekrut.stats._loglinear import (
        LogLinearFit,
        TermScores,
        fit_ridge_loglinear,
        score_test_terms,
    )
    from rekrut.stats._meta import MetaResult, TauEstimator, random_effects
    from rekrut.stats._multiplicity import (
        CorrectionMethod,
        correct_pvalues,
    )
    from rekrut.stats._pooling import (
        PooledEstimate,
        pool_beta_binomial,
        pool_gamma_poisson,
    )
    from rekrut.stats._proportions import (
        ChiSquareResult,
        WilsonInterval,
        chisquare_proportions,
        compare_proportions,
        wilson_interval,
    )
    from rekrut.stats._randomization import (
        RandomizationResult,
        randomization_test,
    )
    from rekrut.stats._ratios import (
        BootstrapResult,
        PairedStats,
        RatioStats,
        bootstrap_ratios,
        compare_paired_ratios,
        compare_ratios,
    )
    from rekrut.stats._result import (
        Alternative,
        Comparison,
        MethodCode,
    )
    from rekrut.stats._sequential import (
        ConfidenceSequence,
        GroupSequentialDesign,
        SequentialTest,
        always_valid_pvalue,
        confidence_sequence,
        group_sequential_test,
        sequential_sample_size,
        spending_boundaries,
    )
    from rekrut.stats._srm import (
        SRMResult,
        sample_ratio_mismatch,
    )
    from rekrut.stats._survival import (
        KaplanMeier,
        compare_time_to_event,
        kaplan_meier,
    )
    from rekrut.stats._synthetic import (
        DidRegression,
        PanelMethod,
        PlaceboResult,
        did_regression,
        placebo_synthetic_control,
    )

__all__ = [
    "Alternative",
    "BayesComparison",
    "BootstrapResult",
    "ChiSquareResult",
    "Comparison",
    "ConfidenceSequence",
    "CorrectionMethod",
    "DidRegression",
    "EffectiveCounts",
    "GroupSequentialDesign",
    "KaplanMeier",
    "LogLinearFit",
    "MetaResult",
    "MethodCode",
    "PairedStats",
    "PanelMethod",
    "PlaceboResult",
    "PooledEstimate",
    "Prior",
    "ProbBest",
    "RandomizationResult",
    "RatioStats",
    "SRMResult",
    "SequentialTest",
    "TauEstimator",
    "TermScores",
    "WilsonInterval",
    "always_valid_pvalue",
    "bayes_compare_cost_per_outcome",
    "bayes_compare_counts",
    "bayes_compare_poisson_totals",
    "bayes_compare_proportions",
    "bayes_prob_best_poisson_totals",
    "bayes_prob_best_proportions",
    "bootstrap_ratios",
    "chisquare_proportions",
    "clustered_effective_counts",
    "compare_counts",
    "compare_paired_ratios",
    "compare_poisson_totals",
    "compare_proportions",
    "compare_ratios",
    "compare_time_to_event",
    "confidence_sequence",
    "correct_pvalues",
    "cost_outcome_posterior",
    "did_regression",
    "dispersion_factor",
    "e_value",
    "fit_ridge_loglinear",
    "group_sequential_test",
    "kaplan_meier",
    "placebo_synthetic_control",
    "pool_beta_binomial",
    "pool_gamma_poisson",
    "posterior_prob_best_gamma",
    "prior_from_history",
    "random_effects",
    "randomization_test",
    "rope_decision",
    "sample_ratio_mismatch",
    "score_test_terms",
    "sequential_sample_size",
    "spending_boundaries",
    "wilson_interval",
]

_WHERE: dict[str, str] = {
    "BayesComparison": "_bayes",
    "EffectiveCounts": "_bayes",
    "Prior": "_bayes",
    "ProbBest": "_bayes",
    "bayes_compare_cost_per_outcome": "_bayes",
    "bayes_compare_counts": "_bayes",
    "cost_outcome_posterior": "_bayes",
    "bayes_compare_poisson_totals": "_bayes",
    "bayes_compare_proportions": "_bayes",
    "bayes_prob_best_poisson_totals": "_bayes",
    "bayes_prob_best_proportions": "_bayes",
    "clustered_effective_counts": "_bayes",
    "dispersion_factor": "_bayes",
    "posterior_prob_best_gamma": "_bayes",
    "prior_from_history": "_bayes",
    "rope_decision": "_bayes",
    "compare_counts": "_counts",
    "compare_poisson_totals": "_counts",
    "DidRegression": "_synthetic",
    "PanelMethod": "_synthetic",
    "PlaceboResult": "_synthetic",
    "did_regression": "_synthetic",
    "placebo_synthetic_control": "_synthetic",
    "MetaResult": "_meta",
    "TauEstimator": "_meta",
    "random_effects": "_meta",
    "e_value": "_evalue",
    "LogLinearFit": "_loglinear",
    "TermScores": "_loglinear",
    "fit_ridge_loglinear": "_loglinear",
    "score_test_terms": "_loglinear",
    "CorrectionMethod": "_multiplicity",
    "correct_pvalues": "_multiplicity",
    "PooledEstimate": "_pooling",
    "pool_beta_binomial": "_pooling",
    "pool_gamma_poisson": "_pooling",
    "ChiSquareResult": "_proportions",
    "WilsonInterval": "_proportions",
    "chisquare_proportions": "_proportions",
    "compare_proportions": "_proportions",
    "wilson_interval": "_proportions",
    "RandomizationResult": "_randomization",
    "randomization_test": "_randomization",
    "BootstrapResult": "_ratios",
    "PairedStats": "_ratios",
    "RatioStats": "_ratios",
    "bootstrap_ratios": "_ratios",
    "compare_paired_ratios": "_ratios",
    "compare_ratios": "_ratios",
    "Alternative": "_result",
    "Comparison": "_result",
    "MethodCode": "_result",
    "ConfidenceSequence": "_sequential",
    "GroupSequentialDesign": "_sequential",
    "SequentialTest": "_sequential",
    "always_valid_pvalue": "_sequential",
    "confidence_sequence": "_sequential",
    "group_sequential_test": "_sequential",
    "sequential_sample_size": "_sequential",
    "spending_boundaries": "_sequential",
    "SRMResult": "_srm",
    "sample_ratio_mismatch": "_srm",
    "KaplanMeier": "_survival",
    "compare_time_to_event": "_survival",
    "kaplan_meier": "_survival",
}

# Old names of rekrut 0.1: each warns on use and forwards to its new name (see the API page).
_DEPRECATED: dict[str, str] = {
    "adjust_pvalues": "_multiplicity",
    "compare_beta_binomial": "_bayes",
    "compare_gamma_poisson": "_bayes",
    "compare_counts_overdispersed": "_bayes",
    "compare_cost_per_outcome": "_bayes",
    "prob_best_beta": "_bayes",
    "prob_best_gamma": "_bayes",
}


def __getattr__(name: str) -> Any:
    # Each part is imported on first use: scipy.stats alone takes over a second to load.
    module = _WHERE.get(name) or _DEPRECATED.get(name)
    if module is None:
        raise AttributeError(f"module 'rekrut.stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"rekrut.stats.{module}"), name)
    if name in _WHERE:
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
