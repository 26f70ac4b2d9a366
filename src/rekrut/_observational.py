"""Observational comparisons: past postings whose arms (channels, wordings) were not randomised.

:func:`observe` compares each arm with the control adjusting for the experiment's ``adjust_for``
covariates, with a model fit for each metric (statsmodels): a negative-binomial regression for
counts per posting, a logistic regression for a 0/1 outcome per posting, and a quasi-binomial
regression for a share of a per-posting denominator. It shows how comparable the arms' postings
were (standardised differences of the covariates, and the covariate groups where an arm has no
posting to compare with) and how strong an unmeasured confounder would have to be to explain
each association away (the E-value). The words are "association" and "sammenhæng": without
randomisation the arms' postings may differ in ways no covariate records.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rekrut._adjustment import _covariate_terms, _design, _per_posting
from rekrut._json import NotedResult, json_records
from rekrut.data import load_postings
from rekrut.errors import ExperimentError
from rekrut.metrics import Metric, get_metric
from rekrut.model import Experiment
from rekrut.notes import Note

__all__ = ["OBSERVATIONAL_COLUMNS", "ObservationalResult", "observe"]

OBSERVATIONAL_COLUMNS = (
    "metric", "arm", "control", "n_control", "n_treatment", "ratio", "ci_low", "ci_high",
    "p_value", "scale", "e_value", "e_value_ci", "model",
)  # fmt: skip
"""Columns of :attr:`ObservationalResult.table`."""

IMBALANCE = 0.1
"""A standardised difference above this (in absolute value) marks a covariate as imbalanced
(Austin 2009)."""


@dataclass(frozen=True, slots=True)
class ObservationalResult(NotedResult):
    """Adjusted associations between arms and metrics in postings that were not randomised.

    Attributes
    ----------
    table
        One row per metric and treatment arm (:data:`OBSERVATIONAL_COLUMNS`): ``ratio`` is a rate
        ratio (``scale = "rate_ratio"``, counts) or an odds ratio (``"odds_ratio"``, shares)
        against the control, adjusted for the covariates; ``e_value`` and ``e_value_ci`` the
        E-values of the ratio and of its interval's limit nearest to 1.
    balance
        ``covariate, level, arm, control_mean, arm_mean, std_diff, imbalanced``: the share of
        postings at each level of a categorical covariate (the mean of a numeric one) in the arm
        and the control, and their standardised difference.
    overlap
        ``arm, group, postings_arm, postings_control``: the covariate groups (combinations of
        the categorical covariates' levels) where the arm or the control has no posting, so the
        comparison there rests on the model alone.
    covariates
        The covariates adjusted for.
    notes
        The first always says that nothing was randomised.
    """

    experiment: Experiment
    table: pd.DataFrame
    balance: pd.DataFrame
    overlap: pd.DataFrame
    covariates: tuple[str, ...]
    notes: tuple[Note, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe values (NaN becomes None)."""
        return {
            "experiment": self.experiment.id,
            "design": self.experiment.design,
            "covariates": list(self.covariates),
            "table": json_records(self.table),
            "balance": json_records(self.balance),
            "overlap": json_records(self.overlap),
            "notes": [note.to_dict() for note in self.notes],
        }


def observe(
    experiment: Experiment,
    data: Any = None,
    *,
    adjust_for: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
) -> ObservationalResult:
    """Adjusted associations of each arm with the metrics, for postings not randomised.

    Parameters
    ----------
    experiment, data
        As for :func:`rekrut.analyze`; one row per posting. The experiment's ``design`` must be
        ``"observational"``.
    adjust_for
        Covariate columns (default: the experiment's ``adjust_for``): categorical ones
        (``job_category``, ``municipality``) as indicators, numeric ones (``hours_per_week``)
        centred, ``"month"`` the publication month.
    metrics
        Default: the experiment's counts and proportions.

    Notes
    -----
    Counts per posting: negative-binomial regression (NB2, dispersion estimated by maximum
    likelihood, statsmodels ``NegativeBinomial``), the arm's coefficient a rate ratio. A 0/1
    outcome per posting (fill rate): logistic regression, an odds ratio. A share of a per-posting
    denominator (qualified share): binomial regression on the share with the denominator as
    weight and Pearson's dispersion (quasi-binomial), an odds ratio. The E-value
    (:func:`rekrut.stats.e_value`, VanderWeele & Ding 2017) is computed on the risk-ratio scale
    (odds ratios of outcomes above 15 % by their square root).

    What it assumes: no unmeasured confounding (every difference between the arms' postings that
    also moves the metric is among the covariates), enough overlap (see :attr:`overlap`), and the
    model's form. None of this can be checked from the data; hence "association".

    Examples
    --------
    >>> import numpy as np, pandas as pd, rekrut as rk
    >>> exp = rk.Experiment.model_validate({"id": "h", "design": "observational",
    ...     "adjust_for": ["job_category"], "control": "jobnet",
    ...     "arms": [{"id": "jobnet", "channel": "jobnet"}, {"id": "fb", "channel": "fb"}]})
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame({"arm": rng.choice(["jobnet", "fb"], 400),
    ...     "job_category": rng.choice(["sosu", "laerer"], 400),
    ...     "applications": rng.poisson(8, 400)})
    >>> res = observe(exp, data)
    >>> res.table.loc[0, ["arm", "scale", "model"]].tolist()
    ['fb', 'rate_ratio', 'negative_binomial']
    >>> res.notes[0].code
    'observational'
    """
    if experiment.design != "observational":
        raise ExperimentError(
            'the experiment is randomised; set design = "observational" for postings that '
            "were not randomised, or use rekrut.analyze",
            file=str(experiment.source) if experiment.source else None,
            column="design",
        )
    covariates = tuple(experiment.adjust_for if adjust_for is None else adjust_for)
    postings = load_postings(experiment, data)
    frame = _per_posting(postings, experiment)
    frame, terms = _covariate_terms(frame, covariates, postings.source)
    chosen = metrics or [
        m for m in experiment.metrics if get_metric(m).kind in ("count", "proportion")
    ]
    table = pd.DataFrame(
        [row for m in chosen for row in _rows(frame, get_metric(m), experiment, terms)],
        columns=list(OBSERVATIONAL_COLUMNS),
    )
    balance = _balance(frame, experiment, covariates)
    overlap = _overlap(frame, experiment, covariates)
    return ObservationalResult(
        experiment, table, balance, overlap, covariates, _notes(covariates, balance, overlap)
    )


def _fit(data: pd.DataFrame, formula: str, metric: Metric, offset: str | None) -> Any:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    with warnings.catch_warnings():
        # convergence chatter of the optimiser; the fit is checked against its own results
        warnings.simplefilter("ignore")
        if metric.kind == "count":
            return smf.negativebinomial(formula, data=data).fit(disp=0, maxiter=200)
        if metric.per_posting:
            return smf.glm(formula, data=data, family=sm.families.Binomial()).fit()
        share = data.assign(_y=data["_y"] / np.exp(data[offset]))
        weights = np.exp(data[offset]).to_numpy()
        model = smf.glm(formula, data=share, family=sm.families.Binomial(), var_weights=weights)
        return model.fit(scale="X2")


def _rows(
    frame: pd.DataFrame, metric: Metric, experiment: Experiment, terms: list[str]
) -> list[dict[str, Any]]:
    from scipy.stats import norm

    import rekrut.stats as stats

    data, offset = _design(frame, metric)
    data = data.assign(
        _arm=pd.Categorical(data["arm"].astype(str), categories=list(experiment.arm_ids))
    )
    reference = f"C(_arm, Treatment(reference={experiment.control!r}))"
    fit = _fit(data, " + ".join([f"_y ~ {reference}", *terms]), metric, offset)
    z = norm.isf((1 - experiment.confidence_level) / 2)
    common = float(data["_y"].sum() / (np.exp(data[offset]).sum() if offset else len(data))) > 0.15
    odds = metric.kind == "proportion"
    rows = []
    for arm in experiment.treatments:
        name = f"{reference}[T.{arm.id}]"
        beta, se = float(fit.params[name]), float(fit.bse[name])
        ratio, low, high = math.exp(beta), math.exp(beta - z * se), math.exp(beta + z * se)
        e, e_ci = stats.e_value(ratio, low, high, odds_ratio_common=odds and common)
        rows.append({
            "metric": metric.id, "arm": arm.id, "control": experiment.control,
            "n_control": int((data["arm"] == experiment.control).sum()),
            "n_treatment": int((data["arm"] == arm.id).sum()),
            "ratio": ratio, "ci_low": low, "ci_high": high, "p_value": float(fit.pvalues[name]),
            "scale": "odds_ratio" if odds else "rate_ratio",
            "e_value": float(e), "e_value_ci": float(e_ci),
            "model": "logistic" if odds and metric.per_posting else
                     ("quasi_binomial" if odds else "negative_binomial"),
        })  # fmt: skip
    return rows


def _covariate_values(frame: pd.DataFrame, name: str) -> pd.Series:
    if name == "month":
        return pd.to_datetime(frame["published"]).dt.month.map(lambda m: f"{m:02d}")
    return frame[name]


def _balance(
    frame: pd.DataFrame, experiment: Experiment, covariates: Sequence[str]
) -> pd.DataFrame:
    rows = []
    control = frame["arm"] == experiment.control
    for name in covariates:
        values = _covariate_values(frame, name)
        numeric = pd.api.types.is_numeric_dtype(values)
        columns = {name: values.astype(float)} if numeric else {
            str(level): (values == level).astype(float) for level in sorted(values.astype(str).unique())
        }  # fmt: skip
        for level, column in columns.items():
            for arm in experiment.treatments:
                treated = frame["arm"] == arm.id
                rows.append(_std_diff(name, level if not numeric else "", arm.id, column[control],
                                      column[treated], numeric))  # fmt: skip
    return pd.DataFrame(rows, columns=["covariate", "level", "arm", "control_mean", "arm_mean",
                                       "std_diff", "imbalanced"])  # fmt: skip


def _std_diff(
    name: str, level: str, arm: str, c: pd.Series, t: pd.Series, numeric: bool
) -> dict[str, Any]:
    mc, mt = float(c.mean()), float(t.mean())
    if numeric:
        pooled = math.sqrt((float(c.var()) + float(t.var())) / 2)
    else:
        pooled = math.sqrt((mc * (1 - mc) + mt * (1 - mt)) / 2)
    diff = (mt - mc) / pooled if pooled > 0 else 0.0
    return {"covariate": name, "level": level, "arm": arm, "control_mean": mc, "arm_mean": mt,
            "std_diff": diff, "imbalanced": abs(diff) > IMBALANCE}  # fmt: skip


def _overlap(
    frame: pd.DataFrame, experiment: Experiment, covariates: Sequence[str]
) -> pd.DataFrame:
    columns = ["arm", "group", "postings_arm", "postings_control"]
    categorical = [c for c in covariates
                   if not pd.api.types.is_numeric_dtype(_covariate_values(frame, c))]  # fmt: skip
    if not categorical:
        return pd.DataFrame(columns=columns)
    group = pd.Series([""] * len(frame), index=frame.index)
    for name in categorical:
        group = (
            group
            + np.where(group == "", "", " / ")
            + f"{name}="
            + _covariate_values(frame, name).astype(str)
        )
    counts = pd.crosstab(group, frame["arm"].astype(str))
    rows = []
    for arm in experiment.treatments:
        arm_n = counts.get(arm.id, pd.Series(0, index=counts.index))
        control_n = counts.get(experiment.control, pd.Series(0, index=counts.index))
        for cell in counts.index[(arm_n == 0) != (control_n == 0)]:
            rows.append({"arm": arm.id, "group": cell, "postings_arm": int(arm_n[cell]),
                         "postings_control": int(control_n[cell])})  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _notes(
    covariates: Sequence[str], balance: pd.DataFrame, overlap: pd.DataFrame
) -> tuple[Note, ...]:
    shown = ", ".join(covariates) if covariates else "-"
    notes = [Note("observational", {"covariates": shown})]
    imbalanced = sorted(set(balance.loc[balance["imbalanced"], "covariate"]))
    if imbalanced:
        notes.append(Note("observational_imbalance", {"covariates": ", ".join(imbalanced)}))
    if not overlap.empty:
        postings = int(overlap["postings_arm"].sum() + overlap["postings_control"].sum())
        notes.append(Note("observational_overlap", {"groups": len(overlap), "postings": postings}))
    return tuple(notes)
