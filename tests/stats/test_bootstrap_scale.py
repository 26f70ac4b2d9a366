"""The bootstrap at scale: bounded memory, the same draws in blocks, the normal limit agrees."""

from __future__ import annotations

import numpy as np
import pytest

import rekrut.stats._ratios as ratios
from rekrut.stats import bootstrap_ratios


def _arm(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed)
    hires = gen.poisson(0.6, n).astype(float)
    cost = gen.lognormal(7.5, 1.2, n)  # skewed, as channel costs are
    return cost, hires


def test_blocks_of_resamples_give_the_same_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    xc, yc = _arm(300, 1)
    xt, yt = _arm(300, 2)
    whole = bootstrap_ratios(xc, yc, xt, yt, n_resamples=500, rng=3).comparison
    monkeypatch.setattr(ratios, "_WEIGHTS_HELD", 7 * 300)  # 7 resamples at a time
    blocks = bootstrap_ratios(xc, yc, xt, yt, n_resamples=500, rng=3).comparison
    # the same draws; only the summation order of the matrix product differs
    assert float(blocks.diff_ci_low) == pytest.approx(float(whole.diff_ci_low), rel=1e-12)
    assert float(blocks.lift_ci_high) == pytest.approx(float(whole.lift_ci_high), rel=1e-12)


@pytest.mark.slow
def test_the_normal_limit_agrees_with_exact_resampling(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 25_000
    xc, yc = _arm(n, 4)
    xt, yt = _arm(n, 5)
    limit = bootstrap_ratios(xc, yc, xt, yt, n_resamples=1000, rng=6)
    assert limit.normal_sums
    monkeypatch.setattr(ratios, "EXACT_BOOTSTRAP_UNITS", 10**9)
    exact = bootstrap_ratios(xc, yc, xt, yt, n_resamples=1000, rng=6)
    assert not exact.normal_sums
    a, b = limit.comparison, exact.comparison
    width = float(b.diff_ci_high - b.diff_ci_low)
    # Monte Carlo error of a 2.5 % quantile from 1,000 resamples is about 4 % of the width
    assert abs(float(a.diff_ci_low - b.diff_ci_low)) < 0.12 * width
    assert abs(float(a.diff_ci_high - b.diff_ci_high)) < 0.12 * width
    assert float(a.diff_ci_high - a.diff_ci_low) == pytest.approx(width, rel=0.15)


def test_a_million_units_need_no_table_of_weights() -> None:
    xc, yc = _arm(1_000_000, 7)
    res = bootstrap_ratios(xc, yc, xc[::-1], yc[::-1], n_resamples=2000, rng=8)
    assert res.normal_sums
    assert float(res.comparison.diff_ci_low) < 0 < float(res.comparison.diff_ci_high)
