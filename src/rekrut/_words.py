"""Which words and phrases in past job ads go with more (or better) applicants.

:func:`words` reads a history of postings with their ad texts, finds every word and phrase of up
to three words that enough postings share (:mod:`rekrut._terms`), and compares the postings with
and without each one, adjusted for controls such as the job category and the month. It is an
observational analysis: the ratios are associations in past ads, hypotheses to test with
:meth:`WordsResult.suggest`, not effects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from rekrut._json import NotedResult, json_records
from rekrut._terms import Language, TermMatrix, term_matrix
from rekrut.errors import DataError
from rekrut.io import to_pandas
from rekrut.metrics import Metric, get_metric
from rekrut.notes import Lang, Note

if TYPE_CHECKING:
    from rekrut.stats import LogLinearFit

__all__ = ["WORDS_COLUMNS", "WordsResult", "words"]

WORDS_COLUMNS = ("term", "postings_with", "ratio", "ci_low", "ci_high", "p_value", "q_value")
"""The columns of :attr:`WordsResult.table`, always these and in this order."""

WordsMetric = Literal["applications_per_posting", "qualified_per_posting", "qualified_share",
                      "fill_rate", "repost_rate"]  # fmt: skip
_METRICS = WordsMetric.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class WordsResult(NotedResult):
    """Terms of past job ads and how the postings that had them fared.

    Attributes
    ----------
    table
        One row per term carried into the joint model (at most ``max_terms``), columns
        :data:`WORDS_COLUMNS`, sorted by evidence (smallest p-value first). ``ratio`` is the
        metric with the term over the metric without it, adjusted for the controls and the
        other terms; ``q_value`` is the Benjamini–Hochberg value over all ``candidates``.
    metric, language, controls
        What was analysed and how.
    postings
        Postings analysed (a share's postings with a zero denominator are left out).
    candidates
        Terms tested: those at least ``min_postings`` postings have and do not have.
    baseline
        The metric over all postings analysed (applicants per posting, or a share).
    dispersion
        The negative-binomial alpha of a count (variance = mean + alpha mean²), from the model of
        the controls; None for shares. :meth:`suggest` plans with it.
    confidence_level, prior_sd
        The intervals' level, and the ridge penalty as a normal prior's standard deviation on
        each log ratio.
    notes
        Caveats; the first always says that these are associations.
    """

    table: pd.DataFrame
    metric: str
    language: Language
    controls: tuple[str, ...]
    postings: int
    candidates: int
    baseline: float
    dispersion: float | None
    confidence_level: float
    prior_sd: float
    notes: tuple[Note, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values (missing numbers become None)."""
        return {
            "metric": self.metric,
            "language": self.language,
            "controls": list(self.controls),
            "postings": self.postings,
            "candidates": self.candidates,
            "baseline": self.baseline,
            "dispersion": self.dispersion,
            "confidence_level": self.confidence_level,
            "prior_sd": self.prior_sd,
            "table": json_records(self.table),
            "notes": [note.to_dict() for note in self.notes],
        }

    def row(self, term: str) -> pd.Series:
        """The table row of ``term``; a ValueError lists near matches when it is not there."""
        found = self.table[self.table["term"] == term]
        if found.empty:
            near = [t for t in self.table["term"] if term.lower() in t.lower()][:5]
            hint = f"; terms containing it: {', '.join(near)}" if near else ""
            raise ValueError(f"term {term!r} is not in the table{hint}")
        return found.iloc[0]

    def plot(self, *, top: int = 20, lang: Lang = "en") -> Any:
        """The ``top`` terms' ratios with their intervals, on a log scale (matplotlib Figure)."""
        from rekrut._words_plot import ratio_plot

        return ratio_plot(self.table, self.metric, top=top, lang=lang)

    def suggest(
        self,
        term: str,
        path: str | Path,
        *,
        lift: float | None = None,
        channel: str = "standard",
        power: float = 0.8,
        alpha: float = 0.05,
    ) -> Path:
        """Write an experiment file that tests the ad with and without ``term``.

        Parameters
        ----------
        term
            A term of :attr:`table`.
        path
            The TOML file to write.
        lift
            The relative effect to plan for. Default: the end of the term's interval nearest
            to no effect, the smallest effect the past postings are consistent with (the
            estimate itself is too optimistic for the term that topped a list of thousands).
        channel
            The channel both arms are published in.
        power, alpha
            Power and two-sided significance level of the plan.

        Returns
        -------
        Path
            The file written; :func:`rekrut.load_experiment` reads it.
        """
        from rekrut._words_suggest import Finding, write_suggestion

        row = self.row(term)
        finding = Finding(
            term=term,
            ratio=float(row["ratio"]),
            ci_low=float(row["ci_low"]),
            ci_high=float(row["ci_high"]),
            metric=self.metric,
            baseline=self.baseline,
            dispersion=self.dispersion,
            postings=self.postings,
            controls=self.controls,
        )
        return write_suggestion(finding, path, lift=lift, channel=channel, power=power, alpha=alpha)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """The model's response, offset and kept rows of one metric."""

    y: npt.NDArray[np.float64]
    offset: npt.NDArray[np.float64] | None
    keep: npt.NDArray[np.bool_]


def words(
    postings: Any,
    *,
    text: str,
    metric: WordsMetric = "applications_per_posting",
    controls: Sequence[str] = (),
    language: Language = "da",
    min_postings: int = 20,
    max_ngram: int = 3,
    max_terms: int = 200,
    prior_sd: float = 0.5,
    confidence_level: float = 0.95,
    source: str | None = None,
) -> WordsResult:
    """Words and phrases of past job ads and the metric of the postings that used them.

    Parameters
    ----------
    postings
        One row per posting (pandas, or any table narwhals reads) with the ad text and the
        metric's columns: ``applications`` (and ``qualified``, or ``hires`` for the fill rate).
    text
        The column holding each posting's ad text.
    metric
        ``applications_per_posting``, ``qualified_per_posting``, ``qualified_share``,
        ``fill_rate`` or ``repost_rate``.
    controls
        Columns to adjust for: a column whose every value is a number (``hours_per_week``)
        enters centred and linear, any other (``job_category``, ``municipality``) as
        indicators of its values; ``"month"`` is the month of ``published``.
    language
        ``"da"`` (Danish) or ``"en"`` (English): the stemmer and stop-word list.
    min_postings
        A term is tested only when at least this many postings have it and this many do not.
    max_ngram
        The longest phrase, in words (1-3).
    max_terms
        How many of the terms with the smallest screening p-values enter the joint model.
    prior_sd
        The ridge penalty, as the standard deviation of a normal prior on each log ratio
        (0.5: ratios between 0.37 and 2.7 are plausible a priori).
    confidence_level
        Level of the intervals.
    source
        The file the table came from, for error messages.

    Notes
    -----
    The mean of the metric is log-linear: ``log E[y] = controls + terms`` (for a share, with the
    log denominator as offset). First a model of the controls alone is fitted and every
    candidate term gets a robust score test against it, the controls projected out
    (:func:`rekrut.stats.score_test_terms`). The ``max_terms`` strongest then enter one joint
    model with a ridge penalty on their log ratios (:func:`rekrut.stats.fit_ridge_loglinear`),
    so that a rare term's ratio is pulled towards 1 and two terms that occur together share
    their association instead of both taking it. Intervals and p-values are the joint model's,
    with sandwich standard errors, valid for overdispersed counts and 0/1 outcomes. q-values are
    Benjamini–Hochberg over all candidate terms (screening p-values for those not carried on).

    What it assumes: postings are independent given the controls; whatever made some ads use a
    term *and* draw more applicants, and is not among the controls (the job, the employer, the
    salary), is mixed into its ratio. That is why a ratio here is an association to test in a
    randomised experiment, never an effect.

    Examples
    --------
    >>> import pandas as pd
    >>> ads = pd.DataFrame({
    ...     "ad_text": ["Fuldtid og fleksible arbejdstider", "Deltid, weekendarbejde"] * 30,
    ...     "applications": [14, 6] * 30})
    >>> res = words(ads, text="ad_text", min_postings=10)
    >>> list(res.table.columns)
    ['term', 'postings_with', 'ratio', 'ci_low', 'ci_high', 'p_value', 'q_value']
    """
    spec = _check_arguments(metric, language, min_postings, max_terms, prior_sd, confidence_level)
    frame = to_pandas(postings, "posting table").reset_index(drop=True)
    outcome = _outcome(frame, spec, source)
    frame = frame[outcome.keep].reset_index(drop=True)
    dense = _controls(frame, controls, source)
    texts = _texts(frame, text, source)
    terms = term_matrix(texts, language=language, max_ngram=max_ngram, min_postings=min_postings)
    table, fit = _analyse(outcome, dense, terms, max_terms, prior_sd, confidence_level)
    return WordsResult(
        table=table,
        metric=spec.id,
        language=language,
        controls=tuple(controls),
        postings=len(frame),
        candidates=len(terms.terms),
        baseline=_baseline(outcome),
        dispersion=_nb_alpha(outcome.y, fit.mean) if spec.kind == "count" else None,
        confidence_level=confidence_level,
        prior_sd=prior_sd,
        notes=_notes(spec, controls, len(terms.terms)),
    )


def _check_arguments(
    metric: str,
    language: str,
    min_postings: int,
    max_terms: int,
    prior_sd: float,
    confidence_level: float,
) -> Metric:
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {', '.join(_METRICS)}, got {metric!r}")
    if language not in ("da", "en"):
        raise ValueError(f"language must be 'da' or 'en', got {language!r}")
    if min_postings < 2:
        raise ValueError(f"min_postings must be at least 2, got {min_postings!r}")
    if max_terms < 1:
        raise ValueError(f"max_terms must be at least 1, got {max_terms!r}")
    if not (math.isfinite(prior_sd) and prior_sd > 0):
        raise ValueError(f"prior_sd must be a positive number, got {prior_sd!r}")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1, got {confidence_level!r}")
    return get_metric(metric)


def _column(frame: pd.DataFrame, column: str, source: str | None) -> npt.NDArray[np.float64]:
    """A column of non-negative numbers, or one DataError at its first bad row."""
    if column not in frame.columns:
        raise DataError("the column is missing", file=source, column=column)
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        what = "is blank" if pd.isna(raw.iloc[row]) else f"is {raw.iloc[row]!r}"
        raise DataError(
            f"{what}; every posting needs a non-negative number here (leave out postings whose "
            "outcome is not known)",
            file=source,
            row=row + 2,
            column=column,
        )
    return values


def _outcome(frame: pd.DataFrame, spec: Metric, source: str | None) -> _Outcome:
    if spec.numerator == "filled":
        y = (_column(frame, "hires", source) > 0).astype(np.float64)
    else:
        y = _column(frame, spec.numerator, source)
    if spec.per_posting:
        return _Outcome(y, None, np.ones(len(y), dtype=bool))
    denominator = _column(frame, spec.denominator, source)
    above = np.flatnonzero(y > denominator)
    if above.size:
        raise DataError(
            f"{spec.numerator} exceeds {spec.denominator}",
            file=source,
            row=int(above[0]) + 2,
            column=spec.numerator,
        )
    keep = denominator > 0
    return _Outcome(y[keep], np.log(denominator[keep]), keep)


def _texts(frame: pd.DataFrame, column: str, source: str | None) -> list[str]:
    if column not in frame.columns:
        raise DataError("the text column is missing", file=source, column=column)
    values = frame[column]
    blank = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        raise DataError(
            "the ad text is blank; give every posting its text or leave the posting out",
            file=source,
            row=int(np.flatnonzero(blank)[0]) + 2,
            column=column,
        )
    return values.astype(str).tolist()


def _controls(
    frame: pd.DataFrame, controls: Sequence[str], source: str | None
) -> npt.NDArray[np.float64]:
    """An intercept, indicators for text controls (first level left out), centred numbers."""
    parts = [np.ones((len(frame), 1))]
    for name in controls:
        values = _control_values(frame, name, source)
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().all() and name != "month":
            centred = numbers.to_numpy(dtype=np.float64)
            parts.append((centred - centred.mean())[:, None])
        else:
            dummies = pd.get_dummies(values.astype(str), drop_first=True, dtype=np.float64)
            parts.append(dummies.to_numpy())
    return np.hstack(parts)


def _control_values(frame: pd.DataFrame, name: str, source: str | None) -> Any:
    if name == "month":
        if "published" not in frame.columns:
            raise DataError("the 'month' control needs a published date", file=source,
                            column="published")  # fmt: skip
        dates = pd.to_datetime(frame["published"], errors="coerce")
        return _no_blanks(dates.dt.month.map(lambda m: f"{m:02.0f}"), dates, "published", source)
    if name not in frame.columns:
        raise DataError("the control column is missing", file=source, column=name)
    return _no_blanks(frame[name], frame[name], name, source)


def _no_blanks(values: pd.Series, checked: pd.Series, column: str, source: str | None) -> Any:
    blank = checked.isna().to_numpy()
    if blank.any():
        raise DataError(
            "blank or unreadable; every posting needs a value in a control column",
            file=source,
            row=int(np.flatnonzero(blank)[0]) + 2,
            column=column,
        )
    return values


def _analyse(
    outcome: _Outcome,
    dense: npt.NDArray[np.float64],
    terms: TermMatrix,
    max_terms: int,
    prior_sd: float,
    level: float,
) -> tuple[pd.DataFrame, LogLinearFit]:
    from scipy.stats import norm

    import rekrut.stats as stats

    base = stats.fit_ridge_loglinear(outcome.y, dense, offset=outcome.offset)
    scale, alpha = _working_variance(outcome, base)
    screen = stats.score_test_terms(
        outcome.y, base.mean, dense, terms.matrix, scale=scale, alpha=alpha
    )
    p_all = np.where(np.isnan(screen.p_value), 1.0, screen.p_value)
    chosen = _distinct_terms(terms.matrix, np.argsort(p_all, kind="stable"), max_terms)
    joint = stats.fit_ridge_loglinear(
        outcome.y,
        dense,
        terms.matrix[:, chosen],
        offset=outcome.offset,
        penalty=base.dispersion / prior_sd**2,
        scale=scale,
        alpha=alpha,
    )
    coef, se = joint.coef[dense.shape[1] :], joint.se[dense.shape[1] :]
    z = norm.isf((1 - level) / 2)
    p_joint = 2 * norm.sf(np.abs(coef / np.where(se > 0, se, np.nan)))
    p_all[chosen] = np.where(np.isnan(p_joint), 1.0, p_joint)
    q_all = stats.correct_pvalues(p_all, method="bh")
    table = pd.DataFrame(
        {
            "term": [terms.terms[i] for i in chosen],
            "postings_with": terms.postings_with[chosen],
            "ratio": np.exp(coef),
            "ci_low": np.exp(coef - z * se),
            "ci_high": np.exp(coef + z * se),
            "p_value": p_all[chosen],
            "q_value": q_all[chosen],
            "_strength": -np.abs(coef),
        }
    )
    table = table.sort_values(["p_value", "_strength"], kind="stable").drop(columns="_strength")
    return table.reset_index(drop=True), base


_OVERLAP = 0.8


def _distinct_terms(matrix: Any, order: npt.NDArray[np.intp], size: int) -> npt.NDArray[np.intp]:
    """Up to ``size`` terms in ``order``, each skipped when most postings of it or of an earlier
    kept term have both (``mulighed`` after ``mulighed for fuldtid``): one term per signal."""
    pool = order[: 5 * size]
    sub = matrix[:, pool]
    together = (sub.T @ sub).toarray()
    counts = np.diag(together)
    kept: list[int] = []
    for i in range(len(pool)):
        if kept:
            overlap = together[i, kept] / np.minimum(counts[i], counts[kept])
            if overlap.max() >= _OVERLAP:
                continue
        kept.append(i)
        if len(kept) == size:
            break
    return pool[np.asarray(kept, dtype=np.intp)]


def _working_variance(outcome: _Outcome, base: LogLinearFit) -> tuple[float, float]:
    """Negative-binomial variance for counts per posting, quasi-Poisson for shares."""
    if outcome.offset is None and not np.all((outcome.y == 0) | (outcome.y == 1)):
        return 1.0, _nb_alpha(outcome.y, base.mean)
    return base.dispersion, 0.0


def _baseline(outcome: _Outcome) -> float:
    total = outcome.y.sum()
    exposure = len(outcome.y) if outcome.offset is None else np.exp(outcome.offset).sum()
    return float(total / exposure)


def _nb_alpha(y: npt.NDArray[np.float64], mean: npt.NDArray[np.float64]) -> float:
    """Moment estimate of the negative-binomial alpha: ``sum((y - mu)^2 - mu) / sum(mu^2)``."""
    return float(max(np.sum((y - mean) ** 2 - mean) / np.sum(mean**2), 0.0))


def _notes(spec: Metric, controls: Sequence[str], candidates: int) -> tuple[Note, ...]:
    shown = ", ".join(controls) if controls else "-"
    notes = [Note("words_association", {"metric": spec.id, "controls": shown})]
    if candidates == 0:
        notes.append(Note("words_no_terms", {"metric": spec.id}))
    return tuple(notes)
