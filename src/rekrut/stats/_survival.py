"""Time to hire with postings still open: Kaplan–Meier medians and the log-rank test."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from rekrut.stats._deprecation import renamed_keywords
from rekrut.stats._lazy import lazy_module
from rekrut.stats._result import (
    Comparison,
    FloatArray,
    MethodCode,
    ResultMixin,
    as_float_array,
    check_confidence_level,
)

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy_module("scipy.stats")

__all__ = ["KaplanMeier", "compare_time_to_event", "kaplan_meier"]


@dataclass(frozen=True, slots=True)
class KaplanMeier(ResultMixin):
    """A Kaplan–Meier curve: event times, survival just after each, and the median."""

    times: FloatArray
    survival: FloatArray
    median: FloatArray


def _validate(time: ArrayLike, event: ArrayLike) -> tuple[FloatArray, FloatArray]:
    t, e = as_float_array(time).ravel(), as_float_array(event).ravel()
    if t.shape != e.shape:
        raise ValueError("time and event must have the same length")
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("time must be finite and non-negative")
    if np.any((e != 0) & (e != 1)):
        raise ValueError("event must be 0 (open, censored) or 1 (hired)")
    return t, e


def _weighted_medians(time: FloatArray, event: FloatArray, weights: FloatArray) -> FloatArray:
    """Kaplan–Meier medians for each row of unit weights (rows are bootstrap resamples)."""
    times = np.unique(time[event > 0])
    if times.size == 0:
        return np.full(weights.shape[0], np.nan)
    deaths = ((time[:, None] == times[None, :]) & (event[:, None] > 0)).astype(np.float64)
    at_risk = (time[:, None] >= times[None, :]).astype(np.float64)
    d, r = weights @ deaths, weights @ at_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(r > 0, 1.0 - d / r, 1.0)
    survival = np.cumprod(factor, axis=1)
    reached = survival <= 0.5
    first = np.argmax(reached, axis=1)
    return np.where(reached.any(axis=1), times[first], np.nan)


def kaplan_meier(time: ArrayLike, event: ArrayLike) -> KaplanMeier:
    """Kaplan–Meier estimate of the share of postings still unfilled after t days.

    Parameters
    ----------
    time
        Days to hire for filled postings, days open so far for open ones.
    event
        1 if the posting was filled (a hire), 0 if it is still open (censored).

    Notes
    -----
    :math:`\\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / r_j)`; the median is the first event time
    with :math:`\\hat S \\le 0.5` (NaN when fewer than half the postings are filled by the end
    of follow-up) [1]_. Assumes censoring unrelated to the time to hire.

    References
    ----------
    .. [1] Kaplan, E. L., Meier, P. (1958). Nonparametric estimation from incomplete
       observations. JASA 53(282), 457-481. https://doi.org/10.1080/01621459.1958.10501452

    Examples
    --------
    >>> km = kaplan_meier([10, 20, 20, 35, 50], [1, 1, 0, 1, 0])
    >>> km.times.tolist(), [round(s, 3) for s in km.survival.tolist()], float(km.median)
    ([10.0, 20.0, 35.0], [0.8, 0.6, 0.3], 35.0)
    """
    t, e = _validate(time, event)
    times = np.unique(t[e > 0])
    d = np.array([np.sum((t == u) & (e > 0)) for u in times], dtype=np.float64)
    r = np.array([np.sum(t >= u) for u in times], dtype=np.float64)
    survival = as_float_array(np.cumprod(1.0 - d / r) if times.size else [])
    median = _weighted_medians(t, e, np.ones((1, t.size)))[0] if t.size else np.nan
    return KaplanMeier(times, survival, as_float_array(median))


def _rank_test(
    t_c: FloatArray, e_c: FloatArray, t_t: FloatArray, e_t: FloatArray
) -> tuple[float, float, MethodCode]:
    if e_c.all() and e_t.all():
        res = stats.mannwhitneyu(t_t, t_c, alternative="two-sided")
        return float(res.statistic), float(res.pvalue), "mann_whitney"
    if (e_c.sum() + e_t.sum()) == 0:
        return np.nan, np.nan, "log_rank"
    from statsmodels.duration.survfunc import survdiff

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # statsmodels divides 0/0 at tied ends
        chi2, p = survdiff(
            np.r_[t_c, t_t], np.r_[e_c, e_t], np.r_[np.zeros(t_c.size), np.ones(t_t.size)]
        )
    return float(chi2), float(p), "log_rank"


@renamed_keywords(
    time_c="time_control",
    event_c="event_control",
    time_t="time_treatment",
    event_t="event_treatment",
)
def compare_time_to_event(
    time_control: ArrayLike,
    event_control: ArrayLike,
    time_treatment: ArrayLike,
    event_treatment: ArrayLike,
    *,
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    rng: np.random.Generator | int | None = 0,
) -> Comparison:
    """Compare days to hire between two arms when some postings are still open.

    Parameters
    ----------
    time_control, event_control, time_treatment, event_treatment
        Per posting: days (to hire, or open so far) and 1 = hired, 0 = still open.
    confidence_level, n_resamples, rng
        Interval level, bootstrap resamples and seed.

    Returns
    -------
    Comparison
        Kaplan–Meier medians (NaN when not reached), their difference and ratio - 1 with
        percentile-bootstrap intervals (resampling postings within arms; resamples in which
        a median is not reached are left out, and with none left the interval is open), and the
        p-value of the log-rank test — or of the Mann–Whitney U test when no posting is
        censored. The test is two-sided.

    Notes
    -----
    This function takes one cell's per-posting arrays; the analysis layer calls it cell by
    cell. The log-rank test is the score test of equal hazards and is most powerful under
    proportional hazards [1]_.

    References
    ----------
    .. [1] Peto, R., Peto, J. (1972). Asymptotically efficient rank invariant test procedures.
       JRSS A 135(2), 185-207. https://doi.org/10.2307/2344317

    Examples
    --------
    >>> res = compare_time_to_event([30, 45, 60, 20, 90], [1, 1, 1, 1, 0],
    ...                             [15, 25, 40, 20, 35], [1, 1, 1, 1, 1], rng=1)
    >>> float(res.control_value), float(res.treatment_value), float(res.diff)
    (45.0, 25.0, -20.0)
    """
    check_confidence_level(confidence_level)
    t_c, e_c = _validate(time_control, event_control)
    t_t, e_t = _validate(time_treatment, event_treatment)
    gen = np.random.default_rng(rng)
    nan = as_float_array(np.nan)
    if t_c.size == 0 or t_t.size == 0:
        return Comparison(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, "no_data")
    med_c = _weighted_medians(t_c, e_c, np.ones((1, t_c.size)))[0]
    med_t = _weighted_medians(t_t, e_t, np.ones((1, t_t.size)))[0]
    boot_c = _weighted_medians(t_c, e_c, _weights(t_c.size, n_resamples, gen))
    boot_t = _weighted_medians(t_t, e_t, _weights(t_t.size, n_resamples, gen))
    tails = ((1.0 - confidence_level) / 2.0, (1.0 + confidence_level) / 2.0)
    diff_low, diff_high = _percentile(boot_t - boot_c, tails)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift_low, lift_high = _percentile(boot_t / boot_c - 1.0, tails)
    lift_low = np.maximum(lift_low, -1.0)  # an open interval for a ratio - 1 starts at -1
    statistic, p, method = _rank_test(t_c, e_c, t_t, e_t)
    return Comparison(
        control_value=as_float_array(med_c),
        treatment_value=as_float_array(med_t),
        diff=as_float_array(med_t - med_c),
        diff_ci_low=diff_low,
        diff_ci_high=diff_high,
        lift=as_float_array(med_t / med_c - 1.0) if med_c > 0 else nan,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        statistic=as_float_array(statistic),
        p_value=as_float_array(p),
        method=method,
    )


def _weights(n: int, n_resamples: int, gen: np.random.Generator) -> FloatArray:
    """How often each unit is drawn in each resample (rows): n draws with replacement."""
    drawn = gen.integers(0, n, size=(n_resamples, n)) + n * np.arange(n_resamples)[:, None]
    counts = np.bincount(drawn.ravel(), minlength=n_resamples * n)
    return counts.reshape(n_resamples, n).astype(np.float64)


def _percentile(draws: FloatArray, tails: tuple[float, float]) -> tuple[FloatArray, FloatArray]:
    finite = draws[np.isfinite(draws)]
    if finite.size < 0.5 * draws.size or finite.size == 0:
        return as_float_array(-np.inf), as_float_array(np.inf)
    low, high = np.quantile(finite, tails)
    return as_float_array(low), as_float_array(high)
