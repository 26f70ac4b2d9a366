"""Peak resident memory and time of one exact Bayesian call on N random cells.

Run one family per fresh process (ru_maxrss is the process's peak), e.g.::

    PYTHONPATH=src .venv/bin/python benchmarks/bayes_memory.py beta 1e6

Families: beta, gamma, overdispersed, cost, best_beta (two arms), best_gamma (two arms).
Counts are random: 1 to 2,000 trials per arm, success rates 0 to 30 %.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable

import numpy as np

from rekrut.stats._bayes import (
    bayes_compare_cost_per_outcome,
    bayes_compare_counts,
    bayes_compare_poisson_totals,
    bayes_compare_proportions,
    bayes_prob_best_proportions,
    posterior_prob_best_gamma,
)


def main(family: str, n: int) -> None:
    rng = np.random.default_rng(7)
    trials_c = rng.integers(0, 2000, size=n) + 1.0
    trials_t = rng.integers(0, 2000, size=n) + 1.0
    rate_c, rate_t = rng.uniform(0, 0.3, n), rng.uniform(0, 0.3, n)
    k_c = rng.binomial(trials_c.astype(int), rate_c).astype(float)
    k_t = rng.binomial(trials_t.astype(int), rate_t).astype(float)
    units = np.full(n, 30.0)
    calls: dict[str, Callable[[], object]] = {
        "beta": lambda: bayes_compare_proportions(k_c, trials_c, k_t, trials_t),
        "gamma": lambda: bayes_compare_poisson_totals(k_c, trials_c / 10, k_t, trials_t / 10),
        "overdispersed": lambda: bayes_compare_counts(
            units, k_c, k_c * k_c / 10 + k_c, units, k_t, k_t * k_t / 10 + k_t
        ),
        "cost": lambda: bayes_compare_cost_per_outcome(
            trials_c * 100, units - 10, k_c / 10, trials_t * 100, units - 10, k_t / 10
        ),
        "best_beta": lambda: bayes_prob_best_proportions(
            np.stack([k_c, k_t], -1), np.stack([trials_c, trials_t], -1)
        ),
        "best_gamma": lambda: posterior_prob_best_gamma(
            np.stack([k_c, k_t], -1) + 0.5, np.stack([trials_c, trials_t], -1)
        ),
    }
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    calls[family]()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{family:14s} n={n:>9,d} peak={peak:6.0f} MiB (inputs {before:.0f}) {seconds:6.1f} s")


if __name__ == "__main__":
    main(sys.argv[1], int(float(sys.argv[2])))
