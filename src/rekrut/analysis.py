"""``analyze``: from an experiment and its data to a tidy table of comparisons.

The method for each metric is chosen from the metric catalogue (its kind), from how the data were
collected (per posting or arm totals) and from the randomisation unit — a lookup, not a chain of
special cases per metric.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from rekrut._progress import progress
from rekrut.data import PostingData, Summary, load_postings, summarize
from rekrut.errors import DataError
from rekrut.messages import Lang, Note
from rekrut.metrics import Metric, get_metric
from rekrut.model import Experiment, load_experiment
from rekrut.stats._result import Comparison, FloatArray

if TYPE_CHECKING:
    from rekrut.stats._srm import SRMResult

__all__ = ["TABLE_COLUMNS", "AnalysisResult", "Plan", "analyze"]

Method = Literal["frequentist", "bayesian", "sequential"]
Mode = Literal["units", "clustered", "binomial", "totals"]

ESTIMATE_COLUMNS = (
    "control_value",
    "treatment_value",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
)
"""The estimates every result table has, frequentist, sequential or Bayesian."""

KEY_COLUMNS = ("metric", "arm", "control", "n_control", "n_treatment")

TABLE_COLUMNS = (
    *KEY_COLUMNS,
    *ESTIMATE_COLUMNS,
    "p_value",
    "p_value_adjusted",
    "adjustment",
    "family",
    "direction",
    "method",
)
"""Columns of a frequentist (and sequential) result table, after any grouping columns."""

_VALUE_FIELDS = (*ESTIMATE_COLUMNS, "p_value")


@dataclass(frozen=True, slots=True)
class Plan:
    """Options of one analysis run; the defaults come from the experiment file."""

    confidence_level: float
    multiplicity: Literal["holm", "bh", "none"]
    proportion_test: Literal["auto", "z", "fisher"] = "auto"
    ratio_interval: Literal["delta", "bootstrap"] = "delta"
    n_resamples: int = 2000
    n_draws: int = 10_000
    pool: bool = False
    progress: bool = False
    rng: np.random.Generator = field(default_factory=np.random.default_rng)


@dataclass(frozen=True, slots=True)
class Cells:
    """Sufficient statistics of one metric for control and treatment, shape (groups, treatments)."""

    control: dict[str, FloatArray]
    treatment: dict[str, FloatArray]


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """The result of :func:`analyze`.

    Attributes
    ----------
    experiment
        The experiment analysed.
    method
        ``"frequentist"``, ``"bayesian"`` or ``"sequential"``.
    table
        One row per (group,) metric and treatment arm; see :data:`TABLE_COLUMNS`.
    notes
        Caveats the reader must see (e.g. a Poisson test on arm totals).
    srm
        The sample-ratio-mismatch check of postings per arm, if it applies.
    summary
        The per-arm sufficient statistics the analysis used.
    """

    experiment: Experiment
    method: Method
    table: pd.DataFrame
    notes: tuple[Note, ...]
    srm: SRMResult | None
    summary: Summary

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe Python values (NaN and infinities become ``None``)."""
        records = self.table.astype(object).where(self.table.notna(), None)
        rows = [{k: _json_value(v) for k, v in row.items()} for row in records.to_dict("records")]
        return {
            "experiment": self.experiment.model_dump(mode="json"),
            "method": self.method,
            "table": rows,
            "notes": [note.to_dict() for note in self.notes],
            "sample_ratio_mismatch": None if self.srm is None else self.srm.to_dict(),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def note_texts(self, lang: Lang = "en") -> list[str]:
        """Return the notes as text in ``lang``."""
        return [note.text(lang) for note in self.notes]

    def _repr_html_(self) -> str:
        from rekrut.report import result_html

        return result_html(self)

    def plot(self, metric: str | None = None) -> Any:
        """Return a matplotlib forest plot of the lifts (needs ``rekrut[report]``)."""
        from rekrut.report import forest_plot

        return forest_plot(self, metric=metric)


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def analyze(
    experiment: Experiment | str | Path,
    data: Any = None,
    *,
    method: Method = "frequentist",
    by: Sequence[str] | None = None,
    confidence_level: float | None = None,
    multiplicity: Literal["holm", "bh", "none"] | None = None,
    proportion_test: Literal["auto", "z", "fisher"] = "auto",
    ratio_interval: Literal["delta", "bootstrap"] = "delta",
    n_resamples: int = 2000,
    n_draws: int = 10_000,
    pool: bool = False,
    progress: bool = False,
    rng: np.random.Generator | int | None = None,
) -> AnalysisResult:
    """Compare every treatment arm with the control on every metric of the experiment.

    Parameters
    ----------
    experiment
        An :class:`~rekrut.Experiment` or the path of an experiment file.
    data
        Posting rows or arm totals: a DataFrame, a file path, or None for the file the
        experiment names.
    method
        ``"frequentist"`` (confidence intervals and p-values), ``"sequential"`` (always-valid
        p-values and confidence sequences, valid however often the data were looked at; needs
        ``published`` dates) or ``"bayesian"`` (conjugate
        posteriors: credible intervals, probability to beat control and to be best, expected
        loss and a region-of-practical-equivalence decision; see the experiment's ``[bayes]``).
    by
        Grouping columns: the analysis runs per group and the table gets these columns first.
    confidence_level, multiplicity
        Override the experiment's plan (``multiplicity`` applies to the secondary metrics;
        the primary metric is adjusted only across several treatment arms).
    proportion_test
        ``"auto"`` uses Fisher's exact test when an expected cell count is small, else a z-test.
    ratio_interval
        ``"delta"`` (delta method over postings) or ``"bootstrap"`` (resampling postings) for
        cost ratios.
    n_resamples, n_draws, rng
        Bootstrap resamples, Monte Carlo draws (Bayesian probability of being best among
        more than two arms; Bayesian intervals are exact), and the seed.
    pool
        With ``method="bayesian"`` and ``by``: partial pooling across the groups — every cell's
        prior is an empirical-Bayes prior fitted to all groups and arms of the metric, so small
        groups are not judged on noise.

    Returns
    -------
    AnalysisResult
        With ``.table`` (one row per metric and treatment arm), ``.notes`` and ``.to_json()``.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.Experiment.model_validate({"id": "x", "control": "A",
    ...     "metrics": ["fill_rate"],
    ...     "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}]})
    >>> data = rk.simulate(exp, postings=300, rng=7)
    >>> result = rk.analyze(exp, data)
    >>> result.table[["metric", "arm", "control"]].to_dict("records")
    [{'metric': 'fill_rate', 'arm': 'B', 'control': 'A'}]
    """
    if isinstance(experiment, str | Path):
        experiment = load_experiment(experiment)
    if method not in ("frequentist", "bayesian", "sequential"):
        msg = f"method must be 'frequentist', 'bayesian' or 'sequential', got {method!r}"
        raise ValueError(msg)
    if method == "sequential" and by:
        raise ValueError("method='sequential' does not take by=; monitor each group separately")
    if pool and (method != "bayesian" or not by):
        raise ValueError("pool=True needs method='bayesian' and grouping columns in by=")
    plan = Plan(
        confidence_level=confidence_level or experiment.confidence_level,
        multiplicity=multiplicity or experiment.multiplicity,
        proportion_test=proportion_test,
        ratio_interval=ratio_interval,
        n_resamples=n_resamples,
        n_draws=n_draws,
        pool=pool,
        progress=progress,
        rng=np.random.default_rng(rng),
    )
    postings = load_postings(experiment, data)
    summary = summarize(experiment, postings, by=by)
    notes: list[Note] = []
    if method == "bayesian":
        table = _bayesian_table(experiment, summary, plan, notes)
        srm = _sample_ratio(experiment, summary, notes)
        return AnalysisResult(experiment, method, table, tuple(notes), srm, summary)
    if method == "sequential":
        from rekrut.sequential import last_look

        looks = last_look(experiment, postings, plan)
        table = _assemble(experiment, summary, [_Block(*look) for look in looks], plan)
        if any(get_metric(m).kind == "duration" for m in experiment.metrics):
            notes.append(Note("duration_sequential", {"metric": "time_to_hire_days"}))
        srm = _sample_ratio(experiment, summary, notes)
        return AnalysisResult(experiment, method, table, tuple(notes), srm, summary)
    computed = [
        _metric_block(experiment, postings, summary, get_metric(m), plan, notes)
        for m in experiment.metrics
    ]
    blocks = [b for b in computed if b is not None]
    table = _assemble(experiment, summary, blocks, plan)
    srm = _sample_ratio(experiment, summary, notes)
    return AnalysisResult(experiment, method, table, tuple(notes), srm, summary)


@dataclass(frozen=True, slots=True)
class _Block:
    metric: Metric
    n_control: FloatArray
    n_treatment: FloatArray
    comparison: Comparison


def _groups(summary: Summary) -> pd.DataFrame:
    by = list(summary.by)
    if not by:
        return pd.DataFrame(index=[0])
    return summary.table[by].drop_duplicates().reset_index(drop=True)


def _cells(experiment: Experiment, summary: Summary, metric_id: str) -> Cells:
    table = summary.table[summary.table["metric"] == metric_id]
    groups = _groups(summary)
    by = list(summary.by)
    arms = list(experiment.arm_ids)
    treatments = [a.id for a in experiment.treatments]
    stat_cols = ["n", "sum_x", "sum_y", "sum_xx", "sum_yy", "sum_xy"]
    keyed = table.set_index([*by, "arm"])[stat_cols] if by else table.set_index("arm")[stat_cols]
    index: pd.Index = (
        pd.MultiIndex.from_frame(groups.merge(pd.DataFrame({"arm": arms}), how="cross"))
        if by
        else pd.Index(arms, name="arm")
    )
    full = keyed.reindex(index).to_numpy(dtype=np.float64).reshape(len(groups), len(arms), -1)
    control_pos = arms.index(experiment.control)
    treat_pos = [arms.index(t) for t in treatments]
    shape = (len(groups), len(treatments))
    control = {
        c: np.broadcast_to(full[:, control_pos, i][:, None], shape).copy()
        for i, c in enumerate(stat_cols)
    }
    treatment = {c: full[:, treat_pos, i] for i, c in enumerate(stat_cols)}
    return Cells(control, treatment)


def _mode(metric: Metric, experiment: Experiment, summary: Summary) -> Mode:
    totals = summary.granularity == "arm_totals"
    if metric.kind == "proportion":
        if metric.per_posting or experiment.unit != "posting" or totals:
            return "binomial"
        return "clustered"
    return "totals" if totals else "units"


def _ratio_stats(stats: dict[str, FloatArray]) -> Any:
    from rekrut.stats._ratios import RatioStats

    return RatioStats(
        n=stats["n"],
        sum_x=stats["sum_x"],
        sum_y=stats["sum_y"],
        sum_xx=stats["sum_xx"],
        sum_yy=stats["sum_yy"],
        sum_xy=stats["sum_xy"],
    )


def _compare_binomial(cells: Cells, plan: Plan) -> Comparison:
    from rekrut.stats._proportions import compare_proportions

    c, t = cells.control, cells.treatment
    return compare_proportions(
        c["sum_x"],
        c["sum_y"],
        t["sum_x"],
        t["sum_y"],
        test=plan.proportion_test,
        confidence_level=plan.confidence_level,
    )


def _compare_units(cells: Cells, plan: Plan) -> Comparison:
    from rekrut.stats._ratios import compare_ratios

    return compare_ratios(
        _ratio_stats(cells.control),
        _ratio_stats(cells.treatment),
        confidence_level=plan.confidence_level,
    )


def _compare_count_units(cells: Cells, plan: Plan) -> Comparison:
    from rekrut.stats._counts import compare_counts

    return compare_counts(
        _ratio_stats(cells.control),
        _ratio_stats(cells.treatment),
        confidence_level=plan.confidence_level,
    )


def _compare_count_totals(cells: Cells, plan: Plan) -> Comparison:
    from rekrut.stats._counts import compare_poisson_totals

    c, t = cells.control, cells.treatment
    return compare_poisson_totals(
        c["sum_x"], c["sum_y"], t["sum_x"], t["sum_y"], confidence_level=plan.confidence_level
    )


def _compare_ratio_totals(cells: Cells, plan: Plan) -> Comparison:
    """Cost per outcome from arm totals: the cost is fixed, the outcome count Poisson."""
    from rekrut.stats._counts import compare_poisson_totals

    c, t = cells.control, cells.treatment
    per_dkk = compare_poisson_totals(
        c["sum_y"], c["sum_x"], t["sum_y"], t["sum_x"], confidence_level=plan.confidence_level
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        # no outcomes: the cost per outcome is undefined (NaN), never an infinite value
        value_c = np.where(c["sum_y"] > 0, c["sum_x"] / c["sum_y"], np.nan)
        value_t = np.where(t["sum_y"] > 0, t["sum_x"] / t["sum_y"], np.nan)
        lift = np.where(np.isnan(value_c) | np.isnan(value_t), np.nan, value_t / value_c - 1.0)
        low = 1.0 / (1.0 + per_dkk.lift_ci_high) - 1.0
        high = 1.0 / (1.0 + per_dkk.lift_ci_low) - 1.0
    nan = np.full_like(value_c, np.nan)
    return Comparison(
        value_c,
        value_t,
        value_t - value_c,
        nan,
        nan,
        lift,
        low,
        high,
        per_dkk.statistic,
        per_dkk.p_value,
        "poisson_exact_cost_fixed",
    )


_DISPATCH: dict[tuple[str, Mode], tuple[Callable[[Cells, Plan], Comparison], str | None]] = {
    ("count", "units"): (_compare_count_units, None),
    ("count", "totals"): (_compare_count_totals, "poisson_totals"),
    ("proportion", "binomial"): (_compare_binomial, None),
    ("proportion", "clustered"): (_compare_units, None),
    ("ratio", "units"): (_compare_units, None),
    ("ratio", "totals"): (_compare_ratio_totals, "ratio_totals"),
}
"""Frequentist method by (metric kind, data mode), with the note the method always carries."""


def _metric_block(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    metric: Metric,
    plan: Plan,
    notes: list[Note],
) -> _Block | None:
    if metric.kind == "duration":
        if summary.granularity == "arm_totals":
            notes.append(Note("duration_totals", {"metric": metric.id}))
            return None
        if experiment.unit == "source":
            notes.append(Note("source_unpaired", {"metric": metric.id}))
        return _duration_block(experiment, postings, summary, metric, plan)
    cells = _cells(experiment, summary, metric.id)
    mode = _mode(metric, experiment, summary)
    if _paired(experiment, summary, metric):
        comparison, pairs = _paired_block(experiment, postings, summary, metric, plan)
        notes.append(Note("source_paired", {"metric": metric.id}))
        _zero_denominator_notes(experiment, summary, metric, cells, notes)
        return _Block(metric, pairs, pairs, comparison)
    if metric.kind == "ratio" and mode == "units" and plan.ratio_interval == "bootstrap":
        comparison = _bootstrap_block(experiment, postings, summary, metric, plan, notes)
    else:
        compare, note = _DISPATCH[(metric.kind, mode)]
        comparison = compare(cells, plan)
        if note:
            notes.append(Note(note, {"metric": metric.id}))
    if (
        metric.kind == "proportion"
        and summary.granularity == "arm_totals"
        and not metric.per_posting
        and experiment.unit == "posting"
    ):
        notes.append(Note("binomial_totals", {"metric": metric.id}))
    _zero_denominator_notes(experiment, summary, metric, cells, notes)
    n_key = "sum_y" if mode == "binomial" and not metric.per_posting else "n"
    return _Block(metric, cells.control[n_key], cells.treatment[n_key], comparison)


def _paired(experiment: Experiment, summary: Summary, metric: Metric) -> bool:
    """Whether the arms are measured on the same postings (applicant source attribution)."""
    return (
        experiment.unit == "source"
        and summary.granularity == "postings"
        and metric.kind in ("count", "proportion", "ratio")
    )


def _paired_block(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    metric: Metric,
    plan: Plan,
) -> tuple[Comparison, FloatArray]:
    """Each treatment channel against the control channel within the same postings."""
    from rekrut.stats._ratios import PairedStats, RatioStats, compare_paired_ratios

    by = list(summary.by)
    if "posting_id" not in postings.columns:
        raise DataError(
            "unit 'source' compares the channels of each posting, so the table needs posting_id",
            file=postings.source,
            column="posting_id",
        )
    needed = [metric.numerator] + ([] if metric.per_posting else [metric.denominator])
    frame = postings.collect([*by, "posting_id", *needed])
    values = frame[[*by, "posting_id", "arm"]].copy()
    values["x"] = frame[metric.numerator].to_numpy(dtype=np.float64)
    values["y"] = 1.0 if metric.per_posting else frame[metric.denominator].to_numpy(np.float64)
    values = values.dropna(subset=["x", "y"])
    keys = [*by, "posting_id"]
    control = values[values["arm"] == experiment.control].drop(columns="arm")
    groups = _groups(summary)
    sums: dict[str, list[FloatArray]] = {}
    for arm in experiment.treatments:
        pairs = control.merge(
            values[values["arm"] == arm.id].drop(columns="arm"), on=keys, suffixes=("_c", "_t")
        )
        pairs = pairs.assign(
            n=1.0,
            xx_c=pairs["x_c"] ** 2,
            yy_c=pairs["y_c"] ** 2,
            xy_c=pairs["x_c"] * pairs["y_c"],
            xx_t=pairs["x_t"] ** 2,
            yy_t=pairs["y_t"] ** 2,
            xy_t=pairs["x_t"] * pairs["y_t"],
            xt_xc=pairs["x_t"] * pairs["x_c"],
            xt_yc=pairs["x_t"] * pairs["y_c"],
            yt_xc=pairs["y_t"] * pairs["x_c"],
            yt_yc=pairs["y_t"] * pairs["y_c"],
        ).drop(columns="posting_id")
        totals = pairs.groupby(by).sum() if by else pairs.sum().to_frame().T
        aligned = (
            totals.reindex(pd.MultiIndex.from_frame(groups) if len(by) > 1 else groups[by[0]])
            if by
            else totals
        )
        for column in aligned.columns:
            sums.setdefault(column, []).append(aligned[column].fillna(0.0).to_numpy(np.float64))
    arrays = {k: np.stack(v, axis=1) for k, v in sums.items()}  # (groups, treatments)

    def arm_stats(side: str) -> RatioStats:
        return RatioStats(
            arrays["n"],
            arrays[f"x_{side}"],
            arrays[f"y_{side}"],
            arrays[f"xx_{side}"],
            arrays[f"yy_{side}"],
            arrays[f"xy_{side}"],
        )

    paired = PairedStats(
        arrays["n"], arrays["xt_xc"], arrays["xt_yc"], arrays["yt_xc"], arrays["yt_yc"]
    )
    comparison = compare_paired_ratios(
        arm_stats("c"), arm_stats("t"), paired, confidence_level=plan.confidence_level
    )
    return comparison, arrays["n"]


def _zero_denominator_notes(
    experiment: Experiment, summary: Summary, metric: Metric, cells: Cells, notes: list[Note]
) -> None:
    if metric.kind not in ("ratio", "proportion") or metric.per_posting:
        return
    arms = [experiment.control, *(a.id for a in experiment.treatments)]
    sums = np.concatenate([cells.control["sum_y"][:, :1], cells.treatment["sum_y"]], axis=1)
    empty = sorted({arms[j] for j in np.flatnonzero((sums == 0).any(axis=0))})
    for arm in empty:
        notes.append(
            Note(
                "zero_denominator",
                {"metric": metric.id, "arm": arm, "denominator": metric.denominator},
            )
        )


def _unit_rows(
    postings: PostingData, summary: Summary, columns: Sequence[str]
) -> Callable[[dict[str, Any], str], dict[str, FloatArray]]:
    """Collect the needed columns once; return a lookup of the rows of one group and arm."""
    frame = postings.collect([*summary.by, *columns])
    values = {c: frame[c].to_numpy(dtype=np.float64) for c in columns if c in frame.columns}
    grouped = frame.groupby([*summary.by, "arm"], sort=False).indices
    # pandas keys a single grouping column by its value, several by tuples: use tuples always
    positions = {k if isinstance(k, tuple) else (k,): v for k, v in grouped.items()}
    nothing = np.zeros(0, dtype=np.intp)

    def rows(group: dict[str, Any], arm: str) -> dict[str, FloatArray]:
        key = (*(group[c] for c in summary.by), arm)
        where = positions.get(key, nothing)
        return {c: v[where] for c, v in values.items()}

    return rows


def _unit_arrays(rows: dict[str, FloatArray], metric: Metric) -> tuple[FloatArray, FloatArray]:
    x = rows[metric.numerator]
    y = np.ones(len(x)) if metric.per_posting else rows[metric.denominator]
    known = ~(np.isnan(x) | np.isnan(y))
    return x[known], y[known]


def _per_cell(
    experiment: Experiment,
    summary: Summary,
    compute: Callable[[dict[str, Any], str], Comparison],
    plan: Plan,
) -> Comparison:
    """Run ``compute(group, treatment)`` per cell and stack results into (groups, treatments)."""
    groups = _groups(summary)
    records: list[dict[str, Any]] = (
        [{str(k): v for k, v in r.items()} for r in groups.to_dict("records")]
        if summary.by
        else [{}]
    )
    shown = progress(records, total=len(records), desc="cells", enabled=plan.progress)
    results = [[compute(g, arm.id) for arm in experiment.treatments] for g in shown]
    fields_ = {
        name: np.array([[float(getattr(r, name)) for r in row] for row in results])
        for name in (*_VALUE_FIELDS, "statistic")
    }
    method = results[0][0].method if results and results[0] else "no_data"
    return Comparison(**fields_, method=method)


def _bootstrap_block(
    experiment: Experiment,
    postings: PostingData,
    summary: Summary,
    metric: Metric,
    plan: Plan,
    notes: list[Note],
) -> Comparison:
    from rekrut.stats._ratios import bootstrap_ratios

    dropped: list[float] = []
    rows = _unit_rows(postings, summary, [metric.numerator, metric.denominator])

    def compute(group: dict[str, Any], arm: str) -> Comparison:
        xc, yc = _unit_arrays(rows(group, experiment.control), metric)
        xt, yt = _unit_arrays(rows(group, arm), metric)
        res = bootstrap_ratios(
            xc,
            yc,
            xt,
            yt,
            n_resamples=plan.n_resamples,
            confidence_level=plan.confidence_level,
            rng=plan.rng,
        )
        dropped.append(float(np.max(res.zero_denominator_share)))
        return res.comparison

    comparison = _per_cell(experiment, summary, compute, plan)
    if dropped and max(dropped) > 0:
        share = f"{max(dropped):.1%}"
        notes.append(
            Note(
                "bootstrap_zero",
                {"metric": metric.id, "share": share, "denominator": metric.denominator},
            )
        )
    return comparison


def _duration_block(
    experiment: Experiment, postings: PostingData, summary: Summary, metric: Metric, plan: Plan
) -> _Block:
    from rekrut.stats._survival import compare_time_to_event

    rows = _unit_rows(postings, summary, [metric.numerator, "hires", "days_open"])

    def times(group: dict[str, Any], arm: str) -> tuple[FloatArray, FloatArray]:
        part = rows(group, arm)
        event = part["hires"] > 0
        follow = part["days_open"] if "days_open" in part else np.full(event.size, np.nan)
        time = np.where(event, part[metric.numerator], follow)
        known = ~np.isnan(time)
        return time[known], event[known].astype(np.float64)

    sizes: dict[str, list[float]] = {"control": [], "treatment": []}

    def compute(group: dict[str, Any], arm: str) -> Comparison:
        tc, ec = times(group, experiment.control)
        tt, et = times(group, arm)
        sizes["control"].append(float(len(tc)))
        sizes["treatment"].append(float(len(tt)))
        return compare_time_to_event(tc, ec, tt, et, confidence_level=plan.confidence_level)

    comparison = _per_cell(experiment, summary, compute, plan)
    shape = comparison.p_value.shape
    n_control = np.array(sizes["control"]).reshape(shape)
    n_treatment = np.array(sizes["treatment"]).reshape(shape)
    return _Block(metric, n_control, n_treatment, comparison)


def _assemble(
    experiment: Experiment, summary: Summary, blocks: list[_Block], plan: Plan
) -> pd.DataFrame:
    from rekrut.stats._multiplicity import correct_pvalues

    groups = _groups(summary)
    treatments = [a.id for a in experiment.treatments]
    n_groups, n_treat = len(groups), len(treatments)
    p = np.stack([b.comparison.p_value for b in blocks])  # (metrics, groups, treatments)
    primary = np.array([b.metric.id == experiment.primary_metric for b in blocks])
    adjusted = np.full_like(p, np.nan)
    method_for = {
        "primary": plan.multiplicity if n_treat > 1 else "none",
        "secondary": plan.multiplicity,
    }
    for family, mask in (("primary", primary), ("secondary", ~primary)):
        if not mask.any():
            continue
        block = np.moveaxis(p[mask], 1, 0).reshape(n_groups, -1)
        adj = correct_pvalues(block, method=method_for[family], axis=-1)
        adjusted[mask] = np.moveaxis(
            np.asarray(adj).reshape(n_groups, int(mask.sum()), n_treat), 0, 1
        )
    frames = []
    for i, block in enumerate(blocks):
        comp = block.comparison
        family = "primary" if primary[i] else "secondary"
        data: dict[str, Any] = {
            "metric": block.metric.id,
            "arm": np.tile(treatments, n_groups),
            "control": experiment.control,
            "n_control": block.n_control.ravel(),
            "n_treatment": block.n_treatment.ravel(),
        }
        for name in _VALUE_FIELDS:
            data[name] = np.asarray(getattr(comp, name), dtype=np.float64).ravel()
        data["p_value_adjusted"] = adjusted[i].ravel()
        data["adjustment"] = method_for[family]
        data["family"] = family
        data["direction"] = block.metric.direction
        data["method"] = comp.method
        frame = pd.DataFrame(data)
        if summary.by:
            keys = groups.loc[groups.index.repeat(n_treat)].reset_index(drop=True)
            frame = pd.concat([keys, frame], axis=1)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    if summary.by:
        table["_m"] = table["metric"].map({b.metric.id: i for i, b in enumerate(blocks)})
        table = table.sort_values([*summary.by, "_m"], kind="stable").drop(columns="_m")
        table = table.reset_index(drop=True)
    return table


def _bayesian_table(
    experiment: Experiment, summary: Summary, plan: Plan, notes: list[Note]
) -> pd.DataFrame:
    from rekrut._bayes_analysis import BAYES_COLUMNS, bayes_block, block_frame

    groups = _groups(summary)
    treatments = [a.id for a in experiment.treatments]
    frames = []
    for metric_id in experiment.metrics:
        metric = get_metric(metric_id)
        if metric.kind == "duration":
            notes.append(Note("duration_bayes", {"metric": metric.id}))
            continue
        cells = _cells(experiment, summary, metric_id)
        mode = _mode(metric, experiment, summary)
        if _paired(experiment, summary, metric):
            notes.append(Note("source_unpaired", {"metric": metric.id}))
        block = bayes_block(metric, cells, mode, experiment, plan, notes)
        n_key = "sum_y" if mode == "binomial" and not metric.per_posting else "n"
        base: dict[str, Any] = {
            "metric": metric.id,
            "arm": np.tile(treatments, len(groups)),
            "control": experiment.control,
            "n_control": cells.control[n_key].ravel(),
            "n_treatment": cells.treatment[n_key].ravel(),
            "direction": metric.direction,
        }
        frame = block_frame(block, base)[list(BAYES_COLUMNS)]
        if summary.by:
            keys = groups.loc[groups.index.repeat(len(treatments))].reset_index(drop=True)
            frame = pd.concat([keys, frame], axis=1)
        frames.append(frame)
    columns = [*summary.by, *BAYES_COLUMNS]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    if summary.by:
        order = {m: i for i, m in enumerate(experiment.metrics)}
        table = table.assign(_m=table["metric"].map(order))
        table = table.sort_values([*summary.by, "_m"], kind="stable").drop(columns="_m")
    return table.reset_index(drop=True)


def _sample_ratio(experiment: Experiment, summary: Summary, notes: list[Note]) -> SRMResult | None:
    """Chi-square check of randomised units per arm against the planned allocation."""
    from rekrut.stats._srm import sample_ratio_mismatch

    if experiment.unit == "source" or summary.units is None:
        return None
    counts = summary.units.groupby("arm")["units"].sum()
    observed = np.array([float(counts.get(a, 0.0)) for a in experiment.arm_ids])
    weights = np.array([a.weight for a in experiment.arms])
    result = sample_ratio_mismatch(observed, weights)
    if bool(np.asarray(result.mismatch)):
        shown = ", ".join(
            f"{a}: {o:.0f}" for a, o in zip(experiment.arm_ids, observed, strict=True)
        )
        notes.append(Note("srm", {"observed": shown, "p_value": f"{float(result.p_value):.2g}"}))
    return result
