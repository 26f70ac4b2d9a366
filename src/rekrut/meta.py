"""Learning across experiments: random-effects meta-analysis of lifts, and priors from it.

* :func:`combine` — pool the lift of one metric from several experiments or municipalities
  (``AnalysisResult`` objects) or a table of estimates and standard errors;
* :func:`prior_from_meta` — the next experiment's prior on the lift, from the prediction
  distribution of a meta-analysis;
* :func:`read_estimates` — a table of estimates from a file (what ``[bayes] prior_from`` names).

Lifts are pooled on the log scale, :math:`\\log(1 + \\text{lift})` (the log of the treatment
over the control), where a relative effect is closest to normal and symmetric.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from rekrut.errors import DataError, InputError
from rekrut.io import read_table, to_pandas
from rekrut.stats import MetaResult, TauEstimator, random_effects

__all__ = [
    "EffectPrior",
    "MetaAnalysis",
    "Scale",
    "combine",
    "prior_from_meta",
    "read_estimates",
]

Scale = Literal["log_ratio", "difference"]

STUDY_COLUMNS = ("study", "estimate", "se", "ci_low", "ci_high", "weight")
"""Columns of :attr:`MetaAnalysis.studies`."""


@dataclass(frozen=True, slots=True)
class MetaAnalysis:
    """A random-effects meta-analysis of one metric's effects.

    Attributes
    ----------
    studies
        One row per study: ``study, estimate, se, ci_low, ci_high, weight`` (on ``scale``).
    result
        The pooled estimate, τ², I², H², Q and the prediction interval
        (:class:`rekrut.stats.MetaResult`).
    scale
        ``"log_ratio"`` (log of treatment over control, ``log(1 + lift)``) or ``"difference"``.
    metric
        The metric pooled, if known.
    """

    studies: pd.DataFrame
    result: MetaResult
    scale: Scale
    metric: str | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the pooled estimate and prediction interval, with lifts on the log scale.

        Columns ``estimate, se, ci_low, ci_high, pi_low, pi_high, tau2, i2, p_value, k`` and,
        on the log scale, ``lift, lift_ci_low, lift_ci_high, lift_pi_low, lift_pi_high``.
        """
        res = self.result
        row: dict[str, Any] = {
            name: getattr(res, name)
            for name in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high")
        }
        row |= {"tau2": res.tau2, "i2": res.i2, "p_value": res.p_value, "k": res.k}
        lifts = {"lift": "estimate", "lift_ci_low": "ci_low", "lift_ci_high": "ci_high"}
        lifts |= {"lift_pi_low": "pi_low", "lift_pi_high": "pi_high"}
        for name, source in lifts.items():
            row[name] = float(np.expm1(row[source])) if self.scale == "log_ratio" else np.nan
        return pd.DataFrame([row])

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values."""
        studies = self.studies.astype(object).where(self.studies.notna(), None)
        return {
            "metric": self.metric,
            "scale": self.scale,
            "studies": studies.to_dict("records"),
            "result": self.result.to_dict(),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def combine(
    studies: Sequence[Any] | Any,
    *,
    metric: str | None = None,
    arm: str | None = None,
    labels: Sequence[str] | None = None,
    scale: Scale = "log_ratio",
    estimator: TauEstimator = "reml",
    knapp_hartung: bool = False,
    confidence_level: float = 0.95,
) -> MetaAnalysis:
    """Random-effects meta-analysis of a metric's effect across experiments or municipalities.

    Parameters
    ----------
    studies
        A list of :class:`~rekrut.AnalysisResult` (each gives the lift of ``metric`` for
        ``arm`` against its control), or a table with columns ``estimate`` and ``se`` (and an
        optional ``study`` label) on ``scale``.
    metric
        The metric to pool from analysis results (default: their common primary metric).
    arm
        The treatment arm to take from results with several treatments.
    labels
        Names of the studies (default: the experiments' ids, or the table's ``study``).
    scale
        For a table: ``"log_ratio"`` (``log(1 + lift)``, the default and what results give) or
        ``"difference"`` (absolute differences; no prior can be drawn from those).
    estimator, knapp_hartung, confidence_level
        See :func:`rekrut.stats.random_effects`: REML or DerSimonian–Laird τ², the
        Knapp–Hartung adjustment (advised with fewer than about 10 studies), interval level.

    Notes
    -----
    From a result, the estimate is :math:`\\log(1 + \\text{lift})` and its standard error is
    read back from the lift interval, :math:`(\\log(1+u) - \\log(1+l)) / (2 z_{1-\\alpha/2})`
    at the experiment's confidence level; an interval that is not symmetric on the log scale
    (e.g. Fisher's exact test, small counts) is approximated by its width. The model assumes
    the studies' true effects are a random sample from one normal distribution: studies of
    different metrics, job categories or designs should not be mixed.

    Examples
    --------
    >>> table = pd.DataFrame({"estimate": [0.10, 0.25, -0.02, 0.18],
    ...                       "se": [0.08, 0.10, 0.07, 0.12]})
    >>> res = combine(table, estimator="dl")
    >>> round(res.result.estimate, 3), res.result.k
    (0.109, 4)
    """
    if scale not in ("log_ratio", "difference"):
        raise InputError(
            f"scale must be 'log_ratio' or 'difference', got {scale!r}", column="scale"
        )
    if isinstance(studies, Sequence) and not isinstance(studies, str):
        table, metric = _from_results(studies, metric, arm)
        scale = "log_ratio"
    else:
        table = _from_table(studies)
    if labels is not None:
        if len(labels) != len(table):
            raise InputError(f"{len(labels)} labels for {len(table)} studies", column="labels")
        table = table.assign(study=list(labels))
    try:
        res = random_effects(
            table["estimate"].to_numpy(float),
            table["se"].to_numpy(float),
            estimator=estimator,
            knapp_hartung=knapp_hartung,
            confidence_level=confidence_level,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    z = float(sps.norm.isf((1 - confidence_level) / 2))
    out = table.assign(
        ci_low=table["estimate"] - z * table["se"],
        ci_high=table["estimate"] + z * table["se"],
        weight=res.weights,
    )
    return MetaAnalysis(out[list(STUDY_COLUMNS)].reset_index(drop=True), res, scale, metric)


def _from_table(data: Any) -> pd.DataFrame:
    frame = to_pandas(data, "table of estimates")
    for column in ("estimate", "se"):
        if column not in frame.columns:
            raise DataError("the column is missing", file="table of estimates", column=column)
    out = pd.DataFrame(
        {
            "study": frame["study"].astype(str)
            if "study" in frame.columns
            else [str(i + 1) for i in range(len(frame))]
        }
    )
    for column in ("estimate", "se"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = ~np.isfinite(numbers.to_numpy(float))
        if column == "se":
            bad |= numbers.to_numpy(float) <= 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            what = "a positive number" if column == "se" else "a number"
            raise DataError(
                f"{frame[column].iloc[i]!r} must be {what}",
                file="table of estimates",
                row=i + 1,
                column=column,
            )
        out[column] = numbers.to_numpy(float)
    return out


def _from_results(
    results: Sequence[Any], metric: str | None, arm: str | None
) -> tuple[pd.DataFrame, str]:
    if not results:
        raise InputError("no results to combine", column="studies")
    if metric is None:
        primaries = {r.experiment.primary_metric for r in results}
        if len(primaries) > 1:
            raise InputError(
                f"the results have different primary metrics ({', '.join(sorted(primaries))}); "
                "name one with metric=",
                column="metric",
            )
        metric = primaries.pop()
    if not all(hasattr(r, "experiment") and hasattr(r, "table") for r in results):
        raise InputError(
            "studies must be analysis results or one table with estimate and se columns",
            column="studies",
        )
    rows = [_result_row(r, metric, arm) for r in results]
    return pd.DataFrame(rows, columns=["study", "estimate", "se"]), metric


def _result_row(result: Any, metric: str, arm: str | None) -> tuple[str, float, float]:
    name = result.experiment.id
    table = result.table[result.table["metric"] == metric]
    if arm is not None:
        table = table[table["arm"] == arm]
    if len(table) != 1:
        what = "no row" if len(table) == 0 else f"{len(table)} rows (several arms or groups)"
        raise InputError(
            f"result {name!r} has {what} for metric {metric!r}"
            + ("" if arm is None else f" and arm {arm!r}")
            + "; name the arm with arm= or analyse without grouping",
            column="studies",
        )
    row = table.iloc[0]
    low, lift, high = (float(row[c]) for c in ("lift_ci_low", "lift", "lift_ci_high"))
    if not (np.isfinite([low, lift, high]).all() and low > -1):
        raise InputError(
            f"result {name!r}: the lift of {metric!r} or its interval is undefined or reaches "
            "-100 %, so it has no log ratio to pool",
            column="studies",
        )
    z = float(sps.norm.isf((1 - result.experiment.confidence_level) / 2))
    se = (np.log1p(high) - np.log1p(low)) / (2 * z)
    return name, float(np.log1p(lift)), float(se)


@dataclass(frozen=True, slots=True)
class EffectPrior:
    """A normal prior on a metric's log ratio (``log(1 + lift)``) of treatment over control.

    Attributes
    ----------
    mean, sd
        Mean and standard deviation of the log ratio.
    metric
        The metric it is about, if known.
    studies
        How many studies it was learnt from.
    """

    mean: float
    sd: float
    metric: str | None = None
    studies: int = 0

    def lift_interval(self, level: float = 0.95) -> tuple[float, float]:
        """The central interval of the lift the prior holds with probability ``level``."""
        z = float(sps.norm.isf((1 - level) / 2))
        return float(np.expm1(self.mean - z * self.sd)), float(np.expm1(self.mean + z * self.sd))

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values."""
        return {"mean": self.mean, "sd": self.sd, "metric": self.metric, "studies": self.studies}


def prior_from_meta(meta: MetaAnalysis, *, inflate: float = 1.0) -> EffectPrior:
    """The next experiment's prior on the lift: the meta-analysis's prediction distribution.

    The prior is :math:`N(\\hat\\mu, \\hat\\tau^2 + \\mathrm{se}(\\hat\\mu)^2)` on the log ratio —
    where the true effect of a *new* similar experiment is expected to lie, not the pooled
    mean, whose interval ignores how much experiments differ.

    Parameters
    ----------
    meta
        A meta-analysis on the ``"log_ratio"`` scale.
    inflate
        Multiply the prior's standard deviation by this (≥ 1) to borrow less: a prior is only
        as good as the similarity of the past experiments to the next one.

    Notes
    -----
    A borrowed prior is a strong assumption: it says the next experiment is exchangeable with
    the past ones (same metric, similar municipalities, job categories, ad changes). If it is
    not — another job category, another labour market, a different change — the prior pulls
    the result towards effects that do not apply. With few studies τ² is poorly estimated and
    the prior may be too narrow; use ``inflate`` and compare with the analysis without it.

    Examples
    --------
    >>> table = pd.DataFrame({"estimate": [0.10, 0.25, -0.02, 0.18], "se": [0.08, 0.1, 0.07, 0.12]})
    >>> prior = prior_from_meta(combine(table))
    >>> round(prior.mean, 3), prior.sd > combine(table).result.se
    (0.11, True)
    """
    if meta.scale != "log_ratio":
        raise InputError(
            "a prior on the lift needs a meta-analysis of log ratios (scale='log_ratio')",
            column="scale",
        )
    if not (np.isfinite(inflate) and inflate >= 1.0):
        raise InputError(f"inflate must be at least 1, got {inflate!r}", column="inflate")
    return EffectPrior(
        mean=meta.result.estimate,
        sd=meta.result.prediction_sd * float(inflate),
        metric=meta.metric,
        studies=meta.result.k,
    )


def read_estimates(path: str | Path) -> pd.DataFrame:
    """A table of estimates (``study``, ``estimate``, ``se``; log ratios) from a CSV or Parquet.

    Raises
    ------
    DataError
        Naming the file, row and column of the first bad value.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "tidligere.csv"
    >>> _ = file.write_text("study,estimate,se\\nA,0.1,0.05\\nB,0.2,0.08\\n", encoding="utf-8")
    >>> read_estimates(file)["se"].tolist()
    [0.05, 0.08]
    """
    frame = read_table(path)
    try:
        return _from_table(frame)
    except DataError as exc:
        row = None if exc.row is None else exc.row + 1  # the header is row 1 in a file
        raise DataError(exc.message, file=str(path), row=row, column=exc.column) from None
