"""Two independent proportions: differences, ratios and tests, vectorised over cells."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from rekrut.stats._deprecation import unpack_deprecated
from rekrut.stats._lazy import lazy_module
from rekrut.stats._result import (
    Alternative,
    Comparison,
    FloatArray,
    MethodCode,
    ResultMixin,
    as_float_array,
    check_alternative,
    check_confidence_level,
)

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy_module("scipy.stats")

__all__ = [
    "ChiSquareResult",
    "WilsonInterval",
    "chisquare_proportions",
    "compare_proportions",
    "wilson_interval",
]

Test = Literal["auto", "z", "fisher"]


@dataclass(frozen=True, slots=True)
class WilsonInterval(ResultMixin):
    """Wilson score interval of a proportion, cell by cell (NaN where there are no trials)."""

    ci_low: FloatArray
    ci_high: FloatArray

    def __iter__(self) -> Iterator[FloatArray]:
        # rekrut 0.1 returned the tuple (low, high)
        return unpack_deprecated(
            "wilson_interval", ("ci_low", "ci_high"), (self.ci_low, self.ci_high)
        )


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, *, confidence_level: float = 0.95
) -> WilsonInterval:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes, trials : array_like
        Successes and trials; broadcast against each other.
    confidence_level : float
        Nominal coverage of the interval.

    Returns
    -------
    WilsonInterval
        ``ci_low`` and ``ci_high``, each of the broadcast shape.

    Notes
    -----
    The interval inverts the score test: the roots in :math:`p` of
    :math:`(\\hat p - p)^2 = z^2 p (1 - p) / n`. It stays inside [0, 1] and keeps close to its
    nominal coverage at small counts, unlike the Wald interval [1]_. NaN where ``trials`` is 0.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. JASA 22(158), 209-212. https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> res = wilson_interval(3, 10)
    >>> round(float(res.ci_low), 4), round(float(res.ci_high), 4)
    (0.1078, 0.6032)
    """
    check_confidence_level(confidence_level)
    z = float(stats.norm.isf((1.0 - confidence_level) / 2.0))
    return _wilson(as_float_array(successes), as_float_array(trials), z)


def _wilson(x: FloatArray, n: FloatArray, z: float) -> WilsonInterval:
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return WilsonInterval(low, high)


def _newcombe(
    x_c: FloatArray, n_c: FloatArray, x_t: FloatArray, n_t: FloatArray, z: float
) -> tuple[FloatArray, FloatArray]:
    """Newcombe's hybrid score interval (method 10) for p_t - p_c at critical value ``z``."""
    wc = _wilson(x_c, n_c, z)
    lc, uc = wc.ci_low, wc.ci_high
    wt = _wilson(x_t, n_t, z)
    lt, ut = wt.ci_low, wt.ci_high
    with np.errstate(divide="ignore", invalid="ignore"):
        pc, pt = x_c / n_c, x_t / n_t
    diff = pt - pc
    low = diff - np.sqrt((pt - lt) ** 2 + (uc - pc) ** 2)
    high = diff + np.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)
    return low, high


def _score_statistic(
    theta: FloatArray, x_c: FloatArray, n_c: FloatArray, x_t: FloatArray, n_t: FloatArray
) -> FloatArray:
    """Score statistic of H: p_t = theta p_c (Koopman; Miettinen–Nurminen without n/(n-1)).

    The restricted maximum-likelihood estimates solve a quadratic (Farrington–Manning); at
    theta = 1 they are the pooled proportion and the statistic is the pooled z-test's.
    """
    total, successes = n_c + n_t, x_c + x_t
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = total * theta
        b = -(n_t * theta + x_t + n_c + x_c * theta)
        root = np.sqrt(np.maximum(b * b - 4.0 * a * successes, 0.0))
        p_c = (-b - root) / (2.0 * a)
        p_t = theta * p_c
        var = p_t * (1.0 - p_t) / n_t + theta * theta * p_c * (1.0 - p_c) / n_c
        stat = (x_t / n_t - theta * x_c / n_c) / np.sqrt(np.maximum(var, 0.0))
    # 0 / 0: nothing to tell theta from the data (no successes, or all, in both arms)
    return np.asarray(np.nan_to_num(stat, nan=0.0), dtype=np.float64)


_LOG_THETA = 40.0  # bisection range of log(theta): ratios beyond e^40 are open-ended


def _score_ratio_interval(
    x_c: FloatArray, n_c: FloatArray, x_t: FloatArray, n_t: FloatArray, level: float, side: str
) -> tuple[FloatArray, FloatArray]:
    """Score interval for p_t / p_c: every theta the score test does not reject.

    Two-sided: |stat| <= z_(1 - a/2); ``"greater"``: stat <= z_(1 - a), so [low, inf);
    ``"less"``: stat >= -z_(1 - a), so [0, high]. The statistic falls as theta grows, so each
    bound is found by bisection on log(theta), all cells at once.
    """
    alpha = 1.0 - level
    crit = float(stats.norm.isf(alpha / 2.0 if side == "two-sided" else alpha))

    flat = [np.broadcast_to(v, x_c.shape).ravel() for v in (x_c, n_c, x_t, n_t)]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Katz's log-ratio interval (0.5 added) as the starting point of each search
        a_c, a_t = flat[0] + 0.5, flat[2] + 0.5
        log_ratio = np.log(a_t / (flat[3] + 0.5)) - np.log(a_c / (flat[1] + 0.5))
        se = np.sqrt(1 / a_t - 1 / (flat[3] + 0.5) + 1 / a_c - 1 / (flat[1] + 0.5))

    def bound(target: float, guess: FloatArray) -> FloatArray:
        def f(t: FloatArray, cells: np.ndarray) -> FloatArray:
            x0, m0, x1, m1 = (v[cells] for v in flat)
            return _score_statistic(np.exp(t), x0, m0, x1, m1) - target

        return _decreasing_root(f, guess).reshape(x_c.shape)

    low = np.zeros(x_c.shape)
    high = np.full(x_c.shape, np.inf)
    if side in ("two-sided", "greater"):
        edge = _score_statistic(np.full(x_c.shape, np.exp(-_LOG_THETA)), x_c, n_c, x_t, n_t)
        low = np.where(edge <= crit, 0.0, np.exp(bound(crit, log_ratio - crit * se)))
    if side in ("two-sided", "less"):
        edge = _score_statistic(np.full(x_c.shape, np.exp(_LOG_THETA)), x_c, n_c, x_t, n_t)
        high = np.where(edge >= -crit, np.inf, np.exp(bound(-crit, log_ratio + crit * se)))
    return low, high


def _decreasing_root(
    f: Callable[[FloatArray, np.ndarray], FloatArray],
    guess: FloatArray,
    tol: float = 1e-10,
) -> FloatArray:
    """The root of a decreasing ``f(t, cells)`` in [-_LOG_THETA, _LOG_THETA], all cells at once.

    The bracket starts at ``guess`` ± 0.5 and falls back to the whole range where that does not
    bracket the root. Then regula falsi with the Illinois modification (an end kept twice in a
    row has its value halved): superlinear like the secant method, always inside the bracket,
    with a bisection step every fifth iteration; only the cells still open are evaluated.
    """
    cells = np.arange(guess.size)
    start = np.clip(np.nan_to_num(guess.ravel(), nan=0.0), -_LOG_THETA, _LOG_THETA)
    lo, hi = np.maximum(start - 0.5, -_LOG_THETA), np.minimum(start + 0.5, _LOG_THETA)
    f_lo, f_hi = _bounded(f(lo, cells)), _bounded(f(hi, cells))
    wide_lo, wide_hi = f_lo <= 0, f_hi >= 0
    lo[wide_lo], hi[wide_hi] = -_LOG_THETA, _LOG_THETA
    f_lo[wide_lo] = _bounded(f(lo[wide_lo], cells[wide_lo]))
    f_hi[wide_hi] = _bounded(f(hi[wide_hi], cells[wide_hi]))
    side = np.zeros(guess.size)
    active = cells[(hi - lo) > tol]
    for step in range(200):
        if not active.size:
            break
        a, b, fa, fb = lo[active], hi[active], f_lo[active], f_hi[active]
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = b - fb * (b - a) / (fb - fa)
        bisect = (step % 5 == 4) | ~np.isfinite(secant) | (secant <= a) | (secant >= b)
        mid = np.where(bisect, (a + b) / 2.0, secant)
        f_mid = _bounded(f(mid, active))
        above = f_mid > 0  # the root lies above mid
        last = side[active]
        lo[active] = np.where(above | (f_mid == 0), mid, a)
        hi[active] = np.where(~above, mid, b)
        # Illinois: halve the value of an end that survives twice in a row
        f_lo[active] = np.where(above, f_mid, np.where(last == -1, fa / 2.0, fa))
        f_hi[active] = np.where(~above, f_mid, np.where(last == 1, fb / 2.0, fb))
        side[active] = np.where(above, 1.0, -1.0)
        active = active[(hi[active] - lo[active]) > tol]
    return np.asarray(((lo + hi) / 2.0).reshape(guess.shape), dtype=np.float64)


def _bounded(values: FloatArray) -> FloatArray:
    """Finite values for the secant step (the statistic grows without bound at the edges)."""
    return np.clip(values, -1e12, 1e12)


def _z_test(
    x_c: FloatArray, n_c: FloatArray, x_t: FloatArray, n_t: FloatArray, alternative: str
) -> tuple[FloatArray, FloatArray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x_c + x_t) / (n_c + n_t)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_t))
        z = (x_t / n_t - x_c / n_c) / se
    # All successes or none in both arms: no evidence of a difference.
    z = np.where(se == 0, 0.0, z)
    return z, _p_from_z(z, alternative)


def _p_from_z(z: FloatArray, alternative: str) -> FloatArray:
    if alternative == "two-sided":
        return np.asarray(2.0 * stats.norm.sf(np.abs(z)), dtype=np.float64)
    if alternative == "greater":
        return np.asarray(stats.norm.sf(z), dtype=np.float64)
    return np.asarray(stats.norm.cdf(z), dtype=np.float64)


def _fisher(
    x_c: FloatArray, n_c: FloatArray, x_t: FloatArray, n_t: FloatArray, alternative: str
) -> FloatArray:
    """Fisher's exact test for many 2 x 2 tables at once (1-d arrays).

    Given both margins, the treatment successes are hypergeometric. One-sided p-values are its
    tails; the two-sided p-value sums the probabilities of all tables no more likely than the
    observed one (the rule of scipy's ``fisher_exact`` and R's ``fisher.test``).
    """
    total, successes = n_c + n_t, x_c + x_t
    dist = stats.hypergeom(total, successes, n_t)
    if alternative == "greater":
        return np.asarray(dist.sf(x_t - 1), dtype=np.float64)
    if alternative == "less":
        return np.asarray(dist.cdf(x_t), dtype=np.float64)
    low = np.maximum(0.0, n_t - (total - successes))
    high = np.minimum(successes, n_t)
    width = int(np.max(high - low)) + 1 if low.size else 1
    support = low[:, None] + np.arange(width)[None, :]
    inside = support <= high[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = stats.hypergeom.logpmf(
            np.where(inside, support, low[:, None]),
            total[:, None],
            successes[:, None],
            n_t[:, None],
        )
        observed = stats.hypergeom.logpmf(x_t, total, successes, n_t)
    as_likely = inside & (log_pmf <= observed[:, None] + 1e-7)
    summed = np.where(as_likely, np.exp(log_pmf), 0.0).sum(axis=1)
    return np.asarray(np.minimum(1.0, summed), dtype=np.float64)


def compare_proportions(
    successes_control: ArrayLike,
    trials_control: ArrayLike,
    successes_treatment: ArrayLike,
    trials_treatment: ArrayLike,
    *,
    test: Test = "auto",
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
    small_count: float = 5.0,
) -> Comparison:
    """Compare two independent binomial proportions, cell by cell.

    Parameters
    ----------
    successes_control, trials_control, successes_treatment, trials_treatment
        Counts per arm; arrays broadcast against each other.
    test
        ``"z"`` (pooled two-proportion z-test), ``"fisher"`` (Fisher's exact test) or
        ``"auto"``: Fisher's test in cells where an expected count of the 2 x 2 table is below
        ``small_count``, the z-test elsewhere.
    confidence_level
        Level of the intervals.
    alternative
        ``"two-sided"``, ``"greater"`` (treatment higher) or ``"less"``.

    Returns
    -------
    Comparison
        ``diff`` = p_t - p_c with Newcombe's hybrid score interval; ``lift`` = p_t / p_c - 1 with
        the score interval for the ratio, which inverts the z-test. Undefined values are NaN:
        every value when a trial count is 0; the lift when the control proportion is 0, whose
        interval is then open upwards (+inf). A one-sided ``alternative`` gives one-sided
        intervals: ``"greater"`` bounds from below (diff up to 1, lift up to +inf), ``"less"``
        from above (diff from -1, lift from -1).

    Notes
    -----
    Assumes independent trials with a common success probability within each arm — true when
    the trial itself was randomised (impressions, postings). The diff interval is method 10 of
    Newcombe [1]_. The ratio interval is the score interval of Koopman [2]_ (Miettinen and
    Nurminen's without their n/(n-1) factor): every θ whose score test of p_t = θ p_c is not
    rejected. At θ = 1 that statistic is the pooled z-test's, so with ``test="z"`` the lift
    interval excludes 0 exactly when ``p_value`` is below 1 - ``confidence_level`` (the
    one-sided ones too), zero counts included. Fisher's test (``"fisher"``, or ``"auto"`` in
    small cells) conditions on both margins and is conservative; the intervals stay the score
    intervals, so in those cells (``method`` ``fisher_exact`` or ``z_or_fisher``) an interval
    can exclude 0 while Fisher's p-value is above the level (0/10 vs 4/10: Fisher's p = 0.087,
    lift interval (0.27, inf)); :func:`rekrut.analyze` flags such cells with a note.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference between independent
       proportions: comparison of eleven methods. Statistics in Medicine 17(8), 873-890.
       https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I
    .. [2] Koopman, P. A. R. (1984). Confidence intervals for the ratio of two binomial
       proportions. Biometrics 40(2), 513-517. https://doi.org/10.2307/2531405

    Examples
    --------
    >>> res = compare_proportions(30, 100, 45, 100)
    >>> round(float(res.diff), 2), round(float(res.p_value), 4)
    (0.15, 0.0285)
    >>> [round(float(v), 3) for v in (res.diff_ci_low, res.diff_ci_high)]
    [0.016, 0.277]
    """
    check_confidence_level(confidence_level)
    check_alternative(alternative)
    if test not in ("auto", "z", "fisher"):
        raise ValueError(f"test must be 'auto', 'z' or 'fisher', got {test!r}")
    x_c, n_c, x_t, n_t = np.broadcast_arrays(
        *(
            as_float_array(v)
            for v in (successes_control, trials_control, successes_treatment, trials_treatment)
        )
    )
    if np.any((x_c < 0) | (x_t < 0) | (x_c > n_c) | (x_t > n_t)):
        raise ValueError("successes must lie between 0 and trials")
    empty = (n_c == 0) | (n_t == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pc, pt = x_c / n_c, x_t / n_t
    alpha = 1.0 - confidence_level
    # a one-sided interval is one side of the two-sided interval at twice the error rate
    z_crit = float(stats.norm.isf(alpha / 2.0 if alternative == "two-sided" else alpha))
    diff_low, diff_high = _newcombe(x_c, n_c, x_t, n_t, z_crit)
    if alternative == "greater":
        diff_high = np.ones_like(diff_high)
    elif alternative == "less":
        diff_low = -np.ones_like(diff_low)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = pt / pc
    ratio_low, ratio_high = _score_ratio_interval(x_c, n_c, x_t, n_t, confidence_level, alternative)
    z, p = _z_test(x_c, n_c, x_t, n_t, alternative)
    use_fisher = _needs_fisher(x_c, n_c, x_t, n_t, test, small_count) & ~empty
    p = p.copy()
    if use_fisher.any():
        cells = use_fisher
        p[cells] = _fisher(x_c[cells], n_c[cells], x_t[cells], n_t[cells], alternative)
    nan = np.where(empty, np.nan, 0.0)
    lift = np.where(x_c == 0, np.nan, ratio - 1.0) + nan
    return Comparison(
        control_value=pc + nan,
        treatment_value=pt + nan,
        diff=pt - pc + nan,
        diff_ci_low=diff_low + nan,
        diff_ci_high=diff_high + nan,
        lift=lift,
        lift_ci_low=ratio_low - 1.0 + nan,
        lift_ci_high=ratio_high - 1.0 + nan,
        statistic=z + nan,
        p_value=np.minimum(p, 1.0) + nan,
        method=_method_name(test, bool(use_fisher.any()), bool((~use_fisher & ~empty).any())),
    )


def _needs_fisher(
    x_c: FloatArray, n_c: FloatArray, x_t: FloatArray, n_t: FloatArray, test: Test, small: float
) -> FloatArray:
    if test == "fisher":
        return np.ones(x_c.shape, dtype=bool)
    if test == "z":
        return np.zeros(x_c.shape, dtype=bool)
    total, successes = n_c + n_t, x_c + x_t
    with np.errstate(divide="ignore", invalid="ignore"):
        smallest_margin = np.minimum(successes, total - successes)
        expected = np.minimum(n_c, n_t) * smallest_margin / total
    return np.asarray(np.nan_to_num(expected, nan=0.0) < small, dtype=bool)


def _method_name(test: Test, fisher: bool, z: bool) -> MethodCode:
    # the interval is always Newcombe's; the code names the test that gave the p-values
    if fisher and z:
        return "z_or_fisher"
    if fisher:
        return "fisher_exact"
    return "z_test"


@dataclass(frozen=True, slots=True)
class ChiSquareResult(ResultMixin):
    """Pearson chi-square test of equal proportions across k arms."""

    statistic: FloatArray
    df: FloatArray
    p_value: FloatArray


def chisquare_proportions(
    successes: ArrayLike, trials: ArrayLike, *, axis: int = -1
) -> ChiSquareResult:
    """Test whether k arms share one proportion (chi-square test of homogeneity).

    Notes
    -----
    Pearson's statistic over the k x 2 table of successes and failures without continuity
    correction, on k - 1 degrees of freedom; the same as
    ``scipy.stats.chi2_contingency(table, correction=False)``. Arms with no trials are left out.

    Examples
    --------
    >>> res = chisquare_proportions([30, 45, 40], [100, 100, 100])
    >>> round(float(res.statistic), 3), float(res.df)
    (4.935, 2.0)
    """
    x = np.moveaxis(as_float_array(successes), axis, -1)
    n = np.moveaxis(np.broadcast_to(as_float_array(trials), np.shape(successes)), axis, -1)
    used = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = x.sum(axis=-1, keepdims=True) / n.sum(axis=-1, keepdims=True)
        exp_s, exp_f = n * pooled, n * (1.0 - pooled)
        terms = (x - exp_s) ** 2 / exp_s + ((n - x) - exp_f) ** 2 / exp_f
    statistic = np.where(used, np.nan_to_num(terms, nan=0.0, posinf=0.0), 0.0).sum(axis=-1)
    df = used.sum(axis=-1) - 1.0
    p_value = np.where(df > 0, stats.chi2.sf(statistic, np.maximum(df, 1.0)), np.nan)
    return ChiSquareResult(statistic, df, np.asarray(p_value, dtype=np.float64))
