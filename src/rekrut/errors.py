"""Errors raised for bad input.

Every error about a user's file or table says *where*: the file, the row (1-based, as a
spreadsheet shows it, counting the header as row 1) and the column, so that the CLI can print one
clear line and exit with code 2.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "DataError",
    "ExperimentError",
    "InputError",
    "OutputError",
    "RekrutWarning",
    "UnknownNameError",
    "unknown_name",
]


class RekrutWarning(UserWarning):
    """A result is valid but carries a caveat the reader should see (e.g. overdispersion unknown)."""


class InputError(ValueError):
    """Bad input: a file, a table or an argument that rekrut cannot use.

    Parameters
    ----------
    message
        What is wrong, in plain words.
    file
        The file the input came from, if any.
    row
        The 1-based row number as a spreadsheet shows it (header = row 1), if known.
    column
        The column (or experiment-file key) at fault, if known.

    Examples
    --------
    >>> str(InputError("must not be negative", file="postings.csv", row=7, column="hires"))
    'postings.csv, row 7, column hires: must not be negative'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = [part for part in self.location_parts() if part]
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def location_parts(self) -> list[str]:
        """Return the non-empty parts of the location (file, row, column) as text."""
        return [
            self.file or "",
            f"row {self.row}" if self.row is not None else "",
            f"column {self.column}" if self.column else "",
        ]


class ExperimentError(InputError):
    """The experiment definition (TOML file or dict) is invalid; ``column`` holds the key."""

    def location_parts(self) -> list[str]:
        """Return the file and the key at fault."""
        return [self.file or "", f"key {self.column}" if self.column else ""]


class DataError(InputError):
    """A posting, KPI or reference table breaks its data contract."""


class UnknownNameError(InputError, KeyError):
    """A name (metric, job category …) that is not among the known ones.

    Also a ``KeyError``, as a failed look-up always was.
    """

    def __str__(self) -> str:
        return self._render()


def unknown_name(kind: str, value: object, known: Sequence[str]) -> str:
    """``unknown metric 'fillrate'; did you mean 'fill_rate'? Known: …`` for a name not known.

    Examples
    --------
    >>> unknown_name("job category", "sygeplejersker", ["sygeplejerske", "laerer"])
    "unknown job category 'sygeplejersker'; did you mean 'sygeplejerske'? Known: sygeplejerske, laerer"
    """
    import difflib

    close = difflib.get_close_matches(str(value), [str(k) for k in known], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    return f"unknown {kind} {value!r}{hint} Known: {', '.join(str(k) for k in known)}"


class OutputError(InputError):
    """An output file cannot be written (read-only file system, a folder in the way, ...).

    Examples
    --------
    >>> str(OutputError("cannot write here: Read-only file system", file="/rapport.html"))
    '/rapport.html: cannot write here: Read-only file system'
    """
