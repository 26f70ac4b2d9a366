"""Validation of posting tables against the data contract.

A posting table has one row per posting (or per posting x channel), or one row per arm with
summed counts and a ``postings`` column (arm totals). Validation turns the table into a
normalised pandas frame: ``arm`` (and ``variant``, ``channel``) as categoricals, counts and costs
as numbers (numpy integer and float columns as they are, anything else as float64 with NaN for
missing values), ``published`` as datetime64, and the derived 0/1 column ``filled`` (the posting
got a hire).

The checks work on whole columns, so that a table of millions of rows costs about one pass over
it and little memory beyond it: numeric columns are checked in place with numpy reductions, text
is checked once per distinct value, and only the first offending row is then looked for, in
blocks of rows.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from rekrut.data._checks import Contract, check_table, rows_text, unknown_arm_message
from rekrut.data._columns import missing_column_hint, renamed
from rekrut.data._parse import DateProblem, DecimalMark, decide_decimal, parse_dates, parse_numbers
from rekrut.errors import DataError
from rekrut.metrics import get_metric
from rekrut.model import AMOUNT_COLUMNS, COUNT_COLUMNS, Experiment, as_experiment
from rekrut.notes import Note

__all__ = [
    "COUNT_COLUMNS",
    "PostingData",
    "posting_notes",
    "required_columns",
    "validate_postings",
]

BLANK_ALLOWED = frozenset(
    {"impressions", "clicks", "interviews", "retained_12m", "days_to_hire", "days_open"}
)
"""Columns where a blank cell means 'not recorded' or 'not known yet' rather than an error."""

INVARIANTS = (
    ("qualified", "applications"),
    ("hires", "applications"),
    ("interviews", "applications"),
    ("retained_12m", "hires"),
    ("clicks", "impressions"),
    ("filled", "postings"),
    ("reposted", "postings"),
)
"""Pairs (smaller, larger): the first may never exceed the second in a row."""

CONTRACT = Contract(COUNT_COLUMNS, AMOUNT_COLUMNS, BLANK_ALLOWED, INVARIANTS)
"""The checks every engine runs (see :mod:`rekrut.data._checks`)."""

_FLAG_WORDS = {"true": 1.0, "false": 0.0, "ja": 1.0, "nej": 0.0, "yes": 1.0, "no": 0.0}

Granularity = Literal["postings", "arm_totals"]


@dataclass(frozen=True, slots=True)
class PostingData:
    """A validated, normalised posting table.

    Attributes
    ----------
    frame
        The normalised pandas table (one row per posting, or per arm for totals), or None when
        the table stays in another engine (``native``).
    granularity
        ``"postings"`` for per-posting rows, ``"arm_totals"`` for one row per arm.
    source
        Where the table came from (a file name), for messages.
    native
        The narwhals LazyFrame of a table held by another engine (polars, DuckDB, Spark …).
    column_names
        The columns of ``native``.
    notes
        Caveats found while checking the table (postings outside the experiment's period,
        dated after the export, or in two arms), for the analysis to carry.
    """

    frame: pd.DataFrame | None
    granularity: Granularity
    source: str | None = None
    native: Any = None
    column_names: frozenset[str] = frozenset()
    notes: tuple[Note, ...] = ()

    @property
    def columns(self) -> frozenset[str]:
        """The columns present in the table."""
        if self.frame is not None:
            return frozenset(str(c) for c in self.frame.columns)
        return self.column_names

    def collect(self, columns: Sequence[str]) -> pd.DataFrame:
        """Return the listed columns (that exist) plus ``arm`` as a pandas frame.

        For a table held by another engine only these columns are brought into memory.
        """
        wanted = [c for c in dict.fromkeys(["arm", *columns]) if c in self.columns]
        if self.frame is not None:
            return self.frame[wanted]
        # the derived 0/1 column 'filled' (validate_postings adds it to pandas tables)
        derive = "filled" in columns and "filled" not in self.columns and "hires" in self.columns
        if derive and "hires" not in wanted:
            wanted.append("hires")
        collected: pd.DataFrame = self.native.select(*wanted).collect().to_pandas()
        if derive:
            collected["filled"] = filled(collected["hires"])
        return collected


def required_columns(metric_id: str, granularity: Granularity) -> tuple[str, ...]:
    """Return the columns a metric needs from a table of the given granularity.

    Examples
    --------
    >>> required_columns("cost_per_hire", "postings")
    ('cost_dkk', 'hires')
    """
    metric = get_metric(metric_id)
    needed = [c for c in (metric.numerator, metric.denominator) if c != "postings"]
    if granularity == "postings" and "filled" in needed:
        needed = ["hires" if c == "filled" else c for c in needed]
    if metric.kind == "duration":
        needed.append("hires")
    return tuple(dict.fromkeys(needed))


def validate_postings(
    experiment: Experiment | str | Path | pd.DataFrame,
    data: pd.DataFrame | Experiment | str | Path,
    *,
    source: str | Path | None = None,
) -> PostingData:
    """Check a posting table against the data contract and normalise it.

    The checks work on whole columns: numeric columns are checked in place with numpy
    reductions (no copy), and text is parsed once per distinct value (an arm label, a date, a
    number written with a decimal comma) rather than once per row.

    Numbers written as text are read with one decimal mark for the whole table (see
    :mod:`rekrut.data._parse`: Danish ``4.500,50 kr.`` and English ``4,500.50`` alike, never
    guessed); dates in ISO form, or in the experiment's declared ``date_format``, or in the one
    day/month order every cell admits. The experiment's ``[data.columns]`` mapping renames the
    file's headers first.

    Parameters
    ----------
    experiment
        The experiment whose arms and metrics the table must serve (or its file).
    data
        The raw table (text or numbers), one row per posting or one row per arm.
    source
        The file the table came from; errors then name it and count rows as a spreadsheet does
        (header = row 1). Without it, rows are counted from 1 over the data.

    Returns
    -------
    PostingData
        The normalised table: ``arm``, ``variant`` and ``channel`` as categoricals; counts and
        amounts held as numpy integers or floats unchanged, any other (text, pandas nullable or
        Arrow numbers) as float64 with NaN for blanks; ``published`` as datetime64;
        ``posting_id`` with surrounding whitespace removed; the 0/1 float column ``filled``.

    Raises
    ------
    DataError
        On the first problem, naming the row and column; of several bad rows, the first in
        table order.

    Examples
    --------
    >>> import pandas as pd
    >>> from rekrut.model import Experiment
    >>> exp = Experiment.model_validate({"id": "x", "control": "A",
    ...     "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}]})
    >>> validate_postings(exp, pd.DataFrame({"arm": ["A", "B"], "applications": [4, -1]}))
    Traceback (most recent call last):
    ...
    rekrut.errors.DataError: table, row 2, column applications: must not be negative in 1 row (first: -1)
    """
    experiment, data = _in_order(experiment, data)
    where = _Where(str(source) if source is not None else None)
    if len(data) == 0:
        raise DataError("the table has no rows", file=where.file)
    spec = experiment.data_source
    frame = _renumbered(data, where, spec.columns if spec else {})
    granularity: Granularity = "arm_totals" if "postings" in frame.columns else "postings"
    arms = _arms(frame, experiment, where)
    out: dict[str, pd.Series] = {"arm": pd.Series(arms, index=frame.index)}
    text_columns = _number_text_columns(frame)
    decimal = _decimal_mark(text_columns, spec.decimal if spec else None, where)
    for column in frame.columns:
        if column in COUNT_COLUMNS or column in AMOUNT_COLUMNS:
            cells = text_columns.get(str(column))
            out[column] = _numbers(frame[column], column, where, decimal, cells)
        elif column == "published":
            out[column] = _dates(frame[column], where, spec.date_format if spec else None)
        elif column not in out and column not in ("variant", "channel"):
            out[column] = frame[column]
    for column in ("variant", "channel"):
        out[column] = _arm_attribute(arms, experiment, column, frame.index)
    if granularity == "postings":
        _per_posting_columns(out, arms, where)
    table = pd.DataFrame(out, copy=False)  # no copy: the columns stay as they are
    _check_invariants(table, where)
    _check_columns(table, experiment, granularity, where)
    _check_arms_present(arms, experiment, where)
    check_table(table, CONTRACT, arms=experiment.arm_ids, source=where.file)
    notes = posting_notes(table, experiment, where.row)
    return PostingData(table, granularity, where.file, notes=notes)


def _in_order(
    experiment: Experiment | str | Path | pd.DataFrame, data: Any
) -> tuple[Experiment, pd.DataFrame]:
    """(experiment, data), accepting the old order (data, experiment) with a warning."""
    if isinstance(experiment, pd.DataFrame) and not isinstance(data, pd.DataFrame):
        warnings.warn(
            "validate_postings(data, experiment) is deprecated and will be removed in 0.3; "
            "use validate_postings(experiment, data)",
            DeprecationWarning,
            stacklevel=3,
        )
        experiment, data = data, experiment
    if not isinstance(data, pd.DataFrame) or isinstance(experiment, pd.DataFrame):
        raise DataError(f"cannot validate a {type(data).__name__} as a posting table")
    return as_experiment(experiment), data


def _renumbered(data: pd.DataFrame, where: _Where, mapping: Mapping[str, str]) -> pd.DataFrame:
    """The table with headers stripped and mapped, rows numbered 0..n-1, sharing its columns.

    (``rename`` and ``reset_index`` copy every column in pandas 2.) A header that appears twice
    is refused: which of the two columns was meant cannot be told. A mapped header the table
    lacks, where the table has no column of that name either, is an error listing the headers.
    """
    headers = [str(name).strip() for name in data.columns]
    for name, header in mapping.items():
        if header not in headers and name not in headers:
            raise where.error(
                f"the experiment maps {name} to the header {header!r}, which the table lacks; "
                + missing_column_hint(name, headers),
                column=header,
            )
    renames = renamed(headers, mapping)
    names = [renames.get(name, name) for name in headers]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise where.error(
                "two columns have this header (or are mapped to this name); rename or remove "
                "one of them",
                column=name,
            )
        seen.add(name)
    index = pd.RangeIndex(len(data))
    columns = {
        name: pd.Series(_values(data.iloc[:, i]), index=index, copy=False)
        for i, name in enumerate(names)
    }
    return pd.DataFrame(columns, copy=False)


def _values(column: pd.Series) -> Any:
    """The column's own array: an extension array as it is, a numpy array without a wrapper."""
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return column.array
    return column.to_numpy(copy=False)


class _Where:
    """Turns a 0-based row position into the row number a user sees."""

    def __init__(self, file: str | None) -> None:
        self.file = file

    def row(self, position: int) -> int:
        return position + 2 if self.file else position + 1

    def error(
        self, message: str, position: int | None = None, column: str | None = None
    ) -> DataError:
        row = None if position is None else self.row(position)
        return DataError(message, file=self.file or "table", row=row, column=column)


_CHUNK = 1 << 18
"""Rows tested at a time when looking for the first offending row (bounds the temporary arrays)."""


def _first_true(test: Callable[[slice], npt.NDArray[np.bool_]], size: int) -> int | None:
    """Return the first row position where ``test`` (given a slice of rows) is True, or None."""
    for start in range(0, size, _CHUNK):
        hits = np.flatnonzero(test(slice(start, start + _CHUNK)))
        if hits.size:
            return start + int(hits[0])
    return None


def _distinct(values: pd.Series) -> tuple[npt.NDArray[np.integer[Any]], pd.Index, pd.Series]:
    """Factorise a column: row codes (-1 for a missing cell), the distinct values, their text.

    The text is what ``astype("string").str.strip()`` gives for each distinct value, so a check
    on it equals the same check on every row, at the cost of the few distinct values.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        uniques = pd.Index(values.cat.categories)
    else:
        codes, uniques = pd.factorize(values)
        if _is_object(values.dtype) and pd.api.types.infer_dtype(uniques) != "string":
            # Python equality merges 1, 1.0 and True into one value; as text they differ
            codes, uniques = pd.factorize(values.astype("string"))
        uniques = pd.Index(uniques)
    return codes, uniques, pd.Series(uniques, dtype=object).astype("string").str.strip()


def _is_object(dtype: Any) -> bool:
    """A numpy object column (any Python values), as opposed to a typed text column."""
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


def _recode(table: npt.NDArray[Any], codes: npt.NDArray[Any], missing: Any) -> npt.NDArray[Any]:
    """Map row codes through ``table`` (one entry per distinct value); code -1 gives ``missing``."""
    extended: npt.NDArray[Any] = np.append(table, np.asarray(missing, dtype=table.dtype))
    recoded: npt.NDArray[Any] = extended[codes]
    return recoded


def _arms(frame: pd.DataFrame, experiment: Experiment, where: _Where) -> pd.Categorical:
    known = experiment.arm_ids
    if "arm" in frame.columns:
        codes, _, labels = _distinct(frame["arm"])
        position = {arm: i for i, arm in enumerate(known)}
        lookup = np.array(
            [
                position.get(label, -1)
                for label in labels.astype(object).where(labels.notna(), None)
            ],
            dtype=np.int8 if len(known) < 127 else np.int32,
        )
        arm_codes = _recode(lookup, codes, -1)
        if arm_codes.min() < 0:
            pos = _first_true(lambda rows: arm_codes[rows] < 0, len(arm_codes))
            assert pos is not None
            raise where.error(unknown_arm_message(frame["arm"].iloc[pos], known), pos, "arm")
        return _categorical(arm_codes, known)
    if {"variant", "channel"} <= set(frame.columns):
        v_codes, _, variants = _distinct(frame["variant"])
        c_codes, _, channels = _distinct(frame["channel"])
        arm_codes = np.full(len(frame), -1, dtype=np.int32)
        for i, arm in enumerate(experiment.arms):  # a later arm wins, as in a dict
            v_match = _recode((variants == arm.variant).to_numpy(bool, na_value=False), v_codes, 0)
            c_match = _recode((channels == arm.channel).to_numpy(bool, na_value=False), c_codes, 0)
            arm_codes[v_match & c_match] = i
        if arm_codes.min() < 0:
            pos = _first_true(lambda rows: arm_codes[rows] < 0, len(arm_codes))
            assert pos is not None
            pair = (frame["variant"].iloc[pos], frame["channel"].iloc[pos])
            raise where.error(f"no arm has variant and channel {pair}", pos, "variant")
        ids = [arm.id for arm in experiment.arms]
        first = {arm: ids.index(arm) for arm in known}  # codes into arm_ids order
        remap = np.array([first[arm] for arm in ids], dtype=np.int32)
        return _categorical(remap[arm_codes], known)
    headers = [str(c) for c in frame.columns]
    raise where.error(
        "the table needs an 'arm' column (or 'variant' and 'channel' columns); "
        + missing_column_hint("arm", headers),
        column="arm",
    )


def _is_missing(value: Any) -> bool:
    missing = pd.isna(value)
    return bool(missing) if isinstance(missing, bool | np.bool_) else False


def _categorical(codes: npt.NDArray[Any], categories: Sequence[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(
        codes, categories=pd.Index(list(categories), dtype=object), validate=False
    )


def _arm_attribute(
    arms: pd.Categorical, experiment: Experiment, attribute: str, index: pd.Index
) -> pd.Series:
    """The arms' ``variant`` or ``channel`` for every row, as a categorical."""
    per_arm = {a.id: getattr(a, attribute) for a in experiment.arms}
    names = [per_arm[str(arm)] for arm in arms.categories]
    distinct = list(dict.fromkeys(names))
    lookup = np.array([distinct.index(name) for name in names], dtype=np.int32)
    return pd.Series(_categorical(lookup[arms.codes], distinct), index=index)


def _numbers(
    values: pd.Series,
    column: str,
    where: _Where,
    decimal: DecimalMark | None = None,
    cells: _TextCells | None = None,
) -> pd.Series:
    """Check a count or amount column; return it unchanged when numpy numbers, else as float64."""
    dtype = values.dtype
    unparsed = None
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        numbers = values
        array = values.to_numpy()
    elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        array = values.to_numpy(dtype=np.float64, na_value=np.nan)
        numbers = pd.Series(array, index=values.index)
    else:
        array, unparsed = _parse_text_numbers(values, column, decimal, cells)
        numbers = pd.Series(array, index=values.index)
    size = len(array)
    floats = array.dtype.kind == "f"
    low = np.fmin.reduce(array) if floats else array.min()
    high = np.fmax.reduce(array) if floats else array.max()
    if unparsed is None and floats and (np.isinf(low) or np.isinf(high)):
        unparsed = _first_true(lambda rows: np.isinf(array[rows]), size)
    if unparsed is not None:
        hint = f" (this table writes decimals with {decimal!r})" if decimal else ""
        raise where.error(f"{values.iloc[unparsed]!r} is not a number{hint}", unparsed, column)
    if floats and column not in BLANK_ALLOWED and np.isnan(array.sum()):
        blank = _first_true(lambda rows: np.isnan(array[rows]), size)
        if blank is not None:
            count = rows_text(int(np.isnan(array).sum()))
            message = f"the cell is blank; write 0 if there were none in {count}"
            raise where.error(message, blank, column)
    # the messages of the checks every engine runs (data/_checks.py), with the first value
    if low < 0:
        pos = _first_true(lambda rows: array[rows] < 0, size)
        assert pos is not None
        count = rows_text(int((array < 0).sum()))
        message = f"must not be negative in {count} (first: {values.iloc[pos]})"
        raise where.error(message, pos, column)
    if floats and column in COUNT_COLUMNS:
        pos = _first_true(lambda rows: _fraction(array[rows]) > 0, size)
        if pos is not None:
            count = rows_text(int((_fraction(array) > 0).sum()))
            message = f"must be a whole number in {count} (first: {values.iloc[pos]})"
            raise where.error(message, pos, column)
    return numbers


def _fraction(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    fraction: npt.NDArray[Any] = values - np.floor(values)
    return fraction


def _split_cells(values: pd.Series) -> tuple[pd.Series, npt.NDArray[np.float64] | None]:
    """A spreadsheet column of numbers and text: the text cells, and the numbers (else NaN).

    Only object columns (cells of mixed Python types, as a spreadsheet gives) are split; a text
    column comes back as it is, with None.
    """
    if not _is_object(values.dtype):
        return values, None
    is_number = values.map(
        lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_),
        na_action="ignore",
    )
    mask = is_number.fillna(False).to_numpy(dtype=bool)
    if not mask.any():
        return values, None
    given = np.full(len(values), np.nan)
    given[mask] = values[mask].to_numpy(dtype=np.float64)
    return values.where(~mask, None), given


@dataclass(frozen=True, slots=True)
class _TextCells:
    """A number column's text cells, factorised once: row codes, distinct text, and the numbers
    a spreadsheet gave as numbers (NaN elsewhere; None for a text column)."""

    codes: npt.NDArray[np.integer[Any]]
    text: pd.Series
    given: npt.NDArray[np.float64] | None


def _text_cells(values: pd.Series) -> _TextCells:
    text_cells, given = _split_cells(values)
    codes, _, text = _distinct(text_cells)
    return _TextCells(codes, text, given)


def _number_text_columns(frame: pd.DataFrame) -> dict[str, _TextCells]:
    """The count and amount columns held as text (or spreadsheet cells), factorised."""
    return {
        str(column): _text_cells(frame[column])
        for column in frame.columns
        if (column in COUNT_COLUMNS or column in AMOUNT_COLUMNS)
        and not pd.api.types.is_numeric_dtype(frame[column].dtype)
        and not pd.api.types.is_bool_dtype(frame[column].dtype)
    }


def _decimal_mark(
    cells: Mapping[str, _TextCells], declared: DecimalMark | None, where: _Where
) -> Any:
    """The decimal mark of the table's numbers written as text (see :func:`decide_decimal`)."""
    text = {column: found.text for column, found in cells.items()}
    mark, problem, culprit = decide_decimal(text, frozenset(COUNT_COLUMNS), declared)
    if problem is not None:
        raise where.error(problem, column=culprit)
    return mark


def table_decimal(
    frame: pd.DataFrame, declared: DecimalMark | None = None
) -> tuple[DecimalMark | None, str | None, str | None]:
    """:func:`decide_decimal` over the count and amount columns of a table with rekrut's names."""
    text = {column: found.text for column, found in _number_text_columns(frame).items()}
    return decide_decimal(text, frozenset(COUNT_COLUMNS), declared)


def _parse_text_numbers(
    values: pd.Series,
    column: str,
    decimal: DecimalMark | None = None,
    cells: _TextCells | None = None,
) -> tuple[npt.NDArray[Any], int | None]:
    """Parse text cells (Danish or English numbers; yes/no words for flags), once per distinct
    value, with the table's decimal mark.

    Returns the numbers (NaN for blank cells) and the position of the first cell that is not a
    number (or None).
    """
    found = cells if cells is not None else _text_cells(values)
    codes, text = found.codes, found.text
    parsed = pd.Series(parse_numbers(text, decimal), index=text.index)
    if column in ("reposted", "filled"):
        flags = text.str.lower().map(_FLAG_WORDS, na_action="ignore")
        parsed = parsed.where(flags.isna(), flags)
    numbers = np.asarray(parsed, dtype=np.float64)
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    bad = (np.isnan(numbers) & ~blank) | np.isinf(numbers)
    unparsed = None
    if bad.any():
        bad_rows = _recode(bad, codes, False)
        unparsed = _first_true(lambda rows: bad_rows[rows], len(bad_rows))
    result = _recode(numbers, codes, np.nan)
    if found.given is not None:
        result = np.where(np.isnan(found.given), result, found.given)
    return result, unparsed


def _dates(values: pd.Series, where: _Where, date_format: str | None = None) -> pd.Series:
    """The ``published`` column as dates: ISO, the declared format, or the only reading."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    given = None
    if _is_object(values.dtype):  # a spreadsheet's date cells are dates, whatever the format
        is_date = values.map(lambda v: isinstance(v, dt.date), na_action="ignore")
        mask = is_date.fillna(False).to_numpy(dtype=bool)
        if mask.any():
            given = pd.to_datetime(values.where(mask, None))
            values = values.where(~mask, None)
    codes, _, text = _distinct(values)
    parsed = parse_dates(text, date_format)
    if isinstance(parsed, DateProblem):
        pos = None
        if parsed.cell is not None:
            hit = (text.str.strip() == parsed.cell).to_numpy(dtype=bool, na_value=False)
            bad_rows = _recode(hit, codes, False)
            pos = _first_true(lambda rows: bad_rows[rows], len(bad_rows))
        raise where.error(parsed.message, pos, "published")
    dates = pd.Series(
        pd.api.extensions.take(parsed.array, codes, allow_fill=True), index=values.index
    )
    return dates if given is None else dates.fillna(given)


def filled(hires: pd.Series) -> pd.Series:
    """The derived 0/1 column ``filled``: the posting got at least one hire."""
    return (hires > 0).astype(np.float64)


def _per_posting_columns(out: dict[str, pd.Series], arms: pd.Categorical, where: _Where) -> None:
    size = len(arms)
    if "reposted" in out:
        reposted = out["reposted"].to_numpy()
        if np.fmax.reduce(reposted) > 1:
            pos = _first_true(lambda rows: reposted[rows] > 1, size)
            raise where.error("must be 0 or 1 (was the posting a re-posting?)", pos, "reposted")
    if "hires" in out:
        out["filled"] = filled(out["hires"])
    if "days_to_hire" in out and "hires" in out:
        days, hires = out["days_to_hire"].to_numpy(), out["hires"].to_numpy()
        stray = _first_true(lambda rows: ~np.isnan(days[rows]) & (hires[rows] == 0), size)
        if stray is not None:
            raise where.error("days_to_hire is given but hires is 0", stray, "days_to_hire")
    if "posting_id" in out:
        out["posting_id"] = _check_posting_ids(out["posting_id"], arms, where)


def _check_posting_ids(values: pd.Series, arms: pd.Categorical, where: _Where) -> pd.Series:
    """Strip the posting ids and check that none appears twice in one arm; return the ids."""
    ids = _stripped_ids(values)
    pos = _first_repeat(ids, arms)
    if pos is not None:
        value = pd.Series([ids.iloc[pos]], dtype=object).astype("string").iloc[0]
        raise where.error(f"posting {value!r} appears twice in this arm", pos, "posting_id")
    return ids


def _stripped_ids(values: pd.Series) -> pd.Series:
    """The posting ids without surrounding whitespace: the column itself when none has any.

    Numbers are kept as they are; text, categorical and mixed columns become text.
    """
    dtype = values.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return values
    if isinstance(dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if pd.api.types.infer_dtype(categories) == "string":
            names = categories.str.strip()
            if names.equals(categories):
                return values
            if names.is_unique:
                return values.cat.rename_categories(list(names))
        codes, _, text = _distinct(values)
        return pd.Series(text.array.take(codes, allow_fill=True), index=values.index)
    if _is_object(dtype) and pd.api.types.infer_dtype(values, skipna=True) != "string":
        return values.astype("string").str.strip()
    arrow = _arrow_text(values)
    if arrow is not None and not _may_have_edge_space(arrow):
        return values
    stripped: pd.Series = values.str.strip()
    return values if bool((stripped == values).all()) else stripped


def _arrow_text(values: pd.Series) -> tuple[npt.NDArray[np.uint8], npt.NDArray[Any], Any] | None:
    """The bytes, offsets and validity of an Arrow-backed text column, without copying it."""
    if not isinstance(values.array, pd.arrays.ArrowStringArray):
        return None
    import pyarrow as pa

    array = pa.array(values.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type not in (pa.string(), pa.large_string()):
        return None
    width = np.int64 if array.type == pa.large_string() else np.int32
    _, offsets, data = array.buffers()
    bounds = np.frombuffer(offsets, dtype=width)[array.offset : array.offset + len(array) + 1]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return raw, bounds, array


def _may_have_edge_space(text: tuple[npt.NDArray[np.uint8], npt.NDArray[Any], Any]) -> bool:
    """Whether any cell starts or ends with a byte that could be whitespace.

    ASCII whitespace and control bytes are at most 32 and every other Unicode space is encoded
    with bytes of 128 and above, so cells whose first and last bytes are neither need no strip.
    """
    raw, bounds, _ = text
    fixed = _fixed_width(text)
    if fixed is not None:
        if fixed.shape[1] == 0:
            return False
        first, last = fixed[:, 0], fixed[:, -1]
    else:
        filled = bounds[1:] > bounds[:-1]
        first, last = raw[bounds[:-1][filled]], raw[bounds[1:][filled] - 1]
    return bool(((first <= 32) | (first >= 128) | (last <= 32) | (last >= 128)).any())


def _fixed_width(text: tuple[npt.NDArray[np.uint8], npt.NDArray[Any], Any]) -> Any:
    """The bytes as a (cells, width) view when every cell has the same length, else None."""
    raw, bounds, _ = text
    size = len(bounds) - 1
    if size == 0:
        return None
    width = int(bounds[1] - bounds[0])
    if int(bounds[-1] - bounds[0]) != size * width:
        return None
    uneven = _first_true(lambda rows: np.diff(bounds[rows.start : rows.stop + 1]) != width, size)
    if uneven is not None:
        return None
    return raw[int(bounds[0]) : int(bounds[-1])].reshape(size, width)


def _first_repeat(ids: pd.Series, arms: pd.Categorical) -> int | None:
    """The first row whose (posting id, arm) occurred in an earlier row, or None.

    Each row gets a 64-bit key (exact codes, or a hash of Arrow text computed from its bytes);
    sorting the keys shows whether any repeats, and only rows with a repeated key are compared
    exactly, so a table of unique ids costs one sort of integers.
    """
    text = _arrow_text(ids)
    if text is not None:
        key = _text_hashes(text)
    else:
        if isinstance(ids.dtype, pd.CategoricalDtype):
            codes = ids.cat.codes.to_numpy()
        else:
            codes, _ = pd.factorize(ids, use_na_sentinel=False)
        key = codes.astype(np.uint64)
    for start in range(0, len(key), _CHUNK):  # key * arms + arm, in blocks: no full temporaries
        block = key[start : start + _CHUNK]
        block *= np.uint64(len(arms.categories) + 1)
        block += arms.codes[start : start + _CHUNK].astype(np.uint64)
    ordered = np.sort(key)
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return None
    candidates = np.flatnonzero(np.isin(key, ordered[1:][same]))
    pairs = pd.DataFrame({"id": ids.iloc[candidates].to_numpy(), "arm": arms.codes[candidates]})
    repeated = np.flatnonzero(pairs.duplicated().to_numpy())
    return int(candidates[repeated[0]]) if repeated.size else None


_HASH_SEED = np.random.default_rng(20251201).integers(1, 2**63, size=2, dtype=np.uint64) | 1
"""Fixed odd multipliers for the text hash (a fixed seed: validation is deterministic)."""


def _text_hashes(text: tuple[npt.NDArray[np.uint8], npt.NDArray[Any], Any]) -> npt.NDArray[Any]:
    """A 64-bit hash of every cell of Arrow text, from its bytes (blank cells share one value).

    Byte ``j`` of a cell adds ``(byte + 1) * K**(j + 1)`` (when all cells have one length, 8-byte
    word ``j`` adds ``word * K**(j + 1)``), modulo 2**64, and the length is mixed in; equal text
    gives equal hashes, and the rare unequal text with equal hashes is told apart
    by the exact comparison of the caller.
    """
    raw, bounds, array = text
    size = len(bounds) - 1
    hashes = np.empty(size, dtype=np.uint64)
    fixed = _fixed_width(text)
    if fixed is not None:  # ids of one length (the usual case): whole 8-byte words at a time
        words = -(-fixed.shape[1] // 8)
        factors = np.cumprod(np.full(max(words, 1), _HASH_SEED[0], dtype=np.uint64))
        for start in range(0, size, _CHUNK):
            block = fixed[start : start + _CHUNK]
            padded = np.zeros((len(block), words * 8), dtype=np.uint8)
            padded[:, : fixed.shape[1]] = block
            hashes[start : start + len(block)] = (padded.view(np.uint64) * factors).sum(
                axis=1, dtype=np.uint64
            )
        hashes += np.full(1, fixed.shape[1], dtype=np.uint64) * _HASH_SEED[1]
    else:
        longest = int((bounds[1:] - bounds[:-1]).max())
        powers = np.cumprod(np.full(max(longest, 1), _HASH_SEED[0], dtype=np.uint64))
        for start in range(0, size, _CHUNK):
            stop = min(start + _CHUNK, size)
            begin, end = int(bounds[start]), int(bounds[stop])
            starts = (bounds[start:stop] - begin).astype(np.int64)
            lengths = (bounds[start + 1 : stop + 1] - bounds[start:stop]).astype(np.int64)
            within = np.arange(end - begin, dtype=np.int64) - np.repeat(starts, lengths)
            terms = (raw[begin:end].astype(np.uint64) + np.uint64(1)) * powers[within]
            sums = np.concatenate([np.zeros(1, np.uint64), np.cumsum(terms, dtype=np.uint64)])
            hashes[start:stop] = sums[starts + lengths] - sums[starts]
            hashes[start:stop] += lengths.astype(np.uint64) * _HASH_SEED[1]
    if array.null_count:
        hashes[np.asarray(array.is_null())] = np.uint64(0)
    return hashes


def _check_invariants(out: pd.DataFrame, where: _Where) -> None:
    for small, large in INVARIANTS:
        if small in out.columns and large in out.columns:
            a, b = out[small].to_numpy(), out[large].to_numpy()
            pos = _first_true(lambda rows: a[rows] > b[rows], len(a))  # noqa: B023
            if pos is not None:
                raise where.error(
                    f"{small} ({out[small].iloc[pos]:g}) exceeds {large} ({out[large].iloc[pos]:g})",
                    pos,
                    small,
                )


def _check_columns(
    out: pd.DataFrame, experiment: Experiment, granularity: Granularity, where: _Where
) -> None:
    for metric_id in experiment.metrics:
        if granularity == "arm_totals" and get_metric(metric_id).kind == "duration":
            continue
        for column in required_columns(metric_id, granularity):
            if column not in out.columns:
                headers = [str(c) for c in out.columns if c not in ("variant", "channel")]
                raise where.error(
                    f"the column is missing; metric {metric_id} needs it; "
                    + missing_column_hint(column, headers),
                    column=column,
                )


def posting_notes(
    table: pd.DataFrame, experiment: Experiment, row: Callable[[int], int]
) -> tuple[Note, ...]:
    """Notes on postings dated outside the period or after the export, or in two arms.

    ``row`` turns a 0-based position into the row number the user sees.
    """
    notes: list[Note] = []
    if "published" in table.columns:
        dates = table["published"]
        spec = experiment.data_source
        exported = spec.exported if spec and spec.exported else dt.date.today()
        start, end = experiment.start, experiment.end
        outside = pd.Series(False, index=table.index)
        if start is not None:
            outside |= dates < pd.Timestamp(start)
        if end is not None:
            outside |= dates > pd.Timestamp(end)
        if outside.any():
            params = _first_date(dates, outside, row)
            params.update(start=str(start or "…"), end=str(end or "…"))
            notes.append(Note("outside_period", params))
        late = dates > pd.Timestamp(exported)
        if late.any():
            notes.append(
                Note("after_export", {**_first_date(dates, late, row), "exported": str(exported)})
            )
    if experiment.unit == "posting" and "posting_id" in table.columns:
        shared = _ids_in_two_arms(table["posting_id"], table["arm"])
        if len(shared):
            notes.append(
                Note("posting_in_two_arms", {"count": len(shared), "posting": str(shared[0])})
            )
    return tuple(notes)


def _ids_in_two_arms(ids: pd.Series, arms: pd.Series) -> list[Any]:
    """The posting ids that appear in more than one arm (one pass over integer codes)."""
    codes, uniques = pd.factorize(ids)
    if len(uniques) == len(ids):  # every id once: the usual case
        return []
    arm_codes = arms.cat.codes.to_numpy().astype(np.int64)
    width = int(arm_codes.max()) + 1 if len(arm_codes) else 1
    pairs = np.unique(codes.astype(np.int64) * width + arm_codes)
    per_id = pairs[pairs >= 0] // width
    counts = np.bincount(per_id, minlength=len(uniques))
    return list(uniques[np.flatnonzero(counts > 1)])


def _first_date(dates: pd.Series, flagged: pd.Series, row: Callable[[int], int]) -> dict[str, Any]:
    pos = int(np.flatnonzero(flagged.to_numpy())[0])
    return {
        "count": int(flagged.sum()),
        "date": dates.iloc[pos].strftime("%Y-%m-%d"),
        "row": row(pos),
    }


def _check_arms_present(arms: pd.Categorical, experiment: Experiment, where: _Where) -> None:
    rows = np.bincount(arms.codes, minlength=len(arms.categories))
    missing = [arm for arm, n in zip(arms.categories, rows, strict=True) if n == 0]
    if missing:
        raise where.error(f"no rows for arm {missing[0]!r}", column="arm")
