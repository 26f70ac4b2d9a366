"""Randomisation (re-randomisation, permutation) inference for ratio-of-sums metrics.

Where postings were assigned to arms at random, re-assigning them as the design could have done
gives the exact null distribution of any statistic under the sharp null (every posting would
have given the same numbers in either arm). Intervals come from inverting the test under a
shift model (``diff``) and a scale model (``lift``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import astuple, dataclass, fields
from itertools import combinations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rekrut.stats._result import (
    Alternative,
    Comparison,
    FloatArray,
    as_float_array,
    check_alternative,
    check_confidence_level,
)

__all__ = ["RandomizationResult", "randomization_test"]

_BISECTION_STEPS = 32
_BLOCK = 1 << 22  # re-assignment indicators held at once (32 MiB)
_TIES = float(np.finfo(np.float64).eps * 100)
_BRACKET_STEPS = 60


@dataclass(frozen=True, slots=True)
class RandomizationResult(Comparison):
    """A :class:`Comparison` from a re-randomisation test, one entry per cell.

    Besides the comparison's fields: ``exact`` (whether every re-assignment was enumerated),
    ``n_reassignments`` (how many re-assignments the p-value rests on) and ``p_value_mcse``
    (the Monte Carlo standard error of the p-value; 0 when exact).
    """

    exact: NDArray[np.bool_]
    n_reassignments: FloatArray
    p_value_mcse: FloatArray


@dataclass(frozen=True, slots=True)
class _Null:
    """Re-assignment sums of one cell: per re-assignment r, arm sums of x and y parts."""

    # treated-arm sums over the re-assignments of x of observed control / treated units, and y
    xc_t: FloatArray
    xt_t: FloatArray
    y_t: FloatArray
    yt_t: FloatArray
    xc_c: FloatArray
    xt_c: FloatArray
    y_c: FloatArray
    yt_c: FloatArray


def _null(x: FloatArray, y: FloatArray, t: FloatArray, rows: FloatArray) -> _Null:
    """Arm sums of one block of re-assignments (rows of 0/1 treatment indicators)."""
    parts = np.stack([x * (1.0 - t), x * t, y, y * t], axis=1)
    treated = rows @ parts
    control = parts.sum(axis=0) - treated
    return _Null(*treated.T, *control.T)


def _reassigned(
    x: FloatArray,
    y: FloatArray,
    t: FloatArray,
    max_exact: int,
    n_resamples: int,
    gen: np.random.Generator,
) -> tuple[_Null, bool]:
    """Arm sums over every re-assignment, or over ``n_resamples`` random ones.

    Random re-assignments are drawn in blocks of about four million indicators, so a cell with
    many postings needs memory for one block, not for all of them.
    """
    n, n_t = t.size, int(t.sum())
    total = math.comb(n, n_t)
    if total <= max_exact:
        rows = np.zeros((total, n))
        chosen = np.array(list(combinations(range(n), n_t)), dtype=np.intp).reshape(total, n_t)
        rows[np.arange(total)[:, None], chosen] = 1.0
        return _null(x, y, t, rows), True
    block = max(1, _BLOCK // n)
    sums = []
    for start in range(0, n_resamples, block):
        # a uniformly random set of n_t units per row: the n_t smallest of n uniform keys
        keys = gen.random((min(block, n_resamples - start), n))
        cut = np.partition(keys, n_t - 1, axis=1)[:, n_t - 1 : n_t]
        sums.append(_null(x, y, t, (keys <= cut).astype(np.float64)))
    return _Null(*(np.concatenate(v) for v in zip(*(astuple(b) for b in sums), strict=True))), False


def _extreme(null: FloatArray, observed: float, alternative: str) -> NDArray[np.bool_]:
    """Re-assignments at least as extreme as the observed value (NaN compares False)."""
    gamma = abs(observed) * _TIES  # ties, as scipy.stats.permutation_test allows for them
    if alternative == "greater":
        hit = null >= observed - gamma
    elif alternative == "less":
        hit = null <= observed + gamma
    else:
        hit = np.abs(null) >= abs(observed) - gamma
    return np.asarray(hit)


def _pvalue(null: FloatArray, observed: float, alternative: str, exact: bool) -> float:
    """The p-value among the re-assignments whose statistic is defined.

    A re-assignment that leaves an arm with ``sum(y) = 0`` (no hires) has no statistic; the
    test conditions on both arms having one, as the observed assignment does, and stays exact:
    under the sharp null every assignment in that set is equally likely.
    """
    if math.isnan(observed):
        return math.nan
    with np.errstate(invalid="ignore"):
        count = int(np.count_nonzero(_extreme(null, observed, alternative)))
    defined = int(np.count_nonzero(~np.isnan(null)))
    if exact:
        return count / defined if defined else math.nan
    return (count + 1) / (defined + 1)  # Phipson & Smyth (2010)


def _boundary(
    func: Callable[[float], float],
    start: float,
    direction: float,
    alpha: float,
    scale: float,
    limit: float = math.inf,
) -> float:
    """Where ``func(start + direction * s)`` falls below ``alpha`` (bisection on s >= 0).

    Steps double from ``scale`` to bracket the boundary; +-inf when no bounded step rejects.
    """
    step = scale
    inside = 0.0
    for _ in range(_BRACKET_STEPS):
        if step > limit:
            return direction * math.inf
        if func(start + direction * step) < alpha:
            break
        inside = step
        step *= 2.0
    else:
        return direction * math.inf
    outside = step
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (inside + outside)
        if func(start + direction * mid) < alpha:
            outside = mid
        else:
            inside = mid
    return start + direction * 0.5 * (inside + outside)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _cell(
    x: FloatArray,
    y: FloatArray,
    t: FloatArray,
    *,
    n_resamples: int,
    max_exact: int,
    confidence_level: float,
    alternative: str,
    gen: np.random.Generator,
) -> tuple[list[float], bool, float, float]:
    nan = math.nan
    n_t = int(t.sum())
    n = t.size
    sy_c, sy_t = float(y[t == 0].sum()), float(y[t == 1].sum())
    r_c = float(x[t == 0].sum()) / sy_c if sy_c > 0 else nan
    r_t = float(x[t == 1].sum()) / sy_t if sy_t > 0 else nan
    if n_t == 0 or n_t == n or math.isnan(r_c) or math.isnan(r_t):
        lift = r_t / r_c - 1.0 if r_c and not math.isnan(r_c) else nan
        return [r_c, r_t, r_t - r_c, nan, nan, lift, nan, nan, nan, nan], False, 0.0, nan
    s, exact = _reassigned(x, y, t, max_exact, n_resamples, gen)
    n_rows = s.y_t.size
    # shift model: treated x minus delta * y; re-assigned statistic a - delta * b
    a = _ratio(s.xc_t + s.xt_t, s.y_t) - _ratio(s.xc_c + s.xt_c, s.y_c)
    b = _ratio(s.yt_t, s.y_t) - _ratio(s.yt_c, s.y_c)
    observed = r_t - r_c
    p_value = _pvalue(a, observed, alternative, exact)
    mcse = 0.0 if exact else math.sqrt(p_value * (1.0 - p_value) / n_rows)
    alpha = 1.0 - confidence_level
    lower = alternative in ("two-sided", "greater")
    upper = alternative in ("two-sided", "less")

    def p_shift(delta: float) -> float:
        return _pvalue(a - delta * b, observed - delta, alternative, exact)

    spread = float(np.nanstd(a)) or abs(observed) or 1.0
    d_low = _boundary(p_shift, observed, -1.0, alpha, spread) if lower else -math.inf
    d_high = _boundary(p_shift, observed, 1.0, alpha, spread) if upper else math.inf
    # scale model: treated x divided by theta (u = 1/theta); statistic c + u * d
    c = _ratio(s.xc_t, s.y_t) - _ratio(s.xc_c, s.y_c)
    d = _ratio(s.xt_t, s.y_t) - _ratio(s.xt_c, s.y_c)
    lift = r_t / r_c - 1.0 if r_c > 0 else nan
    l_low = l_high = nan
    if r_c > 0 and r_t > 0:
        log_theta = math.log(r_t / r_c)

        def p_scale(log_th: float) -> float:
            u = math.exp(-log_th)
            return _pvalue(c + u * d, u * r_t - r_c, alternative, exact)

        lo = _boundary(p_scale, log_theta, -1.0, alpha, 0.25, 50.0) if lower else -math.inf
        hi = _boundary(p_scale, log_theta, 1.0, alpha, 0.25, 50.0) if upper else math.inf
        l_low, l_high = math.exp(lo) - 1.0, math.exp(hi) - 1.0
    if p_value >= alpha:
        # No effect is not rejected, so the interval holds it. Ties at exactly no effect (binary
        # outcomes) can make that point accepted while effects a hair away are rejected; the
        # interval is the hull of what is not rejected, so it agrees with the p-value.
        d_low, d_high = min(d_low, 0.0), max(d_high, 0.0)
        l_low, l_high = min(l_low, 0.0), max(l_high, 0.0)
    values = [r_c, r_t, observed, d_low, d_high, lift, l_low, l_high, observed, p_value]
    return values, exact, float(n_rows), mcse


def randomization_test(
    x: ArrayLike,
    y: ArrayLike,
    treated: ArrayLike,
    cell: ArrayLike | None = None,
    *,
    n_cells: int | None = None,
    n_resamples: int = 10_000,
    max_exact: int = 10_000,
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
    rng: np.random.Generator | int | None = None,
) -> RandomizationResult:
    """Re-randomisation test of ``sum(x)/sum(y)``, treatment against control, in many cells.

    Units (postings) are re-assigned to the arms as a completely randomised design with the
    observed arm sizes would have done, within each cell. The statistic is the difference of
    the ratio of sums, ``sum(x_t)/sum(y_t) - sum(x_c)/sum(y_c)``; the test is exact under the
    sharp null that every unit would have given the same ``x`` and ``y`` in either arm.

    Parameters
    ----------
    x, y
        Unit-level numerator and denominator, one entry per unit (``y = 1`` for a per-posting
        metric such as applications per posting; ``y`` = applications for the qualified share;
        ``x`` = cost, ``y`` = hires for cost per hire). Units with NaN in x or y are left out.
    treated
        Per unit, whether it is in the treatment arm (bool or 0/1).
    cell
        Per unit, the cell (group) index ``0 .. n_cells - 1``; None puts every unit in cell 0.
    n_cells
        Number of cells (default ``max(cell) + 1``); a cell with no units gives NaN.
    n_resamples
        Random re-assignments when enumeration is too large (at least 100).
    max_exact
        Every re-assignment is enumerated when ``C(n_c + n_t, n_t) <= max_exact``.
    confidence_level, alternative
        Interval level and the alternative of the test (``"two-sided"`` uses ``|statistic|``;
        a one-sided alternative gives a one-sided interval).
    rng
        Generator or seed for the Monte Carlo re-assignments.

    Returns
    -------
    RandomizationResult
        Arrays of shape ``(n_cells,)``: the comparison fields (``statistic`` is the observed
        difference, ``method`` is ``"randomization"``), ``exact``, ``n_reassignments`` and
        ``p_value_mcse``.

    Notes
    -----
    The p-value is the share of re-assignments whose statistic is at least as extreme as the
    observed one; with Monte Carlo re-assignments it is ``(count + 1) / (n_resamples + 1)``,
    which keeps the test valid [2]_, and ``p_value_mcse = sqrt(p (1 - p) / n_resamples)``.
    Re-assignments where an arm's ``sum(y)`` is 0 have no statistic and are left out: the
    test is conditional on both arms having ``sum(y) > 0``, as observed, and stays exact.

    Intervals invert the test [1]_ with the same re-assignments for every hypothesis, the
    boundary found by bisection (a bounded number of steps):

    * ``diff`` assumes the **shift model**: each treated unit's ``x`` is its control value plus
      ``delta * y`` (for a per-posting count, ``delta`` more applicants per treated posting);
      the interval holds the ``delta`` not rejected.
    * ``lift`` assumes the **scale model**: each treated unit's ``x`` is its control value times
      ``theta``; the interval holds ``theta - 1`` not rejected (NaN if an arm's ratio is 0).

    The non-rejected set is taken to be an interval around the estimate. Under these models
    the arms differ only by a shift or a scale: if the treatment also changes the spread
    between postings, the test is still exact for the sharp null, but the interval's coverage
    is approximate.

    References
    ----------
    .. [1] Rosenbaum, P. R. (2002). Observational Studies, 2nd ed., ch. 2. Springer.
    .. [2] Phipson, B., Smyth, G. K. (2010). Permutation p-values should never be zero.
       Statistical Applications in Genetics and Molecular Biology 9(1), 39.

    Examples
    --------
    >>> res = randomization_test([12.0, 30, 8, 40, 55, 61], [1.0] * 6, [0, 0, 0, 1, 1, 1])
    >>> round(float(res.diff[0]), 2), float(res.p_value[0]), bool(res.exact[0])
    (35.33, 0.1, True)
    >>> res.method, float(res.n_reassignments[0])  # C(6, 3) = 20 re-assignments, all enumerated
    ('randomization', 20.0)
    """
    check_confidence_level(confidence_level)
    check_alternative(alternative)
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be at least 100, got {n_resamples}")
    xs, ys = as_float_array(x).ravel(), as_float_array(y).ravel()
    ts = np.asarray(treated).ravel().astype(np.float64)
    cells = np.zeros(xs.size, dtype=np.intp) if cell is None else np.asarray(cell).ravel()
    if not (xs.size == ys.size == ts.size == cells.size):
        msg = (
            f"x, y, treated and cell must have one entry per unit; got sizes "
            f"{xs.size}, {ys.size}, {ts.size}, {cells.size}"
        )
        raise ValueError(msg)
    if not np.isin(ts, (0.0, 1.0)).all():
        raise ValueError("treated must be bool or 0/1 per unit")
    if cells.size and (cells.min() < 0 or not np.issubdtype(cells.dtype, np.integer)):
        raise ValueError("cell must hold non-negative integer cell indices")
    k = n_cells if n_cells is not None else (int(cells.max()) + 1 if cells.size else 1)
    gen = np.random.default_rng(rng)
    known = ~(np.isnan(xs) | np.isnan(ys))
    order = np.argsort(cells, kind="stable")
    bounds = np.searchsorted(cells[order], np.arange(k + 1))
    out = np.full((10, k), np.nan)
    exact = np.zeros(k, dtype=bool)
    used = np.zeros(k)
    mcse = np.full(k, np.nan)
    for g in range(k):
        idx = order[bounds[g] : bounds[g + 1]]
        idx = idx[known[idx]]
        if idx.size == 0:
            continue
        values, exact[g], used[g], mcse[g] = _cell(
            xs[idx],
            ys[idx],
            ts[idx],
            n_resamples=n_resamples,
            max_exact=max_exact,
            confidence_level=confidence_level,
            alternative=alternative,
            gen=gen,
        )
        out[:, g] = values
    names = [f.name for f in fields(Comparison) if f.name != "method"]
    return RandomizationResult(
        **dict(zip(names, out, strict=True)),
        method="randomization",
        exact=exact,
        n_reassignments=used,
        p_value_mcse=mcse,
    )
