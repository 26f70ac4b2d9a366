"""Always-valid inference under weekly peeking on data that look like a municipality's.

Twenty weekly looks; 1-3 control and 1-2 treatment postings a week (unequal arms); applicant
counts zero-inflated and heavy-tailed (a fifth of postings draw nobody, a few draw eight times
the usual); qualified applicants clustered in postings (each posting has its own share). Every
replicate runs through ``analyze(method="sequential", by=["replicate"])``, the path a weekly
user takes, so the p-value at the last look is the smallest of all weekly looks.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import rekrut as rk

WEEKS = 20
APPLICANTS = 12.0  # mean per posting before zero inflation and outliers
ZERO, OUTLIER, OUTLIER_SCALE, SHAPE = 0.2, 0.03, 8.0, 0.7
MEAN_APPLICANTS = (1 - ZERO) * APPLICANTS * (1 + OUTLIER * (OUTLIER_SCALE - 1))
FILL = 0.6  # chance that a posting with a qualified applicant is filled


def _anyone_qualified(factor: float, a: float, b: float) -> float:
    """P(a posting has a qualified applicant): Poisson thinning of the gamma-mixed counts."""
    beta = np.random.default_rng(0).beta(a, b, 200_000)  # the posting's qualified share
    rate = APPLICANTS * factor * beta / SHAPE
    laplace = (1 - OUTLIER) * (1 + rate) ** -SHAPE + OUTLIER * (1 + OUTLIER_SCALE * rate) ** -SHAPE
    return float((1 - ZERO) * (1 - laplace.mean()))


EXPERIMENT = rk.Experiment.model_validate(
    {
        "id": "peeking",
        "control": "A",
        "metrics": ["applications_per_posting", "qualified_share", "fill_rate"],
        "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
    }
)


def municipal_postings(
    rng: np.random.Generator,
    replicates: int,
    *,
    applicants_factor: float = 1.0,
    qualified_beta: tuple[float, float] = (2.0, 3.0),
    fill: float = FILL,
) -> pd.DataFrame:
    """Posting rows of ``replicates`` experiments of 20 weeks; arm B may carry an effect."""
    start = pd.Timestamp("2026-01-05")
    frames = []
    arms = (("A", 3, 1.0, (2.0, 3.0), FILL), ("B", 2, applicants_factor, qualified_beta, fill))
    for arm, most, factor, (a, b), chance in arms:
        per_week = rng.integers(1, most + 1, size=(replicates, WEEKS)).ravel()
        replicate = np.repeat(np.repeat(np.arange(replicates), WEEKS), per_week)
        week = np.repeat(np.tile(np.arange(WEEKS), replicates), per_week)
        n = replicate.size
        appeal = rng.gamma(SHAPE, 1.0 / SHAPE, n)
        appeal = np.where(rng.random(n) < OUTLIER, appeal * OUTLIER_SCALE, appeal)
        applications = np.where(rng.random(n) < ZERO, 0, rng.poisson(APPLICANTS * factor * appeal))
        qualified = rng.binomial(applications, rng.beta(a, b, n))
        hires = ((rng.random(n) < chance) & (qualified > 0)).astype(int)
        published = start + pd.to_timedelta(week * 7 + rng.integers(0, 7, n), unit="D")
        frames.append(
            pd.DataFrame(
                {
                    "replicate": replicate,
                    "arm": arm,
                    "published": published,
                    "applications": applications,
                    "qualified": qualified,
                    "hires": hires,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values(["replicate", "published"], kind="stable").reset_index(drop=True)
    table.insert(0, "posting_id", [f"P{i}" for i in range(len(table))])
    return table


def _band(rate: float, replicates: int) -> float:
    return 3.0 * math.sqrt(rate * (1 - rate) / replicates)


@pytest.mark.slow
def test_weekly_peeking_on_municipal_data_keeps_alpha() -> None:
    replicates = 3000
    data = municipal_postings(np.random.default_rng(11), replicates)
    table = rk.analyze(EXPERIMENT, data, method="sequential", by=["replicate"]).table
    for metric, rows in table.groupby("metric"):
        ever = float(np.mean(rows["p_value"] <= 0.05))  # the p-value never rises: its minimum
        print(f"{metric}: ever p <= 0.05 in {ever:.2%} of {replicates} A/A runs")
        assert ever <= 0.05, metric
        # the confidence sequence (a running intersection) covers 0 at every look
        covered = np.mean((rows["diff_ci_low"] <= 0) & (rows["diff_ci_high"] >= 0))
        assert covered >= 0.95, metric


@pytest.mark.slow
def test_confidence_sequence_covers_a_real_effect_at_every_look() -> None:
    replicates = 3000
    data = municipal_postings(
        np.random.default_rng(12),
        replicates,
        applicants_factor=1.3,
        qualified_beta=(2.4, 2.6),
        fill=0.75,
    )
    table = rk.analyze(EXPERIMENT, data, method="sequential", by=["replicate"]).table
    truth = {
        "applications_per_posting": 0.3 * MEAN_APPLICANTS,
        "qualified_share": 0.48 - 0.4,
        "fill_rate": 0.75 * _anyone_qualified(1.3, 2.4, 2.6) - FILL * _anyone_qualified(1, 2, 3),
    }
    for metric, rows in table.groupby("metric"):
        covered = float(
            np.mean(
                (rows["diff_ci_low"] <= truth[metric]) & (rows["diff_ci_high"] >= truth[metric])
            )
        )
        print(f"{metric}: covered at all 20 looks in {covered:.2%}")
        assert covered >= 0.95 - _band(0.95, replicates), metric


def test_a_weekly_rerun_gives_the_monitors_p_value_for_that_week() -> None:
    data = municipal_postings(np.random.default_rng(13), 1).drop(columns="replicate")
    path = rk.sequential.monitor(EXPERIMENT, data).table
    checked = 0
    for look, rows in path.groupby("look"):
        if look.week % 3:  # every third week keeps the test quick
            continue
        weekly = rk.analyze(EXPERIMENT, data[data["published"] <= look], method="sequential")
        for metric in EXPERIMENT.metrics:
            again = weekly.table.loc[weekly.table["metric"] == metric]
            replay = rows.loc[rows["metric"] == metric]
            np.testing.assert_allclose(again["p_value"], replay["p_always_valid"], rtol=1e-12)
            np.testing.assert_allclose(again["diff_ci_low"], replay["cs_low"], rtol=1e-12)
            checked += 1
    assert checked >= 10
