"""A/A calibration check on the user's own postings: ``rk.check_calibration``.

The arm labels of the postings are re-randomised many times, keeping the arm sizes (within
``by`` groups when given). Every arm then has the same data-generating process — the user's own
postings — so each comparison's null hypothesis is true by construction, and the configured
analysis should reject at the nominal rate. Replications are analysed in batches: R permuted
copies of the table are stacked with a ``_replication`` column and compared in one
``rk.analyze(..., by=[*by, "_replication"])`` call, whatever the method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats as sps

from rekrut._progress import progress as progress_bar
from rekrut._seeds import resolve_rng
from rekrut.analysis import BAYES_COLUMNS, TABLE_COLUMNS, AnalysisResult, Method, analyze
from rekrut.data import PostingData, load_postings, validate_postings
from rekrut.errors import InputError
from rekrut.model import Experiment, load_experiment
from rekrut.notes import Lang, Note

__all__ = ["BAND_LEVEL", "CalibrationResult", "check_calibration"]

BAND_LEVEL = 0.99
"""Probability of the binomial band: a calibrated method lands inside it 99 times in 100."""

REPLICATION = "_replication"
_MAX_ROWS_PER_BATCH = 2_000_000

CALIBRATION_COLUMNS = (
    "metric",
    "arm",
    "control",
    "method",
    "replications",
    "false_positives",
    "rate",
    "mc_se",
    "nominal",
    "band_low",
    "band_high",
    "verdict",
    "coverage",
    "coverage_mc_se",
    "coverage_verdict",
)
"""Columns of :attr:`CalibrationResult.table`, after any grouping columns."""

Verdict = Literal["ok", "too_many", "too_few", "no_data"]


@dataclass(frozen=True, slots=True)
class CalibrationResult:
    """The result of :func:`check_calibration`.

    Attributes
    ----------
    table
        One row per (group,) metric and treatment arm: ``replications`` (those with a result),
        ``false_positives``, ``rate`` and its Monte Carlo standard error ``mc_se``, the
        ``nominal`` rate with the 99 % binomial band ``band_low``–``band_high``, the
        ``verdict`` (``"ok"``, ``"too_many"``, ``"too_few"`` or ``"no_data"``), and the
        ``coverage`` of the true effect 0 by the interval, its ``coverage_mc_se`` and
        ``coverage_verdict`` (``"ok"``, ``"too_narrow"``, ``"too_wide"`` or ``"no_data"``).
    experiment_id, method
        The experiment checked and the analysis method.
    replications
        Re-randomisations run.
    postings
        Rows (postings) re-randomised in each replication.
    nominal
        The nominal false-positive rate, ``1 - confidence_level``.
    confidence_level
        The level of the intervals whose coverage is checked.
    by
        Grouping columns the labels were re-randomised within.
    seed
        The seed used: given, or derived from the experiment id, the method, the number of
        replications and the postings (None when a generator was given).
    notes
        Caveats (codes of :data:`rekrut.notes.NOTES`).
    """

    table: pd.DataFrame
    experiment_id: str
    method: str
    replications: int
    postings: int
    nominal: float
    confidence_level: float
    by: tuple[str, ...]
    seed: int | None
    notes: tuple[Note, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return plain Python values, safe for ``json.dumps`` (NaN becomes ``None``)."""
        rows = [
            {str(k): _json_value(v) for k, v in row.items()}
            for row in self.table.to_dict(orient="records")
        ]
        return {
            "experiment": self.experiment_id,
            "method": self.method,
            "replications": self.replications,
            "postings": self.postings,
            "nominal": self.nominal,
            "confidence_level": self.confidence_level,
            "band_level": BAND_LEVEL,
            "by": list(self.by),
            "seed": self.seed,
            "table": rows,
            "notes": [note.to_dict() for note in self.notes],
        }

    def note_texts(self, lang: Lang = "en") -> list[str]:
        """Return the notes as text in ``lang``."""
        return [note.text(lang) for note in self.notes]


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def check_calibration(
    experiment: Experiment | str | Path,
    data: Any = None,
    *,
    replications: int = 200,
    method: Method = "frequentist",
    by: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    rng: np.random.Generator | int | None = None,
    progress: bool = False,
    small_sample: Literal["randomization", "asymptotic"] = "randomization",
) -> CalibrationResult:
    """Check a method's false-positive rate on your own postings by A/A re-randomisation.

    The arm labels are shuffled among the postings ``replications`` times, keeping the number
    of postings per arm (within every ``by`` group). After a shuffle no arm differs from another
    except by chance, so a calibrated analysis finds a "significant" difference at the nominal
    rate α = 1 − ``confidence_level`` and its intervals contain 0 with the confidence level.

    A false positive is a raw (uncorrected) ``p_value`` ≤ α for the frequentist and sequential
    methods, and a probability to beat control of at least 1 − α/2 or at most α/2 for the
    Bayesian one. The rate gets its Monte Carlo standard error sqrt(p(1 − p)/R) and a verdict
    against the 99 % binomial band of the count a calibrated method gives in R replications.

    Parameters
    ----------
    experiment, data
        As for :func:`rekrut.analyze`: an experiment or its file, and per-posting rows (or None
        for the file the experiment names). Arm totals cannot be re-randomised.
    replications
        Number of re-randomisations R.
    method
        ``"frequentist"``, ``"bayesian"``, ``"sequential"`` or ``"randomization"``, as for
        :func:`rekrut.analyze`.
    by
        Grouping columns: labels are shuffled within each group and the analysis runs per group.
    metrics
        Check only these of the experiment's metrics (default: all).
    rng
        Seed or generator; the same seed gives the same result.
    progress
        Show a progress bar on a terminal.
    small_sample
        As for :func:`rekrut.analyze` (frequentist method): ``"asymptotic"`` checks the delta
        method where the default would re-randomise small comparisons.

    Returns
    -------
    CalibrationResult
        With ``.table`` (one row per metric and treatment arm), ``.notes`` and ``.to_dict()``.

    Raises
    ------
    InputError
        For ``unit = "source"`` or ``"impression"`` experiments, arm totals, or bad options.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.Experiment.model_validate({"id": "x", "control": "A",
    ...     "metrics": ["applications_per_posting"],
    ...     "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}]})
    >>> data = rk.simulate(exp, postings=200, rng=1)
    >>> check = rk.check_calibration(exp, data, replications=100, rng=2)
    >>> check.table[["metric", "replications", "band_low", "band_high"]].to_dict("records")
    [{'metric': 'applications_per_posting', 'replications': 100, 'band_low': 0.0, 'band_high': 0.11}]
    >>> check.table["verdict"].tolist()
    ['ok']
    """
    if isinstance(experiment, str | Path):
        experiment = load_experiment(experiment)
    if method not in get_args(Method):
        msg = f"method must be one of {', '.join(get_args(Method))}, got {method!r}"
        raise InputError(msg)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise InputError(f"replications must be a positive whole number, got {replications!r}")
    if small_sample not in ("randomization", "asymptotic"):
        raise InputError(
            f"small_sample must be 'randomization' or 'asymptotic', got {small_sample!r}"
        )
    by = tuple(by or ())
    _check_unit(experiment)
    experiment = _with_metrics(experiment, metrics)
    frame, source = _posting_frame(experiment, data, by)
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    gen, seed = resolve_rng(rng, "calibration", experiment.id, method, replications, rows)
    level = experiment.confidence_level
    tables = _replicate(
        experiment, frame, source, by, replications, method, gen, progress, small_sample
    )
    outcomes = pd.concat(tables, ignore_index=True)
    table = _summarise(outcomes, by, level)
    notes = _notes(table, replications)
    return CalibrationResult(
        table,
        experiment.id,
        method,
        replications,
        len(frame),
        1.0 - level,
        level,
        by,
        seed,
        notes,
    )


def _check_unit(experiment: Experiment) -> None:
    if experiment.unit == "source":
        raise InputError(
            "unit 'source': every posting is in every channel and the channels are compared "
            "within postings, so there are no arm labels to re-randomise"
        )
    if experiment.unit == "impression":
        raise InputError(
            "unit 'impression': the platform split impressions within postings, which "
            "re-randomising whole rows does not reproduce; the check needs unit 'posting'"
        )


def _with_metrics(experiment: Experiment, metrics: Sequence[str] | None) -> Experiment:
    if metrics is None:
        return experiment
    unknown = [m for m in metrics if m not in experiment.metrics]
    chosen = tuple(m for m in experiment.metrics if m in metrics)  # in the experiment's order
    if unknown or not chosen:
        raise InputError(
            f"metric {unknown[0] if unknown else None!r} is not one of the experiment's "
            f"metrics {list(experiment.metrics)}"
        )
    primary = experiment.primary_metric if experiment.primary_metric in chosen else chosen[0]
    return experiment.model_copy(update={"metrics": chosen, "primary_metric": primary})


def _posting_frame(
    experiment: Experiment, data: Any, by: tuple[str, ...]
) -> tuple[pd.DataFrame, str | None]:
    """The checked per-posting table in pandas, with only the columns an analysis reads."""
    postings = load_postings(experiment, data)
    if postings.granularity == "arm_totals":
        raise InputError(
            "arm totals cannot be re-randomised: the check needs one row per posting",
            file=postings.source,
        )
    if postings.frame is None:  # another engine: bring the table into pandas and check it
        native = postings.native.collect().to_pandas()
        postings = validate_postings(experiment, native, source=postings.source)
    frame = postings.frame
    assert frame is not None
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise InputError(
            "the grouping column is missing", file=postings.source or "table", column=missing[0]
        )
    if REPLICATION in frame.columns:
        raise InputError(f"the column name {REPLICATION!r} is reserved", column=REPLICATION)
    keep = [
        c
        for c in frame.columns
        if c == "arm"
        or c in by
        or (
            c not in ("variant", "channel")
            and (
                pd.api.types.is_numeric_dtype(frame[c])
                or pd.api.types.is_datetime64_any_dtype(frame[c])
            )
        )
    ]
    return frame[keep], postings.source


def _groups(frame: pd.DataFrame, by: tuple[str, ...]) -> np.ndarray:
    if not by:
        return np.zeros(len(frame), dtype=np.int64)
    codes = [pd.factorize(frame[c], use_na_sentinel=False)[0] for c in by]
    combined = np.ravel_multi_index(codes, [int(c.max()) + 1 for c in codes])
    return pd.factorize(combined)[0].astype(np.int64)


def permuted_arms(
    codes: np.ndarray, groups: np.ndarray, count: int, gen: np.random.Generator
) -> np.ndarray:
    """``count`` shuffles of the arm codes, each keeping every group's codes in that group.

    Examples
    --------
    >>> import numpy as np
    >>> codes, groups = np.array([0, 0, 1, 1, 2]), np.array([0, 0, 0, 0, 1])
    >>> out = permuted_arms(codes, groups, 3, np.random.default_rng(0))
    >>> out.shape, bool((out[:, 4] == 2).all()), np.sort(out[:, :4], axis=1).tolist()[0]
    ((3, 5), True, [0, 0, 1, 1])
    """
    base = np.argsort(groups, kind="stable")
    # a random order of the rows that keeps the groups in the same blocks as ``base``
    order = np.argsort(groups + gen.random((count, len(codes))), axis=1)
    out = np.empty((count, len(codes)), dtype=codes.dtype)
    np.put_along_axis(out, order, np.broadcast_to(codes[base], out.shape), axis=1)
    return out


def _replicate(
    experiment: Experiment,
    frame: pd.DataFrame,
    source: str | None,
    by: tuple[str, ...],
    replications: int,
    method: Method,
    gen: np.random.Generator,
    show: bool,
    small_sample: Literal["randomization", "asymptotic"] = "randomization",
) -> list[pd.DataFrame]:
    arm = frame["arm"].array
    assert isinstance(arm, pd.Categorical)
    codes = np.asarray(arm.codes)
    groups = _groups(frame, by)
    per_batch = max(1, _MAX_ROWS_PER_BATCH // len(frame))
    starts = range(0, replications, per_batch)
    tables = []
    for start in progress_bar(starts, total=len(starts), desc="A/A", enabled=show):
        count = min(per_batch, replications - start)
        shuffled = permuted_arms(codes, groups, count, gen)
        stacked = frame.take(np.tile(np.arange(len(frame)), count))
        stacked = stacked.reset_index(drop=True)
        stacked["arm"] = pd.Categorical.from_codes(shuffled.ravel(), dtype=arm.dtype)
        stacked[REPLICATION] = np.repeat(np.arange(start, start + count), len(frame))
        result = analyze(
            experiment,
            PostingData(stacked, "postings", source),
            method=method,
            by=[*by, REPLICATION],
            small_sample=small_sample,
            progress=show and len(starts) == 1,  # one batch: the analysis shows its own bar
            rng=int(gen.integers(2**63)),
        )
        tables.append(_outcomes(result, method, start))
    return tables


def _outcomes(result: AnalysisResult, method: Method, start: int) -> pd.DataFrame:
    """Per comparison: whether it was a false positive and whether its interval covers 0."""
    table = result.table
    if REPLICATION not in table.columns:
        table = table.assign(**{REPLICATION: start})
    nominal = 1.0 - result.experiment.confidence_level
    if method == "bayesian":
        prob = table["prob_better"].to_numpy(dtype=np.float64)
        known = np.isfinite(prob)
        positive = (prob >= 1.0 - nominal / 2) | (prob <= nominal / 2)
    else:
        p = table["p_value"].to_numpy(dtype=np.float64)
        known = np.isfinite(p)
        positive = p <= nominal
    low, high = _interval(table)
    interval = np.isfinite(low) & np.isfinite(high)
    return table.drop(columns=[c for c in table.columns if c in _DROP]).assign(
        _known=known,
        _positive=positive & known,
        _has_interval=interval,
        _covered=interval & (low <= 0.0) & (high >= 0.0),
    )


# every per-comparison result column goes; the keys (metric, arm, control, method) stay
_DROP = frozenset(TABLE_COLUMNS + BAYES_COLUMNS) - {"metric", "arm", "control", "method"}


def _interval(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The difference interval, or the lift interval where the difference has none."""
    low = table["diff_ci_low"].to_numpy(dtype=np.float64)
    high = table["diff_ci_high"].to_numpy(dtype=np.float64)
    lift_low = table["lift_ci_low"].to_numpy(dtype=np.float64)
    lift_high = table["lift_ci_high"].to_numpy(dtype=np.float64)
    missing = np.isnan(low) & np.isnan(high)
    return np.where(missing, lift_low, low), np.where(missing, lift_high, high)


def binomial_band(trials: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """The 99 % band of the share of ``trials`` a calibrated method hits at ``rate``.

    Examples
    --------
    >>> import numpy as np
    >>> low, high = binomial_band(np.array([200]), 0.05)
    >>> float(low[0]), float(high[0])
    (0.015, 0.095)
    """
    tail = (1.0 - BAND_LEVEL) / 2.0
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = sps.binom.ppf(tail, n, rate) / n
        high = sps.binom.ppf(1.0 - tail, n, rate) / n
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def verdicts(
    hits: np.ndarray,
    trials: np.ndarray,
    rate: float,
    words: tuple[str, str] = ("too_many", "too_few"),
) -> np.ndarray:
    """``"ok"`` inside the binomial band, else ``words`` (above, below); ``"no_data"`` at 0 trials.

    Examples
    --------
    >>> import numpy as np
    >>> verdicts(np.array([10, 40, 0, 0]), np.array([200, 200, 200, 0]), 0.05).tolist()
    ['ok', 'too_many', 'too_few', 'no_data']
    """
    tail = (1.0 - BAND_LEVEL) / 2.0
    n = np.asarray(trials, dtype=np.float64)
    count = np.asarray(hits, dtype=np.float64)
    # compare counts with the band's counts, so that no rounding moves a count across it
    above = count > sps.binom.ppf(1.0 - tail, n, rate)
    below = count < sps.binom.ppf(tail, n, rate)
    out = np.where(above, words[0], np.where(below, words[1], "ok")).astype(object)
    out[n == 0] = "no_data"
    return out


def _summarise(outcomes: pd.DataFrame, by: tuple[str, ...], level: float) -> pd.DataFrame:
    keys = [*by, "metric", "arm", "control"]
    grouped = outcomes.groupby(keys, sort=False, dropna=False, observed=True)
    sums = grouped[["_known", "_positive", "_has_interval", "_covered"]].sum()
    names = grouped["method"].agg(lambda m: "/".join(sorted({str(v) for v in m.dropna()})))
    nominal = 1.0 - level
    known = sums["_known"].to_numpy(dtype=np.int64)
    hits = sums["_positive"].to_numpy(dtype=np.int64)
    intervals = sums["_has_interval"].to_numpy(dtype=np.int64)
    covered = sums["_covered"].to_numpy(dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(known > 0, hits / known, np.nan)
        coverage = np.where(intervals > 0, covered / intervals, np.nan)
        mc_se = np.sqrt(rate * (1.0 - rate) / known)
        coverage_se = np.sqrt(coverage * (1.0 - coverage) / intervals)
    low, high = binomial_band(known, nominal)
    table = sums.index.to_frame(index=False)
    table["method"] = names.to_numpy()
    table["replications"] = known
    table["false_positives"] = hits
    table["rate"] = rate
    table["mc_se"] = mc_se
    table["nominal"] = nominal
    table["band_low"] = low
    table["band_high"] = high
    table["verdict"] = verdicts(hits, known, nominal)
    table["coverage"] = coverage
    table["coverage_mc_se"] = coverage_se
    # an interval that misses 0 too often is too narrow
    table["coverage_verdict"] = verdicts(
        intervals - covered, intervals, nominal, ("too_narrow", "too_wide")
    )
    for column in ("metric", "arm", "control"):
        table[column] = table[column].astype(str)
    return table[[*by, *CALIBRATION_COLUMNS]]


def _notes(table: pd.DataFrame, replications: int) -> tuple[Note, ...]:
    """One note per metric and arm (the first group that needs it)."""
    notes: dict[tuple[str, str, str], Note] = {}
    for row in table.to_dict("records"):
        params = {"metric": str(row["metric"]), "arm": str(row["arm"])}
        if int(row["replications"]) < replications:
            missing = replications - int(row["replications"])
            key = ("calibration_no_result", params["metric"], params["arm"])
            notes.setdefault(key, Note(key[0], {**params, "count": missing}))
        if row["verdict"] == "too_many":
            shown = {"rate": f"{row['rate']:.3f}", "nominal": f"{row['nominal']:.3g}"}
            key = ("calibration_too_many", params["metric"], params["arm"])
            notes.setdefault(key, Note(key[0], {**params, **shown}))
    return tuple(notes.values())
