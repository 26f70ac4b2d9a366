"""The options of one analysis run and the cells it compares: control and treatments per group."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from rekrut.data import Moments, Summary
from rekrut.metrics import Metric
from rekrut.model import Experiment
from rekrut.stats import RatioStats

__all__ = ["Cells", "Mode", "Plan", "cells_of", "mode_of", "ratio_stats", "sizes_of"]

Mode = Literal["units", "clustered", "binomial", "totals"]
"""How a metric's data were collected: per-unit sums, clustered shares, binomial counts, totals."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Options of one analysis run; the defaults come from the experiment file."""

    confidence_level: float
    multiplicity: Literal["holm", "bh", "none"]
    proportion_test: Literal["auto", "z", "fisher"] = "auto"
    ratio_interval: Literal["delta", "bootstrap"] = "delta"
    small_sample: Literal["randomization", "asymptotic"] = "randomization"
    n_resamples: int = 2000
    n_draws: int = 10_000
    pool: bool = False
    progress: bool = False
    rng: np.random.Generator = field(default_factory=np.random.default_rng)


@dataclass(frozen=True, slots=True)
class Cells:
    """Sufficient statistics of one metric for control and treatment, shape (groups, treatments).

    ``control`` repeats the control arm beside every treatment; ``everyone`` keeps all arms,
    the control first, shape (groups, arms).
    """

    control: Moments
    treatment: Moments
    everyone: Moments


def cells_of(experiment: Experiment, summary: Summary, metric_id: str) -> Cells:
    """The control and treatment statistics of one metric, from the summary's arrays.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.load_experiment("experiments/sosu_kanaltest.toml")
    >>> cells = cells_of(exp, rk.summarize(exp), "fill_rate")
    >>> cells.treatment.n.shape == (1, len(exp.treatments))
    True
    """
    moments = summary.moments[metric_id]
    arms = list(summary.arms)
    control = arms.index(experiment.control)
    treatments = [arms.index(a.id) for a in experiment.treatments]
    return Cells(
        moments.take([control] * len(treatments)),
        moments.take(treatments),
        moments.take([control, *treatments]),
    )


def mode_of(metric: Metric, experiment: Experiment, summary: Summary) -> Mode:
    """How the metric is compared, from its kind, the granularity and the randomisation unit.

    Examples
    --------
    >>> import rekrut as rk
    >>> exp = rk.load_experiment("experiments/sosu_kanaltest.toml")
    >>> mode_of(rk.get_metric("fill_rate"), exp, rk.summarize(exp))
    'binomial'
    """
    totals = summary.granularity == "arm_totals"
    if metric.kind == "proportion":
        if metric.per_posting or experiment.unit != "posting" or totals:
            return "binomial"
        return "clustered"
    return "totals" if totals else "units"


def sizes_of(metric: Metric, mode: Mode, moments: Moments) -> np.ndarray:
    """The sample size a table reports: trials for binomial shares, units otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from rekrut.data import Moments
    >>> m = Moments(*(np.array([v]) for v in (4.0, 3.0, 20.0, 3.0, 100.0, 15.0)))
    >>> import rekrut as rk
    >>> sizes_of(rk.get_metric("qualified_share"), "binomial", m)
    array([20.])
    """
    return moments.sum_y if mode == "binomial" and not metric.per_posting else moments.n


def ratio_stats(moments: Moments) -> RatioStats:
    """The core's view of one side's statistics.

    Examples
    --------
    >>> import numpy as np
    >>> from rekrut.data import Moments
    >>> m = Moments(*(np.array([v]) for v in (4.0, 8.0, 4.0, 20.0, 4.0, 8.0)))
    >>> ratio_stats(m).ratio()
    array([2.])
    """
    return RatioStats(
        moments.n, moments.sum_x, moments.sum_y, moments.sum_xx, moments.sum_yy, moments.sum_xy
    )
