"""A SYNTHETIC KPI panel (municipality x job category x quarter) with initiatives at known times.

The bundled ``kpi_panel_synthetic.csv`` is ``synthetic_panel(seed=2026)``: not real
recruitment data, made to show and check :func:`rekrut.peers.evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rekrut.io import read_resource_table
from rekrut.profiles import JOB_PROFILES, JobProfile

__all__ = ["PANEL_INITIATIVES", "example_panel", "kpi_frame", "synthetic_panel"]

PANEL_INITIATIVES: Mapping[str, tuple[str, float]] = {
    "751": ("2023Q1", 0.06),
    "461": ("2024Q1", 0.05),
    "147": ("2022Q3", 0.04),
}
"""The initiatives in the bundled panel: kommunekode -> (first quarter, fill-rate effect added)."""

QUARTERS = tuple(f"{year}Q{q}" for year in range(2018, 2026) for q in range(1, 5))


def example_panel() -> pd.DataFrame:
    """The bundled SYNTHETIC KPI panel: 98 municipalities x 3 job categories x 32 quarters.

    Quarters 2018Q1-2025Q4. Initiatives that raise the fill rate start in Aarhus (751) in
    2023Q1 (+6 points), Odense (461) in 2024Q1 (+5) and Frederiksberg (147) in 2022Q3 (+4);
    see :data:`PANEL_INITIATIVES`.

    Examples
    --------
    >>> panel = example_panel()
    >>> panel["kommunekode"].nunique(), sorted(panel["period"].unique())[::31]
    (98, ['2018Q1', '2025Q4'])
    """
    return read_resource_table("kpi_panel_synthetic.csv", {"kommunekode": str, "period": str})


def synthetic_panel(
    *,
    seed: int = 2026,
    periods: Sequence[str] = QUARTERS,
    job_categories: Sequence[str] = ("sosu_assistent", "sygeplejerske", "paedagog"),
    initiatives: Mapping[str, tuple[str, float]] = PANEL_INITIATIVES,
) -> pd.DataFrame:
    """A SYNTHETIC KPI panel with known initiative effects on the fill rate (not real data).

    Each municipality's fill rate per job category is a stable level (logit scale), plus a
    random-walk shock shared by its region and a smaller national one, observed through
    binomial draws over its postings (which scale with population); an initiative adds its
    effect to the fill probability from its first period on. Periods are strings that sort in
    time order (quarters ``2025Q1`` or years ``2025``). Other KPIs follow the job profiles as in
    :func:`rekrut.peers.synthetic_kpis`.

    Examples
    --------
    >>> panel = synthetic_panel(seed=1, periods=("2024", "2025"), job_categories=("paedagog",))
    >>> len(panel)
    196
    """
    rng = np.random.default_rng(seed)
    ref = read_resource_table("kommuner.csv", {"kommunekode": str})
    regions = pd.factorize(ref["region"])[0]
    n, count = len(ref), len(periods)
    parts = []
    for category in job_categories:
        profile = JOB_PROFILES[category]
        base = np.log(profile.fill_rate / (1 - profile.fill_rate))
        level = base + rng.normal(0.0, 0.35, n)
        shocks = rng.normal(0.0, 0.06, (regions.max() + 1, count)).cumsum(axis=1)
        national = rng.normal(0.0, 0.04, count).cumsum()
        logit = level[:, None] + shocks[regions] + national[None, :]
        prob = 1 / (1 + np.exp(-logit))
        for code, (first, effect) in initiatives.items():
            row = int(np.flatnonzero(ref["kommunekode"].to_numpy() == code)[0])
            after = np.asarray([period >= first for period in periods])
            prob[row, after] = np.clip(prob[row, after] + effect, 0.0, 0.99)
        for t, period in enumerate(periods):
            parts.append(_period(rng, ref, profile, category, period, prob[:, t]))
    return pd.concat(parts, ignore_index=True)


def _period(
    rng: np.random.Generator,
    ref: pd.DataFrame,
    profile: JobProfile,
    category: str,
    period: str,
    fill: np.ndarray,
) -> pd.DataFrame:
    n = len(ref)
    p = profile
    postings = rng.poisson(ref["population"].to_numpy() / 4000.0) + 1
    applications = rng.poisson(rng.gamma(8.0, p.applications_mean / 8.0, n) * postings)
    filled = np.minimum(rng.binomial(postings, fill), applications)
    hires = np.minimum(filled + rng.binomial(filled, 0.1), applications)
    qualified = np.maximum(rng.binomial(applications, p.qualified_share), hires)
    counts = {"postings": postings, "applications": applications, "qualified": qualified}
    counts |= {"hires": hires, "failed": postings - filled}
    return kpi_frame(rng, ref["kommunekode"], p, category, period, counts)


def kpi_frame(
    rng: np.random.Generator,
    codes: pd.Series,
    profile: JobProfile,
    category: str,
    period: str,
    counts: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    """KPI rows from drawn counts, drawing reposts, early leavers and cost (in that order)."""
    postings, hires = counts["postings"], counts["hires"]
    return pd.DataFrame(
        {
            "kommunekode": codes,
            "job_category": category,
            "period": period,
            **{k: counts[k] for k in ("postings", "applications", "qualified", "hires", "failed")},
            "reposts": rng.binomial(postings, profile.repost_rate),
            "early_leavers": rng.binomial(hires, 1 - profile.retention_12m),
            "cost_dkk": np.round(postings * rng.gamma(4.0, 900.0, len(codes)), 0),
        }
    )
