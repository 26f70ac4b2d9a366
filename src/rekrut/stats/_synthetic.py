"""One treated unit against donor units: synthetic control and difference-in-differences, with
placebo-in-space inference.

Both methods build a counterfactual path for the treated unit from the donors, on outcomes
demeaned by each unit's pre-period mean (so a constant level difference is allowed):

* ``"synthetic_control"`` — non-negative donor weights summing to one that best reproduce the
  treated unit's pre-period path (least squares);
* ``"did"`` — equal weights on every donor: the classic difference-in-differences.

The effect is the mean post-period gap between the unit and its counterfactual. Inference runs
the same method with each donor in turn as the "treated" unit (the real one left out of the
donors) and compares gaps scaled by their own pre-period fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from rekrut.stats._lazy import lazy_module
from rekrut.stats._result import FloatArray, as_float_array, check_confidence_level

if TYPE_CHECKING:
    from scipy import optimize, stats
else:
    optimize = lazy_module("scipy.optimize")
    stats = lazy_module("scipy.stats")

__all__ = [
    "DidRegression",
    "PanelMethod",
    "PlaceboResult",
    "did_regression",
    "placebo_synthetic_control",
]

PanelMethod = Literal["synthetic_control", "did"]

# Weight of the sum-to-one row in the augmented non-negative least squares: large enough that
# the sum is one to about 1e-6, small enough to keep the problem well conditioned.
_SUM_WEIGHT = 1e3


@dataclass(frozen=True, slots=True)
class PlaceboResult:
    """The treated unit against its counterfactual, with placebo-in-space inference.

    Attributes
    ----------
    estimate
        Mean post-period gap of the treated unit (the effect, in the outcome's units).
    ci_low, ci_high
        Interval by inverting the placebo test under a constant effect (infinite when there
        are too few donors for the level).
    p_value
        Share of units (placebos and the treated) whose scaled post-period gap is at least the
        treated unit's; at least ``1 / (donors + 1)``.
    pre_rmspe
        Root mean squared pre-period gap of the treated unit (its fit).
    weights
        Donor weights (non-negative, sum 1).
    gap
        The treated unit's gap per period.
    counterfactual
        The treated unit's counterfactual per period (its synthetic twin, or the donors'
        mean path shifted to its pre-period level).
    placebo_estimate, placebo_pre_rmspe
        Each donor's mean post-period gap and pre-period fit as a placebo.
    method
        ``"synthetic_control"`` or ``"did"``.
    confidence_level
        Level of the interval.
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    pre_rmspe: float
    weights: FloatArray
    gap: FloatArray
    counterfactual: FloatArray
    placebo_estimate: FloatArray
    placebo_pre_rmspe: FloatArray
    method: PanelMethod
    confidence_level: float

    @property
    def placebo_p_values(self) -> FloatArray:
        """Each placebo's own p-value against the others (for calibration checks)."""
        score = np.abs(self.placebo_estimate) / self.placebo_pre_rmspe
        ranks = (score[None, :] >= score[:, None]).sum(axis=1)
        result: FloatArray = ranks / score.size
        return result


def placebo_synthetic_control(
    outcomes: ArrayLike,
    treated: int,
    pre: ArrayLike,
    *,
    method: PanelMethod = "synthetic_control",
    confidence_level: float = 0.95,
) -> PlaceboResult:
    """Effect of an intervention on one unit, judged against placebo runs on the donors.

    Parameters
    ----------
    outcomes : array_like
        Shape (units, periods), no missing values.
    treated : int
        Row of the treated unit; every other row is a donor.
    pre : array_like of bool
        Shape (periods,): True for periods before the intervention (at least two, and at least
        one after).
    method : {"synthetic_control", "did"}
        Optimised donor weights, or equal weights.
    confidence_level : float
        Level of the interval.

    Returns
    -------
    PlaceboResult

    Notes
    -----
    Outcomes are demeaned by each unit's pre-period mean. Synthetic-control weights minimise
    :math:`\\sum_{t \\in pre} (\\tilde y_{0t} - \\sum_j w_j \\tilde y_{jt})^2` over
    :math:`w_j \\ge 0`, :math:`\\sum_j w_j = 1` [1]_, [2]_ (non-negative least squares with the
    sum as a heavily weighted extra row, then renormalised). The gap is
    :math:`g_t = \\tilde y_{0t} - \\sum_j w_j \\tilde y_{jt}`; the estimate is its post-period
    mean :math:`\\bar g`, and each unit's score is :math:`|\\bar g| / \\mathrm{RMSPE}_{pre}`.
    The p-value ranks the treated unit's score among all units' [1]_. Under a constant effect
    :math:`\\delta` the treated score is :math:`|\\bar g - \\delta| / \\mathrm{RMSPE}_{pre}`
    while the placebos' do not change, so the interval is
    :math:`\\bar g \\pm \\mathrm{RMSPE}_{pre} \\, s_{(m)}` with :math:`s_{(m)}` the
    :math:`m`-th largest placebo score, :math:`m` the smallest integer above
    :math:`\\alpha (J + 1) - 1` [3]_. The test is exact when the treated unit is exchangeable
    with the donors (e.g. chosen at random); otherwise it is a benchmark.

    References
    ----------
    .. [1] Abadie, A., Diamond, A. and Hainmueller, J. (2010). Synthetic control methods for
       comparative case studies. JASA 105(490), 493-505.
       https://doi.org/10.1198/jasa.2009.ap08746
    .. [2] Ferman, B. and Pinto, C. (2021). Synthetic controls with imperfect pretreatment
       fit. Quantitative Economics 12(4), 1197-1221. https://doi.org/10.3982/QE1596
    .. [3] Firpo, S. and Possebom, V. (2018). Synthetic control method: inference,
       sensitivity analysis and confidence sets. Journal of Causal Inference 6(2).
       https://doi.org/10.1515/jci-2016-0026

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=(30, 12)) + np.linspace(0, 1, 12)
    >>> y[0, 8:] += 3.0
    >>> res = placebo_synthetic_control(y, 0, np.arange(12) < 8)
    >>> round(res.estimate, 1), round(res.p_value, 3)
    (2.4, 0.033)
    """
    y, pre_mask = _checked(outcomes, treated, pre, method)
    check_confidence_level(confidence_level)
    y = y - y[:, pre_mask].mean(axis=1, keepdims=True)
    units = y.shape[0]
    donors = np.delete(np.arange(units), treated)
    weights = _weights(y[treated], y[donors], pre_mask, method)
    gap = y[treated] - weights @ y[donors]
    placebo_gaps = np.empty((donors.size, y.shape[1]))
    for i, unit in enumerate(donors):
        others = np.delete(donors, i)
        placebo_gaps[i] = y[unit] - _weights(y[unit], y[others], pre_mask, method) @ y[others]
    estimate, rmspe = _summaries(gap[None, :], pre_mask)
    placebo_estimate, placebo_rmspe = _summaries(placebo_gaps, pre_mask)
    score = abs(estimate[0]) / rmspe[0]
    placebo_score = np.abs(placebo_estimate) / placebo_rmspe
    p_value = (1 + np.sum(placebo_score >= score * (1 - 1e-12))) / (donors.size + 1)
    half = rmspe[0] * _critical_score(placebo_score, 1 - confidence_level)
    raw = as_float_array(outcomes)[treated]
    return PlaceboResult(
        estimate=float(estimate[0]),
        ci_low=float(estimate[0] - half),
        ci_high=float(estimate[0] + half),
        p_value=float(p_value),
        pre_rmspe=float(rmspe[0]),
        weights=weights,
        gap=gap,
        counterfactual=raw - gap,
        placebo_estimate=placebo_estimate,
        placebo_pre_rmspe=placebo_rmspe,
        method=method,
        confidence_level=confidence_level,
    )


def _checked(
    outcomes: ArrayLike, treated: int, pre: ArrayLike, method: str
) -> tuple[FloatArray, np.ndarray]:
    y = as_float_array(outcomes)
    pre_mask = np.asarray(pre, dtype=bool)
    if y.ndim != 2 or pre_mask.shape != (y.shape[1],):
        raise ValueError(f"outcomes must be (units, periods) and pre (periods,), got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("outcomes must be finite (no missing periods)")
    if pre_mask.sum() < 2 or pre_mask.all():
        raise ValueError("pre must mark at least two pre-periods and one post-period")
    if y.shape[0] < 3:
        raise ValueError(f"at least two donors are needed, got {y.shape[0] - 1}")
    if not 0 <= treated < y.shape[0]:
        raise ValueError(f"treated must be a row of outcomes, got {treated}")
    if method not in ("synthetic_control", "did"):
        raise ValueError(f"method must be 'synthetic_control' or 'did', got {method!r}")
    return y, pre_mask


def _weights(target: FloatArray, donors: FloatArray, pre: np.ndarray, method: str) -> FloatArray:
    count = donors.shape[0]
    if method == "did":
        return np.full(count, 1.0 / count)
    design = np.vstack([donors[:, pre].T, np.full(count, _SUM_WEIGHT)])
    goal = np.append(target[pre], _SUM_WEIGHT)
    weights, _ = optimize.nnls(design, goal)
    total = weights.sum()
    result: FloatArray = weights / total if total > 0 else np.full(count, 1.0 / count)
    return result


def _summaries(gaps: FloatArray, pre: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Post-period mean gap and pre-period RMSPE of each row (RMSPE floored above zero)."""
    estimate = gaps[:, ~pre].mean(axis=1)
    rmspe = np.sqrt(np.mean(gaps[:, pre] ** 2, axis=1))
    return estimate, np.maximum(rmspe, 1e-12)


def _critical_score(placebo_score: FloatArray, alpha: float) -> float:
    """The m-th largest placebo score: the edge of the set of effects the test keeps."""
    count = placebo_score.size
    m = int(np.floor(alpha * (count + 1) - 1)) + 1
    if m < 1:
        return float("inf")
    return float(np.sort(placebo_score)[::-1][m - 1])


@dataclass(frozen=True, slots=True)
class DidRegression:
    """Two-way fixed-effects difference-in-differences and its parallel-trends check.

    ``estimate, se, ci_low, ci_high``: the treated-after coefficient with standard errors
    clustered by unit. ``pretrend_slope, pretrend_p_value``: the slope per period of the
    treated unit's pre-period gap to the donors' mean (HAC standard errors); zero when the
    paths ran parallel before the intervention.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pretrend_slope: float
    pretrend_p_value: float


def did_regression(
    outcomes: ArrayLike, treated: int, pre: ArrayLike, *, confidence_level: float = 0.95
) -> DidRegression:
    """Two-way fixed-effects difference-in-differences with standard errors clustered by unit.

    statsmodels OLS of the outcome on unit and period effects and a treated-after indicator,
    cluster-robust by unit; and the parallel-trends check: OLS of the treated unit's
    pre-period gap to the donors' mean on time (HAC standard errors).

    Notes
    -----
    With a single treated unit the clustered standard error rests on one cluster's
    residuals and is too small [1]_; the placebo interval of :func:`placebo_synthetic_control`
    is the one to read.

    References
    ----------
    .. [1] Conley, T. G. and Taber, C. R. (2011). Inference with "difference in differences"
       with a small number of policy changes. Review of Economics and Statistics 93(1),
       113-125. https://doi.org/10.1162/REST_a_00049

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> y = rng.normal(size=(20, 10)); y[0, 6:] += 2.0
    >>> round(did_regression(y, 0, np.arange(10) < 6).estimate, 1)
    2.1
    """
    import statsmodels.api as sm

    y, pre_mask = _checked(outcomes, treated, pre, "did")
    check_confidence_level(confidence_level)
    units, periods = y.shape
    effect = np.zeros_like(y)
    effect[treated, ~pre_mask] = 1.0
    # Two-way demeaning (Frisch-Waugh-Lovell on a balanced panel) gives the fixed-effects
    # coefficient and residuals without the unit and period dummies; the cluster correction
    # is then rescaled to the full model's (N - 1) / (N - K) with K = units + periods.
    fit = sm.OLS(_demeaned(y).ravel(), _demeaned(effect).reshape(-1, 1)).fit(
        cov_type="cluster", cov_kwds={"groups": np.repeat(np.arange(units), periods)}
    )
    n = y.size
    se = float(fit.bse[0] * np.sqrt((n - 1) / (n - units - periods)))
    z = float(stats.norm.isf((1 - confidence_level) / 2))
    estimate = float(fit.params[0])
    donors = np.delete(np.arange(units), treated)
    gap = y[treated, pre_mask] - y[donors][:, pre_mask].mean(axis=0)
    time = np.flatnonzero(pre_mask).astype(float)
    trend = sm.OLS(gap, sm.add_constant(time)).fit(
        cov_type="HAC", cov_kwds={"maxlags": max(1, int(np.sqrt(time.size)))}
    )
    return DidRegression(
        estimate=estimate,
        se=se,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        pretrend_slope=float(trend.params[1]),
        pretrend_p_value=float(trend.pvalues[1]),
    )


def _demeaned(values: FloatArray) -> FloatArray:
    result: FloatArray = (
        values
        - values.mean(axis=1, keepdims=True)
        - values.mean(axis=0, keepdims=True)
        + values.mean()
    )
    return result
