"""Calibration figures of the randomisation test quoted in docs/methods/randomization.md.

Run: ``PYTHONPATH=src python benchmarks/randomization_calibration.py`` (about 5 minutes).
The data-generating processes are those of tests/stats/test_randomization.py; here each
scenario gets 4 x 1500 replicates (seeds 10-13) and the delta method (``compare_ratios``, the
frequentist default) is run on the same data for contrast.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from rekrut.stats import RatioStats, compare_ratios

HERE = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "calibration", HERE / "tests" / "stats" / "test_randomization.py"
)
assert _spec is not None
assert _spec.loader is not None
sim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sim)

SEEDS = (10, 11, 12, 13)
SCENARIOS = [
    ("4-8", "applications_per_posting", "none", 0.0),
    ("1:4", "applications_per_posting", "none", 0.0),
    ("4-8", "qualified_share", "none", 0.0),
    ("1:4", "qualified_share", "none", 0.0),
    ("4-8", "applications_per_posting", "spread", 0.0),
    ("1:4", "applications_per_posting", "spread", 0.0),
    ("4-8", "applications_per_posting", "shift", 8.0),
    ("1:4", "applications_per_posting", "shift", 8.0),
    ("4-8", "applications_per_posting", "scale", 1.5),
    ("1:4", "qualified_share", "scale", 1.3),
]


def _delta_pvalues(x: np.ndarray, y: np.ndarray, t: np.ndarray, cell: np.ndarray) -> np.ndarray:
    def stats(mask: np.ndarray) -> RatioStats:
        def s(v: np.ndarray) -> np.ndarray:
            return np.bincount(cell[mask], v[mask], minlength=sim.REPLICATES)

        return RatioStats(s(np.ones_like(x)), s(x), s(y), s(x * x), s(y * y), s(x * y))

    with np.errstate(all="ignore"):
        return np.asarray(compare_ratios(stats(t == 0), stats(t == 1)).p_value)


def main() -> None:
    print("scenario | randomisation: FPR or coverage | delta method FPR")
    for design, metric, effect, size in SCENARIOS:
        rates, delta = [], []
        for seed in SEEDS:
            x, y, t, cell = sim._simulate(seed, design, metric, effect, size)
            res = sim.randomization_test(
                x, y, t, cell, n_cells=sim.REPLICATES, n_resamples=999, rng=seed
            )
            if effect in ("none", "spread"):
                p = res.p_value[~np.isnan(res.p_value)]
                rates.append(float(np.mean(p <= 0.05)))
                dp = _delta_pvalues(x, y, t, cell)
                delta.append(float(np.mean(dp[~np.isnan(dp)] <= 0.05)))
            elif effect == "shift":
                rates.append(float(np.mean((res.diff_ci_low <= size) & (res.diff_ci_high >= size))))
            else:
                known = ~np.isnan(res.lift_ci_low)
                hit = (res.lift_ci_low <= size - 1) & (res.lift_ci_high >= size - 1)
                rates.append(float(np.mean(hit[known])))
        n = len(SEEDS) * sim.REPLICATES
        shown = f"{np.mean(rates):.1%}" + (f" | {np.mean(delta):.1%}" if delta else " | -")
        print(f"{effect} {size:g} {design} {metric} (n={n}): {shown}", flush=True)


if __name__ == "__main__":
    main()
