"""The E-value: how strong an unmeasured confounder would have to be to explain an association."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

__all__ = ["e_value"]

FloatArray = npt.NDArray[np.float64]


def _e(ratio: FloatArray) -> FloatArray:
    rr = np.where(ratio < 1, 1 / ratio, ratio)
    return np.asarray(rr + np.sqrt(rr * (rr - 1)), dtype=np.float64)


def e_value(
    ratio: ArrayLike,
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    *,
    odds_ratio_common: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """E-values of a risk or rate ratio and of its interval's limit nearest to 1.

    Parameters
    ----------
    ratio, ci_low, ci_high
        The ratio and its interval.
    odds_ratio_common
        The ratios are odds ratios of a common outcome (over 15 %): each is first taken to its
        square root, an approximate risk ratio [1]_.

    Returns
    -------
    (e_value, e_value_ci)
        The minimum strength of association, on the risk-ratio scale, that an unmeasured
        confounder would need with both the arm and the outcome to explain the ratio away, and
        to move the interval to include 1 (1 when it already does).

    Notes
    -----
    For a ratio :math:`RR \\ge 1`, :math:`E = RR + \\sqrt{RR (RR - 1)}`; a ratio below 1 is
    inverted first [1]_.

    References
    ----------
    .. [1] VanderWeele, T. J., Ding, P. (2017). Sensitivity analysis in observational research:
       introducing the E-value. Annals of Internal Medicine 167(4), 268-274.
       https://doi.org/10.7326/M16-2607

    Examples
    --------
    >>> e, e_ci = e_value(3.9, 1.8, 8.7)  # the paper's example
    >>> round(float(e), 2), round(float(e_ci), 2)
    (7.26, 3.0)
    """
    r, lo, hi = (np.asarray(v, dtype=np.float64) for v in (ratio, ci_low, ci_high))
    if odds_ratio_common:
        r, lo, hi = np.sqrt(r), np.sqrt(lo), np.sqrt(hi)
    nearest = np.where(lo > 1, lo, np.where(hi < 1, hi, 1.0))
    return _e(r), _e(nearest)
