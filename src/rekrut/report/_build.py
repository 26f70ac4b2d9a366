"""From an analysis result to the report's content: every number formatted, every sentence chosen."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pandas as pd

from rekrut.analysis import ArmDecision
from rekrut.analysis._costs import arm_ratio, group_position
from rekrut.analysis._decision import (
    action_label,
    capitalised,
    cost_text,
    decision_sentence,
    effect_text,
    evidence_text,
    next_text,
    rule_summary,
)
from rekrut.metrics import Metric, get_metric
from rekrut.notes import Lang
from rekrut.report._format import (
    fmt_date,
    fmt_dkk,
    fmt_number,
    fmt_p,
    fmt_percent,
    fmt_signed_percent,
)
from rekrut.report._text import job_category_label, method_name, multiplicity_name, t

if TYPE_CHECKING:
    from rekrut.analysis import AnalysisResult

__all__ = ["build_context", "format_value", "interval_text", "municipality_label"]


def format_value(metric: Metric, value: float, lang: Lang) -> str:
    """A metric value in its unit (percent, kroner, days or a count)."""
    if metric.kind == "proportion":
        return fmt_percent(value, lang)
    if metric.kind == "ratio":
        return fmt_dkk(value, lang)
    if metric.kind == "duration" and not math.isfinite(value):
        return t("not_reached", lang)
    return fmt_number(value, lang, 1)


def interval_text(low: float, high: float, fmt: Any, lang: Lang) -> str:
    """``a til b``, or in words when an end is open: ``mindst a``, ``højst b``, ``ubestemt``."""
    low_ok, high_ok = math.isfinite(low), math.isfinite(high)
    if low_ok and high_ok:
        return t("range", lang, low=fmt(low), high=fmt(high))
    if low_ok:
        return t("at_least", lang, low=fmt(low))
    if high_ok:
        return t("at_most", lang, high=fmt(high))
    return t("undetermined", lang)


def _rows(table: pd.DataFrame) -> list[Any]:
    """The rows of a table as objects with attribute access (typed loosely on purpose)."""
    return [SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in table.to_dict("records")]


def _level(result: AnalysisResult, lang: Lang) -> str:
    return fmt_percent(result.experiment.confidence_level, lang, 0).replace(" ", "\u00a0")


def _decisions(result: AnalysisResult, lang: Lang) -> list[dict[str, str]]:
    out = []
    for d in result.decisions():
        out.append(_decision_cells(result, d, lang))
    return out


def _decision_cells(result: AnalysisResult, d: ArmDecision, lang: Lang) -> dict[str, str]:
    arm = result.experiment.arm_name(d.arm, lang)
    return {
        "arm": f"{d.group}: {arm}" if d.group else arm,
        "action": d.action,
        "action_label": action_label(d.action, lang),
        "effect": effect_text(result, d, lang) if d.action != "no_data" else "–",
        "evidence": evidence_text(result, d, lang) if d.action != "no_data" else "",
        "cost": capitalised(cost_text(result, d, lang)) or "–",
        "next": capitalised(next_text(result, d, lang)),
        "sentence": decision_sentence(result, d, lang),
    }


def _result_rows(result: AnalysisResult, lang: Lang) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    bayes = result.method == "bayesian"
    exp = result.experiment
    for row in _rows(result.table):
        metric = get_metric(row.metric)
        entry = groups.setdefault(
            row.metric,
            {"label": metric.label(lang), "direction": metric.direction, "rows": [], "open": False},
        )
        group = ", ".join(str(getattr(row, c)) for c in result.summary.by)
        cells = {
            "arm": f"{group}: {exp.arm_name(row.arm, lang)}"
            if group
            else exp.arm_name(row.arm, lang),
            "control_value": format_value(metric, row.control_value, lang),
            "treatment_value": format_value(metric, row.treatment_value, lang),
        }
        cells.update(_change(result, metric, row, lang))
        entry["open"] = entry["open"] or cells.pop("open") == "yes"
        if bayes:
            cells["test"] = fmt_percent(row.prob_better, lang, 0)
            cells["extra"] = t(
                str(row.decision), lang, arm=cells["arm"], control=exp.arm_name(row.control, lang)
            )
        else:
            cells["test"] = fmt_p(row.p_value, lang)
            cells["extra"] = fmt_p(row.p_value_corrected, lang)
        entry["rows"].append(cells)
    return list(groups.values())


def _change(result: AnalysisResult, metric: Metric, row: Any, lang: Lang) -> dict[str, str]:
    """The relative change and its interval; for a cost against a free control (no relative
    change) the arm's own cost with its interval on the ratio scale, never below zero."""
    is_open = not (math.isfinite(row.lift_ci_low) and math.isfinite(row.lift_ci_high))
    if math.isfinite(row.lift):
        return {
            "lift": fmt_signed_percent(row.lift, lang),
            "interval": interval_text(
                row.lift_ci_low, row.lift_ci_high, lambda v: fmt_signed_percent(v, lang), lang
            ),
            "open": "yes" if is_open else "no",
        }
    signed = "+" if row.diff > 0 else ""
    low, high = row.diff_ci_low, row.diff_ci_high
    if metric.kind == "ratio" and row.control_value == 0 and metric.id in result.summary.moments:
        arms = list(result.summary.arms)
        ratio = arm_ratio(
            result.summary.moments[metric.id],
            group_position(result.summary, vars(row)),
            arms.index(row.arm),
            result.experiment.confidence_level,
        )
        low, high = ratio.low, ratio.high
    shown = signed + format_value(metric, row.diff, lang) if math.isfinite(row.diff) else "–"
    return {
        "lift": shown,
        "interval": interval_text(low, high, lambda v: format_value(metric, v, lang), lang),
        "open": "yes" if not (math.isfinite(low) and math.isfinite(high)) else "no",
    }


_FUNNEL = (
    ("postings", "postings"),
    ("applications", "applications"),
    ("qualified", "qualified"),
    ("hires", "hires"),
    ("filled", "filled"),
    ("cost", "cost_dkk"),
)


def _funnel(result: AnalysisResult, lang: Lang) -> dict[str, Any]:
    totals = result.summary.totals()
    keys = [key for key, column in _FUNNEL if column in totals.columns]
    rows = []
    for i, arm in enumerate(result.experiment.arm_ids):
        row = {"arm": result.experiment.arm_name(arm, lang)}
        for key, column in _FUNNEL:
            if key in keys:
                value = float(totals[column].to_numpy()[i])
                row[key] = fmt_dkk(value, lang) if key == "cost" else fmt_number(value, lang, 0)
        rows.append(row)
    return {"columns": keys, "rows": rows}


def municipality_label(code: str | None, lang: Lang) -> str:
    """``Aarhus (751)`` from the bundled municipality table; the code alone if unknown."""
    if code is None:
        return "–"
    from rekrut.peers import municipalities

    table = municipalities()
    names = dict(zip(table["kommunekode"], table["name"], strict=True))
    return f"{names[code]} ({code})" if code in names else code


def _plan(result: AnalysisResult, lang: Lang) -> dict[str, Any]:
    exp = result.experiment
    arms = []
    for arm in exp.arms:
        share = arm.weight / sum(a.weight for a in exp.arms)
        channel, variant = exp.channel(arm.channel), exp.variant(arm.variant)
        arms.append(
            {
                "id": exp.arm_name(arm.id, lang),
                "channel": channel.name_en if lang == "en" and channel.name_en else channel.name,
                "variant": variant.title_en if lang == "en" and variant.title_en else variant.title,
                "weight": fmt_percent(share, lang, 0),
                "control": arm.id == exp.control,
            }
        )
    return {
        "hypothesis": exp.hypothesis,
        "arms": arms,
        "metrics": [get_metric(m).label(lang) for m in exp.metrics],
        "primary": get_metric(exp.primary_metric).label(lang),
        "period": f"{fmt_date(exp.start, lang)} – {fmt_date(exp.end, lang)}",
        "municipality": municipality_label(exp.municipality, lang),
        "job_category": job_category_label(exp.job_category, lang),
        "synthetic": exp.simulation is not None,
        "observational": exp.design == "observational",
    }


def _methods(result: AnalysisResult, lang: Lang) -> list[dict[str, str]]:
    pairs = result.table[["metric", "method"]].drop_duplicates()
    return [
        {"metric": get_metric(m).label(lang), "method": method_name(str(method), lang)}
        for m, method in pairs.itertuples(index=False)
    ]


def _correction(result: AnalysisResult, lang: Lang) -> str | None:
    if result.method not in ("frequentist", "randomization", "sequential"):
        return None
    if not (result.table["family"] == "secondary").any():
        return None
    code = str(result.table.loc[result.table["family"] == "secondary", "correction"].iloc[0])
    return t("corrected_note", lang, method=multiplicity_name(code, lang))


def _associations(result: AnalysisResult, lang: Lang) -> dict[str, Any] | None:
    """The adjusted associations of an observational design, formatted for the report."""
    found = result.associations
    if found is None:
        return None
    exp = result.experiment
    rows = []
    for record in found.table.to_dict("records"):
        row = SimpleNamespace(**{str(k): v for k, v in record.items()})
        metric = get_metric(str(row.metric))
        ratio = float(row.ratio)
        rows.append(
            {
                "metric": metric.label(lang),
                "arm": exp.arm_name(str(row.arm), lang),
                "ratio": "–" if not math.isfinite(ratio) else fmt_number(ratio, lang, 2),
                "scale": t(str(row.scale), lang),
                "interval": interval_text(
                    float(row.ci_low), float(row.ci_high), lambda v: fmt_number(v, lang, 2), lang
                ),
                "p": fmt_p(float(row.p_value), lang),
                "e_value": fmt_number(float(row.e_value), lang, 2),
            }
        )
    imbalanced = found.balance.loc[found.balance["imbalanced"], "covariate"].unique().tolist()
    covariates = ", ".join(found.covariates) or t("no_covariates", lang)
    return {
        "intro": t(
            "associations_intro",
            lang,
            covariates=covariates,
            control=exp.arm_name(exp.control, lang),
        ),
        "rows": rows,
        "imbalanced": t("imbalanced", lang, covariates=", ".join(map(str, imbalanced)))
        if imbalanced
        else "",
    }


def _retention(retention: Any, result: AnalysisResult, lang: Lang) -> dict[str, Any] | None:
    """3-, 6- and 12-month retention per group with intervals, and the log-rank test."""
    if retention is None:
        return None
    exp = result.experiment
    level = fmt_percent(retention.confidence_level, lang, 0)
    rows = []
    for record in retention.table.to_dict("records"):
        group = str(record["group"])
        name = exp.arm_name(group, lang) if group in exp.arm_ids else group
        value = float(record["retention"])
        rows.append(
            {
                "group": name,
                "months": fmt_number(float(record["months"]), lang, 0),
                "hires": fmt_number(float(record["hires"]), lang, 0),
                "retention": "–" if not math.isfinite(value) else fmt_percent(value, lang, 0),
                "interval": interval_text(
                    float(record["ci_low"]),
                    float(record["ci_high"]),
                    lambda v: fmt_percent(v, lang, 0),
                    lang,
                ),
            }
        )
    test = retention.log_rank
    return {
        "rows": rows,
        "level": level,
        "log_rank": None
        if test is None
        else t("retention_log_rank", lang, p=fmt_p(float(test["p_value"]), lang)),
        "svg": None,
    }


def build_context(
    result: AnalysisResult,
    lang: Lang,
    peers: Any = None,
    title: str | None = None,
    retention: Any = None,
) -> dict[str, Any]:
    """Everything the templates show, formatted for ``lang``."""
    exp = result.experiment
    srm = result.srm
    srm_text = None
    if srm is not None:
        p = fmt_p(float(srm.p_value), lang)
        srm_text = t("srm_bad" if bool(srm.mismatch) else "srm_ok", lang, p=p)
    peers_table: pd.DataFrame | None = getattr(
        peers, "table", peers if isinstance(peers, pd.DataFrame) else None
    )
    from rekrut._version import __version__

    results = _result_rows(result, lang)
    return {
        "lang": lang,
        "t": lambda key, **kw: t(key, lang, **kw),
        "title": title or exp.title or exp.id,
        "experiment_id": exp.id,
        "plan": _plan(result, lang),
        "srm": srm_text,
        "srm_warning": srm is not None and bool(srm.mismatch),
        "notes": result.note_texts(lang),
        "decisions": _decisions(result, lang),
        "associations": _associations(result, lang),
        "retention": _retention(retention, result, lang),
        "primary": get_metric(exp.primary_metric).label(lang),
        "control": exp.arm_name(exp.control, lang),
        "rule": rule_summary(result, lang),
        "correction": _correction(result, lang),
        "results": results,
        "open_intervals": any(group["open"] for group in results),
        "bayes": result.method == "bayesian",
        "level": _level(result, lang),
        "funnel": _funnel(result, lang),
        "peers": None if peers_table is None else peers_table.to_dict("records"),
        "peer_columns": [] if peers_table is None else [str(c) for c in peers_table.columns],
        "methods": _methods(result, lang),
        "interval_kind": t("credible" if result.method == "bayesian" else "confidence", lang),
        "version": __version__,
        "seed": result.seed,
    }
