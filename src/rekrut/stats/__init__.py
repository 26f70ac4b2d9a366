"""The numerical core: vectorised tests and posteriors on sufficient statistics.

Everything here takes arrays (counts, sums, sums of squares per arm) and returns frozen
dataclasses of arrays, so one call answers thousands of cells. It depends on numpy, scipy and
statsmodels only.

>>> from rekrut import stats
>>> res = stats.compare_proportions([30, 12], [100, 40], [45, 20], [100, 40])
>>> res.diff.round(3).tolist()
[0.15, 0.2]
"""

from rekrut.stats._bayes import (
    BayesComparison,
    Prior,
    ProbBest,
    clustered_effective_counts,
    compare_beta_binomial,
    compare_cost_per_outcome,
    compare_counts_overdispersed,
    compare_gamma_poisson,
    dispersion_factor,
    prior_from_history,
    prob_best_beta,
    prob_best_gamma,
    rope_decision,
)
from rekrut.stats._counts import compare_counts, compare_poisson_totals
from rekrut.stats._multiplicity import adjust_pvalues
from rekrut.stats._pooling import PooledEstimate, pool_beta_binomial, pool_gamma_poisson
from rekrut.stats._proportions import (
    ChiSquareResult,
    chisquare_proportions,
    compare_proportions,
    wilson_interval,
)
from rekrut.stats._ratios import (
    BootstrapResult,
    PairedStats,
    RatioStats,
    bootstrap_ratios,
    compare_paired_ratios,
    compare_ratios,
)
from rekrut.stats._result import Comparison
from rekrut.stats._sequential import (
    GroupSequentialDesign,
    SequentialTest,
    always_valid_pvalue,
    confidence_sequence,
    group_sequential_test,
    sequential_sample_size,
    spending_boundaries,
)
from rekrut.stats._srm import SRMResult, sample_ratio_mismatch
from rekrut.stats._survival import KaplanMeier, compare_time_to_event, kaplan_meier

__all__ = [
    "BayesComparison",
    "BootstrapResult",
    "ChiSquareResult",
    "Comparison",
    "GroupSequentialDesign",
    "KaplanMeier",
    "PairedStats",
    "PooledEstimate",
    "Prior",
    "ProbBest",
    "RatioStats",
    "SRMResult",
    "SequentialTest",
    "adjust_pvalues",
    "always_valid_pvalue",
    "bootstrap_ratios",
    "chisquare_proportions",
    "clustered_effective_counts",
    "compare_beta_binomial",
    "compare_cost_per_outcome",
    "compare_counts",
    "compare_counts_overdispersed",
    "compare_gamma_poisson",
    "compare_paired_ratios",
    "compare_poisson_totals",
    "compare_proportions",
    "compare_ratios",
    "compare_time_to_event",
    "confidence_sequence",
    "dispersion_factor",
    "group_sequential_test",
    "kaplan_meier",
    "pool_beta_binomial",
    "pool_gamma_poisson",
    "prior_from_history",
    "prob_best_beta",
    "prob_best_gamma",
    "rope_decision",
    "sample_ratio_mismatch",
    "sequential_sample_size",
    "spending_boundaries",
    "wilson_interval",
]
