"""Reading and writing files: every file rekrut opens is opened here (jinja2 loads the report
templates itself).

Writes are atomic: the content goes to a temporary file in the target folder, which is renamed
over the target only when it is complete, so a failed run never leaves a half-written file.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rekrut.errors import DataError, OutputError

__all__ = [
    "read_resource_table",
    "read_table",
    "read_text",
    "scan_parquet",
    "to_pandas",
    "write_bytes_atomic",
    "write_text_atomic",
]

_NA_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]


def read_table(
    path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None
) -> pd.DataFrame:
    r"""Read a posting or KPI table: CSV, TSV, Excel (``.xlsx``, ``.xls``), OpenDocument
    (``.ods``) or Parquet.

    CSV files may be UTF-8 (with or without a byte-order mark), UTF-16 (with a byte-order mark,
    as Excel's "Unicode-tekst" writes it) or, when they are not valid UTF-8, Windows-1252 (Excel's
    "CSV (semikolonsepareret)" on a Danish Windows). The separator (comma, semicolon or tab) is
    the one the header line uses; a header that could be split more than one way is an error.
    Cells are read as text, so that validation can name the exact row and column of a bad value
    and read Danish numbers and dates column by column; blank cells and ``NA`` are missing
    values.

    Spreadsheets are read with python-calamine (the ``excel`` extra): the first sheet unless
    ``sheet`` names one (by name, or by 0-based position); numeric cells stay numbers and date
    cells dates; text cells stay text.

    In every format, empty rows and columns at the end (Excel often keeps them) are dropped, and a
    header that appears twice, or a column with values but no header, is an error.

    Raises
    ------
    DataError
        If the file is missing, empty or cannot be parsed; the message names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = file.write_bytes("Kanal;Antal ansøgere\nJobnet;1.000\n;\n".encode("cp1252"))
    >>> read_table(file).to_dict("records")
    [{'Kanal': 'Jobnet', 'Antal ansøgere': '1.000'}]
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=str(path))
    try:
        kind = _file_kind(path)
        if kind == "parquet":
            return pd.read_parquet(path)
        if kind == "workbook":
            return _read_workbook(path, sheet)
        if sheet is not None:
            raise DataError("'sheet' applies to Excel and OpenDocument files only", file=str(path))
        return _read_csv(path, encoding)
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty", file=str(path)) from None
    except (pd.errors.ParserError, UnicodeError, ValueError, OSError) as exc:
        if isinstance(exc, DataError):
            raise
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read the table ({detail})", file=str(path)) from None


_WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})


def _file_kind(path: Path) -> str:
    """``"parquet"``, ``"workbook"`` or ``"text"``, by suffix and by the file's first bytes.

    A spreadsheet saved under a ``.csv`` name is still read as a spreadsheet: Excel and
    OpenDocument files are zip archives (or, for old ``.xls``, OLE2 files) and say so in their
    first bytes.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    with path.open("rb") as handle:
        magic = handle.read(8)
    if suffix in _WORKBOOK_SUFFIXES or magic.startswith((b"PK\x03\x04", _OLE2_MAGIC)):
        return "workbook"
    return "text"


_OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


def _read_workbook(path: Path, sheet: str | int | None) -> pd.DataFrame:
    try:
        import python_calamine
    except ImportError:
        raise DataError(
            "reading Excel and OpenDocument files needs python-calamine: "
            "pip install 'rekrut[excel]'",
            file=str(path),
        ) from None
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
        if sheet is None:
            chosen = workbook.get_sheet_by_index(0)
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                msg = f"there is no sheet number {sheet} (counting from 0); sheets: {names}"
                raise DataError(msg, file=str(path))
            chosen = workbook.get_sheet_by_index(sheet)
        elif sheet not in names:
            raise DataError(f"there is no sheet {sheet!r}; sheets: {names}", file=str(path))
        else:
            chosen = workbook.get_sheet_by_name(sheet)
        rows = chosen.to_python(skip_empty_area=False)
    except DataError:
        raise
    except Exception as exc:  # calamine raises its own types for damaged or protected files
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read the spreadsheet ({detail})", file=str(path)) from None
    cells = [[None if _blank(cell) else cell for cell in row] for row in rows]
    frame = pd.DataFrame(cells, dtype=object) if cells else pd.DataFrame()
    return _with_header(frame, path).infer_objects()


def _read_csv(path: Path, encoding: str | None) -> pd.DataFrame:
    text = _decoded(path, encoding)
    sep = "\t" if path.suffix.lower() == ".tsv" else _separator(text, path)
    raw = pd.read_csv(
        io.StringIO(text),
        sep=sep,
        header=None,
        dtype=str,
        keep_default_na=False,
        na_values=_NA_VALUES,
        skip_blank_lines=True,
    )
    return _with_header(raw, path)


def _decoded(path: Path, encoding: str | None) -> str:
    """The file's text: a declared encoding, else by byte-order mark, else UTF-8, else cp1252."""
    data = path.read_bytes()
    if encoding is not None:
        return data.decode(encoding)
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise DataError(
            "the file looks like UTF-16 without a byte-order mark; save it as UTF-8 "
            "(CSV UTF-8 in Excel)",
            file=str(path),
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"the file is neither UTF-8 nor Windows-1252 text (byte {exc.start + 1}); "
            "save it as CSV UTF-8",
            file=str(path),
        ) from None


_SEPARATORS = (";", "\t", ",")


def _separator(text: str, path: Path) -> str:
    """The separator the header line uses: the one of ``;``, tab and ``,`` it holds most of.

    A header with as many of two kinds (``a;b,c``) cannot be split safely and is an error.
    """
    header = next((line for line in io.StringIO(text) if line.strip()), "")
    counts = {sep: _unquoted_count(header, sep) for sep in _SEPARATORS}
    best = max(counts.values())
    if best == 0:
        return ","
    tied = [sep for sep, count in counts.items() if count == best]
    if len(tied) > 1:
        shown = " and ".join(repr(sep) for sep in tied)
        raise DataError(
            f"the header line holds as many {shown} separators; cannot tell which separates "
            "the columns (save the file with one separator)",
            file=str(path),
            row=1,
        )
    return tied[0]


def _unquoted_count(line: str, sep: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            count += 1
    return count


def _with_header(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A table from a frame of cells whose first row is the header.

    Trailing empty rows and columns are dropped; a repeated header, or a column with values but
    no header, is an error naming the file and the column. Works on whole columns, so a large
    CSV costs a few passes over it.
    """
    filled = raw.notna().to_numpy()
    rows = np.flatnonzero(filled.any(axis=1)) if raw.shape[1] else np.zeros(0, int)
    if rows.size == 0:
        raise DataError("the file is empty", file=str(path))
    used = np.flatnonzero(filled.any(axis=0))
    cells = raw.iloc[: rows[-1] + 1, : used[-1] + 1]
    header = [_header_text(cell) for cell in cells.iloc[0]]
    for i, name in enumerate(header):
        if not name:
            raise DataError(
                f"column {_column_letter(i)} has values but no header; give it a name or delete it",
                file=str(path),
                row=1,
            )
        if name in header[:i]:
            first = _column_letter(header.index(name))
            raise DataError(
                f"two columns have this header ({first} and {_column_letter(i)}); rename or "
                "remove one of them",
                file=str(path),
                row=1,
                column=name,
            )
    body = cells.iloc[1:].reset_index(drop=True)
    body.columns = pd.Index(header)
    return body


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _header_text(cell: Any) -> str:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column position (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_text(path: str | Path) -> str:
    """The text of a UTF-8 file (an experiment file, a template); a byte-order mark is dropped.

    Examples
    --------
    >>> from rekrut.cli import demo_experiment_path
    >>> read_text(demo_experiment_path()).lstrip().startswith(("#", "id", "["))
    True
    """
    return Path(path).read_text(encoding="utf-8-sig")


def read_resource_table(name: str, dtype: dict[str, Any]) -> pd.DataFrame:
    """A CSV table shipped with the package (``rekrut/_resources``); ``#`` starts a comment.

    Examples
    --------
    >>> len(read_resource_table("kommuner.csv", {"kommunekode": str}))
    98
    """
    from importlib import resources

    path = resources.files("rekrut") / "_resources" / name
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#", dtype=dtype)


def scan_parquet(path: str | Path) -> Any:
    """A Parquet file as a DuckDB relation (read lazily, in DuckDB), or None without DuckDB.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> pd.DataFrame({"arm": ["A"], "applications": [3]}).to_parquet(file)
    >>> scan_parquet(file).columns
    ['arm', 'applications']
    """
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is an optional extra
        return None
    return duckdb.read_parquet(str(path))


def _new_file_mode(path: Path) -> int:
    """The mode a new file gets (0666 less the umask), or the existing file's mode."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    The folder must exist (a missing one is an error, never created). The bytes go to a
    hidden temporary file beside ``path``, are flushed to disk (``fsync``)
    and then renamed over ``path`` in one step, so a reader sees the old file or the whole new
    one, and a crash after the rename cannot leave an empty file. The temporary file is removed
    on any failure or interruption that Python sees (an exception, Ctrl-C, and SIGTERM in the
    ``rekrut`` command); only a hard kill can leave it behind.

    Raises
    ------
    OutputError
        When the file cannot be written, naming it and the reason.
    """
    path = Path(path)
    try:
        return _write_atomic(path, data)
    except OSError as exc:
        raise OutputError(f"cannot write the file: {_why(path, exc)}", file=str(path)) from None


def _why(path: Path, exc: OSError) -> str:
    """The reason a write failed, in the user's terms."""
    if path.is_dir():
        return "a folder has this name; give a file name"
    blocking = _file_in_the_way(path)
    if blocking is not None:
        return f"{blocking} is a file, not a folder"
    return exc.strerror or type(exc).__name__


def _file_in_the_way(path: Path) -> Path | None:
    """The first of the path's folders that is a file, if any."""
    return next((p for p in path.parents if p.exists() and not p.is_dir()), None)


def _write_atomic(path: Path, data: bytes) -> Path:
    # a missing folder is the user's to create: never make folders on their behalf (a file in
    # the way is reported by the failed write below)
    if not path.parent.is_dir() and _file_in_the_way(path) is None:
        raise OutputError(
            f"the folder {str(path.parent)!r} does not exist; create it first", file=str(path)
        )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file private (0600); give it the permissions of a plain new file
        os.chmod(tmp, _new_file_mode(path))
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise
    _sync_folder(path.parent)
    return path


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry of the renamed file (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open a folder
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def to_pandas(table: Any, what: str = "table") -> pd.DataFrame:
    """A small table from pandas or any engine narwhals reads (polars, pyarrow, DuckDB, …).

    For tables that are small by nature (KPIs, channel histories); posting tables stay in their
    engine instead (see :func:`rekrut.summarize`).

    Examples
    --------
    >>> to_pandas({"a": [1]})
    Traceback (most recent call last):
    ...
    rekrut.errors.DataError: cannot read a dict as a table
    """
    if isinstance(table, pd.DataFrame):
        return table
    import narwhals as nw

    try:
        frame = nw.from_native(table)
    except TypeError:
        raise DataError(f"cannot read a {type(table).__name__} as a {what}") from None
    lazy = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
    collected: pd.DataFrame = lazy.collect().to_pandas()
    return collected
