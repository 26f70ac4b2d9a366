"""Analytic power, sample size and minimum detectable effect, in postings.

The closed-form half of :mod:`rekrut.power`, kept apart from the simulation so that the analysis
layer can plan the next step of an experiment (``rekrut.analysis``) without importing the
simulator, which itself runs analyses.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import optimize

from rekrut.metrics import get_metric

__all__ = [
    "PowerResult",
    "SequentialPlan",
    "minimum_detectable_lift",
    "postings_needed",
    "power_at",
    "sequential_plan",
]

Alternative = Literal["two-sided", "larger", "smaller"]

DEFAULT_DISPERSION = 1 / 1.5
"""Negative-binomial alpha (variance = mean + alpha mean^2) when none is given: k = 1.5 applicants."""


@dataclass(frozen=True, slots=True)
class PowerResult:
    """The answer to a planning question; every input and output is kept for the record."""

    metric: str
    kind: str
    baseline: float
    lift: float
    postings_per_arm: int
    power: float
    alpha: float
    alpha_per_comparison: float
    treatments: int
    dispersion: float | None
    weeks: float | None
    method: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values."""
        return asdict(self)

    def __str__(self) -> str:
        weeks = f" ({self.weeks:.1f} weeks of postings)" if self.weeks is not None else ""
        split = (
            f" (alpha {self.alpha} split over {self.treatments} treatment arms)"
            if self.treatments > 1
            else ""
        )
        return (
            f"{self.metric}: {self.postings_per_arm} postings per arm{weeks} give power "
            f"{self.power:.0%} to detect a lift of {self.lift:+.1%} from {self.baseline:g} at "
            f"alpha {self.alpha_per_comparison:g}{split}; {self.method}."
        )


def _kind(metric: str) -> str:
    spec = get_metric(metric)
    if spec.kind == "count" or (spec.kind == "proportion" and spec.per_posting):
        return spec.kind
    msg = (
        f"analytic power covers proportions over postings and counts per posting; "
        f"use simulate_power for {metric!r}"
    )
    raise ValueError(msg)


def _power(
    kind: str, baseline: float, lift: float, n: float, alpha: float, dispersion: float
) -> float:
    treated = baseline * (1.0 + lift)
    if kind == "proportion":
        from statsmodels.stats.power import NormalIndPower
        from statsmodels.stats.proportion import proportion_effectsize

        if not 0 < treated < 1:
            raise ValueError(f"baseline x (1 + lift) = {treated:g} is not a proportion")
        h = proportion_effectsize(treated, baseline)
        return float(NormalIndPower().power(effect_size=h, nobs1=n, alpha=alpha, ratio=1.0))
    from statsmodels.stats.rates import power_negbin_ratio_2indep

    res = power_negbin_ratio_2indep(treated, baseline, n, dispersion=dispersion, alpha=alpha)
    return float(res.power)


def _check(baseline: float, alpha: float, power: float, treatments: int) -> None:
    if not baseline > 0:
        raise ValueError(f"baseline must be positive, got {baseline!r}")
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be between 0 and 0.5, got {alpha!r}")
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, got {power!r}")
    if treatments < 1:
        raise ValueError(f"treatments must be at least 1, got {treatments!r}")


def _check_postings(postings_per_arm: int) -> None:
    if not postings_per_arm >= 2:
        raise ValueError(f"postings_per_arm must be at least 2, got {postings_per_arm!r}")


def _result(
    metric: str,
    kind: str,
    baseline: float,
    lift: float,
    n: int,
    alpha: float,
    treatments: int,
    dispersion: float,
    postings_per_week: float | None,
) -> PowerResult:
    per_test = alpha / treatments
    achieved = _power(kind, baseline, lift, n, per_test, dispersion)
    weeks = None if postings_per_week is None else n * (treatments + 1) / postings_per_week
    method = (
        "two-proportion z-test, Cohen's h (arcsine) approximation"
        if kind == "proportion"
        else f"negative-binomial rate ratio (Zhu & Lakkis 2014), dispersion {dispersion:g}"
    )
    return PowerResult(
        metric,
        kind,
        baseline,
        lift,
        n,
        achieved,
        alpha,
        per_test,
        treatments,
        dispersion if kind == "count" else None,
        weeks,
        method,
    )


def power_at(
    metric: str,
    baseline: float,
    postings_per_arm: int,
    *,
    lift: float,
    alpha: float = 0.05,
    dispersion: float = DEFAULT_DISPERSION,
    treatments: int = 1,
    postings_per_week: float | None = None,
) -> PowerResult:
    """Power to detect a relative ``lift`` with ``postings_per_arm`` postings in each arm.

    Examples
    --------
    >>> res = power_at("fill_rate", 0.6, 300, lift=0.15)
    >>> round(res.power, 2)
    0.64
    """
    kind = _kind(metric)
    _check(baseline, alpha, 0.5, treatments)
    _check_postings(postings_per_arm)
    return _result(
        metric,
        kind,
        baseline,
        lift,
        postings_per_arm,
        alpha,
        treatments,
        dispersion,
        postings_per_week,
    )


def postings_needed(
    metric: str,
    baseline: float,
    *,
    lift: float | None = None,
    diff: float | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
    dispersion: float = DEFAULT_DISPERSION,
    treatments: int = 1,
    postings_per_week: float | None = None,
) -> PowerResult:
    """Postings per arm needed to detect a relative (``lift``) or absolute (``diff``) effect.

    Parameters
    ----------
    metric
        ``fill_rate``, ``repost_rate`` (proportions over postings) or
        ``applications_per_posting``, ``qualified_per_posting`` (counts per posting).
    baseline
        The control arm's expected value (a share, or applicants per posting).
    lift, diff
        The effect to detect: relative (0.2 = +20 %) or absolute (in the metric's units).
    power, alpha
        Target power and overall significance level (two-sided).
    dispersion
        Negative-binomial alpha of applicant counts (variance = mean + alpha mean²); the
        default 1/1.5 is typical of applicant counts. Ignored for proportions.
    treatments
        Treatment arms compared with the control; alpha is split over them (Bonferroni).
    postings_per_week
        Postings the municipality publishes per week in all arms together: gives ``weeks``.

    Notes
    -----
    Proportions use the normal approximation on Cohen's arcsine effect size
    :math:`h = 2\\arcsin\\sqrt{p_t} - 2\\arcsin\\sqrt{p_c}` (Cohen 1988, ch. 6); counts use the
    Wald test of the log rate ratio under a negative-binomial model (Zhu & Lakkis 2014,
    Statistics in Medicine 33(3), doi:10.1002/sim.5947, statsmodels'
    ``power_negbin_ratio_2indep``). Both assume postings randomised one by one.

    Examples
    --------
    >>> postings_needed("applications_per_posting", 6.0, lift=0.25).postings_per_arm
    258
    >>> postings_needed("fill_rate", 0.6, diff=0.1, postings_per_week=20).weeks
    35.6
    """
    kind = _kind(metric)
    _check(baseline, alpha, power, treatments)
    if (lift is None) == (diff is None):
        raise ValueError("give exactly one of lift (relative) and diff (absolute)")
    relative = lift if lift is not None else float(diff) / baseline  # type: ignore[arg-type]
    if relative == 0:
        raise ValueError("an effect of zero cannot be detected; give a non-zero lift or diff")
    per_test = alpha / treatments

    def gap(n: float) -> float:
        return _power(kind, baseline, relative, n, per_test, dispersion) - power

    upper = 10.0
    while gap(upper) < 0:
        upper *= 4
        if upper > 1e9:
            raise ValueError(
                "the effect is too small to detect with any realistic number of postings"
            )
    n = math.ceil(optimize.brentq(gap, 2.0, upper, xtol=1e-6)) if gap(2.0) < 0 else 2
    return _result(
        metric, kind, baseline, relative, n, alpha, treatments, dispersion, postings_per_week
    )


@dataclass(frozen=True, slots=True)
class SequentialPlan:
    """A fixed design's size next to a group-sequential design with ``looks`` equal looks."""

    looks: int
    spending: str
    fixed_postings_per_arm: int
    max_postings_per_arm: int
    expected_postings_per_arm_h0: float
    expected_postings_per_arm_h1: float

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values."""
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"with {self.looks} equally spaced looks ({self.spending} spending): at most "
            f"{self.max_postings_per_arm} postings per arm; on average "
            f"{self.expected_postings_per_arm_h1:.0f} if the effect is real, "
            f"{self.expected_postings_per_arm_h0:.0f} if there is none"
        )


def sequential_plan(
    fixed: PowerResult, *, looks: int, spending: Literal["obf", "pocock"] = "obf"
) -> SequentialPlan:
    """Maximum and expected postings of a group-sequential design with the fixed design's power.

    Examples
    --------
    >>> fixed = postings_needed("fill_rate", 0.6, lift=0.15)
    >>> plan = sequential_plan(fixed, looks=4)
    >>> plan.max_postings_per_arm > fixed.postings_per_arm > plan.expected_postings_per_arm_h1
    True
    """
    from rekrut.stats import sequential_sample_size

    if looks < 2:
        raise ValueError(f"looks must be at least 2, got {looks}")
    fractions = np.arange(1, looks + 1) / looks
    res = sequential_sample_size(
        fractions, alpha=fixed.alpha_per_comparison, power=fixed.power, spending=spending
    )
    n = fixed.postings_per_arm
    return SequentialPlan(
        looks,
        spending,
        n,
        math.ceil(n * float(res.inflation_factor)),
        n * float(res.expected_under_h0),
        n * float(res.expected_under_h1),
    )


def minimum_detectable_lift(
    metric: str,
    baseline: float,
    postings_per_arm: int,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    dispersion: float = DEFAULT_DISPERSION,
    treatments: int = 1,
    direction: Literal["increase", "decrease"] = "increase",
) -> PowerResult:
    """The smallest relative lift detectable with ``postings_per_arm`` postings per arm.

    Examples
    --------
    >>> res = minimum_detectable_lift("applications_per_posting", 6.0, 100)
    >>> round(res.lift, 2)
    0.43
    """
    kind = _kind(metric)
    _check(baseline, alpha, power, treatments)
    _check_postings(postings_per_arm)
    per_test = alpha / treatments
    sign = 1.0 if direction == "increase" else -1.0
    top = (1.0 / baseline - 1.0) * 0.999 if kind == "proportion" and sign > 0 else 0.999
    top = min(top, 20.0)

    def gap(size: float) -> float:
        return _power(kind, baseline, sign * size, postings_per_arm, per_test, dispersion) - power

    if gap(top) < 0:
        raise ValueError(
            "no effect within the metric's range reaches that power with these postings"
        )
    size = optimize.brentq(gap, 1e-6, top, xtol=1e-8)
    return _result(
        metric, kind, baseline, sign * size, postings_per_arm, alpha, treatments, dispersion, None
    )
