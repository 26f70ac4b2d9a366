"""Result types shared by the vectorised statistical functions.

Every field is a NumPy array of the broadcast shape of the inputs, so one call answers
thousands of cells. Results are frozen dataclasses; ``to_dict`` gives JSON-safe lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Alternative = Literal["two-sided", "less", "greater"]

MethodCode = Literal[
    "z_test",
    "fisher_exact",
    "z_or_fisher",
    "welch",
    "welch_delta",
    "welch_paired",
    "poisson_exact",
    "poisson_exact_cost_fixed",
    "bootstrap_percentile",
    "randomization",
    "log_rank",
    "mann_whitney",
    "no_data",
    "msprt",
    "beta_binomial",
    "gamma_poisson",
    "gamma_poisson_quasi",
    "gamma_posterior",
    "cost_per_outcome",
    "eb_beta_binomial",
    "eb_gamma_poisson",
    "meta_prior",
    "synthetic_control",
    "did",
]
"""Codes of the methods a result names in its ``method`` field (labels: :mod:`rekrut.methods`)."""
FloatArray = NDArray[np.float64]

ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")


def as_float_array(value: ArrayLike) -> FloatArray:
    """Return ``value`` as a float64 array (a 0-d array for a scalar)."""
    return np.asarray(value, dtype=np.float64)


def check_confidence_level(confidence_level: float) -> None:
    """Raise ``ValueError`` unless ``0 < confidence_level < 1``."""
    if not 0.0 < confidence_level < 1.0:
        msg = f"confidence_level must be between 0 and 1 (exclusive), got {confidence_level!r}"
        raise ValueError(msg)


def check_alternative(alternative: str) -> None:
    """Raise ``ValueError`` unless ``alternative`` is one of ``ALTERNATIVES``."""
    if alternative not in ALTERNATIVES:
        msg = f"alternative must be one of {ALTERNATIVES}, got {alternative!r}"
        raise ValueError(msg)


def _json_safe(value: Any) -> Any:
    if isinstance(value, ResultMixin):  # a result nested in another (BootstrapResult.comparison)
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return [_json_safe(v) for v in value.tolist()] if value.ndim else _json_safe(value.item())
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


@dataclass(frozen=True, slots=True)
class ResultMixin:
    """Gives every result a JSON-safe ``to_dict`` (non-finite numbers become ``None``)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain Python values, safe for ``json.dumps``."""
        return {f.name: _json_safe(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Comparison(ResultMixin):
    """Comparison of a treatment with a control, cell by cell.

    ``diff`` is treatment minus control; ``lift`` is treatment / control - 1. Interval bounds
    may be infinite where the data cannot bound them (an open-ended interval), and values are
    NaN where they are undefined (for example a cost per hire in an arm with no hires).
    ``method`` is a :data:`MethodCode` such as ``"welch_delta"``; ``rekrut.methods`` labels it.
    """

    control_value: FloatArray
    treatment_value: FloatArray
    diff: FloatArray
    diff_ci_low: FloatArray
    diff_ci_high: FloatArray
    lift: FloatArray
    lift_ci_low: FloatArray
    lift_ci_high: FloatArray
    statistic: FloatArray
    p_value: FloatArray
    method: MethodCode
