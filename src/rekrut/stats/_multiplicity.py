"""Multiple-comparison correction of p-values, vectorised over families.

"Adjust" in rekrut means covariate (regression) adjustment; p-values are *corrected*.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from rekrut.stats._deprecation import deprecated_alias
from rekrut.stats._result import FloatArray

__all__ = ["CorrectionMethod", "correct_pvalues"]

CorrectionMethod = Literal["holm", "bh", "none"]


def correct_pvalues(
    p_values: ArrayLike, *, method: CorrectionMethod = "holm", axis: int = -1
) -> FloatArray:
    """Correct p-values for multiple comparisons within each family (slices along ``axis``).

    Parameters
    ----------
    p_values
        p-values; NaN entries stay NaN and do not count towards the family size.
    method
        ``"holm"`` (Holm 1979, family-wise error), ``"bh"`` (Benjamini & Hochberg 1995, false
        discovery rate) or ``"none"``.
    axis
        The axis along which one family lies; other axes index independent families.

    Returns
    -------
    ndarray
        Corrected p-values, the shape of ``p_values``.

    Notes
    -----
    With the m non-missing p-values of a family sorted, :math:`p_{(1)} \\le \\dots \\le p_{(m)}`:
    Holm's corrected value is :math:`\\max_{j \\le i} \\min(1, (m - j + 1) p_{(j)})`, and
    Benjamini–Hochberg's is :math:`\\min_{j \\ge i} \\min(1, m p_{(j)} / j)`. Holm controls the
    family-wise error rate under any dependence; BH controls the false discovery rate under
    independence or positive dependence.

    References
    ----------
    .. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
       Scandinavian Journal of Statistics 6(2), 65-70.
    .. [2] Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B
       57(1), 289-300. https://doi.org/10.1111/j.2517-6161.1995.tb02031.x

    Examples
    --------
    >>> correct_pvalues([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> correct_pvalues([0.01, 0.04, 0.03], method="bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in ("holm", "bh", "none"):
        raise ValueError(f"method must be 'holm', 'bh' or 'none', got {method!r}")
    p = np.asarray(p_values, dtype=np.float64)
    if method == "none" or p.size == 0:
        return p.copy()
    moved = np.moveaxis(p, axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    adjusted = _correct(flat, method)
    return np.moveaxis(adjusted.reshape(moved.shape), -1, axis)


def _correct(rows: FloatArray, method: CorrectionMethod) -> FloatArray:
    missing = np.isnan(rows)
    m = (~missing).sum(axis=1, keepdims=True).astype(np.float64)
    order = np.argsort(np.where(missing, np.inf, rows), axis=1, kind="stable")
    ranked = np.take_along_axis(rows, order, axis=1)
    rank = np.arange(1, rows.shape[1] + 1, dtype=np.float64)[None, :]
    valid = rank <= m
    if method == "holm":
        scaled = np.where(valid, (m - rank + 1.0) * ranked, 0.0)
        cumulative = np.minimum(np.maximum.accumulate(scaled, axis=1), 1.0)
    else:
        scaled = np.where(valid, m * ranked / rank, np.inf)
        cumulative = np.minimum(np.minimum.accumulate(scaled[:, ::-1], axis=1)[:, ::-1], 1.0)
    out = np.empty_like(rows)
    np.put_along_axis(out, order, np.where(valid, cumulative, np.nan), axis=1)
    return out


# Old names of rekrut 0.1, kept for one release.
adjust_pvalues = deprecated_alias("adjust_pvalues", correct_pvalues)
