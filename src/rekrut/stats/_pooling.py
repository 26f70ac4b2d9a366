"""Empirical Bayes partial pooling of rates across groups.

Groups (job categories, municipalities) share a Beta or Gamma prior whose hyperparameters are
estimated by maximising the marginal likelihood of all groups; each group's posterior then
lies between its own raw rate and the common mean, closer to the mean the less data it has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from rekrut.stats._lazy import lazy_module
from rekrut.stats._result import FloatArray, MethodCode, ResultMixin, as_float_array

if TYPE_CHECKING:
    from scipy import optimize, special, stats
else:
    optimize = lazy_module("scipy.optimize")
    special = lazy_module("scipy.special")
    stats = lazy_module("scipy.stats")

__all__ = ["PooledEstimate", "pool_beta_binomial", "pool_gamma_poisson"]

# Floor on Beta α, β and on the Gamma shape: the common prior is never more concentrated at
# the edge of the parameter space than Jeffreys' prior, so a group with no successes keeps an
# honest, wide interval instead of collapsing onto zero.
_MIN_SHAPE = 0.5

Objective = Callable[[FloatArray], tuple[float, FloatArray]]
Hessian = Callable[[FloatArray], FloatArray]
Constraint = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PooledEstimate(ResultMixin):
    """Partially pooled rates, one entry per group.

    ``raw`` is the group's own rate (NaN where it has no trials or exposure), ``mean`` the
    posterior mean under the fitted common prior, ``ci_low``/``ci_high`` an equal-tailed credible
    interval, ``shrinkage`` the weight of the common prior mean in ``mean`` (0 = own data only,
    1 = prior only). ``prior_a``, ``prior_b`` are the fitted hyperparameters (0-d arrays): Beta
    α, β or Gamma shape, rate.
    """

    raw: FloatArray
    mean: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    shrinkage: FloatArray
    prior_a: FloatArray
    prior_b: FloatArray
    method: MethodCode


def _check_level(credible_level: float) -> None:
    if not 0.0 < credible_level < 1.0:
        msg = f"credible_level must be between 0 and 1 (exclusive), got {credible_level!r}"
        raise ValueError(msg)


def _check_groups(name: str, value: ArrayLike) -> FloatArray:
    arr = as_float_array(value)
    if arr.ndim != 1 or arr.size == 0:
        msg = f"{name} must be a non-empty 1-d array of groups, got shape {arr.shape}"
        raise ValueError(msg)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        msg = f"{name} must be finite and non-negative, got {arr.tolist()!r}"
        raise ValueError(msg)
    return arr


def _check_pair(
    name_x: str, x: ArrayLike, name_n: str, n: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    xa, na = _check_groups(name_x, x), _check_groups(name_n, n)
    if xa.shape != na.shape:
        msg = f"{name_x} and {name_n} must have the same shape, got {xa.shape} and {na.shape}"
        raise ValueError(msg)
    if na.sum() <= 0:
        msg = f"{name_n} must have a positive total: with none there is nothing to pool"
        raise ValueError(msg)
    return xa, na


def _fit(
    objective: Objective,
    starts: list[FloatArray],
    bounds: list[tuple[float | None, float | None]],
    constraints: list[Constraint],
    on_boundary: Callable[[], FloatArray | None] | None = None,
    hessian: Hessian | None = None,
) -> FloatArray:
    """Minimise over (log a, log b); return the best feasible optimum found.

    In order, the first answer that passes its check is returned:

    1. damped Newton steps from the first start (with the ``hessian``): an interior optimum,
       the usual case, in a few steps, accepted when the gradient vanishes;
    2. ``on_boundary``: under complete pooling the optimum lies on the prior-size limit, a
       one-dimensional problem, accepted when the point meets the Karush-Kuhn-Tucker conditions;
    3. L-BFGS-B on the box bounds from the first start, accepted when stationary and inside the
       other constraints;
    4. SLSQP with every constraint from every start.

    Against SLSQP from every start alone, on 1,200 random problems including complete pooling
    and all-zero groups, the log-likelihood reached was never lower by more than 1e-7.
    """
    if hessian is not None:
        found = _newton(objective, hessian, starts[0], bounds, constraints)
        if found is not None:
            return found
    if on_boundary is not None and (point := on_boundary()) is not None:
        return point
    best = _best(objective, starts[:1], bounds, [], "L-BFGS-B")
    if _stationary(objective, best, bounds) and all(
        np.all(c["fun"](best) >= -1e-9) for c in constraints
    ):
        return best
    return _best(objective, starts, bounds, constraints, "SLSQP")


def _newton(
    objective: Objective,
    hessian: Hessian,
    start: FloatArray,
    bounds: list[tuple[float | None, float | None]],
    constraints: list[Constraint],
    max_steps: int = 30,
) -> FloatArray | None:
    """Damped Newton iterations for an interior optimum; None when they do not reach one.

    Each step solves with the Hessian (shifted to be positive definite where it is not) and is
    halved, at most five times, until it lowers the objective and stays inside the bounds and
    constraints. The point
    is returned only when the gradient vanishes to 1e-9 relative to the objective, so anything
    else (an optimum on a bound, a step that cannot make progress) is left to the other solvers.
    """
    lows = np.array([-np.inf if lo is None else lo for lo, _ in bounds])
    highs = np.array([np.inf if hi is None else hi for _, hi in bounds])

    def feasible(z: FloatArray) -> bool:
        return bool(
            np.all(z > lows)
            and np.all(z < highs)
            and all(np.all(c["fun"](z) > 0) for c in constraints)
        )

    z = np.asarray(start, dtype=np.float64)
    if not feasible(z):
        return None
    value, grad = objective(z)
    for _ in range(max_steps):
        if np.all(np.abs(grad) <= 1e-9 * (1.0 + abs(value))):
            return z
        h = hessian(z)
        smallest = float(np.linalg.eigvalsh(h)[0])
        if not np.isfinite(smallest):
            return None
        if smallest <= 1e-12 * (1.0 + float(np.abs(h).max())):
            h = h + (abs(smallest) + 1e-6 * (1.0 + float(np.abs(h).max()))) * np.eye(2)
        step = -np.linalg.solve(h, grad)
        # a step that must be cut to a few percent is heading for a bound: not interior
        for _ in range(6):
            trial = z + step
            if feasible(trial):
                trial_value, trial_grad = objective(trial)
                if np.isfinite(trial_value) and trial_value <= value + 1e-4 * float(grad @ step):
                    break
            step = step / 2.0
        else:
            return None
        z, value, grad = trial, trial_value, trial_grad
    return None


def _stationary(
    objective: Objective, z: FloatArray, bounds: list[tuple[float | None, float | None]]
) -> bool:
    """Whether the gradient vanishes at ``z`` except where it pushes against a box bound.

    L-BFGS-B may stop early on the flat ridges of near-complete pooling; such a point is
    handed on to the constrained solvers rather than returned.
    """
    value, grad = objective(z)
    free = np.ones(z.shape, dtype=bool)
    for i, (lo, hi) in enumerate(bounds):
        at_lo = lo is not None and z[i] <= lo + 1e-9 and grad[i] > 0
        at_hi = hi is not None and z[i] >= hi - 1e-9 and grad[i] < 0
        free[i] = not (at_lo or at_hi)
    return bool(np.all(np.abs(grad[free]) <= 1e-7 * (1.0 + abs(value))))


def _best(
    objective: Objective,
    starts: list[FloatArray],
    bounds: list[tuple[float | None, float | None]],
    constraints: list[Constraint],
    method: str,
) -> FloatArray:
    best: FloatArray | None = None
    best_value = np.inf
    for start in starts:
        options: dict[str, float] = (
            {"maxiter": 500, "ftol": 1e-12}
            if method == "SLSQP"
            else {"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-10}
        )
        res = optimize.minimize(
            objective, start, jac=True, method=method, bounds=bounds, constraints=constraints,
            options=options,
        )  # fmt: skip
        if np.isfinite(res.fun) and res.fun < best_value:
            best, best_value = np.asarray(res.x, dtype=np.float64), float(res.fun)
    assert best is not None  # the starts are feasible and the objective finite there
    return best


def _beta_binomial_objective(k: FloatArray, n: FloatArray) -> Objective:
    def negloglik(z: FloatArray) -> tuple[float, FloatArray]:
        a, b = np.exp(z)
        ll = special.betaln(a + k, b + n - k) - special.betaln(a, b)
        common = special.digamma(a + b) - special.digamma(a + b + n)
        grad_a = (special.digamma(a + k) - special.digamma(a) + common).sum() * a
        grad_b = (special.digamma(b + n - k) - special.digamma(b) + common).sum() * b
        return -float(ll.sum()), -np.array([grad_a, grad_b])

    return negloglik


def _trigamma(x: FloatArray) -> FloatArray:
    return np.asarray(special.zeta(2.0, x), dtype=np.float64)


def _beta_binomial_hessian(k: FloatArray, n: FloatArray) -> Hessian:
    """Hessian of the negative log marginal likelihood in (log α, log β)."""

    def hessian(z: FloatArray) -> FloatArray:
        a, b = np.exp(z)
        common = special.digamma(a + b) - special.digamma(a + b + n)
        grad_a = (special.digamma(a + k) - special.digamma(a) + common).sum()
        grad_b = (special.digamma(b + n - k) - special.digamma(b) + common).sum()
        cross = (_trigamma(a + b) - _trigamma(a + b + n)).sum()
        aa = (_trigamma(a + k) - _trigamma(a)).sum() + cross
        bb = (_trigamma(b + n - k) - _trigamma(b)).sum() + cross
        return -np.array(
            [[aa * a * a + grad_a * a, cross * a * b], [cross * a * b, bb * b * b + grad_b * b]]
        )

    return hessian


def _beta_start(mean: float, size: float, cap: float) -> FloatArray:
    """A feasible (log α, log β) near the given prior mean and size α + β."""
    mean = float(np.clip(mean, _MIN_SHAPE / cap, 1.0 - _MIN_SHAPE / cap))
    size = float(np.clip(size, _MIN_SHAPE / min(mean, 1.0 - mean), cap))
    return np.log([mean * size, (1.0 - mean) * size])


def _gamma_start(mean: float, shape: float, max_mean: float, cap: float) -> FloatArray:
    """A feasible (log a, log b) near the given prior mean and shape."""
    mean = float(np.clip(mean, _MIN_SHAPE / cap, max_mean))
    shape = float(np.clip(shape, _MIN_SHAPE, mean * cap))
    return np.log([shape, shape / mean])


def pool_beta_binomial(
    successes: ArrayLike, trials: ArrayLike, *, credible_level: float = 0.95
) -> PooledEstimate:
    """Shrink per-group proportions towards a common Beta prior fitted to all groups.

    Parameters
    ----------
    successes, trials : array_like, 1-d
        Successes and trials per group. Groups with zero trials get the prior.
    credible_level : float
        Mass of the equal-tailed credible interval.

    Returns
    -------
    PooledEstimate
        ``prior_a``, ``prior_b`` are the Beta α and β.

    Notes
    -----
    Model: :math:`k_i \\mid p_i \\sim \\mathrm{Bin}(n_i, p_i)`,
    :math:`p_i \\sim \\mathrm{Beta}(\\alpha, \\beta)`. The marginal of :math:`k_i` is
    beta-binomial; :math:`(\\alpha, \\beta)` maximise
    :math:`\\sum_i \\log B(\\alpha + k_i, \\beta + n_i - k_i) - \\log B(\\alpha, \\beta)` [1]_.
    Each group's posterior is :math:`\\mathrm{Beta}(\\alpha + k_i, \\beta + n_i - k_i)` with mean
    :math:`w_i \\mu + (1 - w_i) k_i / n_i`, :math:`\\mu = \\alpha / (\\alpha + \\beta)`,
    shrinkage :math:`w_i = (\\alpha + \\beta) / (\\alpha + \\beta + n_i)`.

    The maximisation is bounded: :math:`\\alpha, \\beta \\ge 1/2` (never more concentrated at 0
    or 1 than Jeffreys' prior, so all-zero data give a wide answer, not a point at zero) and
    :math:`\\alpha + \\beta \\le N - \\max_i n_i + 1` with :math:`N = \\sum_i n_i`: the prior is
    worth at most the trials of the other groups. The bound is reached under complete pooling
    (groups differing no more than chance allows), where it keeps intervals about as wide as
    the pooled data allow; a single group gets Jeffreys' Beta(1/2, 1/2). The hyperparameters
    are plugged in (empirical Bayes), so intervals ignore their uncertainty and are too narrow
    with few groups [2]_: in simulation about 84% coverage for a nominal 95% with 10 groups,
    91% with 30, 94% with 98.

    References
    ----------
    .. [1] Efron, B. and Morris, C. (1975). Data analysis using Stein's estimator and its
       generalizations. JASA 70(350), 311-319. https://doi.org/10.1080/01621459.1975.10479864
    .. [2] Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., section 5.3.
       https://doi.org/10.1201/b16018

    Examples
    --------
    >>> from rekrut.stats._pooling import pool_beta_binomial
    >>> res = pool_beta_binomial([2, 30, 12, 45], [10, 100, 40, 150])
    >>> bool(res.shrinkage[0] > res.shrinkage[3])
    True
    >>> [round(float(m), 2) for m in res.mean]
    [0.29, 0.3, 0.3, 0.3]
    """
    _check_level(credible_level)
    k, n = _check_pair("successes", successes, "trials", trials)
    if np.any(k > n):
        msg = f"successes must not exceed trials, got {k.tolist()!r} and {n.tolist()!r}"
        raise ValueError(msg)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(n > 0, k / n, np.nan)
    # The prior may be worth at most the trials of all groups but the largest, plus one: under
    # complete pooling a group's interval is then about as wide as the pooled data allow, and a
    # single group gets Jeffreys' prior Beta(1/2, 1/2).
    cap = float(n.sum() - n.max()) + 1.0
    pooled = float(k.sum() / n.sum())
    seen = raw[n > 0]
    spread = float(np.var(seen)) if seen.size > 1 else 0.0
    moments = pooled * (1.0 - pooled) / spread - 1.0 if spread > 0 else cap
    starts = [_beta_start(pooled, moments, cap), _beta_start(pooled, 2.0, cap)]
    size_limit: Constraint = {
        "type": "ineq",
        "fun": lambda z: cap - np.exp(z).sum(),
        "jac": lambda z: -np.exp(z),
    }
    floor, ceiling = float(np.log(_MIN_SHAPE)), float(np.log(cap))
    bounds: list[tuple[float | None, float | None]] = [(floor, ceiling), (floor, ceiling)]
    objective = _beta_binomial_objective(k, n)

    def on_size_limit() -> FloatArray | None:
        # Under (near) complete pooling the likelihood still rises with the prior size at the
        # limit α + β = cap; the best prior mean there is a one-dimensional problem, and the
        # point is optimal when moving inwards would lower the likelihood (KKT).
        lo, hi = _MIN_SHAPE / cap, 1.0 - _MIN_SHAPE / cap
        if not lo < hi:
            return None

        def on_limit(mean: float) -> FloatArray:
            return np.log([mean * cap, (1.0 - mean) * cap])

        res = optimize.minimize_scalar(
            lambda m: objective(on_limit(m))[0], bounds=(lo, hi), method="bounded",
            options={"xatol": 1e-12},
        )  # fmt: skip
        mean = float(res.x)
        if not lo + 1e-9 < mean < hi - 1e-9:
            return None
        z = on_limit(mean)
        slope = objective(z)[1] / np.exp(z)  # d(-log L)/dα, d(-log L)/dβ
        return z if slope.sum() <= 0 else None

    z = _fit(objective, starts, bounds, [size_limit], on_size_limit, _beta_binomial_hessian(k, n))
    a, b = np.exp(z)
    post_a, post_b = a + k, b + n - k
    tail = (1.0 - credible_level) / 2
    return PooledEstimate(
        raw=raw,
        mean=post_a / (post_a + post_b),
        ci_low=stats.beta.ppf(tail, post_a, post_b),
        ci_high=stats.beta.isf(tail, post_a, post_b),
        shrinkage=(a + b) / (a + b + n),
        prior_a=np.asarray(a, dtype=np.float64),
        prior_b=np.asarray(b, dtype=np.float64),
        method="eb_beta_binomial",
    )


def _gamma_poisson_objective(y: FloatArray, e: FloatArray) -> Objective:
    def negloglik(z: FloatArray) -> tuple[float, FloatArray]:
        a, b = np.exp(z)
        # log NB marginal without the constant -log y!: Γ(a+y)/Γ(a) (b/(b+e))^a (e/(b+e))^y
        log_share = np.log(b) - np.log(b + e)
        ll = special.gammaln(a + y) - special.gammaln(a) + a * log_share
        ll = ll + special.xlogy(y, e) - special.xlogy(y, b + e)
        grad_a = (special.digamma(a + y) - special.digamma(a) + log_share).sum() * a
        grad_b = (a / b - (a + y) / (b + e)).sum() * b
        return -float(ll.sum()), -np.array([grad_a, grad_b])

    return negloglik


def _gamma_poisson_hessian(y: FloatArray, e: FloatArray) -> Hessian:
    """Hessian of the negative log marginal likelihood in (log a, log b)."""

    def hessian(z: FloatArray) -> FloatArray:
        a, b = np.exp(z)
        grad_a = (special.digamma(a + y) - special.digamma(a) + np.log(b) - np.log(b + e)).sum()
        grad_b = (a / b - (a + y) / (b + e)).sum()
        aa = (_trigamma(a + y) - _trigamma(a)).sum()
        bb = (-a / b**2 + (a + y) / (b + e) ** 2).sum()
        ab = (1.0 / b - 1.0 / (b + e)).sum()
        return -np.array(
            [[aa * a * a + grad_a * a, ab * a * b], [ab * a * b, bb * b * b + grad_b * b]]
        )

    return hessian


def pool_gamma_poisson(
    counts: ArrayLike, exposure: ArrayLike, *, credible_level: float = 0.95
) -> PooledEstimate:
    """Shrink per-group count rates towards a common Gamma prior fitted to all groups.

    Parameters
    ----------
    counts, exposure : array_like, 1-d
        Event counts and exposure (e.g. units observed) per group. Groups with zero exposure
        get the prior.
    credible_level : float
        Mass of the equal-tailed credible interval.

    Returns
    -------
    PooledEstimate
        ``prior_a``, ``prior_b`` are the Gamma shape and rate (rate in units of exposure).

    Notes
    -----
    Model: :math:`y_i \\mid \\lambda_i \\sim \\mathrm{Poisson}(\\lambda_i e_i)`,
    :math:`\\lambda_i \\sim \\mathrm{Gamma}(a, b)`. The marginal of :math:`y_i` is negative
    binomial with size :math:`a` and success probability :math:`b / (b + e_i)`; :math:`(a, b)`
    maximise its log-likelihood [1]_. Each posterior is :math:`\\mathrm{Gamma}(a + y_i, b + e_i)`
    with mean :math:`w_i a/b + (1 - w_i) y_i / e_i`, shrinkage :math:`w_i = b / (b + e_i)`.

    Bounds as for :func:`pool_beta_binomial`: shape :math:`a \\ge 1/2` and prior exposure
    :math:`b \\le E - \\max_i e_i` (the exposure of the other groups; a sliver for one group).
    Counts are assumed Poisson given the group rate: heterogeneity within a group (e.g. between
    single postings) is not modelled here, only between groups. Hyperparameter uncertainty is
    ignored (empirical Bayes).

    References
    ----------
    .. [1] Clayton, D. and Kaldor, J. (1987). Empirical Bayes estimates of age-standardized
       relative risks for use in disease mapping. Biometrics 43(3), 671-681.
       https://doi.org/10.2307/2531803

    Examples
    --------
    >>> from rekrut.stats._pooling import pool_gamma_poisson
    >>> res = pool_gamma_poisson([3, 120, 40, 75], [1, 20, 10, 15])
    >>> bool(res.shrinkage[0] > res.shrinkage[1])
    True
    >>> bool(res.ci_low[0] < res.mean[0] < res.ci_high[0])
    True
    """
    _check_level(credible_level)
    y, e = _check_pair("counts", counts, "exposure", exposure)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(e > 0, y / e, np.nan)
    positive = e[e > 0]
    # The prior rate b is prior exposure: at most the exposure of all groups but the largest
    # (a sliver of the smallest group if there is one group, giving Jeffreys-like Gamma(1/2, ~0)).
    cap = max(float(e.sum() - e.max()), 1e-3 * float(positive.min()))
    max_mean = 1e6 * (float(y.sum()) + 1.0) / float(positive.min())
    pooled = float(max(y.sum(), _MIN_SHAPE) / e.sum())
    seen = raw[e > 0]
    extra = float(np.var(seen)) - pooled * float(np.mean(1.0 / positive)) if seen.size > 1 else 0.0
    moments = pooled**2 / extra if extra > 0 else pooled * cap
    starts = [
        _gamma_start(pooled, moments, max_mean, cap),
        _gamma_start(pooled, 1.0, max_mean, cap),
    ]
    mean_limit: Constraint = {
        "type": "ineq",
        "fun": lambda z: np.log(max_mean) - (z[0] - z[1]),
        "jac": lambda z: np.array([-1.0, 1.0]),
    }
    bounds: list[tuple[float | None, float | None]] = [
        (float(np.log(_MIN_SHAPE)), float(np.log(max_mean * cap))),
        (float(np.log(_MIN_SHAPE / max_mean)), float(np.log(cap))),
    ]
    objective = _gamma_poisson_objective(y, e)

    def on_rate_limit() -> FloatArray | None:
        # Complete pooling: the likelihood still rises with the prior exposure b at its limit;
        # the best shape there is one-dimensional, optimal when b pushes outwards (KKT).
        lo, hi = float(np.log(_MIN_SHAPE)), float(np.log(max_mean * cap))
        log_b = float(np.log(cap))
        res = optimize.minimize_scalar(
            lambda log_a: objective(np.array([log_a, log_b]))[0], bounds=(lo, hi),
            method="bounded", options={"xatol": 1e-12},
        )  # fmt: skip
        z = np.array([float(res.x), log_b])
        if not lo + 1e-9 < z[0] < hi - 1e-9:
            return None
        return z if objective(z)[1][1] <= 0 else None

    z = _fit(objective, starts, bounds, [mean_limit], on_rate_limit, _gamma_poisson_hessian(y, e))
    a, b = np.exp(z)
    post_a, post_b = a + y, b + e
    tail = (1.0 - credible_level) / 2
    return PooledEstimate(
        raw=raw,
        mean=post_a / post_b,
        ci_low=stats.gamma.ppf(tail, post_a, scale=1.0 / post_b),
        ci_high=stats.gamma.isf(tail, post_a, scale=1.0 / post_b),
        shrinkage=b / (b + e),
        prior_a=np.asarray(a, dtype=np.float64),
        prior_b=np.asarray(b, dtype=np.float64),
        method="eb_gamma_poisson",
    )
