"""The picture of a words result: each term's ratio with its interval (matplotlib)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from rekrut.metrics import get_metric
from rekrut.notes import Lang

__all__ = ["ratio_plot"]

_AXIS = {
    "da": "Forhold, opslag med ordet / uden (sammenhæng, log-skala)",
    "en": "Ratio, postings with the term / without (association, log scale)",
}


def ratio_plot(table: pd.DataFrame, metric: str, *, top: int = 20, lang: Lang = "en") -> Any:
    """Horizontal intervals of the ``top`` terms' ratios of a words table, strongest evidence
    at the top.

    Examples
    --------
    >>> import pandas as pd, rekrut as rk
    >>> ads = pd.DataFrame({"ad_text": ["Fuldtid, fleksibel", "Deltid"] * 30,
    ...                     "applications": [14, 6] * 30})
    >>> fig = rk.words(ads, text="ad_text", min_postings=10).plot()
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]  # bottom to top
    ['fuldtid fleksibel', 'deltid']
    """
    from matplotlib.figure import Figure

    table = table.head(top)
    # the strongest evidence at the top: the last row drawn at y = 0
    shown = table.iloc[::-1]
    ratio, low, high = (shown[c].to_numpy(dtype=float) for c in ("ratio", "ci_low", "ci_high"))
    fig = Figure(figsize=(7.5, 0.35 * max(len(shown), 1) + 1.4))
    ax = fig.add_subplot()
    higher = get_metric(metric).direction == "higher"
    for y in range(len(shown)):
        colour = "#1a7f37" if (ratio[y] > 1) == higher else "#b42318"
        ax.plot([low[y], high[y]], [y, y], color=colour, linewidth=2)
        ax.plot([ratio[y]], [y], "o", color=colour)
    ax.set_yticks(range(len(shown)), [str(term) for term in shown["term"]], fontsize=8)
    ax.axvline(1.0, color="#555555", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(_AXIS[lang], fontsize=8)
    ax.set_title(get_metric(metric).label(lang), fontsize=10)
    if len(shown):
        ax.set_ylim(-0.6, len(shown) - 0.4)
    fig.tight_layout()
    return fig
