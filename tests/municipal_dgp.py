"""Data-generating processes that look like municipal recruitment experiments.

Used by the calibration tests (tests/test_small_sample_calibration.py) and the figures on the
methods pages (benchmarks/calibration_suite.py). Each draw stacks ``replicates`` independent
experiments in one posting table with a ``rep`` column, so one ``rk.analyze(..., by=["rep"])``
call analyses them all.

What municipal channel tests look like (and what the processes reproduce):

* few postings per arm (4-8), unequal arms (1 : 4), groups of 3 postings;
* applicant counts that are zero-inflated and heavy-tailed: a quarter of postings get nobody,
  7 % are popular (mean 350, so a few draw 300+), the rest have a mean of 20 with
  negative-binomial shape 0.7;
* qualified applicants clustered in postings: a posting-level share ~ Beta with mean 0.4 and
  intra-posting correlation 0.15;
* few hires (mostly 0 or 1 per posting) and lognormal posting costs (median 3,000 kr.,
  log-sd 0.8), so cost per hire rests on a handful of hires.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import rekrut as rk

METRICS = ["applications_per_posting", "qualified_share", "cost_per_hire"]


@dataclass(frozen=True)
class Design:
    """Postings per arm: ``control`` and ``treatment`` ranges (inclusive), drawn per replicate."""

    name: str
    control: tuple[int, int]
    treatment: tuple[int, int]


DESIGNS = {
    "4-8": Design("4-8", (4, 8), (4, 8)),
    "15": Design("15", (15, 15), (15, 15)),
    "30": Design("30", (30, 30), (30, 30)),
    "60": Design("60", (60, 60), (60, 60)),
    "1:4": Design("1:4", (8, 8), (32, 32)),
    "5-40": Design("5-40", (5, 40), (5, 40)),
    "3": Design("3", (3, 3), (3, 3)),
    "150": Design("150", (150, 150), (150, 150)),
}


def experiment(metrics: list[str] | None = None) -> rk.Experiment:
    """A two-arm posting-randomised experiment: Jobnet (control) against Jobindex."""
    return rk.Experiment.model_validate(
        {
            "id": "aa",
            "control": "A",
            "metrics": metrics or METRICS,
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "jobindex"}],
        }
    )


def applicants(rng: np.random.Generator, n: int, tail: str = "heavy") -> np.ndarray:
    """Zero-inflated, heavy-tailed applicant counts for ``n`` postings.

    ``tail="light"``: plain negative-binomial counts (mean 20, shape 1.5), as in a large
    municipality's routine postings, for the checks that need many effective postings.
    """
    if tail == "light":
        return rng.negative_binomial(1.5, 1.5 / 21.5, size=n)
    popular = rng.random(n) < 0.07
    mean = np.where(popular, 350.0, 20.0)
    shape = np.where(popular, 2.0, 0.7)
    counts = rng.negative_binomial(shape, shape / (shape + mean))
    return np.where(rng.random(n) < 0.25, 0, counts)


def qualified(rng: np.random.Generator, apps: np.ndarray) -> np.ndarray:
    """Qualified applicants, clustered in postings (Beta share, intra-posting correlation)."""
    mean, icc = 0.4, 0.15
    total = (1 - icc) / icc
    share = rng.beta(mean * total, (1 - mean) * total, size=apps.size)
    return rng.binomial(apps, share)


def draw(
    rng: np.random.Generator | int,
    design: str,
    replicates: int,
    *,
    lift: float = 1.0,
    lift_metric: str = "applications",
    tail: str = "heavy",
) -> pd.DataFrame:
    """``replicates`` stacked experiments; the treatment multiplies ``lift_metric`` by ``lift``.

    ``lift_metric`` is ``"applications"`` (applicants per posting, rounded to whole
    applicants: the lift holds in expectation only approximately) or ``"cost"`` (posting
    costs, exact).
    """
    gen = np.random.default_rng(rng)
    spec = DESIGNS[design]
    n_c = gen.integers(spec.control[0], spec.control[1] + 1, size=replicates)
    n_t = gen.integers(spec.treatment[0], spec.treatment[1] + 1, size=replicates)
    sizes = n_c + n_t
    total = int(sizes.sum())
    rep = np.repeat(np.arange(replicates), sizes)
    start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    treated = (np.arange(total) - start) >= np.repeat(n_c, sizes)
    apps = applicants(gen, total, tail)
    if lift != 1.0 and lift_metric == "applications":
        boosted = gen.binomial(apps, min(lift - 1.0, 1.0)) if lift > 1 else apps
        apps = np.where(treated, apps + boosted if lift > 1 else gen.binomial(apps, lift), apps)
    qual = qualified(gen, apps)
    hires = np.minimum(gen.poisson(0.7, size=total), np.maximum(apps, 0))
    cost = np.round(np.exp(gen.normal(np.log(3000.0), 0.8, size=total)), 2)
    if lift != 1.0 and lift_metric == "cost":
        cost = np.where(treated, cost * lift, cost)
    weeks = gen.integers(0, 20, size=total)
    published = pd.Timestamp("2026-01-05") + pd.to_timedelta(weeks * 7, unit="D")
    return pd.DataFrame(
        {
            "posting_id": [f"P{i:07d}" for i in range(total)],
            "rep": rep,
            "arm": np.where(treated, "B", "A"),
            "published": published,
            "applications": apps,
            "qualified": qual,
            "hires": hires,
            "cost_dkk": cost,
        }
    )
