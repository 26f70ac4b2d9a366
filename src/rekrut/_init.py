"""``rekrut init``: a commented experiment file proposed from a posting file.

The proposal reads the file's headers and maps them to rekrut's columns (Danish and English
synonyms), lists the arms found, the metrics the columns allow and the period the dates span,
and checks that the experiment it writes validates against the data. What it cannot know — which
arm is the control, and how an ambiguous number or date is written — it proposes with a
``# CHECK`` comment, never silently.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rekrut.data import load_postings
from rekrut.data._columns import missing_column_hint, propose_mapping
from rekrut.data._parse import DateProblem, parse_dates
from rekrut.data._postings import Granularity, required_columns, table_decimal
from rekrut.errors import DataError, InputError
from rekrut.io import read_table, write_text_atomic
from rekrut.metrics import METRICS, get_metric
from rekrut.model import experiment_from_mapping

__all__ = ["Proposal", "propose_experiment", "write_proposal"]


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed experiment file: its TOML text and what the reader must check."""

    text: str
    checks: tuple[str, ...]


def propose_experiment(data: str | Path, out: str | Path, *, sheet: str | None = None) -> Proposal:
    """Propose an experiment file at ``out`` for the posting file ``data``.

    Raises
    ------
    InputError
        If the file cannot be read, has no column that can hold the arms, or the proposal does
        not validate against it.
    """
    data, out = Path(data), Path(out)
    table = read_table(data, sheet=sheet)
    headers = [str(c) for c in table.columns]
    mapping = _arm_mapping(propose_mapping(headers), headers, str(data))
    checks: list[str] = []
    lines = _header_lines(data, out)
    arm_column = mapping["arm"]
    arms = _arms(table[arm_column])
    if len(arms) < 2:
        raise DataError(
            f"the column {arm_column!r} holds fewer than two arms ({arms}); an experiment "
            "compares at least two",
            file=str(data),
            column=arm_column,
        )
    control = "jobnet" if "jobnet" in arms else arms[0]
    checks.append(f"control = {control!r}: the arm the others are compared with")
    metrics = _metrics(set(mapping), "postings" in mapping)
    lines += [
        f"id = {_toml(out.stem)}",
        f"title = {_toml(out.stem)}",
        f"control = {_toml(control)}  # CHECK: the arm the others are compared with",
        f"metrics = [{', '.join(_toml(m) for m in metrics)}]",
    ]
    period, date_lines = _dates(table, mapping, checks)
    lines += period
    lines += ["", "[data]", f"path = {_toml(_relative(data, out))}"]
    if sheet is not None:
        lines.append(f"sheet = {_toml(sheet)}")
    lines += date_lines + _decimal(table, mapping, checks)
    lines += ["", "[data.columns]  # rekrut's name = the file's header"]
    lines += [f"{name} = {_toml(header)}" for name, header in mapping.items()]
    for arm in arms:
        lines += ["", "[[arms]]", f"id = {_toml(arm)}", f"channel = {_toml(arm)}"]
    text = "\n".join(lines) + "\n"
    _validate(text, out)
    return Proposal(text, tuple(checks))


def write_proposal(proposal: Proposal, out: str | Path) -> Path:
    """Write the proposal to ``out``, which must not exist yet (nothing is overwritten)."""
    out = Path(out)
    if out.exists():
        raise InputError("the file exists; rekrut init never overwrites a file", file=str(out))
    return write_text_atomic(out, proposal.text)


def _arm_mapping(mapping: dict[str, str], headers: Sequence[str], file: str) -> dict[str, str]:
    """The mapping with an ``arm`` column: the arm, or the channel (or variant) as the arm."""
    if "arm" in mapping:
        return mapping
    for stand_in in ("channel", "variant"):
        if stand_in in mapping:
            header = mapping.pop(stand_in)
            return {"arm": header, **mapping}
    raise DataError(
        "cannot tell which column holds the arms (the channels or ad variants compared); "
        + missing_column_hint("arm", headers),
        file=file,
    )


def _arms(column: pd.Series) -> list[str]:
    values = column.dropna().astype(str).str.strip()
    return list(dict.fromkeys(v for v in values if v))


def _metrics(columns: set[str], totals: bool) -> list[str]:
    granularity: Granularity = "arm_totals" if totals else "postings"
    allowed = [
        m
        for m in METRICS
        if set(required_columns(m, granularity)) <= columns
        and not (totals and get_metric(m).kind == "duration")
    ]
    if not allowed:
        raise DataError(
            "no metric can be computed from these columns; the table needs at least "
            "'applications' (or 'hires', 'qualified', 'cost_dkk')"
        )
    return allowed


def _dates(
    table: pd.DataFrame, mapping: dict[str, str], checks: list[str]
) -> tuple[list[str], list[str]]:
    """``start``/``end`` lines from the dates, and a ``date_format`` line when one is needed."""
    header = mapping.get("published")
    if header is None:
        return [], []
    cells = table[header]
    if pd.api.types.is_datetime64_any_dtype(cells.dtype):
        parsed = cells
        date_lines: list[str] = []
    else:
        text = cells.map(_date_text, na_action="ignore").astype("string")
        found = parse_dates(text, None)
        date_lines = []
        if isinstance(found, DateProblem):
            date_lines = ['date_format = "DD-MM-YYYY"  # CHECK: ' + found.message.split(";")[0]]
            checks.append("date_format: the dates could be read more than one way")
            found = parse_dates(text, "DD-MM-YYYY")
            if isinstance(found, DateProblem):
                return [], []
        parsed = found
    dates = pd.to_datetime(parsed).dropna()
    if dates.empty:
        return [], date_lines
    start, end = dates.min().date(), dates.max().date()
    return [f"start = {start}", f"end = {end}"], date_lines


def _date_text(value: object) -> str:
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)


def _decimal(table: pd.DataFrame, mapping: dict[str, str], checks: list[str]) -> list[str]:
    named = table[list(mapping.values())].set_axis(list(mapping), axis=1)
    _, problem, _ = table_decimal(named)
    if problem is None:
        return []
    checks.append("decimal: " + problem.split(";")[0])
    return ['decimal = ","  # CHECK: ' + problem.split(";")[0]]


def _relative(data: Path, out: Path) -> str:
    folder = out.resolve().parent
    target = data.resolve()
    if not target.is_relative_to(folder):
        raise InputError(
            f"the data file is outside the folder of {str(out)!r}; write the experiment file "
            "in the data's folder (or a folder above it)",
            file=str(data),
        )
    return Path(os.path.relpath(target, folder)).as_posix()


def _header_lines(data: Path, out: Path) -> list[str]:
    return [
        f"# Experiment proposed by `rekrut init` from {data.name}.",
        "# Read it through: lines marked CHECK are proposals rekrut could not decide from the",
        "# data. Add channels (with their prices), variants and a hypothesis as you know them;",
        "# see the experiment-file reference for every key.",
        "",
    ]


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _validate(text: str, out: Path) -> None:
    import tomllib

    experiment = experiment_from_mapping(tomllib.loads(text), source=out.resolve())
    load_postings(experiment)
