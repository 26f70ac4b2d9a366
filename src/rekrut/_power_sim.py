"""Power by simulation: draw many experiments with known effects and analyse them all at once.

Replicates are simulated in one vectorised draw and analysed together as groups
(``by=["replicate"]``), so thousands of simulated experiments cost one pass of the statistical
core rather than thousands of calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rekrut._progress import progress as _progress
from rekrut._seeds import resolve_rng
from rekrut._simulation import simulate
from rekrut.analysis import analyze
from rekrut.metrics import get_metric
from rekrut.model import Experiment, as_experiment

__all__ = ["EFFECT_FOR_METRIC", "SimulatedPower", "effects_for_lift", "simulate_power"]

EFFECT_FOR_METRIC: dict[str, str] = {
    "applications_per_posting": "applications",
    "qualified_per_posting": "applications",
    "click_through_rate": "click_through_rate",
    "apply_rate": "apply_rate",
    "qualified_share": "qualified_share",
    "fill_rate": "fill_rate",
    "repost_rate": "repost_rate",
    "retention_12m": "retention_12m",
    "time_to_hire_days": "days_to_hire",
}
"""The simulator's effect that moves each metric by the same relative amount."""


def effects_for_lift(
    experiment: Experiment, metric: str, lift: float
) -> dict[str, dict[str, float]]:
    """Effects that move ``metric`` by ``lift`` (relative) in every treatment arm.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.Experiment.model_validate({"id": "p", "control": "A",
    ...     "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}]})
    >>> effects_for_lift(exp, "fill_rate", 0.1)
    {'B': {'fill_rate': 1.1}}
    """
    if metric not in EFFECT_FOR_METRIC:
        known = ", ".join(EFFECT_FOR_METRIC)
        msg = f"power by simulation can set a lift for {known}; not for {metric!r}"
        raise ValueError(msg)
    if not lift > -1:
        raise ValueError(f"lift must be above -1 (a relative change), got {lift!r}")
    key = EFFECT_FOR_METRIC[metric]
    return {arm.id: {key: 1.0 + lift} for arm in experiment.treatments}


@dataclass(frozen=True, slots=True)
class SimulatedPower:
    """Rejection rates of simulated experiments, one row per metric and treatment arm.

    ``table`` columns: ``metric, arm, postings, replicates, power, power_ci_low, power_ci_high,
    mean_lift``. ``power`` is the share of replicates in which the analysis (with the
    experiment's multiplicity adjustment) found a difference at level ``alpha``; the interval is
    a Wilson interval for that share.
    """

    table: pd.DataFrame
    alpha: float
    effects: dict[str, dict[str, float]]
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values."""
        records = self.table.astype(object).where(self.table.notna(), None).to_dict("records")
        return {"alpha": self.alpha, "effects": self.effects, "table": records, "seed": self.seed}


def simulate_power(
    experiment: Experiment | str | Path,
    *,
    postings: int,
    effects: Mapping[str, Mapping[str, float]],
    replicates: int = 1000,
    metrics: Sequence[str] | None = None,
    alpha: float | None = None,
    job_category: str | None = None,
    batch_size: int = 2000,
    progress: bool = False,
    rng: np.random.Generator | int | None = None,
) -> SimulatedPower:
    """Estimate power for any catalogue metric by simulating the experiment.

    Parameters
    ----------
    experiment
        The planned experiment (arms, allocation weights, channel costs), or its file.
    postings
        Total postings per simulated experiment.
    effects
        True effects per arm as multipliers (see :func:`rekrut.simulate`); ``{}`` gives A/A data,
        whose rejection rate is the false-positive rate.
    replicates
        Number of simulated experiments.
    metrics
        Metrics to evaluate (default: the experiment's, without time to hire, which is slow).
    alpha
        Significance level (default: the experiment's).
    batch_size, progress
        Replicates analysed per pass, and whether to show a progress bar on a terminal.
    rng
        Seed or generator; without it the seed is derived from the experiment id and these
        settings (recorded as ``seed``), so the same call gives the same power.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.Experiment.model_validate({"id": "p", "control": "A",
    ...     "metrics": ["applications_per_posting"],
    ...     "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}]})
    >>> res = simulate_power(exp, postings=400, effects={"B": {"applications": 1.5}},
    ...                      replicates=400, rng=1)
    >>> bool(res.table["power"].item() > 0.9)
    True
    """
    from rekrut.stats import wilson_interval

    experiment = as_experiment(experiment)
    for name, value in (("postings", postings), ("replicates", replicates)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
    chosen = tuple(metrics or [m for m in experiment.metrics if get_metric(m).kind != "duration"])
    plan = experiment.model_copy(update={"metrics": chosen, "primary_metric": chosen[0]})
    level = alpha if alpha is not None else experiment.alpha
    settings = [postings, replicates, list(chosen), job_category, level]
    gen, seed = resolve_rng(rng, "power", experiment.id, sorted(effects.items()), *settings)
    rejections: list[pd.DataFrame] = []
    starts = range(0, replicates, batch_size)
    for start in _progress(starts, total=len(starts), desc="simulating", enabled=progress):
        count = min(batch_size, replicates - start)
        data = simulate(
            plan,
            postings=postings,
            effects=effects,
            replicates=count,
            job_category=job_category,
            rng=gen,
        )
        # the analysis as it would be run, re-randomising small comparisons; 500 re-assignments
        # (p-value Monte Carlo error at most 2.2 points) are plenty for a rejection rate
        table = analyze(plan, data, by=["replicate"], n_resamples=500, rng=gen).table
        rejections.append(
            table.assign(reject=table["p_value_corrected"] < level)[
                ["metric", "arm", "reject", "lift"]
            ]
        )
    everything = pd.concat(rejections, ignore_index=True)
    summary = (
        everything.groupby(["metric", "arm"], sort=False)
        .agg(hits=("reject", "sum"), replicates=("reject", "size"), mean_lift=("lift", "mean"))
        .reset_index()
    )
    ci = wilson_interval(summary["hits"].to_numpy(), summary["replicates"].to_numpy())
    low, high = ci.ci_low, ci.ci_high
    summary.insert(2, "postings", postings)
    summary["power"] = summary["hits"] / summary["replicates"]
    summary["power_ci_low"] = np.asarray(low)
    summary["power_ci_high"] = np.asarray(high)
    columns = [
        "metric",
        "arm",
        "postings",
        "replicates",
        "power",
        "power_ci_low",
        "power_ci_high",
        "mean_lift",
    ]
    frozen = {arm: dict(values) for arm, values in effects.items()}
    return SimulatedPower(summary[columns], level, frozen, seed)
