"""Sequential monitoring: always-valid inference and group-sequential alpha spending.

Recruitment data arrive over months and people look every week. Two tools keep the error rate:

* the normal-mixture sequential probability ratio test (mSPRT) gives p-values and confidence
  sequences valid at every look whatever the stopping rule, for any asymptotically normal
  estimate (Johari, Koomen, Pekelis & Walsh 2022);
* Lan–DeMets alpha spending gives group-sequential boundaries for a planned number and timing of
  looks, computed by the recursive numerical integration of Armitage, McPherson & Rowe (1969).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from rekrut.stats._deprecation import unpack_deprecated
from rekrut.stats._lazy import lazy_module
from rekrut.stats._result import FloatArray, ResultMixin, as_float_array, check_confidence_level

if TYPE_CHECKING:
    from scipy import optimize, stats
else:
    optimize = lazy_module("scipy.optimize")
    stats = lazy_module("scipy.stats")

__all__ = [
    "ConfidenceSequence",
    "GroupSequentialDesign",
    "SequentialTest",
    "always_valid_pvalue",
    "confidence_sequence",
    "group_sequential_test",
    "sequential_sample_size",
    "spending_boundaries",
]

Spending = Literal["obf", "pocock", "linear"]


DEFAULT_HORIZON_LOOKS = 20
"""Without sample sizes, looks count as equal steps and the mixture is tuned for the 20th."""


def _ratio_at_horizon(alpha: float = 0.05) -> float:
    """The ratio τ²/V of mixture to estimate variance that makes the boundary narrowest.

    For a confidence sequence at level 1 - α this is approximately
    :math:`-2\\log\\alpha + \\log(1 - 2\\log\\alpha)` (Waudby-Smith et al. 2024, eq. 17;
    Howard et al. 2021, sec. 3.5); rekrut reaches it at the planned horizon.

    Examples
    --------
    >>> round(_ratio_at_horizon(0.05), 2)
    7.94
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    log_alpha = float(np.log(alpha))
    return -2.0 * log_alpha + float(np.log(1.0 - 2.0 * log_alpha))


def _mixture_terms(
    estimate: ArrayLike,
    variance: ArrayLike,
    mixture_variance: ArrayLike | None,
    sample_size: ArrayLike | None,
    horizon: float | None,
    alpha: float,
    axis: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    theta = np.moveaxis(as_float_array(estimate), axis, -1)
    v = np.moveaxis(as_float_array(variance), axis, -1)
    if mixture_variance is not None:
        if sample_size is not None or horizon is not None:
            raise ValueError("give either mixture_variance or sample_size and horizon, not both")
        tau2 = np.broadcast_to(as_float_array(mixture_variance), theta.shape[:-1])[..., None]
        if np.any(tau2 <= 0):
            raise ValueError("mixture_variance must be positive")
        return theta, v, tau2
    if sample_size is None:
        looks = theta.shape[-1]
        n = np.broadcast_to(np.arange(1.0, looks + 1.0), theta.shape)
        horizon = DEFAULT_HORIZON_LOOKS if horizon is None else horizon
    else:
        if horizon is None:
            raise ValueError("horizon (the sample size to tune for) is needed with sample_size")
        n = np.moveaxis(np.broadcast_to(as_float_array(sample_size), np.shape(estimate)), axis, -1)
    if not horizon > 0:
        raise ValueError(f"horizon must be positive, got {horizon!r}")
    # A standardised mixture: tau2 / V grows with the units seen, as a fixed mixture over the
    # per-unit effect does, and reaches the best ratio at the horizon. It uses only the look's
    # own data, so a look's p-value does not depend on later looks.
    ratio = _ratio_at_horizon(alpha) * np.where(n > 0, n, 0.0) / float(horizon)
    with np.errstate(invalid="ignore"):
        tau2 = ratio * v
    return theta, v, tau2


@dataclass(frozen=True, slots=True)
class ConfidenceSequence(ResultMixin):
    """Running intervals that cover θ at all looks at once (looks along the input's axis)."""

    ci_low: FloatArray
    ci_high: FloatArray

    def __iter__(self) -> Iterator[FloatArray]:
        # rekrut 0.1 returned the tuple (low, high)
        names = ("ci_low", "ci_high")
        return unpack_deprecated("confidence_sequence", names, (self.ci_low, self.ci_high))


def always_valid_pvalue(
    estimate: ArrayLike,
    variance: ArrayLike,
    *,
    mixture_variance: ArrayLike | None = None,
    sample_size: ArrayLike | None = None,
    horizon: float | None = None,
    alpha: float = 0.05,
    df: ArrayLike | None = None,
    axis: int = -1,
) -> FloatArray:
    """Always-valid p-values of H0: θ = 0 at successive looks (running minimum over looks).

    Parameters
    ----------
    estimate, variance
        The estimate (e.g. a difference of means) and its variance at each look, looks along
        ``axis``. Looks without data may carry NaN.
    mixture_variance
        A fixed variance τ² of the normal mixing distribution over effects, on the estimate's
        scale. Leave it out for the standardised mixture below (the default).
    sample_size, horizon
        Units seen by each look (e.g. postings of both arms; looks along ``axis``) and the
        number of units the test is tuned for. The mixture variance at look k is
        :math:`\\tau_k^2 = r^* V_k n_k / n^*`: a fixed mixture over the effect per unit,
        sharpest at the horizon :math:`n^*`, that needs nothing but the look's own data — so a
        look's p-value is the same whenever it is computed. Default: looks of equal size and a
        horizon of 20 looks.
    alpha
        The level the standardised mixture is tuned for (:math:`r^*`, see Notes); the p-values
        are valid at every level.
    df
        Degrees of freedom of the variance estimate at each look (looks along ``axis``). With
        them, :math:`\\hat\\theta_k/\\sqrt{V_k}` is referred to Student's t and mapped to the
        normal quantile of the same tail before the mixture, so that early looks with a few
        postings do not reject on a noisy variance. Default: normal (no correction).
    axis
        The look axis.

    Notes
    -----
    With :math:`V_k` the variance at look k, the mixture likelihood ratio is
    :math:`\\Lambda_k = \\sqrt{V_k/(V_k+\\tau^2)}\\, \\exp\\{\\tau^2 \\hat\\theta_k^2 /
    (2 V_k (V_k+\\tau^2))\\}` and :math:`p_k = \\min(1, \\min_{j \\le k} 1/\\Lambda_j)`. For a
    Gaussian estimate with independent increments, :math:`\\Lambda` is a martingale under H0,
    so by Ville's inequality :math:`P(\\exists k: p_k \\le \\alpha) \\le \\alpha` [1]_; for
    estimates that are asymptotically normal it holds approximately. The standardised mixture
    uses :math:`r^* = -2\\log\\alpha + \\log(1 - 2\\log\\alpha)`, the ratio
    :math:`\\tau^2/V` that makes the confidence sequence narrowest (Waudby-Smith et al. 2024),
    reached at the horizon; with a variance proportional to 1/n it is the mixture martingale
    of the standardised sum in the time of units [2]_.

    References
    ----------
    .. [1] Johari, R., Koomen, P., Pekelis, L., Walsh, D. (2022). Always valid inference:
       continuous monitoring of A/B tests. Operations Research 70(3), 1806-1821.
       https://doi.org/10.1287/opre.2021.2135
    .. [2] Howard, S. R., Ramdas, A., McAuliffe, J., Sekhon, J. (2021). Time-uniform,
       nonparametric, nonasymptotic confidence sequences. Annals of Statistics 49(2),
       1055-1080. https://doi.org/10.1214/20-AOS1991

    Examples
    --------
    >>> p = always_valid_pvalue([0.5, 0.3, 0.35], [0.09, 0.04, 0.02],
    ...                         sample_size=[20, 45, 90], horizon=100)
    >>> [round(float(v), 3) for v in p]
    [0.686, 0.686, 0.194]
    """
    theta, v, tau2 = _mixture_terms(
        estimate, variance, mixture_variance, sample_size, horizon, alpha, axis
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        z2 = theta**2 / v
        if df is not None:
            dof = np.moveaxis(np.broadcast_to(as_float_array(df), np.shape(estimate)), axis, -1)
            z2 = np.where(dof > 0, stats.norm.isf(stats.t.sf(np.sqrt(z2), dof)) ** 2, np.nan)
        ratio = tau2 / v
        log_lr = -0.5 * np.log1p(ratio) + ratio * z2 / (2.0 * (1.0 + ratio))
    p = np.minimum(1.0, np.exp(-np.where(np.isnan(log_lr), -np.inf, log_lr)))
    running = np.minimum.accumulate(p, axis=-1)
    return np.moveaxis(running, -1, axis)


def confidence_sequence(
    estimate: ArrayLike,
    variance: ArrayLike,
    *,
    confidence_level: float = 0.95,
    mixture_variance: ArrayLike | None = None,
    sample_size: ArrayLike | None = None,
    horizon: float | None = None,
    df: ArrayLike | None = None,
    axis: int = -1,
) -> ConfidenceSequence:
    """A confidence sequence for θ: intervals that hold at all looks at once.

    Parameters
    ----------
    estimate, variance : array_like
        The estimate of θ and its variance at each look; looks along ``axis``.
    confidence_level : float
        Probability that every interval of the sequence covers θ at once.
    mixture_variance : array_like, optional
        A fixed variance τ² of the normal mixture; as in :func:`always_valid_pvalue`.
    sample_size, horizon : array_like, float, optional
        The standardised mixture of :func:`always_valid_pvalue`, tuned for
        α = 1 - ``confidence_level`` (the default: equal looks, horizon 20 looks).
    df : array_like, optional
        Degrees of freedom of the variance at each look: the normal boundary is mapped to the
        t quantile of the same tail, as in :func:`always_valid_pvalue`.
    axis : int
        The look axis.

    Returns
    -------
    ConfidenceSequence
        ``ci_low`` and ``ci_high`` at each look, of the shape of the inputs.

    Returns the running intersection of :math:`\\hat\\theta_k \\pm r_k` with
    :math:`r_k = \\sqrt{V_k (V_k + \\tau^2)/\\tau^2 \\; [\\log((V_k+\\tau^2)/V_k) +
    2\\log(1/\\alpha)]}`, the inversion of the mixture SPRT of :func:`always_valid_pvalue`, so
    :math:`P(\\theta \\in CS_k \\text{ for all } k) \\ge 1 - \\alpha` [1]_.

    References
    ----------
    .. [1] Howard, S. R., Ramdas, A., McAuliffe, J., Sekhon, J. (2021). Time-uniform,
       nonparametric, nonasymptotic confidence sequences. Annals of Statistics 49(2),
       1055-1080. https://doi.org/10.1214/20-AOS1991

    Examples
    --------
    >>> res = confidence_sequence([0.5, 0.3, 0.35], [0.09, 0.04, 0.02],
    ...                           sample_size=[20, 45, 90], horizon=100)
    >>> [round(float(v), 2) for v in res.ci_high]
    [1.51, 0.92, 0.78]
    """
    check_confidence_level(confidence_level)
    alpha = 1.0 - confidence_level
    theta, v, tau2 = _mixture_terms(
        estimate, variance, mixture_variance, sample_size, horizon, alpha, axis
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = tau2 / v
        boundary = np.sqrt((1.0 + ratio) / ratio * (np.log1p(ratio) + 2.0 * np.log(1.0 / alpha)))
        if df is not None:
            dof = np.moveaxis(np.broadcast_to(as_float_array(df), np.shape(estimate)), axis, -1)
            boundary = np.where(dof > 0, stats.t.isf(stats.norm.sf(boundary), dof), np.nan)
        radius = boundary * np.sqrt(v)
    low = np.where(np.isfinite(radius), theta - radius, -np.inf)
    high = np.where(np.isfinite(radius), theta + radius, np.inf)
    # undefined looks (NaN) say nothing: they neither narrow nor end the running intersection
    low = np.maximum.accumulate(np.where(np.isnan(low), -np.inf, low), axis=-1)
    high = np.minimum.accumulate(np.where(np.isnan(high), np.inf, high), axis=-1)
    return ConfidenceSequence(np.moveaxis(low, -1, axis), np.moveaxis(high, -1, axis))


def _spent(t: FloatArray, alpha: float, spending: Spending) -> FloatArray:
    """Cumulative two-sided alpha spent by information fraction t (Lan & DeMets 1983).

    Each side spends the one-sided function at alpha / 2, as ldbounds and gsDesign do for
    symmetric two-sided designs; for the O'Brien–Fleming type that is
    ``2 (2 - 2 Phi(z_{1 - alpha/4} / sqrt(t)))`` in total.
    """
    t = np.clip(t, 0.0, 1.0)
    if spending == "obf":
        with np.errstate(divide="ignore"):
            one_side = 2.0 - 2.0 * stats.norm.cdf(stats.norm.isf(alpha / 4.0) / np.sqrt(t))
        return np.where(t > 0, 2.0 * one_side, 0.0)
    if spending == "pocock":
        return alpha * np.log(1.0 + (np.e - 1.0) * t)
    if spending == "linear":
        return alpha * t
    raise ValueError(f"spending must be 'obf', 'pocock' or 'linear', got {spending!r}")


_GRID = 401  # points per look for the numerical integration (Simpson's rule)


def _simpson_weights(n: int, width: float) -> FloatArray:
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return w * width / 3.0


@dataclass(frozen=True, slots=True)
class _Density:
    """Sub-density of the score S = Z sqrt(t) on the continuation region, on a grid."""

    points: FloatArray
    values: FloatArray
    weights: FloatArray


def _first_density(t: float, bound: float, drift: float = 0.0) -> _Density:
    edge = bound * np.sqrt(t)
    points = np.linspace(-edge, edge, _GRID)
    values = stats.norm.pdf(points, loc=drift * t, scale=np.sqrt(t))
    return _Density(points, values, _simpson_weights(_GRID, points[1] - points[0]))


def _cross_probability(
    density: _Density | None, t_prev: float, t: float, bound: float, drift: float
) -> float:
    """P(continue to the previous look, then |Z_t| >= bound), with drift θ·t on the score."""
    edge = bound * np.sqrt(t)
    if density is None:
        sd = np.sqrt(t)
        return float(
            stats.norm.sf(edge, loc=drift * t, scale=sd)
            + stats.norm.cdf(-edge, loc=drift * t, scale=sd)
        )
    sd = np.sqrt(t - t_prev)
    mean = density.points + drift * (t - t_prev)
    tail = stats.norm.sf(edge, loc=mean, scale=sd) + stats.norm.cdf(-edge, loc=mean, scale=sd)
    return float(np.sum(density.weights * density.values * tail))


def _next_density(
    density: _Density, t_prev: float, t: float, bound: float, drift: float
) -> _Density:
    edge = bound * np.sqrt(t)
    points = np.linspace(-edge, edge, _GRID)
    sd = np.sqrt(t - t_prev)
    shift = points[:, None] - density.points[None, :] - drift * (t - t_prev)
    kernel = stats.norm.pdf(shift, scale=sd)
    values = kernel @ (density.weights * density.values)
    return _Density(points, values, _simpson_weights(_GRID, points[1] - points[0]))


def _densities(times: FloatArray, bounds: FloatArray, drift: float) -> tuple[list[float], float]:
    """Crossing probability at each look and the probability of reaching the end."""
    crossing: list[float] = []
    density: _Density | None = None
    t_prev = 0.0
    for t, bound in zip(times, bounds, strict=True):
        crossing.append(_cross_probability(density, t_prev, float(t), float(bound), drift))
        density = (
            _first_density(float(t), float(bound), drift)
            if density is None
            else _next_density(density, t_prev, float(t), float(bound), drift)
        )
        t_prev = float(t)
    return crossing, 1.0 - sum(crossing)


@dataclass(frozen=True, slots=True)
class GroupSequentialDesign(ResultMixin):
    """Two-sided group-sequential boundaries on the z scale at the given information fractions."""

    information_fractions: FloatArray
    boundaries: FloatArray
    alpha_spent: FloatArray
    alpha: float
    spending: str


def spending_boundaries(
    information_fractions: ArrayLike,
    *,
    alpha: float = 0.05,
    spending: Spending = "obf",
) -> GroupSequentialDesign:
    """Two-sided Lan–DeMets boundaries for looks at the given information fractions.

    Parameters
    ----------
    information_fractions
        Increasing fractions of the planned maximum information (e.g. postings so far / planned
        postings), the last at most 1. Unequal spacing and up to about 50 looks are fine.
    alpha
        Overall two-sided significance level.
    spending
        ``"obf"`` (O'Brien–Fleming-type, :math:`2 - 2\\Phi(z_{\\alpha/2}/\\sqrt t)`),
        ``"pocock"`` (Pocock-type, :math:`\\alpha \\log(1 + (e-1)t)`) or ``"linear"``.

    Notes
    -----
    Boundary k solves :math:`P(|Z_j| < c_j, j < k;\\ |Z_k| \\ge c_k) = \\alpha(t_k) -
    \\alpha(t_{k-1})` under H0, where the score :math:`S_k = Z_k \\sqrt{t_k}` is Brownian motion
    in information time. The probability is computed by integrating the sub-density of
    :math:`S` over the continuation region look by look (Armitage, McPherson & Rowe 1969;
    Jennison & Turnbull 2000, ch. 19), with Simpson's rule on a grid.

    Examples
    --------
    >>> design = spending_boundaries([0.2, 0.4, 0.6, 0.8, 1.0])
    >>> [round(float(b), 3) for b in design.boundaries]
    [4.877, 3.357, 2.68, 2.29, 2.031]
    """
    times = as_float_array(information_fractions).ravel()
    if times.size == 0 or np.any(np.diff(times) <= 0) or times[0] <= 0 or times[-1] > 1.0 + 1e-12:
        raise ValueError("information_fractions must increase within (0, 1]")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    spent = _spent(times, alpha, spending)
    increments = np.diff(np.r_[0.0, spent])
    bounds: list[float] = []
    density: _Density | None = None
    t_prev = 0.0
    for t, target in zip(times, increments, strict=True):
        bound = 40.0 if target <= 1e-15 else _solve_bound(density, t_prev, float(t), float(target))
        bounds.append(bound)
        density = (
            _first_density(float(t), bound)
            if density is None
            else _next_density(density, t_prev, float(t), bound, 0.0)
        )
        t_prev = float(t)
    return GroupSequentialDesign(times, np.array(bounds), spent, alpha, spending)


def _solve_bound(density: _Density | None, t_prev: float, t: float, target: float) -> float:
    """The |z| boundary at information t that spends exactly ``target`` more alpha."""

    def gap(c: float) -> float:
        return _cross_probability(density, t_prev, t, c, 0.0) - target

    return float(optimize.brentq(gap, 0.0, 40.0, xtol=1e-10))


@dataclass(frozen=True, slots=True)
class SequentialTest(ResultMixin):
    """The group-sequential decision at the latest look."""

    boundaries: FloatArray
    crossed: FloatArray
    stop: bool
    stopped_at: int | None
    recommendation: str


def group_sequential_test(
    z_statistics: ArrayLike,
    information_fractions: ArrayLike,
    *,
    alpha: float = 0.05,
    spending: Spending = "obf",
) -> SequentialTest:
    """Compare the z statistics observed so far with boundaries for the looks actually taken.

    The boundaries are recomputed for the information fractions actually reached, as the
    spending-function approach allows. ``recommendation`` is ``"stop: difference"`` when a
    boundary is crossed, ``"stop: no difference"`` at the final look (fraction 1) without a
    crossing, else ``"continue"``.

    Examples
    --------
    >>> res = group_sequential_test([1.2, 2.9, 3.1], [0.25, 0.5, 0.75])
    >>> res.stop, res.stopped_at, res.recommendation
    (True, 3, 'stop: difference')
    """
    z = np.abs(as_float_array(z_statistics).ravel())
    design = spending_boundaries(information_fractions, alpha=alpha, spending=spending)
    crossed = z >= design.boundaries
    if crossed.any():
        first = int(np.argmax(crossed))
        return SequentialTest(
            design.boundaries, crossed.astype(float), True, first + 1, "stop: difference"
        )
    final = bool(np.isclose(design.information_fractions[-1], 1.0))
    return SequentialTest(
        design.boundaries,
        crossed.astype(float),
        final,
        None,
        "stop: no difference" if final else "continue",
    )


@dataclass(frozen=True, slots=True)
class SequentialSampleSize(ResultMixin):
    """Maximum and expected information of a group-sequential design relative to a fixed one."""

    inflation_factor: FloatArray
    expected_under_h0: FloatArray
    expected_under_h1: FloatArray
    power: float
    design: GroupSequentialDesign


def sequential_sample_size(
    information_fractions: ArrayLike,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    spending: Spending = "obf",
) -> SequentialSampleSize:
    """How much larger a sequential design must be, and how large it is on average.

    Returns the inflation factor R (maximum sample size / fixed-design sample size for the same
    power) and the expected sample size under H0 and under the alternative, as fractions of the
    fixed design (Jennison & Turnbull 2000, ch. 2 and 7).

    Examples
    --------
    >>> res = sequential_sample_size([0.2, 0.4, 0.6, 0.8, 1.0])
    >>> round(float(res.inflation_factor), 3)
    1.025
    """
    design = spending_boundaries(information_fractions, alpha=alpha, spending=spending)
    times, bounds = design.information_fractions, design.boundaries
    fixed_drift = stats.norm.isf(alpha / 2.0) + stats.norm.isf(1.0 - power)

    def power_at(drift: float) -> float:
        crossing, _ = _densities(times, bounds, drift)
        return sum(crossing)

    drift = float(
        optimize.brentq(
            lambda d: power_at(d) - power, fixed_drift * 0.5, fixed_drift * 2.0, xtol=1e-8
        )
    )
    inflation = float((drift / fixed_drift) ** 2)

    def expected(d: float) -> float:
        crossing, rest = _densities(times, bounds, d)
        return float(np.dot(crossing, times) + rest * times[-1]) * inflation

    return SequentialSampleSize(
        np.float64(inflation) * np.ones(()),
        np.float64(expected(0.0)) * np.ones(()),
        np.float64(expected(drift)) * np.ones(()),
        power,
        design,
    )
