"""The picture of a words result: each term's ratio with its interval (matplotlib)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


from rekrut.metrics import get_metric
from rekrut.notes import Lang

if TYPE_CHECKING:
    from rekrut._words import WordsResult

__all__ = ["ratio_plot"]

_AXIS = {
    "da": "Forhold, opslag med ordet / uden (sammenhæng, log-skala)",
    "en": "Ratio, postings with the term / without (association, log scale)",
}


def ratio_plot(result: WordsResult, *, top: int = 20, lang: Lang = "en") -> Any:
    """Horizontal intervals of the ``top`` terms' ratios, strongest evidence at the top.

    Examples
    --------
    >>> import pandas as pd, rekrut as rk
    >>> ads = pd.DataFrame({"ad_text": ["Fuldtid, fleksibel", "Deltid"] * 30,
    ...                     "applications": [14, 6] * 30})
    >>> fig = rk.words(ads, text="ad_text", min_postings=10).plot()
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['fleksibel', 'fuldtid']
    """
    from matplotlib.figure import Figure

    table = result.table.head(top)
    rows = list(table.itertuples(index=False))
    fig = Figure(figsize=(7.5, 0.35 * max(len(rows), 1) + 1.4))
    ax = fig.add_subplot()
    higher = get_metric(result.metric).direction == "higher"
    for y, row in enumerate(reversed(rows)):
        colour = "#1a7f37" if (row.ratio > 1) == higher else "#b42318"
        ax.plot([row.ci_low, row.ci_high], [y, y], color=colour, linewidth=2)
        ax.plot([row.ratio], [y], "o", color=colour)
    ax.set_yticks(range(len(rows)), [str(r.term) for r in reversed(rows)], fontsize=8)
    ax.axvline(1.0, color="#555555", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(_AXIS[lang], fontsize=8)
    ax.set_title(get_metric(result.metric).label(lang), fontsize=10)
    if rows:
        ax.set_ylim(-0.6, len(rows) - 0.4)
    fig.tight_layout()
    return fig
