"""The result of :func:`rekrut.analyze`: its table columns, its JSON and its notebook display."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from rekrut.data import Summary
from rekrut.model import Experiment
from rekrut.notes import Lang, Note

if TYPE_CHECKING:
    from rekrut.stats import SRMResult

__all__ = [
    "BAYES_COLUMNS",
    "ESTIMATE_COLUMNS",
    "KEY_COLUMNS",
    "TABLE_COLUMNS",
    "AnalysisResult",
    "Method",
]

Method = Literal["frequentist", "bayesian", "sequential", "randomization"]

ESTIMATE_COLUMNS = (
    "control_value",
    "treatment_value",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
)
"""The estimates every result table has, frequentist, sequential or Bayesian."""

KEY_COLUMNS = ("metric", "arm", "control", "n_control", "n_treatment")

TABLE_COLUMNS = (
    *KEY_COLUMNS,
    *ESTIMATE_COLUMNS,
    "p_value",
    "p_value_corrected",
    "correction",
    "family",
    "direction",
    "method",
)
"""Columns of a frequentist (and sequential) result table, after any grouping columns."""

BAYES_COLUMNS = (
    *KEY_COLUMNS,
    *ESTIMATE_COLUMNS,
    "prob_better",
    "prob_best",
    "prob_best_control",
    "expected_loss",
    "decision",
    "direction",
    "method",
)
"""Columns of a Bayesian result table, after any grouping columns."""


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """The result of :func:`analyze`.

    Attributes
    ----------
    experiment
        The experiment analysed.
    method
        ``"frequentist"``, ``"bayesian"``, ``"sequential"`` or ``"randomization"``.
    table
        One row per (group,) metric and treatment arm; see :data:`TABLE_COLUMNS` and
        :data:`BAYES_COLUMNS`.
    notes
        Caveats the reader must see (e.g. a Poisson test on arm totals).
    srm
        The sample-ratio-mismatch check of postings per arm, if it applies.
    summary
        The per-arm sufficient statistics the analysis used, and the funnel totals.
    seed
        The seed of the random draws (bootstrap, Monte Carlo, re-randomisation): given, or
        derived from the experiment id and the data; None when a generator was passed.
    """

    experiment: Experiment
    method: Method
    table: pd.DataFrame
    notes: tuple[Note, ...]
    srm: SRMResult | None
    summary: Summary
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe Python values (NaN and infinities become ``None``)."""
        records = self.table.astype(object).where(self.table.notna(), None)
        rows = [{k: _json_value(v) for k, v in row.items()} for row in records.to_dict("records")]
        return {
            "experiment": self.experiment.model_dump(mode="json"),
            "method": self.method,
            "table": rows,
            "notes": [note.to_dict() for note in self.notes],
            "sample_ratio_mismatch": None if self.srm is None else self.srm.to_dict(),
            "seed": self.seed,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def note_texts(self, lang: Lang = "en") -> list[str]:
        """Return the notes as text in ``lang``."""
        return [note.text(lang) for note in self.notes]

    def _repr_html_(self) -> str:
        table = self.table.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
        head = html.escape(f"{self.experiment.title or self.experiment.id} — {self.method}")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.note_texts("en"))
        listed = f"<ul>{notes}</ul>" if notes else ""
        return f"<div><strong>{head}</strong>{table}{listed}</div>"


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
