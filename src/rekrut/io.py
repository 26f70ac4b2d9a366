"""Reading and writing files: every file rekrut opens is opened here (jinja2 loads the report
templates itself).

Writes are atomic: the content goes to a temporary file in the target folder, which is renamed
over the target only when it is complete, so a failed run never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

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


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (comma or semicolon separated), TSV or Parquet file.

    CSV cells are read as text so that validation can name the exact row and column of a bad
    value; blank cells and ``NA`` are missing values.

    Raises
    ------
    DataError
        If the file is missing, empty or cannot be parsed.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        sep = "\t" if suffix == ".tsv" else _sniff_separator(path)
        return pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=_NA_VALUES,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty", file=str(path)) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read the table ({detail})", file=str(path)) from None


def read_text(path: str | Path) -> str:
    """The text of a UTF-8 file (an experiment file, a template).

    Examples
    --------
    >>> from rekrut.cli import demo_experiment_path
    >>> read_text(demo_experiment_path()).lstrip().startswith(("#", "id", "["))
    True
    """
    return Path(path).read_text(encoding="utf-8")


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


def _sniff_separator(path: Path) -> str:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    return ";" if header.count(";") > header.count(",") else ","


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

    The bytes go to a hidden temporary file beside ``path``, are flushed to disk (``fsync``)
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
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        return f"{blocking} is a file, not a folder"
    return exc.strerror or type(exc).__name__


def _write_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
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
