"""The result of :func:`rekrut.analyze`: its table columns, its JSON and its notebook display."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from rekrut.analysis._decision import (
    ArmDecision,
    action_label,
    decide,
    decision_frame,
    effect_text,
)
from rekrut.data import Summary
from rekrut.model import Experiment
from rekrut.notes import Lang, Note, Notes

if TYPE_CHECKING:
    from rekrut._observational import ObservationalResult
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


_MAX_GROUPS_SHOWN = 20
"""Above this many groups the notebook display leaves out the decision table (see decisions())."""


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
    lang
        The language the result speaks in notebooks (its notes, headline and decision table):
        ``"da"`` (default, as reports) or ``"en"``.
    associations
        For an observational design (``design = "observational"``), the associations adjusted
        for the experiment's ``adjust_for`` (:func:`rekrut.observe`): the table above compares
        the arms as they are, this one as far as the covariates allow. None for a randomised
        design.
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
    lang: Lang = "da"
    associations: ObservationalResult | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.lang not in ("da", "en"):
            raise ValueError(f"lang must be 'da' or 'en', got {self.lang!r}")
        object.__setattr__(self, "notes", Notes(self.notes, lang=self.lang))

    def decisions(self) -> tuple[ArmDecision, ...]:
        """The decision per treatment arm on the primary metric: roll out, stop or continue,
        with the cost of an extra outcome and the postings still needed (see
        :class:`~rekrut.analysis.ArmDecision`)."""
        return decide(self)

    def decision_table(self, lang: Lang | None = None) -> pd.DataFrame:
        """The decisions as a table of sentences in ``lang`` (default: the result's language)."""
        return decision_frame(self, lang or self.lang)

    def __repr__(self) -> str:
        exp = self.experiment
        head = f"AnalysisResult({exp.id!r}, method={self.method!r}, {len(self.table)} rows)"
        lines = [head]
        if self.summary.by:
            return head
        for d in self.decisions():
            name = exp.arm_name(d.arm, self.lang)
            lines.append(
                f"  {name}: {effect_text(self, d, self.lang)}: {action_label(d.action, self.lang)}"
            )
        if self.notes:
            lines.append(f"  notes: {len(self.notes)} (print(result.notes))")
        return "\n".join(lines)

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
            "associations": None if self.associations is None else self.associations.to_dict(),
            "decisions": [d.to_dict() for d in self.decisions()],
            "seed": self.seed,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def note_texts(self, lang: Lang | None = None) -> list[str]:
        """Return the notes as text in ``lang`` (default: the result's language)."""
        return [note.text(lang or self.lang) for note in self.notes]

    def _repr_html_(self) -> str:
        from rekrut._escape import text_columns, visible_controls

        def shown_safe(frame: pd.DataFrame) -> pd.DataFrame:
            return text_columns(frame, visible_controls)

        shown = self.summary.by and len(self.summary.groups) > _MAX_GROUPS_SHOWN
        decisions = (
            ""
            if shown
            else shown_safe(self.decision_table()).to_html(index=False, border=0, escape=True)
        )
        table = shown_safe(self.table).to_html(
            index=False, float_format=lambda v: f"{v:.4g}", border=0
        )
        title = f"{self.experiment.title or self.experiment.id} — {self.method}"
        head = html.escape(visible_controls(title))
        notes = "".join(f"<li>{html.escape(visible_controls(n))}</li>" for n in self.note_texts())
        listed = f"<ul>{notes}</ul>" if notes else ""
        fold = "Hele tabellen" if self.lang == "da" else "The full table"
        return (
            f"<div><strong>{head}</strong>{decisions}{listed}"
            f"<details><summary>{fold} ({len(self.table)})</summary>{table}</details></div>"
        )


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
