"""What a channel costs per outcome: per-arm intervals on the ratio scale and the price of an
extra outcome (Fieller), from the per-posting moments of a cost metric.

A cost per outcome is a ratio of two means over postings, ``mean(cost) / mean(outcomes)``. Its
interval is built on the log scale (delta method), so it is never negative and is asymmetric
as a ratio's uncertainty is. The price of an *extra* outcome against the control,
``(cost_T - cost_C) / (outcomes_T - outcomes_C)`` per posting, gets Fieller's interval, which is
open-ended when the extra yield is not clearly above zero; that is reported as such, never
replaced by a symmetric interval crossing zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from rekrut.data import Moments, Summary

__all__ = ["ArmRatio", "ExtraCost", "arm_mean", "arm_ratio", "extra_cost", "group_position"]


@dataclass(frozen=True, slots=True)
class ArmRatio:
    """A ratio of means in one arm with its interval (NaN where it cannot be estimated)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class ExtraCost:
    """The price of one extra outcome against the control, with Fieller's interval.

    ``bounded`` is False when the interval is open (the extra yield's own interval reaches
    zero): then ``low`` and ``high`` are NaN and only the estimate is shown, with words.
    """

    value: float
    low: float
    high: float
    bounded: bool
    extra_outcomes: float
    extra_cost: float


def group_position(summary: Summary, values: Mapping[str, Any]) -> int:
    """The position along the groups axis of the group whose ``by`` columns hold ``values``
    (0 without grouping)."""
    match = np.ones(len(summary.groups), dtype=bool)
    for column in summary.by:
        match &= (summary.groups[column] == values[column]).to_numpy()
    return int(np.flatnonzero(match)[0]) if summary.by else 0


def _stats(m: Moments, g: int, a: int) -> tuple[float, float, float, float, float, float]:
    """Means, variances of the means and their covariance in group ``g``, arm ``a``."""
    n = float(m.n[g, a])
    mx, my = float(m.sum_x[g, a]) / n, float(m.sum_y[g, a]) / n
    if n < 2 or not math.isfinite(float(m.sum_xx[g, a])):
        return n, mx, my, math.nan, math.nan, math.nan
    vxx = (float(m.sum_xx[g, a]) - n * mx * mx) / (n - 1) / n
    vyy = (float(m.sum_yy[g, a]) - n * my * my) / (n - 1) / n
    vxy = (float(m.sum_xy[g, a]) - n * mx * my) / (n - 1) / n
    return n, mx, my, max(vxx, 0.0), max(vyy, 0.0), vxy


def _z(level: float) -> float:
    return float(sps.norm.ppf(0.5 + level / 2))


def arm_ratio(m: Moments, g: int, a: int, level: float) -> ArmRatio:
    """``mean(x) / mean(y)`` of one arm with a log-scale delta-method interval.

    Examples
    --------
    >>> import numpy as np
    >>> cost, hires = np.array([4500.0] * 4), np.array([1.0, 0.0, 2.0, 1.0])
    >>> m = Moments(*(np.array([[v]]) for v in (4, cost.sum(), hires.sum(),
    ...     (cost**2).sum(), (hires**2).sum(), (cost * hires).sum())))
    >>> r = arm_ratio(m, 0, 0, 0.95)
    >>> round(r.value), 0 < r.low < r.value < r.high
    (4500, True)
    """
    n, mx, my, vxx, vyy, vxy = _stats(m, g, a)
    if not (n > 0 and my > 0):
        return ArmRatio(math.nan, math.nan, math.nan)
    value = mx / my
    if mx <= 0 or not math.isfinite(vxx):
        return ArmRatio(value, math.nan if mx > 0 else 0.0, math.nan if mx > 0 else 0.0)
    var_log = vxx / mx**2 + vyy / my**2 - 2 * vxy / (mx * my)
    half = _z(level) * math.sqrt(max(var_log, 0.0))
    return ArmRatio(value, value * math.exp(-half), value * math.exp(half))


def arm_mean(m: Moments, g: int, a: int, level: float) -> ArmRatio:
    """Outcomes per posting in one arm (``mean(y)``) with a t interval over postings."""
    n, _, my, _, vyy, _ = _stats(m, g, a)
    if not n > 0:
        return ArmRatio(math.nan, math.nan, math.nan)
    if not math.isfinite(vyy):
        return ArmRatio(my, math.nan, math.nan)
    half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * math.sqrt(vyy)
    return ArmRatio(my, max(my - half, 0.0), my + half)


def extra_cost(m: Moments, g: int, control: int, arm: int, level: float) -> ExtraCost:
    """Fieller's interval for the extra cost per extra outcome of ``arm`` against ``control``.

    Notes
    -----
    With :math:`\\Delta_c` and :math:`\\Delta_q` the differences in mean cost and mean outcomes
    per posting, variances :math:`v_{cc}, v_{qq}` and covariance :math:`v_{cq}` (independent
    arms, summed), the interval is the set of :math:`\\theta` with
    :math:`(\\Delta_c - \\theta\\Delta_q)^2 \\le z^2 (v_{cc} - 2\\theta v_{cq} + \\theta^2 v_{qq})`
    (Fieller 1954, J. R. Stat. Soc. B 16:175). It is a bounded interval only when
    :math:`\\Delta_q^2 > z^2 v_{qq}`, i.e. when the extra yield is clearly non-zero.

    Examples
    --------
    >>> import numpy as np
    >>> def arm(cost, q):
    ...     c, y = np.asarray(cost, float), np.asarray(q, float)
    ...     return [len(c), c.sum(), y.sum(), (c**2).sum(), (y**2).sum(), (c*y).sum()]
    >>> cols = np.array([arm([0] * 6, [1, 2, 1, 0, 2, 1]), arm([300] * 6, [4, 5, 3, 6, 4, 5])])
    >>> m = Moments(*(cols[:, i].reshape(1, 2) for i in range(6)))
    >>> e = extra_cost(m, 0, 0, 1, 0.95)
    >>> round(e.value), e.bounded, e.low < e.value < e.high
    (90, True, True)
    """
    _, cx, cy, cvx, cvy, cvxy = _stats(m, g, control)
    _, tx, ty, tvx, tvy, tvxy = _stats(m, g, arm)
    dc, dq = tx - cx, ty - cy
    value = dc / dq if dq != 0 else math.nan
    vcc, vqq, vcq = cvx + tvx, cvy + tvy, cvxy + tvxy
    z2 = _z(level) ** 2
    a = dq * dq - z2 * vqq
    if not (math.isfinite(a) and a > 0):
        return ExtraCost(value, math.nan, math.nan, False, dq, dc)
    b = -2.0 * (dc * dq - z2 * vcq)
    c = dc * dc - z2 * vcc
    disc = max(b * b - 4 * a * c, 0.0)
    roots = np.sort(np.array([(-b - math.sqrt(disc)) / (2 * a), (-b + math.sqrt(disc)) / (2 * a)]))
    return ExtraCost(value, float(roots[0]), float(roots[1]), True, dq, dc)
