"""A/A false-positive rates and coverage of every analysis on municipal-looking experiments.

Run: ``PYTHONPATH=src python benchmarks/calibration_suite.py [replicates]`` (about 10 minutes
with the default 1,000 replicates). The data-generating processes are those of
tests/municipal_dgp.py; the figures are quoted on docs/methods/randomization.md and
docs/methods/bayesian.md. For the frequentist rows a false positive is p <= 0.05; for the
Bayesian rows it is P(better) beyond 0.975 or 0.025. The last design has light-tailed
applicant counts (negative binomial, mean 20, shape 1.5), where every arm rests on many
effective postings. Coverage is the share of A/A experiments
whose 95 % lift interval holds 0.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import rekrut as rk

HERE = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("municipal_dgp", HERE / "tests" / "municipal_dgp.py")
assert _spec is not None
assert _spec.loader is not None
dgp = importlib.util.module_from_spec(_spec)
sys.modules["municipal_dgp"] = dgp
_spec.loader.exec_module(dgp)

DESIGNS = (
    ("4-8", "heavy"),
    ("15", "heavy"),
    ("30", "heavy"),
    ("60", "heavy"),
    ("1:4", "heavy"),
    ("5-40", "heavy"),
    ("3", "heavy"),
    ("150", "light"),
)
RUNS = (
    ("frequentist (default)", "frequentist", {}),
    ("delta method / Welch", "frequentist", {"small_sample": "asymptotic"}),
    # the Bayesian models' own probabilities, also where the default leaves them blank
    ("bayesian", "bayesian", {"small_sample": "asymptotic"}),
)


def main() -> None:
    replicates = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print("| postings per arm | analysis | metric | A/A rate | coverage | method |")
    print("|---|---|---|---|---|---|")
    for design, tail in DESIGNS:
        data = dgp.draw(1, design, replicates, tail=tail)
        name = design if tail == "heavy" else f"{design}, light tail"
        for label, method, options in RUNS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = rk.analyze(
                    dgp.experiment(),
                    data,
                    method=method,
                    by=["rep"],
                    multiplicity="none",
                    rng=1,
                    **options,
                )
            for metric, rows in result.table.groupby("metric", sort=False):
                if method == "bayesian":
                    prob = rows["prob_better"].dropna()
                    rate = float(((prob > 0.975) | (prob < 0.025)).mean())
                else:
                    rate = float((rows["p_value"].dropna() <= 0.05).mean())
                low, high = rows["lift_ci_low"], rows["lift_ci_high"]
                known = low.notna() & high.notna()
                coverage = float(((low <= 0) & (high >= 0))[known].mean())
                used = "/".join(sorted(set(rows["method"])))
                print(
                    f"| {name} | {label} | {metric} | {rate:.1%} | {coverage:.1%} | {used} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
