"""Plots for notebooks and reports (matplotlib, imported on first use).

Every label is plain text: a ``$`` in a channel name is escaped, never read as mathtext.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from rekrut._escape import one_line
from rekrut.analysis._costs import arm_mean, arm_ratio, group_position
from rekrut.metrics import Metric, get_metric
from rekrut.notes import Lang

if TYPE_CHECKING:
    from rekrut.analysis import AnalysisResult

__all__ = ["cost_plot", "figure_svg", "forest_plot"]

FONT_SIZE = 10
"""Points: the smallest text in a figure, readable in print."""

_COLOURS = {"better": "#1a7f37", "worse": "#b42318", "unclear": "#6e7781"}
_WORDS = {
    "better": ("sikkert bedre", "clearly better"),
    "worse": ("sikkert dårligere", "clearly worse"),
    "unclear": ("ikke sikker forskel", "no clear difference"),
    "relative": ("Forskel fra {control} (%)", "Difference from {control} (%)"),
    "absolute": ("{metric}: {arm_value} ({unit})", "{metric}: {arm_value} ({unit})"),
    "arm_value": ("gruppens værdi", "arm's value"),
    "difference": ("forskel", "difference"),
    "cost_x": ("Pris pr. {outcome} (kr.)", "Cost per {outcome} (DKK)"),
    "yield_y": ("{outcomes} pr. opslag", "{outcomes} per posting"),
}
_OUTCOMES = {
    "cost_per_qualified": (("kvalificeret ansøger", "Kvalificerede ansøgere"),
                           ("qualified applicant", "Qualified applicants")),
    "cost_per_hire": (("ansættelse", "Ansættelser"), ("hire", "Hires")),
    "cost_per_application": (("ansøger", "Ansøgere"), ("applicant", "Applicants")),
}  # fmt: skip


def _w(key: str, lang: Lang, **params: Any) -> str:
    return _WORDS[key][0 if lang == "da" else 1].format(**params)


def _plain(text: str) -> str:
    """Text matplotlib shows as written, on one line with control characters made visible
    (an unescaped pair of ``$`` would start mathtext; a bidi control would reorder the text)."""
    return one_line(text).replace("$", r"\$")


def _verdict(metric: Metric, low: float, high: float) -> str:
    if math.isfinite(low) and low > 0:
        return "better" if metric.direction == "higher" else "worse"
    if math.isfinite(high) and high < 0:
        return "worse" if metric.direction == "higher" else "better"
    return "unclear"


def _own_scale(result: AnalysisResult, metric: Metric, row: Any) -> tuple[float, float, float]:
    """A row without a relative difference, on the metric's own scale: the arm's own cost (with
    its ratio-scale interval) against a free control, else the absolute difference."""
    if metric.kind == "ratio" and row.control_value == 0 and metric.id in result.summary.moments:
        arms = list(result.summary.arms)
        ratio = arm_ratio(
            result.summary.moments[metric.id],
            group_position(result.summary, row._asdict()),
            arms.index(row.arm),
            result.experiment.confidence_level,
        )
        return float(row.treatment_value), ratio.low, ratio.high
    return float(row.diff), float(row.diff_ci_low), float(row.diff_ci_high)


def forest_plot(result: AnalysisResult, *, metric: str | None = None, lang: Lang = "da") -> Any:
    """A forest plot: relative differences (lift) with their intervals, and below them, on their
    own scale, the metrics whose relative difference is undefined (a cost against a free
    control), coloured by verdict with a legend.

    Parameters
    ----------
    result
        An analysis result (without grouping columns).
    metric
        One metric, or None for every metric.
    lang
        Label language.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.cli import demo_experiment_path
    >>> fig = forest_plot(rk.analyze(demo_experiment_path()), metric="fill_rate")
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()][1:]
    ['Jobindex', 'Facebook/Instagram-annonce', 'Lokalavisen']
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    table = result.table
    if metric is not None:
        table = table[table["metric"] == metric]
    finite = np.isfinite(table["lift"].to_numpy(dtype=float))
    relative = list(table[finite].itertuples(index=False))
    own = list(dict.fromkeys(table.loc[~finite, "metric"]))
    panels = ([("relative", relative)] if relative else []) + [
        (m, list(table[(table["metric"] == m) & ~finite].itertuples(index=False))) for m in own
    ]
    heads = len({r.metric for r in relative})
    heights = [len(rows) + (heads if kind == "relative" else 0) + 1.2 for kind, rows in panels]
    heights = heights or [1.0]
    fig = Figure(figsize=(7.2, 0.42 * sum(heights) + 0.8))
    axes = fig.subplots(len(panels) or 1, 1, gridspec_kw={"height_ratios": heights}, squeeze=False)
    control = result.experiment.arm_name(result.experiment.control, lang)
    for ax, (kind, rows) in zip(axes[:, 0], panels, strict=False):
        _panel(ax, result, kind, rows, lang)
        if kind == "relative":
            ax.axvline(0, color="#555555", linewidth=1)
            ax.set_xlabel(_plain(_w("relative", lang, control=control)), fontsize=FONT_SIZE)
        else:
            m = get_metric(kind)
            unit = m.unit_da if lang == "da" else m.unit_en
            label = _w("absolute", lang, metric=m.label(lang), arm_value=_w("arm_value", lang),
                       unit=unit)  # fmt: skip
            ax.set_xlabel(_plain(label), fontsize=FONT_SIZE)
            ax.set_xlim(left=0)
    handles = [
        Line2D([0], [0], color=_COLOURS[k], marker="o", linewidth=2.2, label=_w(k, lang))
        for k in ("better", "worse", "unclear")
    ]
    fig.legend(handles=handles, loc="upper center", ncol=3, fontsize=FONT_SIZE, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))
    return fig


def _panel(ax: Any, result: AnalysisResult, kind: str, rows: list[Any], lang: Lang) -> None:
    """One panel of the forest plot: a bold heading per metric, then its arms by name."""
    exp = result.experiment
    ticks: list[tuple[float, str, bool]] = []
    y = 0.0
    current = None
    for row in rows:
        m = get_metric(row.metric)
        if kind == "relative" and row.metric != current:
            current = row.metric
            ticks.append((y, m.label(lang), True))
            y -= 1
        if kind == "relative":
            value, low, high = row.lift * 100, row.lift_ci_low * 100, row.lift_ci_high * 100
            verdict = _verdict(m, row.lift_ci_low, row.lift_ci_high)
        else:
            value, low, high = _own_scale(result, m, row)
            verdict = "worse" if math.isfinite(low) and low > 0 else "unclear"
        colour = _COLOURS[verdict]
        if math.isfinite(low) and math.isfinite(high):
            ax.plot([low, high], [y, y], color=colour, linewidth=2.2)
        ax.plot([value], [y], "o", color=colour, markersize=6)
        ticks.append((y, exp.arm_name(row.arm, lang), False))
        y -= 1
    ax.set_yticks([t[0] for t in ticks], [_plain(t[1]) for t in ticks], fontsize=FONT_SIZE)
    for label, (_, _, heading) in zip(ax.get_yticklabels(), ticks, strict=True):
        label.set_fontweight("bold" if heading else "normal")
    ax.set_ylim(y + 0.4, 0.6)
    ax.tick_params(axis="x", labelsize=FONT_SIZE)
    ax.grid(axis="x", alpha=0.3)


def cost_plot(result: AnalysisResult, *, lang: Lang = "da") -> Any:
    """Yield against cost per arm: outcomes per posting (y) against the cost per outcome (x),
    each with its interval (t over postings; log-scale delta method for the cost). The outcome
    is the qualified applicant where the experiment measures it, else the hire or the applicant.

    Returns None when the result has no cost metric analysed over postings.

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.cli import demo_experiment_path
    >>> fig = cost_plot(rk.analyze(demo_experiment_path()))
    >>> fig.axes[0].get_xlabel()
    'Pris pr. kvalificeret ansøger (kr.)'
    """
    from matplotlib.figure import Figure

    moments = result.summary.moments
    found = next((m for m in _OUTCOMES if m in moments), None)
    if found is None or result.summary.by or result.summary.granularity != "postings":
        return None
    outcome, outcomes = _OUTCOMES[found][0 if lang == "da" else 1]
    level = result.experiment.confidence_level
    fig = Figure(figsize=(7.2, 4.0))
    ax = fig.add_subplot()
    for a, arm in enumerate(result.summary.arms):
        cost = arm_ratio(moments[found], 0, a, level)
        per = arm_mean(moments[found], 0, a, level)
        xerr = (
            [[cost.value - cost.low], [cost.high - cost.value]] if math.isfinite(cost.low) else None
        )
        yerr = [[per.value - per.low], [per.high - per.value]] if math.isfinite(per.low) else None
        colour = "#0969da" if arm != result.experiment.control else "#1f2328"
        ax.errorbar([cost.value], [per.value], xerr=xerr, yerr=yerr, fmt="o", color=colour,
                    capsize=3, linewidth=1.6)  # fmt: skip
        ax.annotate(_plain(result.experiment.arm_name(arm, lang)), (cost.value, per.value),
                    textcoords="offset points", xytext=(6, 6), fontsize=FONT_SIZE)  # fmt: skip
    ax.set_xlabel(_plain(_w("cost_x", lang, outcome=outcome)), fontsize=FONT_SIZE)
    ax.set_ylabel(_plain(_w("yield_y", lang, outcomes=outcomes)), fontsize=FONT_SIZE)
    ax.tick_params(labelsize=FONT_SIZE)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def figure_svg(fig: Any) -> str:
    """Render a figure as an inline SVG element (no XML header)."""
    import matplotlib

    buffer = io.StringIO()
    # fixed element ids and no date: the same figure gives the same bytes on every run
    with matplotlib.rc_context({"svg.hashsalt": "rekrut"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]
