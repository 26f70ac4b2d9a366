"""Budget allocation across recruitment channels by Thompson sampling.

Each channel's outcome rate per posting gets a Gamma posterior; a channel's budget share is
the posterior probability that it is the most cost-effective, projected onto the per-channel
bounds the user sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from rekrut._seeds import resolve_rng
from rekrut.io import to_pandas

FloatArray = NDArray[np.float64]

__all__ = ["Allocation", "allocate"]

Objective = Literal["cost_per_hire", "qualified_per_dkk"]
Bound = float | Mapping[str, float] | None

# Gamma(2, 2) on outcomes per posting, as in rekrut.stats bayes_compare_cost_per_outcome: worth two
# postings with one outcome each, so a channel without hires keeps a finite, wide posterior.
PRIOR_SHAPE = 2.0
PRIOR_RATE = 2.0
_OBJECTIVES = ("cost_per_hire", "qualified_per_dkk")
_COLUMNS = ["channel", "prob_best", "share", "budget_dkk", "expected_cost_per_hire"]


@dataclass(frozen=True, slots=True)
class Allocation:
    """A budget split: ``table`` has one row per channel with columns ``channel``,
    ``prob_best``, ``share``, ``budget_dkk`` and ``expected_cost_per_hire``."""

    table: pd.DataFrame
    objective: str
    budget_dkk: float
    n_draws: int
    method: str
    free_channels: tuple[str, ...] = ()
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return plain Python values, safe for ``json.dumps``."""
        rows = [
            {k: (v if isinstance(v, str) else float(v)) for k, v in row.items()}
            for row in self.table.to_dict(orient="records")
        ]
        return {
            "objective": self.objective,
            "budget_dkk": self.budget_dkk,
            "n_draws": self.n_draws,
            "method": self.method,
            "free_channels": list(self.free_channels),
            "table": rows,
            "seed": self.seed,
        }


def _frame(channels: Any, objective: str) -> pd.DataFrame:
    frame = (
        pd.DataFrame(dict(channels))
        if isinstance(channels, Mapping)
        else to_pandas(channels, "channel table")
    )
    needed = ["channel", "cost_dkk", "postings", "hires"]
    needed += ["qualified"] if objective == "qualified_per_dkk" else []
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        msg = f"channels is missing the column(s) {missing}"
        raise ValueError(msg)
    if frame.empty or frame["channel"].duplicated().any():
        msg = "channels must have one row per channel, at least one, and no repeated channel"
        raise ValueError(msg)
    numbers = frame[needed[1:]].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(numbers)) or np.any(numbers < 0):
        msg = f"channels columns {needed[1:]} must be finite and non-negative"
        raise ValueError(msg)
    if np.any(frame["postings"].to_numpy(dtype=np.float64) <= 0):
        raise ValueError("channels column 'postings' must be positive (no history, no estimate)")
    if np.all(frame["cost_dkk"].to_numpy(dtype=np.float64) == 0):
        raise ValueError("every channel is free (cost_dkk 0): there is no budget to split")
    return frame


def channel_totals(source: Any, data: Any = None) -> pd.DataFrame:
    """The per-arm totals (``channel``, ``cost_dkk``, ``postings``, ``hires``, ``qualified``) of
    an analysis result, or of an experiment (or its file) with its data.

    Arms are the channels of the allocation: in a channel test each arm is one channel.
    """
    from rekrut.analysis import AnalysisResult
    from rekrut.data import summarize
    from rekrut.model import Experiment, as_experiment

    if isinstance(source, AnalysisResult):
        summary = source.summary
    elif isinstance(source, Experiment | str | Path):
        summary = summarize(as_experiment(source), data)
    else:
        raise TypeError(f"cannot allocate over a {type(source).__name__}")
    totals = summary.totals()
    if "postings" not in totals.columns:  # per-posting rows: one posting per row
        totals["postings"] = summary.units.sum(axis=0)
    wanted = [c for c in ("cost_dkk", "postings", "hires", "qualified") if c in totals.columns]
    return totals[wanted].rename_axis("channel").reset_index()


def _bounds(name: str, value: Bound, names: list[str], default: float) -> FloatArray:
    if value is None:
        out = np.full(len(names), default)
    elif isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            msg = f"{name} names unknown channels {unknown}"
            raise ValueError(msg)
        out = np.array([float(value.get(n, default)) for n in names])
    else:
        out = np.full(len(names), float(value))
    if not np.all((out >= 0) & (out <= 1)):
        msg = f"{name} must be share(s) between 0 and 1, got {value!r}"
        raise ValueError(msg)
    return out


def project_shares(target: FloatArray, low: FloatArray, high: FloatArray) -> FloatArray:
    """Euclidean projection of ``target`` onto {s : low ≤ s ≤ high, Σ s = 1}.

    The solution is ``clip(target - τ, low, high)`` for the τ that makes it sum to one [1]_,
    found by bisection (the sum is non-increasing in τ).

    References
    ----------
    .. [1] Held, M., Wolfe, P. and Crowder, H. P. (1974). Validation of subgradient
       optimization. Mathematical Programming 6, 62-88. https://doi.org/10.1007/BF01580223
    """
    if np.any(low > high) or low.sum() > 1.0 + 1e-12 or high.sum() < 1.0 - 1e-12:
        msg = (
            "min_share/max_share are infeasible: need min_share <= max_share per channel, "
            f"sum of min_share <= 1 <= sum of max_share (got {low.sum():g} and {high.sum():g})"
        )
        raise ValueError(msg)
    lo_tau, hi_tau = float(np.min(target - high)), float(np.max(target - low))
    for _ in range(200):
        tau = (lo_tau + hi_tau) / 2.0
        if np.clip(target - tau, low, high).sum() > 1.0:
            lo_tau = tau
        else:
            hi_tau = tau
    shares = np.clip(target - (lo_tau + hi_tau) / 2.0, low, high)
    return np.asarray(shares / shares.sum(), dtype=np.float64)


def allocate(
    channels: Any,
    data: Any = None,
    *,
    budget_dkk: float,
    objective: Objective = "cost_per_hire",
    min_share: Bound = None,
    max_share: Bound = None,
    n_draws: int = 10_000,
    rng: np.random.Generator | int | None = None,
) -> Allocation:
    """Split a recruitment budget across channels by Thompson sampling.

    Parameters
    ----------
    channels : DataFrame, mapping of columns, AnalysisResult, Experiment or path
        One row per channel with ``channel``, ``cost_dkk``, ``postings``, ``hires`` (and
        ``qualified`` for ``objective="qualified_per_dkk"``), totals over the history; or an
        analysis result, or an experiment (or its file) with ``data``, whose arms are then the
        channels and whose totals are summed from the postings.
    data
        With an experiment: its postings (a table or file; default the file it names).
    budget_dkk : float
        Budget to split, in DKK.
    objective : {"cost_per_hire", "qualified_per_dkk"}
        Lowest cost per hire, or most qualified applicants per krone.
    min_share, max_share : float or mapping channel -> share, optional
        Bounds on each channel's share (a scalar applies to every channel; channels missing
        from a mapping get 0 and 1).
    n_draws : int
        Posterior draws.
    rng : numpy.random.Generator or int, optional
        Random generator or seed; the same seed gives the same allocation.

    Returns
    -------
    Allocation

    Notes
    -----
    Outcomes per posting (hires or qualified applicants) are Poisson with rate
    :math:`\\lambda`, :math:`\\lambda \\sim \\mathrm{Gamma}(2 + y, 2 + n)` a posteriori, and the
    cost per posting :math:`c` is known. A channel is best in a draw when
    :math:`\\lambda / c` (outcomes per krone) is largest, i.e. its cost per outcome smallest.
    ``prob_best`` is the share of draws in which a channel is best: Thompson sampling
    allocates in proportion to it [1]_. A free channel (``cost_dkk`` 0) needs no budget: it
    gets share 0 and is listed in ``free_channels`` (publish there anyway); the budget is split
    over the paid ones. The shares are then the closest point (least squares)
    to ``prob_best`` that respects the bounds and sums to one. ``expected_cost_per_hire`` is
    the posterior mean :math:`c\\,(2 + n)/(1 + \\text{hires})`. Costs per posting are assumed
    to stay as they were when more is spent.

    References
    ----------
    .. [1] Russo, D. J. et al. (2018). A tutorial on Thompson sampling. Foundations and
       Trends in Machine Learning 11(1), 1-96. https://doi.org/10.1561/2200000070

    Examples
    --------
    >>> import pandas as pd
    >>> from rekrut._allocation import allocate
    >>> channels = pd.DataFrame({
    ...     "channel": ["jobnet", "linkedin", "facebook"],
    ...     "cost_dkk": [20_000, 90_000, 40_000],
    ...     "postings": [20, 20, 20],
    ...     "hires": [10, 14, 16],
    ... })
    >>> res = allocate(channels, budget_dkk=100_000, min_share=0.1, rng=1)
    >>> res.table["share"].round(2).tolist()
    [0.72, 0.1, 0.18]
    """
    if objective not in _OBJECTIVES:
        msg = f"objective must be one of {_OBJECTIVES}, got {objective!r}"
        raise ValueError(msg)
    if not np.isfinite(budget_dkk) or budget_dkk < 0:
        msg = f"budget_dkk must be finite and non-negative, got {budget_dkk!r}"
        raise ValueError(msg)
    if isinstance(n_draws, bool) or not isinstance(n_draws, int) or n_draws < 100:
        msg = f"n_draws must be an integer of at least 100, got {n_draws!r}"
        raise ValueError(msg)
    if not isinstance(channels, Mapping | pd.DataFrame) and _is_experiment_like(channels):
        channels = channel_totals(channels, data)
    frame = _frame(channels, objective)
    free = frame["cost_dkk"].to_numpy(dtype=np.float64) == 0
    everyone = [str(n) for n in frame["channel"]]
    _bounds("min_share", min_share, everyone, 0.0)  # names checked against every channel
    _bounds("max_share", max_share, everyone, 1.0)
    paid_names = set(np.asarray(everyone)[~free])
    bounds = [
        {k: v for k, v in b.items() if k in paid_names} if isinstance(b, Mapping) else b
        for b in (min_share, max_share)
    ]
    low, high = bounds
    paid, seed = _paid_allocation(frame[~free], budget_dkk, objective, low, high, n_draws, rng)
    table = pd.concat([paid, _free_rows(frame[free])], ignore_index=True)
    order = {name: i for i, name in enumerate(str(n) for n in frame["channel"])}
    table = table.sort_values("channel", key=lambda c: c.map(order), ignore_index=True)
    table["channel"] = table["channel"].astype(object)
    return Allocation(
        table=table,
        objective=objective,
        budget_dkk=float(budget_dkk),
        n_draws=n_draws,
        method=f"Thompson sampling, Gamma({PRIOR_SHAPE:g}, {PRIOR_RATE:g}) outcome rate",
        free_channels=tuple(str(n) for n in frame.loc[free, "channel"]),
        seed=seed,
    )


def _is_experiment_like(value: Any) -> bool:
    from rekrut.analysis import AnalysisResult
    from rekrut.model import Experiment

    return isinstance(value, AnalysisResult | Experiment | str | Path)


def _free_rows(frame: pd.DataFrame) -> pd.DataFrame:
    zeros = np.zeros(len(frame))
    return pd.DataFrame(
        {
            "channel": [str(n) for n in frame["channel"]],
            "prob_best": zeros,
            "share": zeros,
            "budget_dkk": zeros,
            "expected_cost_per_hire": zeros,
        },
        columns=_COLUMNS,
    )


def _paid_allocation(
    frame: pd.DataFrame,
    budget_dkk: float,
    objective: Objective,
    min_share: Bound,
    max_share: Bound,
    n_draws: int,
    rng: np.random.Generator | int | None,
) -> tuple[pd.DataFrame, int | None]:
    """The paid channels' allocation and the seed its draws used."""
    names = [str(n) for n in frame["channel"]]
    low = _bounds("min_share", min_share, names, 0.0)
    high = _bounds("max_share", max_share, names, 1.0)
    cost = frame["cost_dkk"].to_numpy(dtype=np.float64)
    postings = frame["postings"].to_numpy(dtype=np.float64)
    hires = frame["hires"].to_numpy(dtype=np.float64)
    outcomes = hires if objective == "cost_per_hire" else frame["qualified"].to_numpy(np.float64)
    per_posting = cost / postings
    generator, seed = resolve_rng(rng, "allocate", objective, names, cost, postings, outcomes)
    rate = generator.standard_gamma(PRIOR_SHAPE + outcomes[:, None], size=(len(names), n_draws))
    per_krone = rate / ((PRIOR_RATE + postings) * per_posting)[:, None]
    best = per_krone.argmax(axis=0)
    prob_best = np.bincount(best, minlength=len(names)) / n_draws
    shares = project_shares(prob_best, low, high)
    table = pd.DataFrame(
        {
            "channel": names,
            "prob_best": prob_best,
            "share": shares,
            "budget_dkk": shares * float(budget_dkk),
            "expected_cost_per_hire": per_posting
            * (PRIOR_RATE + postings)
            / (PRIOR_SHAPE - 1.0 + hires),
        },
        columns=_COLUMNS,
    )
    return table, seed
