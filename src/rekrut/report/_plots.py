"""Plots for notebooks and reports (matplotlib, imported on first use)."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from rekrut._escape import one_line
from rekrut.metrics import get_metric
from rekrut.notes import Lang

if TYPE_CHECKING:
    from rekrut.analysis import AnalysisResult

__all__ = ["figure_svg", "forest_plot"]


def forest_plot(result: AnalysisResult, *, metric: str | None = None, lang: Lang = "en") -> Any:
    """A forest plot of the relative differences (lift) with their intervals.

    Parameters
    ----------
    result
        An analysis result.
    metric
        One metric, or None for every metric with a defined lift.
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
    >>> len(fig.axes[0].get_yticklabels())
    3
    """
    from matplotlib.figure import Figure

    table = result.table
    if metric is not None:
        table = table[table["metric"] == metric]
    table = table[np.isfinite(table["lift"].to_numpy(dtype=float))]
    rows = list(table.itertuples(index=False))
    fig = Figure(figsize=(7.5, 0.45 * max(len(rows), 1) + 1.2))
    ax = fig.add_subplot()
    for y, row in enumerate(reversed(rows)):
        better = (row.lift > 0) == (row.direction == "higher")
        colour = "#1a7f37" if better else "#b42318"
        low, high = _finite(row.lift_ci_low, -1.0), _finite(row.lift_ci_high, 3.0)
        ax.plot([low * 100, high * 100], [y, y], color=colour, linewidth=2)
        ax.plot([row.lift * 100], [y], "o", color=colour)
    labels = [one_line(f"{get_metric(r.metric).label(lang)} – {r.arm}") for r in reversed(rows)]
    # plain text: a "$" in an arm name is a dollar sign, not the start of mathtext
    ax.set_yticks(range(len(rows)), labels, fontsize=8, parse_math=False)
    ax.axvline(0, color="#555555", linewidth=1)
    ax.set_xlabel("%")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def _finite(value: float, fallback: float) -> float:
    return value if math.isfinite(value) else fallback


def figure_svg(fig: Any) -> str:
    """Render a figure as an inline SVG element (no XML header)."""
    import matplotlib

    buffer = io.StringIO()
    # fixed element ids and no date: the same figure gives the same bytes on every run
    with matplotlib.rc_context({"svg.hashsalt": "rekrut"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]
