"""gbstats' Bayesian test on the benchmark cells, one cell at a time (its normal usage).

Run by ``test_a_bayesian_gbstats_loop`` in gbstats' own environment (it pins numpy < 2 and
pandas < 2): ``python gbstats_loop.py cells.npz COUNT`` prints the loop's time as JSON.
Per cell it asks for the absolute and the relative effect, as rekrut reports both the
difference and the lift.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig
from gbstats.models.statistics import ProportionStatistic


def main() -> None:
    data = np.load(sys.argv[1])
    x, n, count = data["x"], data["n"], int(sys.argv[2])
    configs = [EffectBayesianConfig(difference_type=kind) for kind in ("absolute", "relative")]
    start = time.perf_counter()
    for i in range(count):
        control = ProportionStatistic(n=int(n[0, i]), sum=float(x[0, i]))
        treatment = ProportionStatistic(n=int(n[1, i]), sum=float(x[1, i]))
        for config in configs:
            EffectBayesianABTest(control, treatment, config).compute_result()
    print(json.dumps({"seconds": time.perf_counter() - start, "cells": count}))


if __name__ == "__main__":
    main()
