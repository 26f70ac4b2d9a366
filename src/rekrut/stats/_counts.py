"""Counts per unit (applications per posting): overdispersion-robust and Poisson comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from rekrut.stats._deprecation import renamed_keywords
from rekrut.stats._lazy import lazy_module
from rekrut.stats._ratios import RatioStats, compare_ratios
from rekrut.stats._result import (
    Alternative,
    Comparison,
    as_float_array,
    check_alternative,
    check_confidence_level,
)

if TYPE_CHECKING:
    from scipy import special, stats
else:
    special = lazy_module("scipy.special")
    stats = lazy_module("scipy.stats")

__all__ = ["compare_counts", "compare_poisson_totals"]


def compare_counts(
    control: RatioStats,
    treatment: RatioStats,
    *,
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Comparison:
    """Compare mean counts per unit, valid under any overdispersion.

    Parameters
    ----------
    control, treatment
        Per-unit sufficient statistics with ``y = 1`` (``sum_y = n``).
    confidence_level, alternative
        Interval level and test direction.

    Returns
    -------
    Comparison
        Difference of means with Welch's t-test and interval; relative lift (rate ratio - 1)
        with Fieller's interval, which agrees with the test (see :func:`compare_ratios`).

    Notes
    -----
    Applicants per posting are far more variable than Poisson (variance about
    :math:`\\mu + \\mu^2/k` with :math:`k \\approx 1`–2), so a Poisson test on per-posting
    counts rejects far too often. This test estimates each arm's variance from the postings
    themselves and so assumes only independent postings. It was chosen over a negative-binomial
    likelihood because it needs no distributional form and works on sufficient statistics;
    rekrut's simulations show its A/A false-positive rate near the nominal level from 20
    postings per arm (see the methods page), where a plain Poisson test exceeds 30 %.

    Examples
    --------
    >>> c = RatioStats.from_units([0.0, 3, 12, 5, 1, 30])
    >>> t = RatioStats.from_units([8.0, 14, 2, 40, 9, 22])
    >>> res = compare_counts(c, t)
    >>> round(float(res.lift), 2), round(float(res.p_value), 3)
    (0.86, 0.335)
    """
    return compare_ratios(
        control,
        treatment,
        confidence_level=confidence_level,
        alternative=alternative,
        method="welch",
    )


@renamed_keywords(
    count_c="counts_control",
    exposure_c="exposure_control",
    count_t="counts_treatment",
    exposure_t="exposure_treatment",
)
def compare_poisson_totals(
    counts_control: ArrayLike,
    exposure_control: ArrayLike,
    counts_treatment: ArrayLike,
    exposure_treatment: ArrayLike,
    *,
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Comparison:
    """Compare two Poisson rates from totals only (no per-unit data).

    Parameters
    ----------
    counts_control, exposure_control, counts_treatment, exposure_treatment
        Total events and exposure (e.g. postings) per arm.

    Returns
    -------
    Comparison
        Rates (events per unit of exposure), their difference with a Wald interval, the rate
        ratio - 1 with the conditional exact (Clopper–Pearson) interval, and the conditional
        exact test's p-value. A one-sided ``alternative`` gives one-sided intervals (the
        Clopper–Pearson bound at 1 - ``confidence_level``, which agrees with the one-sided
        exact test); the lift never goes below -1.

    Notes
    -----
    Given the total :math:`K`, the treatment count is binomial with probability
    :math:`\\pi = e_t \\rho / (e_t \\rho + e_c)`, where :math:`\\rho` is the rate ratio. The test
    of :math:`\\rho = 1` is the exact binomial test (two-sided by the minimum-likelihood rule,
    as R's ``poisson.test`` and statsmodels' ``exact-cond``), and the interval for
    :math:`\\rho` transforms the Clopper–Pearson interval for :math:`\\pi` [1]_. **It ignores
    overdispersion**: with per-posting applicant counts it is far too confident; use it only
    when only totals are known, and read it with that caveat.

    References
    ----------
    .. [1] Gu, K. et al. (2008). Testing the ratio of two Poisson rates. Biometrical Journal
       50(2), 283-298. https://doi.org/10.1002/bimj.200710403

    Examples
    --------
    >>> res = compare_poisson_totals(30, 54308.7, 60, 51477.5)
    >>> round(float(res.p_value), 6)
    0.000675
    """
    check_confidence_level(confidence_level)
    check_alternative(alternative)
    x_c, e_c, x_t, e_t = np.broadcast_arrays(
        *(
            as_float_array(v)
            for v in (counts_control, exposure_control, counts_treatment, exposure_treatment)
        )
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        r_c, r_t = np.where(e_c > 0, x_c / e_c, np.nan), np.where(e_t > 0, x_t / e_t, np.nan)
        se = np.sqrt(x_c / e_c**2 + x_t / e_t**2)
    # a one-sided test gets a one-sided interval: one bound at the one-sided level
    tail = (1.0 - confidence_level) / (2.0 if alternative == "two-sided" else 1.0)
    z = stats.norm.isf(tail)
    diff = r_t - r_c
    total = x_c + x_t
    p = np.full(total.shape, np.nan)
    share = np.where((e_c > 0) & (e_t > 0), e_t / (e_c + e_t), np.nan)
    for flat in np.flatnonzero(np.isfinite(share) & (total > 0)):  # exact test cell by cell
        i = np.unravel_index(flat, total.shape)
        p[i] = stats.binomtest(
            int(x_t[i]), int(total[i]), float(share[i]), alternative=alternative
        ).pvalue
    p = np.where(np.isfinite(share) & (total == 0), 1.0, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        pi_low = np.where(x_t > 0, special.betaincinv(x_t, total - x_t + 1.0, tail), 0.0)
        pi_high = np.where(x_t < total, special.betaincinv(x_t + 1.0, total - x_t, 1.0 - tail), 1.0)
        scale = e_c / e_t
        ratio_low = pi_low / (1.0 - pi_low) * scale
        ratio_high = np.where(pi_high < 1.0, pi_high / (1.0 - pi_high) * scale, np.inf)
        lift = np.where(r_c > 0, r_t / r_c - 1.0, np.nan)
    diff_low, diff_high = diff - z * se, diff + z * se
    if alternative == "greater":
        diff_high, ratio_high = np.full_like(diff, np.inf), np.full_like(ratio_high, np.inf)
    elif alternative == "less":
        diff_low, ratio_low = np.full_like(diff, -np.inf), np.zeros_like(ratio_low)
    nan_if_empty = np.where(total > 0, 0.0, np.nan)
    return Comparison(
        control_value=r_c,
        treatment_value=r_t,
        diff=diff,
        diff_ci_low=diff_low,
        diff_ci_high=diff_high,
        lift=lift,
        lift_ci_low=ratio_low - 1.0 + nan_if_empty,
        lift_ci_high=ratio_high - 1.0 + nan_if_empty,
        statistic=np.full(total.shape, np.nan),
        p_value=np.asarray(p, dtype=np.float64),
        method="poisson_exact",
    )
