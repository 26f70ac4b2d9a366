"""The decision per arm a director acts on: the primary metric, its cost, the rule, the next step.

One :class:`ArmDecision` per treatment arm (and group) of the primary metric:

* **action** — ``roll_out``, ``stop``, ``continue`` or ``no_data``, with a ``reason`` code;
* **rule** — the adjusted p-value against ``alpha`` (frequentist, randomisation, sequential) or
  the ROPE rule at the decision probability (Bayesian);
* **cost** — the arm's cost per outcome (qualified applicant, else hire, else applicant) with a
  ratio-scale interval, and the price of one *extra* outcome against the control (Fieller);
* **next step** — for ``continue``, the postings per arm still needed to detect the difference
  seen with 80 % power (:func:`rekrut.power.postings_needed`), in weeks at the experiment's
  pace, and the maximum of a group-sequential plan when the experiment plans looks.

The smallest difference worth acting on is the experiment's ``[bayes] rope`` (±5 % by default):
an arm whose difference points the right way by less than that is not worth more postings.
Continuing is proposed only while it needs at most :data:`MAX_EXTENSION` times the postings
already run; beyond that the answer is to stop, with the number said.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

import pandas as pd

from rekrut._format import fmt_dkk, fmt_number, fmt_p, fmt_percent, fmt_signed_percent
from rekrut._power_analytic import DEFAULT_DISPERSION, postings_needed, sequential_plan
from rekrut.analysis._costs import arm_ratio, extra_cost, group_position
from rekrut.data import Summary
from rekrut.metrics import Metric, get_metric
from rekrut.model import Experiment
from rekrut.notes import Lang


class AnalysisResult(Protocol):
    """What a decision reads of :class:`~rekrut.analysis.AnalysisResult` (which holds it)."""

    @property
    def experiment(self) -> Experiment: ...
    @property
    def method(self) -> str: ...
    @property
    def table(self) -> pd.DataFrame: ...
    @property
    def summary(self) -> Summary: ...
    @property
    def associations(self) -> Any: ...


__all__ = ["MAX_EXTENSION", "ArmDecision", "decide", "decision_frame"]

Action = Literal["roll_out", "stop", "continue", "test", "no_data"]

MAX_EXTENSION = 3.0
"""Continue only if the postings still needed are at most this many times those already run."""

POWER = 0.8
"""The power the next-step plan asks for."""

# the outcome whose price the decision states, in order of preference
_COST_METRICS = ("cost_per_qualified", "cost_per_hire", "cost_per_application")
# metrics read as "N % more <noun>": their noun phrase
_NOUNS: dict[str, tuple[str, str]] = {
    "applications_per_posting": ("ansøgere pr. opslag", "applications per posting"),
    "qualified_per_posting": (
        "kvalificerede ansøgere pr. opslag",
        "qualified applicants per posting",
    ),
}
_OUTCOME: dict[str, tuple[str, str]] = {
    "cost_per_qualified": ("kvalificeret ansøger", "qualified applicant"),
    "cost_per_hire": ("ansættelse", "hire"),
    "cost_per_application": ("ansøger", "application"),
}
_OUTCOMES: dict[str, tuple[str, str]] = {
    "cost_per_qualified": ("kvalificerede ansøgere", "qualified applicants"),
    "cost_per_hire": ("ansættelser", "hires"),
    "cost_per_application": ("ansøgere", "applications"),
}
_MULTIPLICITY: dict[str, tuple[str, str]] = {
    "holm": ("Holms metode", "Holm's method"),
    "bh": ("Benjamini–Hochbergs metode", "the Benjamini–Hochberg method"),
    "none": ("ingen korrektion", "no correction"),
}

TEXT: dict[str, dict[Lang, str]] = {
    "more": {"da": "{pct} flere {noun} end {control}", "en": "{pct} more {noun} than {control}"},
    "fewer": {"da": "{pct} færre {noun} end {control}", "en": "{pct} fewer {noun} than {control}"},
    "higher": {
        "da": "{metric} {pct} højere end hos {control}",
        "en": "{metric} {pct} higher than {control}",
    },
    "lower": {
        "da": "{metric} {pct} lavere end hos {control}",
        "en": "{metric} {pct} lower than {control}",
    },
    "undefined": {
        "da": "{metric}: den relative forskel er udefineret, fordi {control} har værdien 0",
        "en": "{metric}: the relative difference is undefined, because {control} has the value 0",
    },
    "interval": {"da": "{level}-interval {low} til {high}", "en": "{level} interval {low} to {high}"},
    "rule_p": {
        "da": "Regel: en forskel regnes for sikker, når justeret p er under {alpha} ({correction}).",
        "en": "Rule: a difference counts as clear when the adjusted p is below {alpha} "
        "({correction}).",
    },
    "rule_bayes": {
        "da": "Regel: {arm} vælges, når {level}-troværdighedsintervallet for forskellen ligger "
        "helt over {high}, "
        "og {control} beholdes, når det ligger helt under {low} eller helt mellem {low} og {high}.",
        "en": "Rule: {arm} is chosen when the {level} credible interval of the difference lies "
        "wholly above {high}, "
        "and {control} is kept when it lies wholly below {low} or wholly between {low} and "
        "{high}.",
    },
    "here": {"da": "Her: {evidence}.", "en": "Here: {evidence}."},
    "any_arm": {"da": "en {unit}", "en": "a {unit}"},
    "cost_label": {"da": "Pris", "en": "Cost"},
    "next_label": {"da": "Næste skridt", "en": "Next step"},
    "evidence_p": {"da": "justeret p er {p}", "en": "the adjusted p is {p}"},
    "evidence_bayes": {
        "da": "sandsynligheden for at være bedre er {prob}",
        "en": "the probability of being better is {prob}",
    },
    "cost_free": {
        "da": "gratis, som {control}.",
        "en": "free, like {control}.",
    },
    "cost_arm": {
        "da": "{value} pr. {outcome} ({low} til {high}).",
        "en": "{value} per {outcome} ({low} to {high}).",
    },
    "cost_arm_point": {"da": "{value} pr. {outcome}.", "en": "{value} per {outcome}."},
    "extra_bounded": {
        "da": "Hver ekstra {outcome} i forhold til {control} koster {value} ({low} til {high}).",
        "en": "Each extra {outcome} compared with {control} costs {value} ({low} to {high}).",
    },
    "extra_open": {
        "da": "En ekstra {outcome} i forhold til {control} koster omkring {value}, men prisen har "
        "ingen øvre grænse, fordi det ikke er sikkert, at {arm} giver flere {outcomes}.",
        "en": "An extra {outcome} compared with {control} costs about {value}, but the price has "
        "no upper limit, because it is not clear that {arm} gives more {outcomes}.",
    },
    "extra_none": {
        "da": "{arm} giver ikke flere {outcomes} end {control}, så der er ingen ekstra at betale for.",
        "en": "{arm} gives no more {outcomes} than {control}, so there are no extra ones to pay for.",
    },
    "extra_saving": {
        "da": "{arm} er billigere og giver flere {outcomes} end {control}.",
        "en": "{arm} is cheaper and gives more {outcomes} than {control}.",
    },
    "roll_out": {"da": "brug {arm} fremover.", "en": "roll out {arm}."},
    "test_observational": {
        "da": "ingen beslutning ud fra tidligere opslag: forskellen er en sammenhæng, ikke et "
        "bevis på årsag. Test {arm} mod {control} i et randomiseret forsøg, før I skifter.",
        "en": "no decision from past postings: the difference is an association, not proof of "
        "cause. Test {arm} against {control} in a randomised experiment before switching.",
    },
    "stop_worse": {
        "da": "stop {arm}, og behold {control}.",
        "en": "stop {arm} and keep {control}.",
    },
    "stop_equivalent": {
        "da": "stop {arm}; den er hverken bedre eller dårligere end {control} med "
        "mere end {rope}.",
        "en": "stop {arm}; it is neither better nor worse than {control} by more "
        "than {rope}.",
    },
    "stop_no_gain": {
        "da": "stop {arm}; forskellen ({lift}) er mindre end de {rope}, der skal "
        "til, før et skifte kan betale sig.",
        "en": "stop {arm}; the difference ({lift}) is smaller than the {rope} it takes "
        "for a change to pay off.",
    },
    "stop_no_sign": {
        "da": "stop {arm}; den klarede sig dårligere end {control} i forsøget.",
        "en": "stop {arm}; it did worse than {control} in the experiment.",
    },
    "stop_too_costly": {
        "da": "stop {arm}; at påvise en forskel på {target} kræver yderligere "
        "{more} opslag pr. {unit}{weeks}.",
        "en": "stop {arm}; showing a difference of {target} needs {more} more postings "
        "per {unit}{weeks}.",
    },
    "stop_enough_data": {
        "da": "stop {arm}; der er allerede opslag nok til at påvise en forskel på "
        "{target}, og den er ikke sikker.",
        "en": "stop {arm}; there are already enough postings to show a difference of "
        "{target}, and it is not clear.",
    },
    "continue_plan": {
        "da": "fortsæt med yderligere {more} opslag pr. {unit}{weeks} for at kunne "
        "påvise en forskel på {target} med 80 % sandsynlighed.",
        "en": "continue with {more} more postings per {unit}{weeks} to detect a "
        "difference of {target} with 80 % probability.",
    },
    "continue_no_plan": {
        "da": "fortsæt; antallet af opslag kan ikke beregnes analytisk for dette mål "
        "(brug rekrut power med --postings).",
        "en": "continue; the postings needed cannot be computed analytically for this "
        "metric (use rekrut power with --postings).",
    },
    "sequential": {
        "da": " Med {looks} planlagte kig kan forsøget stoppe tidligere; i alt højst {max} opslag "
        "pr. {unit}.",
        "en": " With {looks} planned looks the experiment can stop earlier; at most {max} "
        "postings per {unit} in all.",
    },
    "weeks": {"da": " (ca. {weeks} uger i det nuværende tempo)", "en": " (about {weeks} weeks at the current pace)"},
    "no_data": {
        "da": "{arm} kan ikke sammenlignes med {control}: en af dem har ingen data.",
        "en": "{arm} cannot be compared with {control}: one of them has no data.",
    },
    "unit_channel": {"da": "kanal", "en": "channel"},
    "unit_variant": {"da": "annonce", "en": "ad"},
    "unit_arm": {"da": "gruppe", "en": "arm"},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ArmDecision:
    """The decision for one treatment arm on the primary metric (JSON-safe via :meth:`to_dict`).

    ``action`` is ``roll_out``, ``stop``, ``continue`` or ``no_data``; ``reason`` one of
    ``better``, ``worse``, ``equivalent``, ``no_sign``, ``no_gain``, ``too_costly``, ``enough_data``,
    ``plan``, ``no_plan``, ``no_data``. ``more_postings`` is per arm; ``weeks`` at the pace of
    the experiment's dates. Cost fields are NaN when the data have no costs.
    """

    arm: str
    control: str
    group: str
    metric: str
    action: Action
    reason: str
    lift: float
    lift_ci_low: float
    lift_ci_high: float
    p_value_corrected: float
    prob_better: float
    cost_metric: str
    cost: float
    cost_ci_low: float
    cost_ci_high: float
    extra_cost: float
    extra_cost_ci_low: float
    extra_cost_ci_high: float
    extra_cost_bounded: bool
    extra_outcomes: float
    target_lift: float
    more_postings: float
    weeks: float
    max_postings_sequential: float

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values (NaN as None)."""
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in asdict(self).items()
        }


ACTION_LABELS: dict[str, tuple[str, str]] = {
    "roll_out": ("brug fremover", "roll out"),
    "stop": ("stop", "stop"),
    "continue": ("fortsæt", "continue"),
    "test": ("test i et forsøg", "test in an experiment"),
    "no_data": ("ingen data", "no data"),
}


def action_label(action: str, lang: Lang) -> str:
    """The action in a word or two: ``brug fremover``, ``stop``, ``fortsæt``."""
    return ACTION_LABELS[action][0 if lang == "da" else 1]


def multiplicity_name(code: str, lang: Lang) -> str:
    """``holm`` as ``Holms metode`` / ``Holm's method``."""
    labels = _MULTIPLICITY.get(code, (code, code))
    return labels[0 if lang == "da" else 1]


def _t(key: str, lang: Lang, **params: Any) -> str:
    return TEXT[key][lang].format(**params)


def _good(lift: float, metric: Metric) -> float:
    """The lift signed so that positive is better."""
    return lift if metric.direction == "higher" else -lift


def _group_index(result: AnalysisResult, row: pd.Series) -> tuple[int, str]:
    by = result.summary.by
    return group_position(result.summary, {str(k): v for k, v in row.items()}), ", ".join(
        f"{row[c]}" for c in by
    )


def _dispersion(result: AnalysisResult, metric: Metric, g: int, c: int) -> float:
    """Negative-binomial alpha of the control's counts per posting (method of moments)."""
    m = result.summary.moments.get(metric.id)
    if m is None or metric.kind != "count":
        return DEFAULT_DISPERSION
    n, total, squares = float(m.n[g, c]), float(m.sum_x[g, c]), float(m.sum_xx[g, c])
    if n < 3 or total <= 0 or not math.isfinite(squares):
        return DEFAULT_DISPERSION
    mean = total / n
    var = (squares - n * mean * mean) / (n - 1)
    return max((var - mean) / mean**2, 0.01)


def _pace(result: AnalysisResult) -> float:
    """Postings per week in all arms together, from the experiment's dates (NaN if unknown)."""
    exp = result.experiment
    if exp.start is None or exp.end is None:
        return math.nan
    weeks = max((exp.end - exp.start).days, 1) / 7
    return float(result.summary.units.sum()) / weeks


def _plan(result: AnalysisResult, row: pd.Series, g: int, c: int, a: int) -> dict[str, Any]:
    """The next-step numbers: target lift, postings per arm still needed, weeks, sequential max."""
    exp = result.experiment
    metric = get_metric(str(row["metric"]))
    rope = exp.bayes.rope[1]
    lift = float(row["lift"])
    target = lift if abs(lift) >= rope else math.copysign(rope, _good(lift, metric) or 1.0)
    out: dict[str, Any] = {"target_lift": target, "more_postings": math.nan, "weeks": math.nan}
    out["max_postings_sequential"] = math.nan
    try:
        fixed = postings_needed(
            metric.id,
            float(row["control_value"]),
            lift=target,
            alpha=exp.alpha,
            power=POWER,
            treatments=len(exp.treatments),
            dispersion=_dispersion(result, metric, g, c),
        )
    except ValueError:
        return out
    have = float(min(result.summary.units[g, c], result.summary.units[g, a]))
    out["more_postings"] = float(fixed.postings_per_arm) - have
    out["have"] = have
    out["weeks"] = out["more_postings"] * len(exp.arms) / _pace(result)
    if len(exp.looks) >= 2:
        out["max_postings_sequential"] = float(
            sequential_plan(fixed, looks=len(exp.looks)).max_postings_per_arm
        )
    return out


def _action(result: AnalysisResult, row: pd.Series, plan: dict[str, Any]) -> tuple[Action, str]:
    exp = result.experiment
    metric = get_metric(str(row["metric"]))
    lift, low, high = (float(row[k]) for k in ("lift", "lift_ci_low", "lift_ci_high"))
    rope_low, rope_high = exp.bayes.rope
    if exp.design == "observational":  # nothing was randomised: no roll-out from an association
        return ("test", "observational") if math.isfinite(lift) else ("no_data", "no_data")
    if result.method == "bayesian":
        decision = str(row["decision"])
        if decision == "no_data" or not math.isfinite(lift):
            return "no_data", "no_data"
        if decision == "choose_treatment":
            return "roll_out", "better"
        if decision == "keep_control":
            inside = rope_low <= low and high <= rope_high
            return "stop", "equivalent" if inside else "worse"
    else:
        p = float(row["p_value_corrected"])
        if not (math.isfinite(p) and math.isfinite(lift)):
            return "no_data", "no_data"
        if p < exp.alpha:
            return ("roll_out", "better") if _good(lift, metric) > 0 else ("stop", "worse")
    if _good(lift, metric) <= 0:
        return "stop", "no_sign"
    if _good(lift, metric) < rope_high:
        return "stop", "no_gain"
    more = plan["more_postings"]
    if not math.isfinite(more):
        return "continue", "no_plan"
    if more <= 0:
        return "stop", "enough_data"
    if more > MAX_EXTENSION * plan["have"]:
        return "stop", "too_costly"
    return "continue", "plan"


def _cost(result: AnalysisResult, g: int, c: int, a: int) -> dict[str, Any]:
    nan = math.nan
    out: dict[str, Any] = dict.fromkeys(
        ("cost", "cost_ci_low", "cost_ci_high", "extra_cost", "extra_cost_ci_low"), nan
    )
    out.update(extra_cost_ci_high=nan, extra_cost_bounded=False, extra_outcomes=nan)
    out["cost_metric"] = ""
    moments = result.summary.moments
    found = next((m for m in _COST_METRICS if m in moments), None)
    if found is None:
        return out
    level = result.experiment.confidence_level
    ratio = arm_ratio(moments[found], g, a, level)
    extra = extra_cost(moments[found], g, c, a, level)
    out.update(
        cost_metric=found,
        cost=ratio.value,
        cost_ci_low=ratio.low,
        cost_ci_high=ratio.high,
        extra_cost=extra.value,
        extra_cost_ci_low=extra.low,
        extra_cost_ci_high=extra.high,
        extra_cost_bounded=extra.bounded,
        extra_outcomes=extra.extra_outcomes,
    )
    out["_extra_spend"] = extra.extra_cost
    return out


def _adjusted_lifts(result: AnalysisResult) -> dict[str, tuple[float, float, float, float]]:
    """Per arm, the primary metric's adjusted association as a lift (ratio - 1), its interval
    and p-value.

    Only for an observational design with associations; rate ratios of counts are lifts, odds
    ratios of shares are not and are left out (the table's difference then stands).
    """
    found = result.associations
    if found is None:
        return {}
    rows = found.table[
        (found.table["metric"] == result.experiment.primary_metric)
        & (found.table["scale"] == "rate_ratio")
    ]
    return {
        str(r["arm"]): (
            float(r["ratio"]) - 1,
            float(r["ci_low"]) - 1,
            float(r["ci_high"]) - 1,
            float(r["p_value"]),
        )
        for r in rows.to_dict("records")
    }


def decide(result: AnalysisResult) -> tuple[ArmDecision, ...]:
    """The decision for every treatment arm (and group) on the experiment's primary metric."""
    exp = result.experiment
    table = result.table[result.table["metric"] == exp.primary_metric]
    arms = list(result.summary.arms)
    c = arms.index(exp.control)
    out = []
    adjusted = _adjusted_lifts(result)
    for _, row in table.iterrows():
        if str(row["arm"]) in adjusted:  # observational: the association adjusted for covariates
            row = row.copy()
            lift, low, high, p_value = adjusted[str(row["arm"])]
            row["lift"], row["lift_ci_low"], row["lift_ci_high"] = lift, low, high
            row["p_value"] = row["p_value_corrected"] = p_value
        g, group = _group_index(result, row)
        a = arms.index(str(row["arm"]))
        plan = _plan(result, row, g, c, a)
        action, reason = _action(result, row, plan)
        cost = _cost(result, g, c, a)
        cost.pop("_extra_spend", None)
        plan.pop("have", None)
        if reason not in ("plan", "too_costly", "enough_data"):  # no plan behind this step
            plan.update(more_postings=math.nan, weeks=math.nan, max_postings_sequential=math.nan)
        out.append(
            ArmDecision(
                arm=str(row["arm"]),
                control=exp.control,
                group=group,
                metric=exp.primary_metric,
                action=action,
                reason=reason,
                lift=float(row["lift"]),
                lift_ci_low=float(row["lift_ci_low"]),
                lift_ci_high=float(row["lift_ci_high"]),
                p_value_corrected=float(row.get("p_value_corrected", math.nan)),
                prob_better=float(row.get("prob_better", math.nan)),
                **cost,
                **plan,
            )
        )
    return tuple(out)


# --- words -------------------------------------------------------------------------------------


def _unit(result: AnalysisResult, lang: Lang) -> str:
    exp = result.experiment
    if any(a.name for a in exp.arms):
        return _t("unit_arm", lang)
    if len({a.variant for a in exp.arms}) > 1:
        return _t("unit_variant", lang)
    return _t("unit_channel", lang)


def effect_text(result: AnalysisResult, d: ArmDecision, lang: Lang) -> str:
    """``16 % flere ansøgere pr. opslag end Jobnet (95 %-interval −11 % til +50 %)``."""
    exp = result.experiment
    metric = get_metric(d.metric)
    control = exp.arm_name(d.control, lang)
    size = fmt_percent(abs(d.lift), lang, 0)
    if not math.isfinite(d.lift):
        return _t("undefined", lang, metric=metric.label(lang), control=control)
    if metric.id in _NOUNS:
        noun = _NOUNS[metric.id][0 if lang == "da" else 1]
        key = "more" if d.lift >= 0 else "fewer"
        text = _t(key, lang, pct=size, noun=noun, control=control)
    else:
        key = "higher" if d.lift >= 0 else "lower"
        text = _t(key, lang, metric=metric.label(lang), pct=size, control=control)
    level = fmt_percent(exp.confidence_level, lang, 0).replace(" ", "\u00a0")
    interval = _t(
        "interval",
        lang,
        level=level,
        low=fmt_signed_percent(d.lift_ci_low, lang),
        high=fmt_signed_percent(d.lift_ci_high, lang),
    )
    return f"{text} ({interval})"


def _rule(result: AnalysisResult, arm: str, lang: Lang) -> str:
    exp = result.experiment
    if result.method == "bayesian":
        low, high = exp.bayes.rope
        return _t(
            "rule_bayes",
            lang,
            arm=arm,
            control=exp.arm_name(exp.control, lang),
            level=fmt_percent(exp.bayes.decision_probability, lang, 0),
            low=fmt_signed_percent(low, lang),
            high=fmt_signed_percent(high, lang),
        )
    family = result.table[result.table["metric"] == exp.primary_metric]["correction"]
    code = str(family.iloc[0]) if len(family) else "none"
    return _t(
        "rule_p",
        lang,
        alpha=fmt_number(exp.alpha, lang, 2),
        correction=multiplicity_name(code, lang),
    )


def rule_text(result: AnalysisResult, d: ArmDecision, lang: Lang) -> str:
    """The rule behind the decision in plain words, and the arm's number it was applied to."""
    arm = result.experiment.arm_name(d.arm, lang)
    here = _t("here", lang, evidence=evidence_text(result, d, lang))
    return f"{_rule(result, arm, lang)} {here}"


def rule_summary(result: AnalysisResult, lang: Lang) -> str:
    """The rule alone, the same for every arm."""
    unit = _unit(result, lang)
    article = "an" if lang == "en" and unit[0] in "aeiou" else None
    arm = f"{article} {unit}" if article else _t("any_arm", lang, unit=unit)
    return _rule(result, arm, lang)


def evidence_text(result: AnalysisResult, d: ArmDecision, lang: Lang) -> str:
    """The number the rule is applied to: ``justeret p 0,269`` or the probability of being
    better."""
    if result.method == "bayesian":
        return _t("evidence_bayes", lang, prob=fmt_percent(d.prob_better, lang, 0))
    return _t("evidence_p", lang, p=fmt_p(d.p_value_corrected, lang))


def capitalised(text: str) -> str:
    """The text with a capital first letter, as it starts a table cell."""
    return text[:1].upper() + text[1:]


def _labelled(label: str, text: str, lang: Lang) -> str:
    """``Pris: …`` / ``Næste skridt: …`` for a sentence standing alone."""
    return f"{_t(label, lang)}: {text}" if text else ""


def cost_text(result: AnalysisResult, d: ArmDecision, lang: Lang) -> str:
    """The arm's cost per outcome and the price of an extra outcome, as sentences without a
    lead-in (a table column says "Pris"); '' without cost data."""
    if not d.cost_metric or not math.isfinite(d.cost):
        return ""
    exp = result.experiment
    arm, control = exp.arm_name(d.arm, lang), exp.arm_name(d.control, lang)
    i = 0 if lang == "da" else 1
    outcome, outcomes = _OUTCOME[d.cost_metric][i], _OUTCOMES[d.cost_metric][i]
    if d.cost == 0:
        return _t("cost_free", lang, control=control) if _free(result, d.control) else ""
    if math.isfinite(d.cost_ci_low):
        first = _t(
            "cost_arm",
            lang,
            value=fmt_dkk(d.cost, lang),
            outcome=outcome,
            low=fmt_dkk(d.cost_ci_low, lang),
            high=fmt_dkk(d.cost_ci_high, lang),
        )
    else:
        first = _t("cost_arm_point", lang, value=fmt_dkk(d.cost, lang), outcome=outcome)
    names = {"arm": arm, "control": control, "outcome": outcome, "outcomes": outcomes}
    if not (math.isfinite(d.extra_outcomes) and d.extra_outcomes > 0):
        second = _t("extra_none", lang, **names)
    elif d.extra_cost <= 0:
        second = _t("extra_saving", lang, **names)
    elif d.extra_cost_bounded:
        second = _t(
            "extra_bounded",
            lang,
            value=fmt_dkk(d.extra_cost, lang),
            low=fmt_dkk(max(d.extra_cost_ci_low, 0.0), lang),
            high=fmt_dkk(d.extra_cost_ci_high, lang),
            **names,
        )
    else:
        second = _t("extra_open", lang, value=fmt_dkk(d.extra_cost, lang), **names)
    return f"{first} {second}"


def _free(result: AnalysisResult, arm_id: str) -> bool:
    totals = result.summary.totals()
    if "cost_dkk" not in totals.columns:
        return False
    return bool(totals["cost_dkk"].to_numpy()[list(totals.index).index(arm_id)] == 0.0)


def next_text(result: AnalysisResult, d: ArmDecision, lang: Lang) -> str:
    """The next step in words: roll out, stop (and why) or continue (for how long), without a
    lead-in."""
    exp = result.experiment
    arm, control = exp.arm_name(d.arm, lang), exp.arm_name(d.control, lang)
    unit = _unit(result, lang)
    weeks = _t("weeks", lang, weeks=fmt_number(d.weeks, lang, 0)) if math.isfinite(d.weeks) else ""
    params = {
        "arm": arm,
        "control": control,
        "unit": unit,
        "weeks": weeks,
        "more": fmt_number(d.more_postings, lang, 0),
        "target": fmt_signed_percent(d.target_lift, lang),
        "lift": fmt_signed_percent(d.lift, lang),
        "rope": fmt_percent(exp.bayes.rope[1], lang, 0),
    }
    keys = {
        ("roll_out", "better"): "roll_out",
        ("stop", "worse"): "stop_worse",
        ("stop", "equivalent"): "stop_equivalent",
        ("stop", "no_gain"): "stop_no_gain",
        ("stop", "no_sign"): "stop_no_sign",
        ("stop", "too_costly"): "stop_too_costly",
        ("stop", "enough_data"): "stop_enough_data",
        ("continue", "plan"): "continue_plan",
        ("continue", "no_plan"): "continue_no_plan",
        ("test", "observational"): "test_observational",
    }
    key = keys.get((d.action, d.reason), "no_data")
    text = _t(key, lang, **params)
    if key == "continue_plan" and math.isfinite(d.max_postings_sequential):
        looks = len(exp.looks)
        text += _t("sequential", lang, looks=looks, unit=unit,
                   max=fmt_number(d.max_postings_sequential, lang, 0))  # fmt: skip
    return text


def decision_sentence(result: AnalysisResult, d: ArmDecision, lang: Lang) -> str:
    """The whole decision for one arm as one paragraph: effect, rule, cost, next step."""
    exp = result.experiment
    arm = exp.arm_name(d.arm, lang)
    if d.action == "no_data":
        return next_text(result, d, lang)
    prefix = f"{d.group}: " if d.group else ""
    parts = [f"{prefix}{arm}: {effect_text(result, d, lang)}.", rule_text(result, d, lang)]
    parts += [
        _labelled("cost_label", cost_text(result, d, lang), lang),
        _labelled("next_label", next_text(result, d, lang), lang),
    ]
    return " ".join(p for p in parts if p)


def decision_frame(result: AnalysisResult, lang: Lang) -> pd.DataFrame:
    """The decisions as a table of text (one row per arm): what a director reads first."""
    names = {
        "da": ("Gruppe", "Resultat", "Pris", "Regel", "Næste skridt"),
        "en": ("Arm", "Result", "Cost", "Rule", "Next step"),
    }[lang]
    rows = []
    for d in decide(result):
        arm = result.experiment.arm_name(d.arm, lang)
        rows.append(
            (
                f"{d.group}: {arm}" if d.group else arm,
                effect_text(result, d, lang) if d.action != "no_data" else "–",
                capitalised(cost_text(result, d, lang)) or "–",
                rule_text(result, d, lang) if d.action != "no_data" else "–",
                capitalised(next_text(result, d, lang)),
            )
        )
    return pd.DataFrame(rows, columns=list(names))
