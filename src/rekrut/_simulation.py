"""Seeded synthetic posting tables with a known truth.

The simulator draws one row per posting for an experiment, from a baseline profile of the job
category and multiplicative effects per arm. It is used for examples, for power by simulation and
for the calibration tests of every method.

The generating model, per posting *i* in arm *a*:

* attractiveness ``g_i ~ Gamma(k, 1/k)`` (mean 1), so that
  ``applications_i ~ Poisson(mu_a * g_i)`` is negative binomial with mean ``mu_a`` and variance
  ``mu_a + mu_a**2 / k``;
* ``clicks_i = applications_i + Poisson(mu_a g_i (1/apply_rate - 1))`` and
  ``impressions_i = clicks_i + Poisson(E[clicks_i | g_i] (1/ctr - 1))`` for channels that report
  them (job boards, social media, own site); blank otherwise;
* ``qualified_i ~ Binomial(applications_i, q_i)``, ``q_i ~ Beta`` around the qualified share
  (applicants of one posting are alike), ``interviews_i ~ Binomial(qualified_i, 0.6)``;
* ``filled_i ~ Bernoulli(fill_rate_a)``, one hire per filled posting; a filled posting always has
  at least one qualified applicant (when none was drawn, one is added, which raises the mean
  number of applications by at most ``P(applications = 0) * fill_rate``);
* days to hire ``~ Gamma(3, median/2.674)`` for filled postings (blank for open ones, with
  ``days_open`` the follow-up time), retention after 12 months ``~ Binomial(hires, retention)``,
  known only when 12 months have passed by ``as_of``;
* ``reposted_i ~ Bernoulli(repost_rate_a)``; cost from the channel's cost model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from rekrut._seeds import resolve_rng
from rekrut.model import Experiment, as_experiment
from rekrut.profiles import EFFECT_KEYS, JOB_PROFILES, JobProfile

__all__ = ["simulate"]

_GAMMA3_MEDIAN = (
    2.674060313723561  # median of Gamma(shape=3, scale=1): scipy.stats.gamma(3).median()
)


_TRACKED_KINDS = frozenset({"job_board", "social", "own_site"})
_QUALIFIED_CONCENTRATION = 20.0
_INTERVIEW_SHARE = 0.6


def simulate(
    experiment: Experiment | str | Path,
    *,
    postings: int,
    effects: Mapping[str, Mapping[str, float]] | None = None,
    job_category: str | None = None,
    profile: JobProfile | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
    replicates: int | None = None,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Draw a synthetic posting table for ``experiment`` with known true effects.

    Parameters
    ----------
    experiment
        The experiment (or its file): its arms (allocation weights), channels (cost models) and
        job category.
    postings
        Total number of postings; each is assigned an arm at random by the arms' weights.
    effects
        Per arm, multipliers of the baseline profile (keys in :data:`rekrut.profiles.EFFECT_KEYS`); arms not
        named have no effect. Proportions are capped at 1.
    job_category, profile
        The baseline: a key of :data:`JOB_PROFILES` (default: the experiment's job category, else
        ``"sosu_assistent"``) or an explicit :class:`JobProfile`.
    start, end
        Publication window (default: the experiment's dates, else 26 weeks from 2026-01-05).
    as_of
        Date of the data extract: postings not filled by then are open (censored), and retention
        is known only for hires at least 12 months old (default: ``end`` plus 15 months).
    replicates
        Draw this many independent experiments at once, numbered in a ``replicate`` column
        (for power by simulation: analyse them together with ``by=["replicate"]``).
    rng
        Seed or generator (default: a seed derived from the experiment id and these settings,
        so the same call draws the same table).

    Examples
    --------
    >>> from rekrut.model import Experiment, as_experiment
    >>> exp = Experiment.model_validate({"id": "x", "control": "A",
    ...     "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}]})
    >>> table = simulate(exp, postings=400, effects={"B": {"applications": 1.5}}, rng=1)
    >>> means = table.groupby("arm")["applications"].mean()
    >>> bool(means["B"] > means["A"])
    True
    """
    experiment = as_experiment(experiment)
    settings = [postings, sorted((effects or {}).items()), job_category, replicates]
    gen, _ = resolve_rng(rng, "simulate", experiment.id, *settings, str(start), str(as_of))
    base = profile or JOB_PROFILES[_category(experiment, job_category)]
    start = start or experiment.start or dt.date(2026, 1, 5)
    end = end or experiment.end or start + dt.timedelta(weeks=26)
    as_of = as_of or end + dt.timedelta(days=456)
    effects = dict(effects or {})
    _check_effects(experiment, effects)
    for name, value in (("postings", postings), ("replicates", replicates)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1
        ):
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    copies = replicates or 1
    weights = np.array([arm.weight for arm in experiment.arms])
    arm_index = gen.choice(len(weights), size=postings * copies, p=weights / weights.sum())
    replicate = np.repeat(np.arange(copies), postings)
    parts = []
    for i in range(len(experiment.arms)):
        mask = arm_index == i
        part = _draw_arm(experiment, i, int(mask.sum()), base, effects, start, end, as_of, gen)
        part.insert(0, "replicate", replicate[mask])
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(["replicate", "published", "arm"], kind="stable")
    # P00001, … within a replicate; R<replicate>-P00001, … over several (built column-wise:
    # formatting millions of ids one by one was a quarter of simulate_power's time)
    number = (table.groupby("replicate").cumcount() + 1).astype(str).str.zfill(5)
    if replicates is None:
        table.insert(0, "posting_id", ("P" + number).to_numpy())
        table = table.drop(columns="replicate")
    else:
        ids = "R" + table["replicate"].astype(str) + "-P" + number
        table.insert(0, "posting_id", ids.to_numpy())
    return table.reset_index(drop=True)


def _category(experiment: Experiment, job_category: str | None) -> str:
    category = job_category or experiment.job_category or "sosu_assistent"
    if category not in JOB_PROFILES:
        known = ", ".join(JOB_PROFILES)
        msg = (
            f"no baseline profile for job_category {category!r}; known: {known} (or pass profile=)"
        )
        raise ValueError(msg)
    return category


def _check_effects(experiment: Experiment, effects: Mapping[str, Mapping[str, float]]) -> None:
    for arm_id, arm_effects in effects.items():
        if arm_id not in experiment.arm_ids:
            raise ValueError(
                f"effects names unknown arm {arm_id!r}; arms: {list(experiment.arm_ids)}"
            )
        for key, value in arm_effects.items():
            if key not in EFFECT_KEYS:
                raise ValueError(f"unknown effect {key!r} for arm {arm_id!r}; known: {EFFECT_KEYS}")
            if not value > 0:
                raise ValueError(f"effect {key!r} for arm {arm_id!r} must be a positive multiplier")


def _arm_profile(base: JobProfile, multipliers: Mapping[str, float]) -> JobProfile:
    def scaled(name: str, value: float, cap: float | None = 1.0) -> float:
        out = value * multipliers.get(name, 1.0)
        return min(out, cap) if cap is not None else out

    return replace(
        base,
        applications_mean=scaled("applications", base.applications_mean, None),
        qualified_share=scaled("qualified_share", base.qualified_share),
        fill_rate=scaled("fill_rate", base.fill_rate),
        repost_rate=scaled("repost_rate", base.repost_rate),
        retention_12m=scaled("retention_12m", base.retention_12m),
        click_through_rate=scaled("click_through_rate", base.click_through_rate),
        apply_rate=scaled("apply_rate", base.apply_rate),
        median_days_to_hire=scaled("days_to_hire", base.median_days_to_hire, None),
    )


def _draw_arm(
    experiment: Experiment,
    index: int,
    n: int,
    base: JobProfile,
    effects: Mapping[str, Mapping[str, float]],
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    gen: np.random.Generator,
) -> pd.DataFrame:
    arm = experiment.arms[index]
    channel = experiment.channel(arm.channel)
    p = _arm_profile(base, effects.get(arm.id, {}))
    g = gen.gamma(p.dispersion, 1.0 / p.dispersion, size=n)
    applications = gen.poisson(p.applications_mean * g)
    expected_clicks = p.applications_mean * g / p.apply_rate
    clicks = applications + gen.poisson(expected_clicks - p.applications_mean * g)
    impressions = clicks + gen.poisson(expected_clicks * (1.0 / p.click_through_rate - 1.0))
    conc = _QUALIFIED_CONCENTRATION
    q = gen.beta(p.qualified_share * conc, (1.0 - p.qualified_share) * conc + 1e-9, size=n)
    qualified = gen.binomial(applications, q)
    filled = gen.random(n) < p.fill_rate
    lacking = filled & (qualified == 0)
    qualified = np.where(lacking, 1, qualified)
    applications = np.maximum(applications, qualified)
    clicks = np.maximum(clicks, applications)
    impressions = np.maximum(impressions, clicks)
    hires = filled.astype(np.int64)
    interviews = np.maximum(gen.binomial(qualified, _INTERVIEW_SHARE), hires)
    span = max((end - start).days, 0)
    offset = gen.integers(0, span + 1, size=n)
    published = np.datetime64(start, "D") + offset
    follow_up = ((as_of - start).days - offset).astype(np.float64)
    days = gen.gamma(3.0, p.median_days_to_hire / _GAMMA3_MEDIAN, size=n).round()
    hired_in_time = filled & (days <= follow_up)
    hires = np.where(hired_in_time, hires, 0)
    retention_known = follow_up - days >= 365
    retained = np.where(
        hired_in_time & retention_known, gen.binomial(hires, p.retention_12m), np.nan
    )
    retained = np.where(hires == 0, 0.0, retained)
    cost = channel.cost
    cost_dkk = (
        cost.per_posting_dkk
        + cost.campaign_dkk
        + clicks * cost.per_click_dkk
        + impressions / 1000.0 * cost.per_1000_impressions_dkk
    )
    tracked = channel.kind in _TRACKED_KINDS or (channel.kind is None and not cost.is_free)
    return pd.DataFrame(
        {
            "arm": arm.id,
            "variant": arm.variant,
            "channel": arm.channel,
            "job_category": experiment.job_category or "",
            "published": published.astype("datetime64[ns]"),
            "impressions": impressions.astype(np.float64) if tracked else np.nan,
            "clicks": clicks.astype(np.float64) if tracked else np.nan,
            "applications": applications,
            "qualified": qualified,
            "interviews": interviews,
            "hires": hires,
            "retained_12m": retained,
            "cost_dkk": np.round(cost_dkk, 2),
            "days_to_hire": np.where(hired_in_time, days, np.nan),
            "days_open": np.where(hired_in_time, np.nan, follow_up),
            "reposted": (gen.random(n) < p.repost_rate).astype(np.int64),
        }
    )
