"""From an analysis result to the report's content: every number formatted, every sentence chosen."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pandas as pd

from rekrut.metrics import Metric, get_metric
from rekrut.notes import Lang
from rekrut.report._format import fmt_date, fmt_dkk, fmt_number, fmt_percent, fmt_signed_percent
from rekrut.report._text import method_name, t

if TYPE_CHECKING:
    from rekrut.analysis import AnalysisResult

__all__ = ["build_context", "format_value"]


def format_value(metric: Metric, value: float, lang: Lang) -> str:
    """A metric value in its unit (percent, kroner, days or a count)."""
    if metric.kind == "proportion":
        return fmt_percent(value, lang)
    if metric.kind == "ratio":
        return fmt_dkk(value, lang)
    return fmt_number(value, lang, 1)


def _rows(table: pd.DataFrame) -> list[Any]:
    """The rows of a table as objects with attribute access (typed loosely on purpose)."""
    return [SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in table.to_dict("records")]


def _level(result: AnalysisResult, lang: Lang) -> str:
    return fmt_percent(result.experiment.confidence_level, lang, 0).replace(" ", "\u00a0")


def _arm_name(result: AnalysisResult, arm_id: str) -> str:
    arm = result.experiment.arm(arm_id)
    channel = result.experiment.channel(arm.channel).name
    variants = {a.variant for a in result.experiment.arms}
    if len(variants) > 1:
        return result.experiment.variant(arm.variant).title
    return channel


def _recommendations(result: AnalysisResult, lang: Lang) -> list[str]:
    exp = result.experiment
    metric = get_metric(exp.primary_metric)
    rows = result.table[result.table["metric"] == metric.id]
    level = _level(result, lang)
    out = []
    for row in _rows(rows):
        params: dict[str, Any] = {
            "arm": _arm_name(result, row.arm),
            "control": _arm_name(result, exp.control),
            "metric": metric.label(lang).lower(),
            "lift": fmt_signed_percent(row.lift, lang),
            "level": level,
            "low": fmt_signed_percent(row.lift_ci_low, lang),
            "high": fmt_signed_percent(row.lift_ci_high, lang),
        }
        if result.method == "bayesian":
            decision = t(str(row.decision), lang, arm=params["arm"], control=params["control"])
            out.append(
                t(
                    "rec_bayes",
                    lang,
                    prob=fmt_percent(row.prob_better, lang, 0),
                    decision=decision,
                    **params,
                )
            )
            continue
        significant = _excludes_zero(row.lift_ci_low, row.lift_ci_high)
        if significant:
            better = (row.lift > 0) == (metric.direction == "higher")
            judgement = t("better" if better else "worse", lang)
            out.append(t("rec_sure", lang, judgement=judgement, **params))
        else:
            out.append(t("rec_unsure", lang, **params))
    return out


def _excludes_zero(low: float, high: float) -> bool:
    return (math.isfinite(low) and low > 0) or (math.isfinite(high) and high < 0)


def _result_rows(result: AnalysisResult, lang: Lang) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    bayes = result.method == "bayesian"
    for row in _rows(result.table):
        metric = get_metric(row.metric)
        entry = groups.setdefault(
            row.metric, {"label": metric.label(lang), "direction": metric.direction, "rows": []}
        )
        cells = {
            "arm": _arm_name(result, row.arm),
            "control_value": format_value(metric, row.control_value, lang),
            "treatment_value": format_value(metric, row.treatment_value, lang),
        }
        cells.update(_change(metric, row, lang))
        if bayes:
            cells["test"] = fmt_percent(row.prob_better, lang, 0)
            cells["extra"] = t(
                str(row.decision), lang, arm=cells["arm"], control=_arm_name(result, row.control)
            )
        else:
            cells["test"] = fmt_number(row.p_value, lang, 3)
            cells["extra"] = fmt_number(row.p_value_corrected, lang, 3)
        entry["rows"].append(cells)
    return list(groups.values())


def _change(metric: Metric, row: Any, lang: Lang) -> dict[str, str]:
    """The relative change and its interval, or the absolute one when there is no relative one
    (a control value of zero, such as the cost per hire of a free channel)."""
    if math.isfinite(row.lift):
        low, high = row.lift_ci_low, row.lift_ci_high
        return {
            "lift": fmt_signed_percent(row.lift, lang),
            "interval": f"{fmt_signed_percent(low, lang)} … {fmt_signed_percent(high, lang)}",
        }
    signed = "+" if row.diff > 0 else ""
    return {
        "lift": signed + format_value(metric, row.diff, lang),
        "interval": f"{format_value(metric, row.diff_ci_low, lang)} … {format_value(metric, row.diff_ci_high, lang)}",
    }


def _funnel(result: AnalysisResult, lang: Lang) -> list[dict[str, str]]:
    totals = result.summary.totals()
    rows = []
    for i, arm in enumerate(result.experiment.arm_ids):
        row = {"arm": _arm_name(result, arm)}
        for key, column in (
            ("postings", "postings"),
            ("applications", "applications"),
            ("qualified", "qualified"),
            ("filled", "filled"),
            ("cost", "cost_dkk"),
        ):
            value = float(totals[column].to_numpy()[i]) if column in totals.columns else math.nan
            row[key] = fmt_dkk(value, lang) if key == "cost" else fmt_number(value, lang, 0)
        rows.append(row)
    return rows


def _plan(result: AnalysisResult, lang: Lang) -> dict[str, Any]:
    exp = result.experiment
    arms = []
    for arm in exp.arms:
        share = arm.weight / sum(a.weight for a in exp.arms)
        arms.append(
            {
                "id": arm.id,
                "channel": exp.channel(arm.channel).name,
                "variant": exp.variant(arm.variant).title,
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
        "municipality": exp.municipality or "–",
        "job_category": exp.job_category or "–",
        "synthetic": exp.simulation is not None,
    }


def _methods(result: AnalysisResult, lang: Lang) -> list[dict[str, str]]:
    pairs = result.table[["metric", "method"]].drop_duplicates()
    return [
        {"metric": get_metric(m).label(lang), "method": method_name(str(method), lang)}
        for m, method in pairs.itertuples(index=False)
    ]


def build_context(
    result: AnalysisResult, lang: Lang, peers: Any = None, title: str | None = None
) -> dict[str, Any]:
    """Everything the templates show, formatted for ``lang``."""
    exp = result.experiment
    srm = result.srm
    srm_text = None
    if srm is not None:
        p = fmt_number(float(srm.p_value), lang, 3)
        srm_text = t("srm_bad" if bool(srm.mismatch) else "srm_ok", lang, p=p)
    peers_table: pd.DataFrame | None = getattr(
        peers, "table", peers if isinstance(peers, pd.DataFrame) else None
    )
    from rekrut._version import __version__

    correction = None
    if (
        result.method in ("frequentist", "randomization")
        and (result.table["family"] == "secondary").any()
    ):
        correction = t("corrected_note", lang, method=str(result.table["correction"].iloc[-1]))
    return {
        "lang": lang,
        "t": lambda key, **kw: t(key, lang, **kw),
        "title": title or exp.title or exp.id,
        "experiment_id": exp.id,
        "plan": _plan(result, lang),
        "srm": srm_text,
        "notes": result.note_texts(lang),
        "recommendations": _recommendations(result, lang),
        "correction": correction,
        "results": _result_rows(result, lang),
        "bayes": result.method == "bayesian",
        "level": _level(result, lang),
        "funnel": _funnel(result, lang),
        "peers": None if peers_table is None else peers_table.to_dict("records"),
        "peer_columns": [] if peers_table is None else [str(c) for c in peers_table.columns],
        "methods": _methods(result, lang),
        "interval_kind": t("credible" if result.method == "bayesian" else "confidence", lang),
        "version": __version__,
        "seed": "–" if result.seed is None else str(result.seed),
    }
