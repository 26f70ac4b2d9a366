"""Sample-ratio mismatch: are the units per arm what the planned allocation implies?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rekrut.stats._lazy import lazy_module
from rekrut.stats._result import FloatArray, ResultMixin

if TYPE_CHECKING:
    from scipy import stats
else:
    stats = lazy_module("scipy.stats")

__all__ = ["SRMResult", "sample_ratio_mismatch"]


@dataclass(frozen=True, slots=True)
class SRMResult(ResultMixin):
    """Chi-square goodness of fit of units per arm against the planned allocation."""

    statistic: FloatArray
    df: FloatArray
    p_value: FloatArray
    mismatch: NDArray[np.bool_]
    threshold: float


def sample_ratio_mismatch(
    observed: ArrayLike, expected_weights: ArrayLike, *, threshold: float = 0.001
) -> SRMResult:
    """Test whether units per arm match the planned allocation weights.

    Parameters
    ----------
    observed
        Units (postings, impressions) per arm along the last axis.
    expected_weights
        Planned allocation weights per arm (any positive scale).
    threshold
        p-values below this raise the alarm.

    Notes
    -----
    Pearson's chi-square statistic :math:`\\sum_j (O_j - E_j)^2 / E_j` with
    :math:`E_j = N w_j / \\sum w` on :math:`k - 1` degrees of freedom. A mismatch means the
    assignment or the data collection is broken, which biases every comparison; the strict
    default threshold keeps false alarms rare when the check runs on every analysis [1]_.

    References
    ----------
    .. [1] Fabijan, A. et al. (2019). Diagnosing sample ratio mismatch in online controlled
       experiments. KDD '19, 2156-2164. https://doi.org/10.1145/3292500.3330722

    Examples
    --------
    >>> res = sample_ratio_mismatch([520, 480], [1, 1])
    >>> round(float(res.p_value), 3), bool(res.mismatch)
    (0.206, False)
    >>> bool(sample_ratio_mismatch([600, 400], [1, 1]).mismatch)
    True
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
    obs = np.asarray(observed, dtype=np.float64)
    weights = np.broadcast_to(np.asarray(expected_weights, dtype=np.float64), obs.shape)
    if np.any(weights <= 0):
        raise ValueError("expected_weights must be positive")
    total = obs.sum(axis=-1, keepdims=True)
    expected = total * weights / weights.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(
            total[..., 0] > 0, ((obs - expected) ** 2 / expected).sum(axis=-1), 0.0
        )
    df = np.full(statistic.shape, obs.shape[-1] - 1.0)
    p_value = np.asarray(stats.chi2.sf(statistic, df), dtype=np.float64)
    return SRMResult(statistic, df, p_value, p_value < threshold, threshold)
