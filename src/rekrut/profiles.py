"""Baseline recruitment funnels per job category: published levels and stated assumptions.

The simulator draws synthetic postings from these profiles and the peer comparison uses them as
plausible defaults; each profile names its sources.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EFFECT_KEYS", "JOB_PROFILES", "JobProfile"]


@dataclass(frozen=True, slots=True)
class JobProfile:
    """Baseline funnel of one job category.

    Attributes
    ----------
    applications_mean
        Mean applications per posting.
    dispersion
        Negative-binomial size ``k``: variance = mean + mean**2 / k (smaller is more spread).
    qualified_share, fill_rate, repost_rate, retention_12m, click_through_rate, apply_rate
        Baseline proportions.
    median_days_to_hire
        Median days from publication to signed contract.
    source
        Where the levels come from.
    """

    applications_mean: float
    dispersion: float
    qualified_share: float
    fill_rate: float
    repost_rate: float
    retention_12m: float
    median_days_to_hire: float
    click_through_rate: float = 0.02
    apply_rate: float = 0.08
    source: str = ""


_STAR = "failed recruitments: STAR Rekrutteringssurvey"
_TURNOVER = "retention from municipal staff turnover of 21.3 % in 2016 (VIVE/KORA 2017)"
_ASSUMED = "applicant levels, dispersion, click and apply rates and days to hire are assumptions"

JOB_PROFILES: dict[str, JobProfile] = {
    "sosu_assistent": JobProfile(
        6.0,
        1.2,
        0.55,
        0.60,
        0.25,
        0.79,
        45,
        source=f"fill rate 60 %: 40 % failed (Sept 2020-Feb 2021, FOA); {_TURNOVER}; {_ASSUMED}",
    ),
    "sygeplejerske": JobProfile(
        5.0,
        1.2,
        0.70,
        0.54,
        0.30,
        0.79,
        50,
        source=f"fill rate 54 %: 46 % failed in 2022 (the minister in Jyllands-Posten); {_TURNOVER}; {_ASSUMED}",
    ),
    "paedagog": JobProfile(
        12.0,
        1.5,
        0.50,
        0.77,
        0.15,
        0.79,
        40,
        source=f"fill rate 77 %: 23 % of all attempts failed in 2018 ({_STAR}); {_TURNOVER}; {_ASSUMED}",
    ),
    "laerer": JobProfile(
        10.0,
        1.5,
        0.60,
        0.77,
        0.15,
        0.79,
        45,
        source=f"fill rate 77 %: 23 % of all attempts failed in 2018 ({_STAR}); {_TURNOVER}; {_ASSUMED}",
    ),
    "socialraadgiver": JobProfile(
        8.0,
        1.5,
        0.60,
        0.77,
        0.15,
        0.79,
        45,
        source=f"fill rate 77 %: 23 % of all attempts failed in 2018 ({_STAR}); {_TURNOVER}; {_ASSUMED}",
    ),
    "administration": JobProfile(
        20.0,
        1.5,
        0.45,
        0.77,
        0.10,
        0.79,
        35,
        source=(
            "20 applicants: the median state job ad in 2016 (Moderniseringsstyrelsen, "
            f"'Rekruttering i staten'); fill rate 77 % ({_STAR}, 2018); {_TURNOVER}; {_ASSUMED}"
        ),
    ),
    "leder": JobProfile(
        14.0,
        1.5,
        0.40,
        0.77,
        0.10,
        0.79,
        60,
        source=(
            "14 applicants: the median state job ad in 2014 (Moderniseringsstyrelsen); "
            f"fill rate 77 % ({_STAR}, 2018); {_TURNOVER}; {_ASSUMED}"
        ),
    ),
}
"""Baseline profiles by job category, each naming its sources."""

EFFECT_KEYS = (
    "applications",
    "qualified_share",
    "fill_rate",
    "repost_rate",
    "retention_12m",
    "click_through_rate",
    "apply_rate",
    "days_to_hire",
)
"""Keys of an arm's effects: multipliers of the baseline (1.0 = no effect)."""
