"""Calibration figures of rk.peers.evaluate quoted in docs/methods/initiatives.md.

Run: ``PYTHONPATH=src python benchmarks/initiative_calibration.py`` (a few minutes).
Panels like the bundled one (``rk.peers.synthetic_panel``: 98 municipalities, 3 job
categories, 32 quarters, region-wide random-walk shocks) but with no initiative, seeds 0-59;
in each, 5 municipalities drawn at random are evaluated from 2023Q1 (20 pre-, 12 post-periods)
as they are, and again with 0.05 added to their fill rate after the start.
"""

from __future__ import annotations

import numpy as np

from rekrut import peers
from rekrut._initiative import evaluate_panel, metric_panel

PANELS, PER_PANEL, EFFECT = 60, 5, 0.05


def main() -> None:
    for method in ("synthetic_control", "did"):
        p_values, covered, errors = [], [], []
        for seed in range(PANELS):
            data = peers.validate_kpis(peers.synthetic_panel(seed=seed, initiatives={}))
            wide = metric_panel(data, "filled", "postings")
            rng = np.random.default_rng(seed)
            for code in rng.choice(wide.index.to_numpy(), PER_PANEL, replace=False):
                args = {"metric": "fill_rate", "start": "2023Q1", "method": method}
                p_values.append(evaluate_panel(wide, code, **args).placebo.p_value)  # type: ignore[arg-type]
                shifted = wide.copy()
                shifted.loc[code, shifted.columns >= "2023Q1"] += EFFECT
                res = evaluate_panel(shifted, code, **args).placebo  # type: ignore[arg-type]
                covered.append(res.ci_low <= EFFECT <= res.ci_high)
                errors.append(res.estimate - EFFECT)
        n = len(p_values)
        print(
            f"{method}: {n} evaluations; p <= 0.05 in {np.mean(np.asarray(p_values) <= 0.05):.3f}, "
            f"p <= 0.5 in {np.mean(np.asarray(p_values) <= 0.5):.3f}; coverage "
            f"{np.mean(covered):.3f}; mean error {np.mean(errors):+.4f} "
            f"(se {np.std(errors) / np.sqrt(n):.4f})"
        )


if __name__ == "__main__":
    main()
