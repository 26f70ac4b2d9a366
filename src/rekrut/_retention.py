"""Early leavers over time: Kaplan–Meier retention of new hires, per arm or group.

A hire-level table has one row per hire: ``hire_id``, the arm (or any group column),
``start_date``, ``end_date`` (blank while the person is still employed) and the date the table
was taken (an ``as_of`` column, or the ``as_of`` argument). A hire still employed is censored at
``as_of``: their time counts up to then, and nothing is assumed after it. :func:`retention`
gives the curves, the 3-, 6- and 12-month retention with intervals, and a log-rank test and Cox
hazard ratios between groups (statsmodels' duration models). ``retention_12m`` on posting-level
data stays as it was; this is for hire-level data.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from rekrut._json import dumps, json_records, notebook_html
from rekrut.errors import DataError
from rekrut.io import to_pandas
from rekrut.notes import Lang

__all__ = ["DAYS_PER_MONTH", "RetentionResult", "retention"]

DAYS_PER_MONTH = 365.25 / 12
"""A month of employment, in days (the mean Gregorian month)."""

_DATES = ("start_date", "end_date")


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """Kaplan–Meier retention of hires per group.

    Attributes
    ----------
    table
        One row per group and month asked for: ``group, months, hires, at_risk, retention,
        ci_low, ci_high``. ``retention`` is the share still employed that many months after
        starting; NaN when no hire of the group has been followed that long.
    curves
        The step curves: ``group, days, retention, ci_low, ci_high, at_risk, left`` at each
        day someone left, starting with day 0 at 1.
    comparison
        ``group, reference, hazard_ratio, ci_low, ci_high, p_value`` from a Cox model (Efron
        ties) against the first group, and the log-rank test of all groups in ``log_rank``.
    log_rank
        ``{"statistic", "df", "p_value"}``, or None with a single group.
    by, confidence_level
        The group column and the intervals' level.
    """

    table: pd.DataFrame
    curves: pd.DataFrame
    comparison: pd.DataFrame
    log_rank: dict[str, float] | None
    by: str
    confidence_level: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe values (NaN becomes None)."""
        return {
            "by": self.by,
            "confidence_level": self.confidence_level,
            "table": json_records(self.table),
            "comparison": json_records(self.comparison),
            "log_rank": self.log_rank,
            "curves": json_records(self.curves),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string."""
        return dumps(self.to_dict(), indent=indent)

    def _repr_html_(self) -> str:
        return notebook_html(self.table, [])

    def plot(self, *, lang: Lang = "en") -> Any:
        """The retention curves with their intervals (a matplotlib Figure)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7.5, 4.2))
        ax = fig.add_subplot()
        for group, curve in self.curves.groupby("group", sort=False):
            months = curve["days"] / DAYS_PER_MONTH
            line = ax.step(months, curve["retention"], where="post", label=str(group))[0]
            ax.fill_between(months, curve["ci_low"], curve["ci_high"], step="post",
                            alpha=0.15, color=line.get_color())  # fmt: skip
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("Måneder efter start" if lang == "da" else "Months after starting")
        ax.set_ylabel("Andel stadig ansat" if lang == "da" else "Share still employed")
        ax.legend(title=self.by, fontsize=8)
        fig.tight_layout()
        return fig


def retention(
    hires: Any,
    *,
    by: str = "arm",
    as_of: dt.date | str | None = None,
    months: Sequence[float] = (3, 6, 12),
    confidence_level: float = 0.95,
    source: str | None = None,
) -> RetentionResult:
    """Kaplan–Meier retention of new hires, per ``by`` group.

    Parameters
    ----------
    hires
        One row per hire: ``hire_id``, ``by``, ``start_date``, ``end_date`` (blank while
        employed) and, unless ``as_of`` is given, an ``as_of`` column.
    by
        The group column: ``arm``, ``job_category``, a channel …
    as_of
        The date the table was taken; hires still employed are followed up to it.
    months
        Where to read the curves off.
    confidence_level
        Level of the pointwise intervals and the hazard ratios' intervals.
    source
        The file the table came from, for error messages.

    Notes
    -----
    The Kaplan–Meier estimate :math:`\\hat S(t) = \\prod_{t_j \\le t}(1 - d_j/r_j)` with
    Greenwood's variance (statsmodels' ``SurvfuncRight``); the interval is
    :math:`\\hat S^{\\exp(\\pm z\\,\\mathrm{se}/(\\hat S |\\log \\hat S|))}` (log–log, as R's
    ``conf.type = "log-log"``), which stays inside 0-1 [1]_. Groups are compared by the
    log-rank test (``survdiff``) and a Cox model (``PHReg``, Efron's ties). Assumes that
    whether a hire is still being followed says nothing about their chance to leave (the
    ``as_of`` cut-off is the same for all, so this holds when hiring was steady), and, for the
    hazard ratio, that the groups' hazards are proportional.

    References
    ----------
    .. [1] Kalbfleisch, J. D., Prentice, R. L. (2002). The Statistical Analysis of Failure Time
       Data, 2nd ed., section 1.4. Wiley. https://doi.org/10.1002/9781118032985

    Examples
    --------
    >>> import pandas as pd
    >>> hires = pd.DataFrame({
    ...     "hire_id": [1, 2, 3, 4], "arm": ["A", "A", "B", "B"],
    ...     "start_date": ["2024-01-01"] * 4,
    ...     "end_date": ["2024-03-01", None, None, None]})
    >>> res = retention(hires, as_of="2025-01-01", months=[12])
    >>> res.table[["group", "retention"]].to_dict("records")
    [{'group': 'A', 'retention': 0.5}, {'group': 'B', 'retention': 1.0}]
    """
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1, got {confidence_level!r}")
    frame = _validate(to_pandas(hires, "hire table"), by, as_of, source)
    z = _z(confidence_level)
    groups = list(dict.fromkeys(frame[by].astype(str)))
    curves, rows = [], []
    for group in groups:
        part = frame[frame[by].astype(str) == group]
        curve = _curve(part["_days"].to_numpy(), part["_left"].to_numpy(), z)
        curves.append(curve.assign(group=group))
        rows += [_read_off(curve, part, group, m) for m in months]
    curve_table = pd.concat(curves, ignore_index=True)[
        ["group", "days", "retention", "ci_low", "ci_high", "at_risk", "left"]
    ]
    comparison, log_rank = _compare(frame, by, groups, confidence_level)
    return RetentionResult(
        pd.DataFrame(rows), curve_table, comparison, log_rank, by, confidence_level
    )


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.isf((1 - level) / 2))


def _dates(frame: pd.DataFrame, column: str, source: str | None) -> pd.Series:
    raw = frame[column]
    parsed = pd.to_datetime(raw, errors="coerce", format="ISO8601")
    bad = parsed.isna().to_numpy() & raw.notna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"{raw.iloc[row]!r} is not a date (use YYYY-MM-DD)", file=source,
                        row=row + 2, column=column)  # fmt: skip
    return parsed


def _fail(message: str, mask: npt.NDArray[np.bool_], column: str, source: str | None) -> None:
    if mask.any():
        raise DataError(message, file=source, row=int(np.flatnonzero(mask)[0]) + 2, column=column)


def _validate(
    frame: pd.DataFrame, by: str, as_of: dt.date | str | None, source: str | None
) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    for column in ("hire_id", by, *_DATES):
        if column not in frame.columns:
            raise DataError("the column is missing", file=source, column=column)
    _fail("a hire id is repeated; give each hire one row", frame["hire_id"].duplicated().to_numpy(),
          "hire_id", source)  # fmt: skip
    _fail("blank; every hire needs a group", frame[by].isna().to_numpy(), by, source)
    start, end = _dates(frame, "start_date", source), _dates(frame, "end_date", source)
    _fail("blank; every hire needs a start date", start.isna().to_numpy(), "start_date", source)
    cutoff = _cutoff(frame, as_of, source)
    _fail("the end date is before the start date", (end < start).to_numpy(), "end_date", source)
    _fail(f"after as_of ({cutoff.date()}); a hire cannot have left after the table was taken",
          (end > cutoff).to_numpy(), "end_date", source)  # fmt: skip
    _fail(f"after as_of ({cutoff.date()})", (start > cutoff).to_numpy(), "start_date", source)
    left = end.notna().to_numpy()
    days = (end.where(left, cutoff) - start).dt.days.to_numpy(dtype=np.float64)
    return frame.assign(_days=days, _left=left.astype(np.float64))


def _cutoff(frame: pd.DataFrame, as_of: dt.date | str | None, source: str | None) -> pd.Timestamp:
    if as_of is not None:
        if "as_of" in frame.columns:
            raise DataError("the table has an as_of column and as_of was given too; keep one",
                            file=source, column="as_of")  # fmt: skip
        return pd.Timestamp(as_of)
    if "as_of" not in frame.columns:
        raise DataError("give as_of (the date the table was taken) or an as_of column",
                        file=source, column="as_of")  # fmt: skip
    values = _dates(frame, "as_of", source)
    _fail("blank", values.isna().to_numpy(), "as_of", source)
    _fail(f"differs from the first row's {values.iloc[0].date()}; one table has one as_of",
          (values != values.iloc[0]).to_numpy(), "as_of", source)  # fmt: skip
    return pd.Timestamp(values.iloc[0])


def _curve(days: npt.NDArray[np.float64], left: npt.NDArray[np.float64], z: float) -> pd.DataFrame:
    from statsmodels.duration.survfunc import SurvfuncRight

    start = pd.DataFrame({"days": [0.0], "retention": [1.0], "ci_low": [1.0], "ci_high": [1.0],
                          "at_risk": [float(len(days))], "left": [0.0]})  # fmt: skip
    if not left.any():
        return start.assign(_last=float(days.max()))
    fit = SurvfuncRight(days, left)
    s, se = fit.surv_prob, fit.surv_prob_se
    with np.errstate(divide="ignore", invalid="ignore"):
        width = z * se / (s * np.abs(np.log(s)))
        low = np.where((s > 0) & (s < 1), s ** np.exp(width), np.where(s >= 1, 1.0, 0.0))
        high = np.where((s > 0) & (s < 1), s ** np.exp(-width), np.where(s >= 1, 1.0, 0.0))
    steps = pd.DataFrame({"days": fit.surv_times, "retention": s, "ci_low": low,
                          "ci_high": high, "at_risk": fit.n_risk, "left": fit.n_events})  # fmt: skip
    return pd.concat([start, steps], ignore_index=True).assign(_last=float(days.max()))


def _read_off(curve: pd.DataFrame, part: pd.DataFrame, group: str, months: float) -> dict[str, Any]:
    day = months * DAYS_PER_MONTH
    row: dict[str, Any] = {"group": group, "months": months, "hires": len(part),
                           "at_risk": int((part["_days"] >= day).sum())}  # fmt: skip
    if day > float(curve["_last"].iloc[0]):
        return {**row, "retention": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    step = curve[curve["days"] <= day].iloc[-1]
    return {**row, "retention": float(step["retention"]), "ci_low": float(step["ci_low"]),
            "ci_high": float(step["ci_high"])}  # fmt: skip


def _cox(frame: pd.DataFrame, codes: Any, groups: list[str], level: float) -> pd.DataFrame:
    """Hazard ratios against the first group; blank when a group has no leaver (the ratio is
    then 0 or infinite, and the model has no finite maximum)."""
    from statsmodels.duration.hazard_regression import PHReg

    events = np.bincount(codes, weights=frame["_left"].to_numpy(), minlength=len(groups))
    table = pd.DataFrame({"group": groups[1:], "reference": groups[0]})
    if (events == 0).any():
        return table.assign(hazard_ratio=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan)
    exog = np.column_stack([codes == k for k in range(1, len(groups))]).astype(np.float64)
    fit = PHReg(frame["_days"].to_numpy(), exog, status=frame["_left"].to_numpy(),
                ties="efron").fit()  # fmt: skip
    z = _z(level)
    beta, se = np.asarray(fit.params), np.asarray(fit.bse)
    return table.assign(hazard_ratio=np.exp(beta), ci_low=np.exp(beta - z * se),
                        ci_high=np.exp(beta + z * se), p_value=np.asarray(fit.pvalues))  # fmt: skip


def _compare(
    frame: pd.DataFrame, by: str, groups: list[str], level: float
) -> tuple[pd.DataFrame, dict[str, float] | None]:
    columns = ["group", "reference", "hazard_ratio", "ci_low", "ci_high", "p_value"]
    if len(groups) < 2 or not frame["_left"].any():
        return pd.DataFrame(columns=columns), None
    from statsmodels.duration.survfunc import survdiff

    codes = pd.Categorical(frame[by].astype(str), categories=groups).codes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # statsmodels divides 0/0 at tied ends
        statistic, p_value = survdiff(frame["_days"], frame["_left"], codes)
    table = _cox(frame, codes, groups, level)
    log_rank = {"statistic": float(statistic), "df": float(len(groups) - 1),
                "p_value": float(p_value)}  # fmt: skip
    return table[columns], log_rank
