"""Result tables: one row per (group,) metric and treatment arm, with multiplicity control.

Every column is built from arrays shaped (metrics, groups, treatments) in one reshape: rows run
over the groups (sorted by their values), then the experiment's metrics, then the treatments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from rekrut.analysis._bayesian import BayesBlock, block_columns
from rekrut.analysis._cells import Plan
from rekrut.analysis._frequentist import Block
from rekrut.analysis._result import BAYES_COLUMNS, ESTIMATE_COLUMNS, TABLE_COLUMNS
from rekrut.data import Summary
from rekrut.metrics import Metric
from rekrut.model import Experiment
from rekrut.stats import correct_pvalues

__all__ = ["bayesian_table", "frequentist_table"]


def _group_order(summary: Summary) -> np.ndarray:
    if not summary.by:
        return np.zeros(1, dtype=np.intp)
    ordered = summary.groups.sort_values(list(summary.by), kind="stable")
    return ordered.index.to_numpy(dtype=np.intp)


def _table(
    experiment: Experiment,
    summary: Summary,
    metrics: Sequence[Metric],
    columns: Sequence[dict[str, Any]],
    names: Sequence[str],
) -> pd.DataFrame:
    """Stack each metric's columns (arrays (groups, treatments) or scalars) into the table."""
    treatments = [a.id for a in experiment.treatments]
    n_groups, n_treat, n_metrics = len(summary.groups), len(treatments), len(metrics)
    order = _group_order(summary)
    data: dict[str, Any] = {}
    if summary.by:
        rows = np.repeat(order, n_metrics * n_treat)
        data.update({c: summary.groups[c].array.take(rows) for c in summary.by})
    metric_of_row = np.tile(np.repeat(np.arange(n_metrics), n_treat), n_groups)
    shape = (n_groups, n_treat)
    for name in names:
        per_metric = [c[name] for c in columns] if name not in ("metric", "arm") else []
        if name == "metric":
            values: Any = _text([m.id for m in metrics], metric_of_row)
        elif name == "arm":
            values = _text(treatments, np.tile(np.arange(n_treat), n_groups * n_metrics))
        elif all(isinstance(v, str) for v in per_metric):  # one text per metric
            codes, uniques = pd.factorize(np.asarray(per_metric, dtype=object))
            values = _text(list(uniques), codes[metric_of_row])
        else:
            stacked = np.stack([np.broadcast_to(np.asarray(v), shape) for v in per_metric])
            ordered = stacked[:, order, :].transpose(1, 0, 2).ravel()
            values = _text_of(ordered) if ordered.dtype.kind in "OUS" else ordered
        data[name] = values
    return pd.DataFrame(data, columns=[*summary.by, *names])


def _text(uniques: Sequence[Any], codes: np.ndarray) -> Any:
    """A text column from its few distinct values and a code per row (no string per row)."""
    return pd.Series(list(uniques), dtype=object).astype("str").array.take(codes)


def _text_of(values: np.ndarray) -> Any:
    codes, uniques = pd.factorize(values)
    return _text(list(uniques), codes)


def frequentist_table(
    experiment: Experiment, summary: Summary, blocks: list[Block], plan: Plan
) -> pd.DataFrame:
    """The frequentist (or sequential) table, p-values adjusted per family within each group."""
    n_groups, n_treat = len(summary.groups), len(experiment.treatments)
    p = np.stack([b.comparison.p_value for b in blocks])  # (metrics, groups, treatments)
    primary = np.array([b.metric.id == experiment.primary_metric for b in blocks])
    corrected = np.full_like(p, np.nan)
    method_for = {
        "primary": plan.multiplicity if n_treat > 1 else "none",
        "secondary": plan.multiplicity,
    }
    for family, mask in (("primary", primary), ("secondary", ~primary)):
        if not mask.any():
            continue
        block = np.moveaxis(p[mask], 1, 0).reshape(n_groups, -1)
        adj = correct_pvalues(block, method=method_for[family], axis=-1)
        corrected[mask] = np.moveaxis(
            np.asarray(adj).reshape(n_groups, int(mask.sum()), n_treat), 0, 1
        )
    columns = []
    for i, block in enumerate(blocks):
        comp = block.comparison
        family = "primary" if primary[i] else "secondary"
        data: dict[str, Any] = {
            "control": experiment.control,
            "n_control": block.n_control,
            "n_treatment": block.n_treatment,
            "p_value": comp.p_value,
            "p_value_corrected": corrected[i],
            "correction": method_for[family],
            "family": family,
            "direction": block.metric.direction,
            "method": comp.method if block.method_codes is None else block.method_codes,
        }
        data.update({n: getattr(comp, n) for n in ESTIMATE_COLUMNS})
        columns.append(_floats(data))
    return _table(experiment, summary, [b.metric for b in blocks], columns, TABLE_COLUMNS)


def _floats(data: dict[str, Any]) -> dict[str, Any]:
    """Numeric arrays as float64 (counts and estimates alike), text left as it is."""
    return {
        k: np.asarray(v, dtype=np.float64)
        if not isinstance(v, str) and k not in ("decision", "method")
        else v
        for k, v in data.items()
    }


def bayesian_table(
    experiment: Experiment,
    summary: Summary,
    blocks: list[tuple[Metric, np.ndarray, np.ndarray, BayesBlock]],
) -> pd.DataFrame:
    """The Bayesian table from each metric's block and sample sizes."""
    if not blocks:
        return pd.DataFrame(columns=[*summary.by, *BAYES_COLUMNS])
    columns = []
    for metric, n_control, n_treatment, block in blocks:
        data = block_columns(block)
        data.update(
            control=experiment.control,
            n_control=n_control,
            n_treatment=n_treatment,
            direction=metric.direction,
        )
        columns.append(_floats(data))
    return _table(experiment, summary, [b[0] for b in blocks], columns, BAYES_COLUMNS)
