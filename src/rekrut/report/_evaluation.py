"""The picture and the short report of an initiative evaluation, and the forest plot of a
meta-analysis (matplotlib on first use)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from rekrut.methods import method_label
from rekrut.metrics import get_metric
from rekrut.notes import Lang

if TYPE_CHECKING:
    from rekrut.meta import MetaAnalysis
    from rekrut.peers import InitiativeEvaluation

__all__ = ["meta_forest_plot", "render_evaluation", "twin_plot"]

_TEXT: dict[str, dict[Lang, str]] = {
    "title": {
        "da": "Indsats i kommune {code}: {metric}",
        "en": "Initiative in municipality {code}: {metric}",
    },
    "observed": {"da": "Kommunen", "en": "Municipality"},
    "twin": {"da": "Sammenligningsgrundlag", "en": "Counterfactual"},
    "start": {"da": "Indsatsen starter", "en": "Initiative starts"},
    "lead": {
        "da": "Fra {start} lå {metric} i gennemsnit {effect} i forhold til sammenligningsgrundlaget "
        "({level} interval {low} til {high}; placebo-p = {p}).",
        "en": "From {start} on, {metric} was on average {effect} against the counterfactual "
        "({level} interval {low} to {high}; placebo p = {p}).",
    },
    "method": {
        "da": "Metode: {method}; {donors} sammenligningskommuner. Fejl før indsatsen "
        "(RMSPE): {rmspe}.",
        "en": "Method: {method}; {donors} donor municipalities. Pre-period error (RMSPE): {rmspe}.",
    },
    "weights": {"da": "Største vægte", "en": "Largest weights"},
    "notes": {"da": "Bemærkninger", "en": "Notes"},
    "caution": {
        "da": "Indsatsen er ikke fordelt tilfældigt: resultatet forudsætter, at "
        "sammenligningskommunerne viser, hvordan kommunen ville have udviklet sig uden den.",
        "en": "The initiative was not randomised: the result assumes the donor municipalities "
        "show how the municipality would have developed without it.",
    },
}


def _t(key: str, lang: Lang, **params: Any) -> str:
    return _TEXT[key][lang].format(**params)


def twin_plot(evaluation: InitiativeEvaluation, *, lang: Lang = "en") -> Any:
    """The municipality's KPI over time against its counterfactual (synthetic twin).

    Examples
    --------
    >>> import rekrut as rk
    >>> res = rk.peers.evaluate(rk.peers.example_panel(), "751", start="2023Q1")
    >>> [line.get_label() for line in twin_plot(res).axes[0].get_lines()][:2]
    ['Municipality', 'Counterfactual']
    """
    from matplotlib.figure import Figure

    path = evaluation.path
    x = np.arange(len(path))
    fig = Figure(figsize=(7.5, 3.4))
    ax = fig.add_subplot()
    ax.plot(x, path["observed"], color="#1f3b73", linewidth=2, label=_t("observed", lang))
    ax.plot(x, path["counterfactual"], color="#b06000", linestyle="--", label=_t("twin", lang))
    first = int(np.flatnonzero(path["post"].to_numpy())[0])
    ax.axvline(first - 0.5, color="#555555", linewidth=1, label=_t("start", lang))
    step = max(1, len(path) // 8)
    ax.set_xticks(x[::step], path["period"].iloc[::step], fontsize=8)
    ax.set_ylabel(get_metric(evaluation.metric).label(lang))
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def meta_forest_plot(meta: MetaAnalysis, *, lang: Lang = "en") -> Any:
    """Forest plot: each study's effect and interval, the pooled estimate and the prediction
    interval (lifts in percent on the log-ratio scale).

    Examples
    --------
    >>> import pandas as pd, rekrut as rk
    >>> meta = rk.meta.combine(pd.DataFrame({"estimate": [0.1, 0.2, 0.0], "se": [0.1] * 3}))
    >>> len(meta_forest_plot(meta).axes[0].get_yticklabels())
    5
    """
    from matplotlib.figure import Figure

    studies = meta.studies
    res = meta.result
    rows = len(studies)
    fig = Figure(figsize=(7.5, 0.4 * rows + 1.6))
    ax = fig.add_subplot()
    low, mid, high = (
        _shown(meta, studies[c].to_numpy(float)) for c in ("ci_low", "estimate", "ci_high")
    )
    size = 3 + 12 * studies["weight"].to_numpy(float)
    for i in range(rows):
        y = rows + 1 - i
        ax.plot([low[i], high[i]], [y, y], color="#1f3b73")
        ax.plot([mid[i]], [y], "s", color="#1f3b73", markersize=size[i])
    diamond = _shown(meta, np.array([res.ci_low, res.estimate, res.ci_high, res.estimate]))
    ax.fill(diamond, [1, 1.25, 1, 0.75], color="#b06000")
    ax.plot(_shown(meta, np.array([res.pi_low, res.pi_high])), [0, 0], color="#b06000", linewidth=3)
    pooled = {"da": "Samlet (RE)", "en": "Pooled (RE)"}[lang]
    predicted = {"da": "Næste forsøg (forudsigelse)", "en": "Next study (prediction)"}[lang]
    labels = [predicted, pooled, *[str(s) for s in studies["study"]]]
    ax.set_yticks([0, 1, *range(rows + 1, 1, -1)], labels, fontsize=8)
    ax.axvline(0, color="#555555", linewidth=1)
    ax.set_xlabel("%" if meta.scale == "log_ratio" else "")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def _shown(meta: MetaAnalysis, values: np.ndarray) -> np.ndarray:
    """Log ratios as lifts in percent; differences as they are."""
    result: np.ndarray = np.expm1(values) * 100 if meta.scale == "log_ratio" else values
    return result


def render_evaluation(
    evaluation: InitiativeEvaluation, *, kind: str = "html", lang: Lang = "da"
) -> str:
    """A short self-contained report of an initiative evaluation (HTML with the picture, or
    Markdown).

    Examples
    --------
    >>> import rekrut as rk
    >>> res = rk.peers.evaluate(rk.peers.example_panel(), "751", start="2023Q1")
    >>> "placebo p" in render_evaluation(res, kind="md", lang="en")
    True
    """
    from rekrut.report._format import fmt_number, fmt_percent, fmt_signed_percent

    if kind not in ("html", "md"):
        raise ValueError(f"kind must be 'html' or 'md', got {kind!r}")
    metric = get_metric(evaluation.metric)
    res = evaluation.placebo
    proportion = metric.kind == "proportion"

    def signed(value: float) -> str:
        if not np.isfinite(value):
            return "−∞" if value < 0 else "∞"
        if proportion:
            return fmt_signed_percent(value, lang).replace(
                "%", " %-point" if lang == "da" else " pp"
            )
        return fmt_number(value, lang, 2)

    lead = _t(
        "lead",
        lang,
        start=evaluation.start,
        metric=metric.label(lang).lower(),
        effect=signed(res.estimate),
        level=fmt_percent(res.confidence_level, lang, 0),
        low=signed(res.ci_low),
        high=signed(res.ci_high),
        p=fmt_number(res.p_value, lang, 3),
    )
    method = _t(
        "method",
        lang,
        method=method_label(evaluation.method, lang),
        donors=res.weights.size,
        rmspe=fmt_number(res.pre_rmspe, lang, 4),
    )
    weights = ", ".join(
        f"{code} ({fmt_percent(float(weight), lang, 0)})"
        for code, weight in zip(
            evaluation.weights["kommunekode"].head(5),
            evaluation.weights["weight"].head(5),
            strict=True,
        )
    )
    title = _t("title", lang, code=evaluation.municipality, metric=metric.label(lang))
    notes = [_t("caution", lang), *evaluation.note_texts(lang)]
    if kind == "md":
        lines = [f"# {title}", "", lead, "", method, "", f"{_t('weights', lang)}: {weights}", ""]
        lines += [f"## {_t('notes', lang)}", "", *[f"- {n}" for n in notes], ""]
        return "\n".join(lines)
    from rekrut.report._plots import figure_svg

    svg = figure_svg(twin_plot(evaluation, lang=lang))
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(lead)}</p>{svg}"
        f"<p>{html.escape(method)}</p><p>{html.escape(_t('weights', lang))}: "
        f"{html.escape(weights)}</p><h2>{html.escape(_t('notes', lang))}</h2><ul>{items}</ul>"
        "</body></html>\n"
    )
