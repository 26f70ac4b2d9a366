"""Numbers and dates written as text, read the one way a whole column admits.

Danish spreadsheets write ``4.500,50 kr.`` where English ones write ``4,500.50``; ``4.500`` alone
is 4.5 in one convention and 4,500 in the other. A table is read with one decimal mark: the one
declared, else the one its columns admit. A column admits a mark when every cell reads as a
number under it (and, for counts, as a whole number); a column that admits only one mark decides
it for the table. A table whose cells could be read both ways, with nothing that decides, is an
error naming two such cells — never a guess.

Dates are read the same way: ISO dates (``2026-02-01``) as they are; any other format must be
declared (``date_format``) or be the only day/month order under which every cell of the column
is a date.

All parsing works on the distinct values of a column, so a large table costs little.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "DATE_FORMATS",
    "DateProblem",
    "DecimalMark",
    "date_format_code",
    "decide_decimal",
    "parse_dates",
    "parse_numbers",
]

DecimalMark = Literal[",", "."]

_CURRENCY = re.compile(r"^(?:kr\.?|dkk)\s*|\s*(?:kr\.?|dkk|,-|\.-)$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f]")
_PATTERNS: dict[DecimalMark, re.Pattern[str]] = {
    ",": re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$"),
    ".": re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"),
}
_THOUSANDS: dict[DecimalMark, str] = {",": ".", ".": ","}


@dataclass(frozen=True, slots=True)
class _Readings:
    """A column's distinct cells read under each decimal mark (NaN where a cell does not read)."""

    text: pd.Series
    by_mark: Mapping[DecimalMark, npt.NDArray[np.float64]]
    blank: npt.NDArray[np.bool_]

    def admits(self, mark: DecimalMark, whole: bool) -> bool:
        values = self.by_mark[mark][~self.blank]
        if np.isnan(values).any():
            return False
        return not whole or bool((values == np.floor(values)).all())

    def only(self, mark: DecimalMark) -> list[str]:
        """Cells that read as a number under ``mark`` and not under the other mark."""
        other: DecimalMark = "." if mark == "," else ","
        hits = ~np.isnan(self.by_mark[mark]) & np.isnan(self.by_mark[other])
        return [str(t) for t in self.text[hits & ~self.blank]]

    def ambiguous(self) -> list[str]:
        """Cells that read as two different numbers."""
        first, second = self.by_mark[","], self.by_mark["."]
        differ = ~self.blank & ~np.isnan(first) & ~np.isnan(second) & (first != second)
        return [str(t) for t in self.text[differ]]


def _cleaned(text: pd.Series) -> tuple[pd.Series, npt.NDArray[np.bool_]]:
    """Text without currency (``kr.``, ``DKK``, ``,-``), spaces and ``%``; and which had ``%``."""
    stripped = text.str.strip().str.replace(_CURRENCY, "", regex=True)
    stripped = stripped.str.replace(_SPACES, "", regex=True).str.replace("\u2212", "-")
    percent = stripped.str.endswith("%").to_numpy(dtype=bool, na_value=False)
    return stripped.str.removesuffix("%"), percent


def _readings(text: pd.Series) -> _Readings:
    cleaned, percent = _cleaned(text)
    blank = (cleaned.isna() | (cleaned == "")).to_numpy(dtype=bool, na_value=True)
    values: dict[DecimalMark, npt.NDArray[np.float64]] = {}
    for mark, pattern in _PATTERNS.items():
        ok = cleaned.str.fullmatch(pattern).to_numpy(dtype=bool, na_value=False)
        plain = cleaned.str.replace(_THOUSANDS[mark], "", regex=False)
        if mark == ",":
            plain = plain.str.replace(",", ".", regex=False)
        number = pd.to_numeric(plain.where(ok), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        values[mark] = np.where(percent, number / 100.0, number)
    return _Readings(text, values, blank)


def decide_decimal(
    columns: Mapping[str, pd.Series], whole: frozenset[str], declared: DecimalMark | None
) -> tuple[DecimalMark | None, str | None, str | None]:
    """The decimal mark of a table, from its text number columns (distinct cells).

    Returns the mark (None when no cell depends on it) and, when the table cannot be read one
    way, the reason to report and the column it concerns.

    Examples
    --------
    >>> text = lambda *cells: pd.Series(cells, dtype="string")
    >>> decide_decimal({"cost_dkk": text("4.500", "2750,50")}, frozenset(), None)
    (',', None, None)
    >>> decide_decimal({"applications": text("4.500", "12")}, frozenset({"applications"}), None)
    (',', None, None)
    >>> decide_decimal({"cost_dkk": text("4.500", "1.250")}, frozenset(), None)[1]
    "'4.500' and '1.250' could be read as 4.5 or 4500; declare decimal = ',' (Danish) or '.' in the experiment file's [data] table"
    """
    if declared is not None:
        return declared, None, None
    readings = {name: _readings(text) for name, text in columns.items()}
    deciding: dict[DecimalMark, str] = {}
    for name, reading in readings.items():
        comma, dot = reading.only(","), reading.only(".")
        if comma and dot:
            return (
                None,
                f"{comma[0]!r} writes decimals with ',' but {dot[0]!r} with '.'; write every "
                "number one way",
                name,
            )
        admitted = [m for m in _PATTERNS if reading.admits(m, name in whole)]
        if len(admitted) == 1:
            deciding.setdefault(admitted[0], name)
    if len(deciding) == 2:
        by_comma, by_dot = deciding[","], deciding["."]
        return (
            None,
            f"column {by_comma} writes decimals with ',' but column {by_dot} with '.'; "
            "write every number one way",
            by_dot,
        )
    if deciding:
        return next(iter(deciding)), None, None
    for name, reading in readings.items():
        cells = reading.ambiguous()
        if cells:
            examples = " and ".join(repr(c) for c in cells[:2])
            one = _readings(pd.Series(cells[:1], dtype="string")).by_mark
            return (
                None,
                f"{examples} could be read as {one['.'][0]:g} or {one[','][0]:g}; declare "
                "decimal = ',' (Danish) or '.' in the experiment file's [data] table",
                name,
            )
    return None, None, None


def parse_numbers(text: pd.Series, decimal: DecimalMark | None) -> npt.NDArray[np.float64]:
    """The numbers in ``text`` (distinct cells) under ``decimal``; NaN where a cell does not read.

    Without a decimal mark (no cell of the table depends on it) either reading serves.

    Examples
    --------
    >>> cells = pd.Series(["4.500,00 kr.", "DKK 1.250", "12 %", "2.750,-", None], dtype="string")
    >>> parse_numbers(cells, ",").tolist()
    [4500.0, 1250.0, 0.12, 2750.0, nan]
    """
    values = _readings(text).by_mark
    if decimal is not None:
        return values[decimal]
    return np.where(np.isnan(values[","]), values["."], values[","])


DATE_FORMATS = (
    *(
        f"{first}{sep}{second}{sep}{year}"
        for sep in ("-", ".", "/")
        for first, second in (("%d", "%m"), ("%m", "%d"))
        for year in ("%Y", "%y")
    ),
    *(f"%Y{sep}%m{sep}%d" for sep in ("-", ".", "/")),
)
"""The formats a column of non-ISO dates is tried against: day-first and month-first with a
four- or two-digit year, and year-month-day with other separators."""

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_TOKENS = (("YYYY", "%Y"), ("YY", "%y"), ("DD", "%d"), ("MM", "%m"), ("D", "%d"), ("M", "%m"))


def date_format_code(declared: str) -> str:
    """A declared date format as a ``strftime`` code: ``DD-MM-YYYY`` and ``%d-%m-%Y`` alike.

    Examples
    --------
    >>> date_format_code("DD.MM.YYYY"), date_format_code("%d/%m/%Y")
    ('%d.%m.%Y', '%d/%m/%Y')
    """
    if "%" in declared:
        return declared
    code = declared
    for token, directive in _TOKENS:
        code = code.replace(token, directive)
    return code


@dataclass(frozen=True, slots=True)
class DateProblem:
    """Why a date column cannot be read: the message and the cell at fault (if one is)."""

    message: str
    cell: str | None = None


def parse_dates(text: pd.Series, date_format: str | None) -> pd.Series | DateProblem:
    """Dates from distinct text cells: ISO as they are, other formats declared or unique.

    Returns the dates (NaT for blank cells) or the problem to report.

    Examples
    --------
    >>> cells = lambda *c: pd.Series(c, dtype="string")
    >>> parse_dates(cells("2026-02-01", "2026-05-31"), None).dt.strftime("%d %b").tolist()
    ['01 Feb', '31 May']
    >>> parse_dates(cells("01-02-2026", "31-05-2026"), None).dt.strftime("%d %b").tolist()
    ['01 Feb', '31 May']
    >>> parse_dates(cells("01-02-2026", "03-04-2026"), None).message
    "'01-02-2026' and '03-04-2026' could be day-month or month-day dates; declare date_format = 'DD-MM-YYYY' (or 'MM-DD-YYYY') in the experiment file's [data] table"
    """
    stripped = text.str.strip()
    blank = (stripped.isna() | (stripped == "")).to_numpy(dtype=bool, na_value=True)
    if date_format is not None:
        parsed = pd.to_datetime(stripped, format=date_format_code(date_format), errors="coerce")
        bad = parsed.isna().to_numpy() & ~blank
        if bad.any():
            cell = str(stripped[bad].iloc[0])
            return DateProblem(f"{cell!r} does not match date_format {date_format!r}", cell)
        return parsed
    iso = stripped.str.fullmatch(_ISO).to_numpy(dtype=bool, na_value=False)
    parsed = pd.to_datetime(stripped.where(iso), format="ISO8601", errors="coerce")
    rest = ~iso & ~blank
    if not rest.any():
        return parsed
    readings = _date_readings(stripped[rest])
    if not readings:
        cell = str(stripped[rest].iloc[0])
        return DateProblem(
            f"{cell!r} is not a date; write dates as YYYY-MM-DD or declare date_format "
            "(e.g. 'DD-MM-YYYY') in the experiment file's [data] table",
            cell,
        )
    if len(readings) > 1:
        return DateProblem(_ambiguous_dates(stripped[rest], readings))
    parsed[rest] = next(iter(readings.values())).to_numpy()
    return parsed


def _date_readings(cells: pd.Series) -> dict[str, pd.Series]:
    """The formats under which every cell is a date, one per distinct reading."""
    readings: dict[str, pd.Series] = {}
    for code in DATE_FORMATS:
        parsed = pd.to_datetime(cells, format=code, errors="coerce")
        if parsed.isna().any():
            continue
        if not any(parsed.equals(seen) for seen in readings.values()):
            readings[code] = parsed
    return readings


def _ambiguous_dates(cells: pd.Series, readings: Mapping[str, pd.Series]) -> str:
    (first_code, first), (second_code, second) = list(readings.items())[:2]
    differ = (first != second).to_numpy()
    examples = [str(c) for c in cells[differ].iloc[:2]]
    shown = " and ".join(repr(c) for c in examples)
    return (
        f"{shown} could be day-month or month-day dates; declare date_format = "
        f"{_readable(first_code)!r} (or {_readable(second_code)!r}) in the experiment file's "
        "[data] table"
    )


def _readable(code: str) -> str:
    return code.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY").replace("%y", "YY")
