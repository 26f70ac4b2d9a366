"""An initiative rolled out in a whole municipality, judged against comparable municipalities.

:func:`rekrut.peers.evaluate` validates the KPI panel and calls :func:`evaluate_panel` here:
the metric per municipality and period, the pre/post split at ``start``, a synthetic control
or difference-in-differences from the donors, and placebo-in-space inference
(:func:`rekrut.stats.placebo_synthetic_control`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rekrut.errors import DataError, InputError
from rekrut.notes import Lang, Note
from rekrut.stats import (
    DidRegression,
    PanelMethod,
    PlaceboResult,
    did_regression,
    placebo_synthetic_control,
)

__all__ = ["InitiativeEvaluation", "evaluate_panel", "metric_panel", "parse_periods"]

POOR_FIT_RATIO = 2.0
"""A pre-period RMSPE above this multiple of the placebos' median gets a ``poor_pre_fit`` note."""

MIN_PRE_PERIODS = 8
"""A synthetic control fitted on fewer pre-periods gets a ``few_pre_periods`` note: with many
donors and few periods the weights can follow the noise of the pre-period exactly."""

_FREQUENCIES: tuple[tuple[str, str], ...] = (
    (r"^\d{4}$", "Y"),
    (r"^\d{4}-(0[1-9]|1[0-2])$", "M"),
    (r"^\d{4}-?Q[1-4]$", "Q"),
)


@dataclass(frozen=True, slots=True)
class InitiativeEvaluation:
    """A municipality's KPI after an initiative against its counterfactual from peers.

    Attributes
    ----------
    municipality, metric, method, start
        What was evaluated: kommunekode, KPI, ``"synthetic_control"`` or ``"did"``, and the
        first period of the initiative.
    path
        One row per period: ``period, observed, counterfactual, gap, post``.
    weights
        Donor weights: ``kommunekode, weight`` (largest first; zero weights left out).
    placebos
        Each donor as a placebo: ``kommunekode, estimate, pre_rmspe``.
    placebo
        The numbers behind the estimate (:class:`rekrut.stats.PlaceboResult`).
    regression
        For ``"did"``: the two-way fixed-effects regression with clustered standard errors
        and the parallel-trends check; None for the synthetic control.
    notes
        Caveats: poor pre-period fit, donors left out, too few donors for an interval.
    """

    municipality: str
    metric: str
    method: PanelMethod
    start: str
    path: pd.DataFrame
    weights: pd.DataFrame
    placebos: pd.DataFrame
    placebo: PlaceboResult
    regression: DidRegression | None
    notes: tuple[Note, ...]

    @property
    def estimate(self) -> float:
        """Mean post-period difference between the municipality and its counterfactual."""
        return self.placebo.estimate

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``estimate, ci_low, ci_high, p_value, pre_rmspe, donors`` and the method."""
        res = self.placebo
        row = {
            "municipality": self.municipality,
            "metric": self.metric,
            "method": self.method,
            "start": self.start,
            "estimate": res.estimate,
            "ci_low": res.ci_low,
            "ci_high": res.ci_high,
            "p_value": res.p_value,
            "pre_rmspe": res.pre_rmspe,
            "donors": int(res.weights.size),
        }
        return pd.DataFrame([row])

    def note_texts(self, lang: Lang = "en") -> list[str]:
        """The notes as text in ``lang``."""
        return [note.text(lang) for note in self.notes]

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values (infinite interval ends become None)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.astype(object).where(frame.notna(), None)
            return [{str(k): _plain(v) for k, v in row.items()} for row in clean.to_dict("records")]

        return {
            "summary": records(self.summary)[0],
            "path": records(self.path),
            "weights": records(self.weights),
            "placebos": records(self.placebos),
            "regression": None
            if self.regression is None
            else {k: _plain(getattr(self.regression, k)) for k in self.regression.__slots__},
            "notes": [note.to_dict() for note in self.notes],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def parse_periods(values: Sequence[Any], *, what: str = "period") -> pd.PeriodIndex:
    """Periods written as ``2025`` (years), ``2025-01`` (months) or ``2025Q1`` (quarters).

    All periods of a panel must be written one way; anything else is an error naming the row.

    Examples
    --------
    >>> parse_periods(["2024-12", "2025-01"]).freqstr
    'M'
    """
    text = pd.Series([str(v).strip() for v in values], dtype=object)
    kinds = pd.Series(np.full(len(text), "", dtype=object))
    for pattern, freq in _FREQUENCIES:
        kinds[text.str.match(pattern).to_numpy()] = freq
    bad = (kinds == "").to_numpy() | (kinds != kinds.iloc[0]).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{text.iloc[i]!r} is not a period like 2025, 2025-01 or 2025Q1 written the same "
            f"way as the first ({text.iloc[0]!r})",
            row=i + 1,
            column=what,
        )
    return pd.PeriodIndex(text.str.replace("-Q", "Q"), freq=str(kinds.iloc[0]))


def metric_panel(
    data: pd.DataFrame, numerator: str, denominator: str, *, job_category: str | None = None
) -> pd.DataFrame:
    """The metric per municipality (rows) and period (columns), from validated KPI rows.

    Job categories are summed unless one is chosen; a cell with no denominator is NaN.
    """
    if job_category is not None:
        if job_category not in set(data["job_category"]):
            known = ", ".join(sorted(set(data["job_category"].astype(str))))
            raise InputError(f"no rows for job category {job_category!r}; the panel has {known}")
        data = data[data["job_category"] == job_category]
    if numerator == "filled":
        data = data.assign(filled=data["postings"] - data["failed"])
    if numerator == "retained":
        data = data.assign(retained=data["hires"] - data["early_leavers"])
    sums = data.groupby(["kommunekode", "period"], sort=True)[[numerator, denominator]].sum()
    value = sums[numerator] / sums[denominator].where(sums[denominator] > 0)
    wide: pd.DataFrame = (
        value.rename("value")
        .reset_index()
        .pivot_table(index="kommunekode", columns="period", values="value", dropna=False, sort=True)
    )
    return wide


def evaluate_panel(
    wide: pd.DataFrame,
    municipality: str,
    *,
    metric: str,
    start: str,
    method: PanelMethod = "synthetic_control",
    donors: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    confidence_level: float = 0.95,
) -> InitiativeEvaluation:
    """Evaluate an initiative on a municipality x period table of one metric."""
    if method not in ("synthetic_control", "did"):
        raise InputError(
            f"method must be 'synthetic_control' or 'did', got {method!r}", column="method"
        )
    periods = parse_periods(list(wide.columns))
    wide = wide.set_axis(periods, axis=1).sort_index(axis=1)
    pre = _pre_periods(wide.columns, start)
    if municipality not in wide.index:
        raise InputError(f"the panel has no rows for municipality {municipality}")
    mine = wide.loc[municipality]
    if mine.isna().any():
        missing = str(mine.index[mine.isna().to_numpy()][0])
        raise InputError(
            f"municipality {municipality} has no {metric} for period {missing} (no postings); "
            "the evaluation needs every period",
            column="period",
        )
    pool, notes = _donor_pool(wide, municipality, donors, exclude, metric)
    outcomes = np.vstack([mine.to_numpy(float), pool.to_numpy(float)])
    try:
        res = placebo_synthetic_control(
            outcomes, 0, pre, method=method, confidence_level=confidence_level
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    notes += _fit_notes(res, metric, municipality, confidence_level)
    if method == "synthetic_control" and pre.sum() < MIN_PRE_PERIODS:
        notes.append(Note("few_pre_periods", {"metric": metric, "count": int(pre.sum())}))
    regression = None
    if method == "did":
        regression = did_regression(outcomes, 0, pre, confidence_level=confidence_level)
        notes.append(Note("did_clustered_se", {"metric": metric}))
        if regression.pretrend_p_value < 0.05:
            notes.append(
                Note(
                    "pretrend",
                    {"metric": metric, "p_value": f"{regression.pretrend_p_value:.2g}"},
                )
            )
    return InitiativeEvaluation(
        municipality=municipality,
        metric=metric,
        method=method,
        start=str(wide.columns[int(np.argmin(pre))]),
        path=pd.DataFrame(
            {
                "period": [str(p) for p in wide.columns],
                "observed": outcomes[0],
                "counterfactual": res.counterfactual,
                "gap": res.gap,
                "post": ~pre,
            }
        ),
        weights=_weights(pool.index, res.weights),
        placebos=pd.DataFrame(
            {
                "kommunekode": list(pool.index),
                "estimate": res.placebo_estimate,
                "pre_rmspe": res.placebo_pre_rmspe,
            }
        ),
        placebo=res,
        regression=regression,
        notes=tuple(notes),
    )


def _pre_periods(periods: pd.Index, start: str) -> np.ndarray:
    """True for the periods before ``start``, which must begin one of the panel's periods."""
    try:
        first = parse_periods([start], what="start")[0]
    except DataError:
        raise InputError(
            f"start {start!r} is not a period like 2025, 2025-01 or 2025Q1", column="start"
        ) from None
    begins = [p.start_time for p in periods]
    if first.start_time not in begins:
        raise InputError(
            f"start {start} does not begin one of the panel's periods "
            f"({periods[0]} … {periods[-1]}); give the first period of the initiative",
            column="start",
        )
    pre: np.ndarray = np.asarray([b < first.start_time for b in begins])
    if pre.sum() < 2 or pre.all():
        raise InputError(
            f"start {start} leaves {int(pre.sum())} periods before and {int((~pre).sum())} "
            "after; the evaluation needs at least two before and one after",
            column="start",
        )
    return pre


def _donor_pool(
    wide: pd.DataFrame,
    municipality: str,
    donors: Sequence[str] | None,
    exclude: Sequence[str],
    metric: str,
) -> tuple[pd.DataFrame, list[Note]]:
    chosen = [c for c in wide.index if c != municipality] if donors is None else list(donors)
    unknown = [c for c in chosen if c not in wide.index]
    if unknown:
        raise InputError(
            f"donor municipality {unknown[0]} has no rows in the panel", column="donors"
        )
    chosen = [c for c in chosen if c != municipality and c not in set(exclude)]
    pool = wide.loc[chosen]
    complete = pool.notna().all(axis=1)
    notes: list[Note] = []
    if not complete.all():
        left_out = ", ".join(pool.index[~complete.to_numpy()])
        notes.append(
            Note(
                "donors_incomplete",
                {"metric": metric, "count": int((~complete).sum()), "codes": left_out},
            )
        )
        pool = pool[complete]
    if len(pool) < 2:
        raise InputError(
            f"{len(pool)} donor municipalities have {metric} in every period; at least two are "
            "needed",
            column="donors",
        )
    return pool, notes


def _fit_notes(
    res: PlaceboResult, metric: str, municipality: str, confidence_level: float
) -> list[Note]:
    notes: list[Note] = []
    typical = float(np.median(res.placebo_pre_rmspe))
    if res.pre_rmspe > POOR_FIT_RATIO * typical:
        notes.append(
            Note(
                "poor_pre_fit",
                {
                    "metric": metric,
                    "municipality": municipality,
                    "ratio": f"{res.pre_rmspe / typical:.1f}",
                },
            )
        )
    if not np.isfinite(res.ci_low):
        notes.append(
            Note(
                "few_donors",
                {
                    "metric": metric,
                    "count": int(res.weights.size),
                    "needed": int(np.ceil(1 / (1 - confidence_level))) - 1,
                },
            )
        )
    return notes


def _weights(codes: pd.Index, weights: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"kommunekode": list(codes), "weight": weights})
    frame = frame[frame["weight"] > 1e-6].sort_values("weight", ascending=False, kind="stable")
    return frame.reset_index(drop=True)
