"""Power for cost per hire: the frequentist default (re-randomising small comparisons) against
the delta method on the same simulated experiments.

Run: ``PYTHONPATH=src python benchmarks/cost_power.py`` (about a minute). The processes are those
of tests/municipal_dgp.py (few hires, lognormal posting costs); the treatment's posting costs
are multiplied by ``lift``. 600 experiments per row; power is the share with p <= 0.05.
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


def main() -> None:
    print("| postings per arm | cost x | default (re-randomised) | delta method |")
    print("|---|---|---|---|")
    for design, lift in (("5-40", 0.6), ("15", 0.6), ("60", 0.7)):
        data = dgp.draw(21, design, 600, lift=lift, lift_metric="cost")
        exp = dgp.experiment(["cost_per_hire"])
        power = []
        for option in ("randomization", "asymptotic"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = rk.analyze(exp, data, by=["rep"], rng=1, small_sample=option).table
            power.append(float((table["p_value"].dropna() <= 0.05).mean()))
        print(f"| {design} | {lift} | {power[0]:.1%} | {power[1]:.1%} |", flush=True)


if __name__ == "__main__":
    main()
