"""Random-effects meta-analysis of estimates with known standard errors.

The between-study variance :math:`\\tau^2` is estimated by DerSimonian–Laird (through
:func:`statsmodels.stats.meta_analysis.combine_effects`) or by restricted maximum likelihood
(Fisher scoring, started from the DerSimonian–Laird value); the pooled estimate is the
inverse-variance weighted mean with weights :math:`1/(v_i + \\hat\\tau^2)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from rekrut.stats._lazy import lazy_module
from rekrut.stats._result import FloatArray, as_float_array, check_confidence_level

if TYPE_CHECKING:
    from scipy import stats
    from statsmodels.stats import meta_analysis
else:
    stats = lazy_module("scipy.stats")
    meta_analysis = lazy_module("statsmodels.stats.meta_analysis")

__all__ = ["MetaResult", "TauEstimator", "random_effects"]

TauEstimator = Literal["reml", "dl"]

_REML_TOL = 1e-10
_REML_MAXITER = 200


@dataclass(frozen=True, slots=True)
class MetaResult:
    """A random-effects meta-analysis.

    Attributes
    ----------
    estimate, se, ci_low, ci_high
        The pooled (mean) effect, its standard error and confidence interval.
    p_value
        Two-sided test of a zero mean effect.
    tau2
        The estimated between-study variance :math:`\\hat\\tau^2`.
    i2
        :math:`I^2`, the share of the total variability due to heterogeneity (0 to 1).
    h2
        :math:`H^2`, total over sampling variability.
    q, q_p_value
        Cochran's heterogeneity statistic and its chi-square p-value (``k - 1`` df).
    pi_low, pi_high
        The prediction interval: where the effect of a new, similar study is expected.
    weights
        Each study's share of the weight (sums to 1).
    k
        The number of studies.
    df
        Degrees of freedom of the t reference (``k - 1``) with Knapp–Hartung, else ``inf``.
    estimator
        ``"reml"`` or ``"dl"``: how τ² was estimated.
    knapp_hartung
        Whether the Knapp–Hartung adjustment was applied.
    confidence_level
        The level of both intervals.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_p_value: float
    pi_low: float
    pi_high: float
    weights: FloatArray
    k: int
    df: float
    estimator: TauEstimator
    knapp_hartung: bool
    confidence_level: float

    @property
    def prediction_sd(self) -> float:
        """The standard deviation of a new study's true effect: :math:`\\sqrt{\\tau^2 + se^2}`."""
        return float(np.sqrt(self.tau2 + self.se**2))

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, float) and not np.isfinite(value):
                value = None
            out[name] = value
        return out


def random_effects(
    estimates: ArrayLike,
    standard_errors: ArrayLike,
    *,
    estimator: TauEstimator = "reml",
    knapp_hartung: bool = False,
    confidence_level: float = 0.95,
) -> MetaResult:
    """Combine study estimates in a random-effects model.

    Parameters
    ----------
    estimates : array_like
        One estimate per study (e.g. a log relative lift), 1-d.
    standard_errors : array_like
        Their standard errors, positive.
    estimator : {"reml", "dl"}
        Estimator of :math:`\\tau^2`: restricted maximum likelihood [2]_ or
        DerSimonian–Laird [1]_.
    knapp_hartung : bool
        Use the Knapp–Hartung variance and a t reference with ``k - 1`` df [3]_; safer with few
        studies, whose normal-reference intervals are too narrow.
    confidence_level : float
        Level of the confidence and prediction intervals.

    Returns
    -------
    MetaResult

    Notes
    -----
    The model is :math:`y_i = \\mu + u_i + e_i`, :math:`u_i \\sim N(0, \\tau^2)`,
    :math:`e_i \\sim N(0, v_i)` with :math:`v_i` taken as known. With
    :math:`w_i = 1/(v_i + \\hat\\tau^2)`, :math:`\\hat\\mu = \\sum w_i y_i / \\sum w_i` and
    :math:`\\mathrm{se}(\\hat\\mu)^2 = 1/\\sum w_i`; Knapp–Hartung multiplies it by
    :math:`\\sum w_i (y_i - \\hat\\mu)^2 / (k-1)`. :math:`I^2 = \\hat\\tau^2/(\\hat\\tau^2 + s^2)`
    with the typical sampling variance
    :math:`s^2 = (k-1)\\sum w^F_i / ((\\sum w^F_i)^2 - \\sum (w^F_i)^2)`, :math:`w^F_i = 1/v_i`,
    and :math:`H^2 = (\\hat\\tau^2 + s^2)/s^2`. The prediction interval is
    :math:`\\hat\\mu \\pm c \\sqrt{\\hat\\tau^2 + \\mathrm{se}^2}` with ``c`` the normal quantile
    (the t quantile with ``k - 1`` df under Knapp–Hartung), as metafor's ``predict`` computes
    it. These conventions follow metafor [4]_, whose ``dat.bcg`` results the tests reproduce.

    References
    ----------
    .. [1] DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials. Controlled
       Clinical Trials 7(3), 177-188. https://doi.org/10.1016/0197-2456(86)90046-2
    .. [2] Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in
       the random-effects model. JEBS 30(3), 261-293. https://doi.org/10.3102/10769986030003261
    .. [3] Knapp, G. and Hartung, J. (2003). Improved tests for a random effects meta-regression
       with a single covariate. Statistics in Medicine 22(17), 2693-2710.
       https://doi.org/10.1002/sim.1482
    .. [4] Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
       Journal of Statistical Software 36(3). https://doi.org/10.18637/jss.v036.i03

    Examples
    --------
    >>> res = random_effects([0.1, 0.3, -0.05, 0.2], [0.1, 0.12, 0.08, 0.15], estimator="dl")
    >>> round(res.estimate, 4), res.k
    (0.116, 4)
    """
    y, v = _checked(estimates, standard_errors)
    check_confidence_level(confidence_level)
    if estimator not in ("reml", "dl"):
        raise ValueError(f"estimator must be 'reml' or 'dl', got {estimator!r}")
    k = y.size
    with np.errstate(divide="ignore", invalid="ignore"):  # its I² divides by Q = 0 when alike
        combined = meta_analysis.combine_effects(y, v, method_re="chi2")
    tau2 = max(float(combined.tau2), 0.0)
    if estimator == "reml":
        tau2 = _reml_tau2(y, v, tau2)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    var = 1.0 / float(np.sum(w))
    df = float("inf")
    if knapp_hartung:
        df = float(k - 1)
        var *= float(np.sum(w * (y - mu) ** 2)) / df
    reference = stats.t(df) if knapp_hartung else stats.norm()
    crit = float(reference.isf((1 - confidence_level) / 2))
    se = float(np.sqrt(var))
    z = mu / se if se > 0 else float("nan")
    tail = reference.sf(abs(z))
    s2 = _typical_variance(v)
    spread = float(np.sqrt(tau2 + var))
    q = float(combined.q)
    return MetaResult(
        estimate=mu,
        se=se,
        ci_low=mu - crit * se,
        ci_high=mu + crit * se,
        p_value=float(2 * tail),
        tau2=tau2,
        i2=tau2 / (tau2 + s2),
        h2=(tau2 + s2) / s2,
        q=q,
        q_p_value=float(stats.chi2.sf(q, k - 1)),
        pi_low=mu - crit * spread,
        pi_high=mu + crit * spread,
        weights=w / np.sum(w),
        k=k,
        df=df,
        estimator=estimator,
        knapp_hartung=knapp_hartung,
        confidence_level=confidence_level,
    )


def _checked(estimates: ArrayLike, standard_errors: ArrayLike) -> tuple[FloatArray, FloatArray]:
    y, se = as_float_array(estimates), as_float_array(standard_errors)
    if y.ndim != 1 or se.shape != y.shape:
        msg = f"estimates and standard_errors must be 1-d of one length, got {y.shape}, {se.shape}"
        raise ValueError(msg)
    if y.size < 2:
        raise ValueError(f"a meta-analysis needs at least two estimates, got {y.size}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(se)) and np.all(se > 0)):
        raise ValueError("every estimate must be finite and every standard error positive")
    return y, se**2


def _reml_tau2(y: FloatArray, v: FloatArray, start: float) -> float:
    """REML estimate of tau² by Fisher scoring, truncated at zero (Viechtbauer 2005, eq. 12)."""
    tau2 = start
    for _ in range(_REML_MAXITER):
        w = 1.0 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        # P y residuals and tr(P) for the intercept-only model
        resid = y - mu
        trace_p = np.sum(w) - np.sum(w**2) / np.sum(w)
        score = np.sum(w**2 * resid**2) - trace_p
        information = np.sum(w**2) - 2 * np.sum(w**3) / np.sum(w) + (np.sum(w**2) / np.sum(w)) ** 2
        new = max(tau2 + float(score / information), 0.0)
        if abs(new - tau2) < _REML_TOL * max(1.0, tau2):
            return new
        tau2 = new
    return tau2


def _typical_variance(v: FloatArray) -> float:
    w = 1.0 / v
    return float((w.size - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w**2)))
