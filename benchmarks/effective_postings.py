"""A/A false positives of the delta-method qualified share by effective postings per arm.

The figures behind ``FEW_EFFECTIVE_POSTINGS`` and the table in docs/methods/ratios.md:
zero-inflated, heavy-tailed applicant counts (a quarter of postings without applicants, 4 % with
150-400 more), each posting its own qualified share from Beta(2, 3), both arms alike.

    PYTHONPATH=src python benchmarks/effective_postings.py
"""

from __future__ import annotations

import numpy as np

from rekrut.stats import RatioStats, compare_ratios

SIZES = {4: 4000, 8: 4000, 15: 4000, 30: 4000, 60: 4000, 120: 2000, 250: 2000}
BINS = ((0, 3), (3, 6), (6, 10), (10, 20), (20, 30), (30, np.inf))


def arm(rng: np.random.Generator, postings: int, runs: int) -> tuple[np.ndarray, np.ndarray]:
    """Qualified and applications per posting, shape (runs, postings)."""
    shape = (runs, postings)
    applications = rng.negative_binomial(0.6, 0.6 / 12.6, shape)
    applications = np.where(rng.random(shape) < 0.25, 0, applications)
    popular = rng.random(shape) < 0.04
    applications = np.where(popular, applications + rng.integers(150, 400, shape), applications)
    qualified = rng.binomial(applications, rng.beta(2, 3, shape))
    return qualified.astype(float), applications.astype(float)


def stats(x: np.ndarray, y: np.ndarray) -> RatioStats:
    n = np.full(x.shape[0], float(x.shape[1]))
    return RatioStats(n, x.sum(1), y.sum(1), (x * x).sum(1), (y * y).sum(1), (x * y).sum(1))


def main() -> None:
    rng = np.random.default_rng(7)
    for postings, runs in SIZES.items():
        (xc, yc), (xt, yt) = arm(rng, postings, runs), arm(rng, postings, runs)
        rejected = compare_ratios(stats(xc, yc), stats(xt, yt)).p_value <= 0.05
        with np.errstate(divide="ignore", invalid="ignore"):
            effective = np.minimum(yc.sum(1) ** 2 / (yc**2).sum(1), yt.sum(1) ** 2 / (yt**2).sum(1))
        for low, high in BINS:
            chosen = (effective >= low) & (effective < high)
            if chosen.sum() > 100:
                print(
                    f"{postings:4d} postings per arm, {low}-{high} effective: "
                    f"{chosen.sum():5d} runs, false positives {rejected[chosen].mean():.3f}"
                )


if __name__ == "__main__":
    main()
