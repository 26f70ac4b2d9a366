"""Result tables: one row per (group,) metric and treatment arm, with multiplicity control."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rekrut.analysis._bayesian import BayesBlock, block_frame
from rekrut.analysis._cells import Plan
from rekrut.analysis._frequentist import Block
from rekrut.analysis._result import BAYES_COLUMNS, ESTIMATE_COLUMNS
from rekrut.data import Summary
from rekrut.metrics import Metric
from rekrut.model import Experiment
from rekrut.stats import adjust_pvalues

__all__ = ["bayesian_table", "frequentist_table"]

_VALUE_FIELDS = (*ESTIMATE_COLUMNS, "p_value")


def _with_groups(frame: pd.DataFrame, summary: Summary, n_treat: int) -> pd.DataFrame:
    if not summary.by:
        return frame
    groups = summary.groups
    keys = groups.loc[groups.index.repeat(n_treat)].reset_index(drop=True)
    return pd.concat([keys, frame], axis=1)


def _by_group(table: pd.DataFrame, summary: Summary, order: dict[str, int]) -> pd.DataFrame:
    """Rows sorted by group, metrics in the experiment's order within each group."""
    if summary.by:
        table = table.assign(_m=table["metric"].map(order))
        table = table.sort_values([*summary.by, "_m"], kind="stable").drop(columns="_m")
    return table.reset_index(drop=True)


def frequentist_table(
    experiment: Experiment, summary: Summary, blocks: list[Block], plan: Plan
) -> pd.DataFrame:
    """The frequentist (or sequential) table, p-values adjusted per family within each group."""
    treatments = [a.id for a in experiment.treatments]
    n_groups, n_treat = len(summary.groups), len(treatments)
    p = np.stack([b.comparison.p_value for b in blocks])  # (metrics, groups, treatments)
    primary = np.array([b.metric.id == experiment.primary_metric for b in blocks])
    adjusted = np.full_like(p, np.nan)
    method_for = {
        "primary": plan.multiplicity if n_treat > 1 else "none",
        "secondary": plan.multiplicity,
    }
    for family, mask in (("primary", primary), ("secondary", ~primary)):
        if not mask.any():
            continue
        block = np.moveaxis(p[mask], 1, 0).reshape(n_groups, -1)
        adj = adjust_pvalues(block, method=method_for[family], axis=-1)
        adjusted[mask] = np.moveaxis(
            np.asarray(adj).reshape(n_groups, int(mask.sum()), n_treat), 0, 1
        )
    frames = []
    for i, block in enumerate(blocks):
        comp = block.comparison
        family = "primary" if primary[i] else "secondary"
        data: dict[str, Any] = _keys(experiment, block.metric, block.n_control, block.n_treatment)
        data.update(
            {n: np.asarray(getattr(comp, n), dtype=np.float64).ravel() for n in _VALUE_FIELDS}
        )
        data["p_value_adjusted"] = adjusted[i].ravel()
        data["adjustment"] = method_for[family]
        data["family"] = family
        data["direction"] = block.metric.direction
        data["method"] = comp.method
        frames.append(_with_groups(pd.DataFrame(data), summary, n_treat))
    table = pd.concat(frames, ignore_index=True)
    return _by_group(table, summary, {b.metric.id: i for i, b in enumerate(blocks)})


def _keys(
    experiment: Experiment, metric: Metric, n_control: np.ndarray, n_treatment: np.ndarray
) -> dict[str, Any]:
    treatments = [a.id for a in experiment.treatments]
    return {
        "metric": metric.id,
        "arm": np.tile(treatments, n_control.shape[0]),
        "control": experiment.control,
        "n_control": np.asarray(n_control, dtype=np.float64).ravel(),
        "n_treatment": np.asarray(n_treatment, dtype=np.float64).ravel(),
    }


def bayesian_table(
    experiment: Experiment,
    summary: Summary,
    blocks: list[tuple[Metric, np.ndarray, np.ndarray, BayesBlock]],
) -> pd.DataFrame:
    """The Bayesian table from each metric's block and sample sizes."""
    n_treat = len(experiment.treatments)
    frames = []
    for metric, n_control, n_treatment, block in blocks:
        base = _keys(experiment, metric, n_control, n_treatment)
        base["direction"] = metric.direction
        frame = block_frame(block, base)[list(BAYES_COLUMNS)]
        frames.append(_with_groups(frame, summary, n_treat))
    columns = [*summary.by, *BAYES_COLUMNS]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return _by_group(table, summary, {m: i for i, m in enumerate(experiment.metrics)})
