"""Numbers, money, percentages and dates in the reader's language (see :mod:`rekrut._format`)."""

from __future__ import annotations

from rekrut._format import (
    fmt_date,
    fmt_dkk,
    fmt_number,
    fmt_p,
    fmt_percent,
    fmt_signed_percent,
)

__all__ = ["fmt_date", "fmt_dkk", "fmt_number", "fmt_p", "fmt_percent", "fmt_signed_percent"]
