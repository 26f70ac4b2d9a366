"""JSON-safe values from result tables: numpy scalars as Python numbers, NaN and infinities as
None, timestamps as ISO text."""

from __future__ import annotations

import html
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from rekrut.notes import Lang, Note

__all__ = ["NotedResult", "dumps", "json_records", "json_value", "notebook_html"]


def json_value(value: Any) -> Any:
    """One cell as a JSON-safe value.

    Examples
    --------
    >>> json_value(np.float64("nan")), json_value(np.int64(3)), json_value(pd.Timestamp("2024-01-02"))
    (None, 3, '2024-01-02T00:00:00')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-safe dicts (missing values become None)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): json_value(v) for k, v in row.items()} for row in clean.to_dict("records")]


def dumps(payload: Any, *, indent: int | None = 2) -> str:
    """``payload`` as JSON text, non-ASCII letters kept, NaN refused."""
    return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)


def notebook_html(table: pd.DataFrame, notes: list[str]) -> str:
    """A result's table and notes for a notebook cell.

    Examples
    --------
    >>> notebook_html(pd.DataFrame({"term": ["fuldtid"]}), ["an association"]).count("<li>")
    1
    """
    shown = table.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
    listed = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    return f"<div>{shown}" + (f"<ul>{listed}</ul>" if listed else "") + "</div>"


class NotedResult:
    """JSON text, notes in either language and a notebook display for a result with
    ``to_dict()``, a ``table`` and ``notes``."""

    __slots__ = ()
    table: pd.DataFrame
    notes: tuple[Note, ...]

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every result defines its own
        raise NotImplementedError

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string."""
        return dumps(self.to_dict(), indent=indent)

    def note_texts(self, lang: Lang = "en") -> list[str]:
        """The notes as text in ``lang``."""
        return [note.text(lang) for note in self.notes]

    def _repr_html_(self) -> str:
        return notebook_html(self.table.head(25), self.note_texts("en"))
