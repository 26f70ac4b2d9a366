"""Numbers, money, percentages and dates in the reader's language.

Kept below the analysis layer so that results print their headline in the same words as reports.
"""

from __future__ import annotations

import datetime as dt
import math

from rekrut.notes import Lang

__all__ = ["fmt_date", "fmt_dkk", "fmt_number", "fmt_p", "fmt_percent", "fmt_signed_percent"]

_MONTHS = {
    "da": [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def fmt_number(value: float | None, lang: Lang, decimals: int = 1) -> str:
    """``1234.5`` as ``1.234,5`` (Danish) or ``1,234.5`` (English); '–' when missing.

    >>> fmt_number(1234.5, "da"), fmt_number(1234.5, "en"), fmt_number(float("nan"), "da")
    ('1.234,5', '1,234.5', '–')
    """
    if value is None or not math.isfinite(value):
        if value is not None and math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text.replace("-", "−")


def fmt_dkk(value: float | None, lang: Lang, decimals: int = 0) -> str:
    """``1.234 kr.`` (Danish) or ``DKK 1,234`` (English).

    >>> fmt_dkk(1234.5, "da", 1), fmt_dkk(1234.5, "en", 1)
    ('1.234,5 kr.', 'DKK 1,234.5')
    """
    number = fmt_number(value, lang, decimals)
    if number == "–":
        return number
    return f"{number} kr." if lang == "da" else f"DKK {number}"


def fmt_percent(value: float | None, lang: Lang, decimals: int = 1) -> str:
    """A share as a percentage: ``12,3 %`` / ``12.3 %``.

    >>> fmt_percent(0.1234, "da"), fmt_percent(0.1234, "en")
    ('12,3 %', '12.3 %')
    """
    if value is None or not math.isfinite(value):
        return fmt_number(value if value is None else value * 100, lang, decimals)
    return f"{fmt_number(value * 100, lang, decimals)} %"


def fmt_signed_percent(value: float | None, lang: Lang, decimals: int = 0) -> str:
    """A relative change with its sign: ``+40 %``, ``−12 %``.

    >>> fmt_signed_percent(0.4, "da"), fmt_signed_percent(-0.123, "en", 1)
    ('+40 %', '−12.3 %')
    """
    text = fmt_percent(value, lang, decimals)
    if value is not None and math.isfinite(value) and value > 0:
        return "+" + text
    return text


def fmt_date(value: dt.date | None, lang: Lang) -> str:
    """``5. januar 2026`` / ``5 January 2026``.

    >>> fmt_date(dt.date(2026, 1, 5), "da"), fmt_date(dt.date(2026, 1, 5), "en")
    ('5. januar 2026', '5 January 2026')
    """
    if value is None:
        return "–"
    month = _MONTHS[lang][value.month - 1]
    return (
        f"{value.day}. {month} {value.year}"
        if lang == "da"
        else f"{value.day} {month} {value.year}"
    )


def fmt_p(value: float | None, lang: Lang) -> str:
    """A p-value with three decimals, and ``< 0,001`` below that instead of a false zero.

    >>> fmt_p(0.0312, "da"), fmt_p(0.00002, "da"), fmt_p(0.00002, "en"), fmt_p(1.0, "en")
    ('0,031', '< 0,001', '< 0.001', '1.000')
    """
    if value is not None and math.isfinite(value) and value < 0.0005:
        return f"< {fmt_number(0.001, lang, 3)}"
    return fmt_number(value, lang, 3)
