"""The options of one analysis run and the cells it compares: control and treatments per group."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from rekrut.data import Moments, Summary
from rekrut.metrics import Metric
from rekrut.model import Experiment
from rekrut.stats import RatioStats

__all__ = [
    "SMALL_SAMPLE_POSTINGS",
    "Cells",
    "Mode",
    "Plan",
    "cells_of",
    "effective_postings",
    "mode_of",
    "ratio_stats",
    "sizes_of",
    "small_cells",
]

FloatArray = np.ndarray

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


SMALL_SAMPLE_POSTINGS = 30.0
"""Below this many effective postings in an arm, the frequentist method re-randomises.

An arm's effective number of postings is Kish's ``(Σw)² / Σw²`` for the metric's numerator
and (for a ratio) its denominator, the smaller of the two: how many postings the arm's total
really rests on when a few postings bring most applicants, hires or costs; for a count per
posting with equal counts it is the number of postings. The calibration behind the threshold
is on docs/methods/randomization.md (benchmarks/calibration_suite.py).
"""


def effective_postings(metric: Metric, moments: Moments) -> FloatArray:
    """Kish's effective number of postings of each arm (0 where a sum is 0).

    Examples
    --------
    >>> import numpy as np, rekrut as rk
    >>> from rekrut.data import Moments
    >>> m = Moments(*(np.array([v]) for v in (4.0, 40.0, 4.0, 1000.0, 4.0, 40.0)))
    >>> float(effective_postings(rk.get_metric("applications_per_posting"), m)[0])
    1.6
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        kish = moments.sum_x**2 / moments.sum_xx
        if not metric.per_posting:
            kish = np.fmin(kish, moments.sum_y**2 / moments.sum_yy)
    result: FloatArray = np.where(np.isfinite(kish), kish, 0.0)
    return result


def small_cells(metric: Metric, cells: Cells) -> np.ndarray:
    """(groups, treatments): comparisons where an arm rests on too few effective postings.

    Only comparisons with postings in both arms count; an empty arm is another matter.
    """
    small = (effective_postings(metric, cells.control) < SMALL_SAMPLE_POSTINGS) | (
        effective_postings(metric, cells.treatment) < SMALL_SAMPLE_POSTINGS
    )
    result: np.ndarray = small & (cells.control.n > 0) & (cells.treatment.n > 0)
    return result
