"""The file's headers and rekrut's column names: mapping, synonyms and the closest match.

A posting file from an applicant-tracking system or a spreadsheet has its own headers
("Kanal", "Antal ansøgere"); the experiment file's ``[data.columns]`` maps rekrut's names to
them. This module applies that mapping, proposes one from Danish and English synonyms
(``rekrut init``), and names the closest header when a column is missing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["SYNONYMS", "closest_header", "missing_column_hint", "propose_mapping", "renamed"]

SYNONYMS: dict[str, tuple[str, ...]] = {
    "posting_id": (
        "opslag id", "opslagsid", "opslagsnummer", "opslag nr", "stillingsid", "stilling id",
        "sagsnummer", "job id", "jobid", "id", "posting", "ad id",
    ),
    "arm": ("gruppe", "forsøgsgruppe", "testgruppe", "arm", "group", "treatment"),
    "variant": ("variant", "annoncevariant", "tekstvariant", "ordlyd", "ad variant", "version"),
    "channel": ("kanal", "medie", "jobportal", "portal", "source", "channel", "medium"),
    "job_category": (
        "stillingskategori", "stillingstype", "faggruppe", "jobkategori", "kategori",
        "stillingsbetegnelse", "job category", "category", "occupation",
    ),
    "published": (
        "opslagsdato", "publiceret", "publiceringsdato", "dato", "oprettet", "slået op",
        "published", "date", "publication date", "posted",
    ),
    "postings": ("antal opslag", "opslag", "postings", "number of postings"),
    "impressions": ("visninger", "eksponeringer", "impressions", "views"),
    "clicks": ("klik", "antal klik", "clicks"),
    "applications": (
        "antal ansøgere", "ansøgere", "antal ansøgninger", "ansøgninger", "applicants",
        "applications", "number of applicants",
    ),
    "qualified": (
        "kvalificerede", "antal kvalificerede", "kvalificerede ansøgere", "qualified",
        "qualified applicants",
    ),
    "interviews": ("samtaler", "antal samtaler", "jobsamtaler", "interviews"),
    "hires": ("ansatte", "ansættelser", "antal ansatte", "ansat", "hires", "hired"),
    "retained_12m": (
        "fastholdt 12 mdr", "fastholdt", "stadig ansat efter 12 mdr", "ansat efter 12 måneder",
        "retained", "retained 12m",
    ),
    "cost_dkk": (
        "pris", "pris kr", "pris (kr.)", "omkostning", "omkostninger", "udgift", "udgift kr",
        "kr", "beløb", "annonceudgift", "cost", "cost dkk", "price",
    ),
    "days_to_hire": (
        "dage til ansættelse", "dage til ansat", "ansættelsestid", "days to hire",
        "time to hire",
    ),
    "days_open": ("dage åben", "dage åbent", "days open"),
    "reposted": ("genopslag", "genopslået", "reposted", "repost"),
}  # fmt: skip
"""Danish and English headers that name each of rekrut's columns (compared in lower case)."""

_STANDS_FOR = {"arm": ("channel", "variant")}
"""Columns that may hold another's values: in a channel test the channel is the arm."""

_PUNCTUATION = re.compile(r"[\s_\-./():]+")


def _key(header: str) -> str:
    return _PUNCTUATION.sub(" ", header.lower()).strip()


def renamed(headers: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """The renames (file header -> rekrut name) that ``mapping`` (rekrut name -> header) makes.

    A mapped header the table lacks is left out; the caller reports the missing column.

    Examples
    --------
    >>> renamed(["Kanal", "Antal"], {"arm": "Kanal", "applications": "Antal", "hires": "Ansat"})
    {'Kanal': 'arm', 'Antal': 'applications'}
    """
    present = set(headers)
    return {header: name for name, header in mapping.items() if header in present}


def closest_header(name: str, headers: Iterable[str]) -> str | None:
    """The header that most likely holds rekrut's column ``name``: a synonym, else a near spelling.

    Examples
    --------
    >>> closest_header("applications", ["Kanal", "Antal ansøgere", "Dato"])
    'Antal ansøgere'
    >>> closest_header("hires", ["hire", "cost"])
    'hire'
    """
    headers = list(headers)
    related = (name, *_STANDS_FOR.get(name, ()))
    synonyms = {_key(s) for r in related for s in SYNONYMS.get(r, ())} | {_key(name)}
    for header in headers:
        if _key(header) in synonyms:
            return header
    keys = {_key(h): h for h in headers}
    close = difflib.get_close_matches(_key(name), list(keys), n=1, cutoff=0.6)
    if not close:
        candidates = [s for s in synonyms if s]
        for synonym in candidates:
            close = difflib.get_close_matches(synonym, list(keys), n=1, cutoff=0.85)
            if close:
                break
    return keys[close[0]] if close else None


def missing_column_hint(name: str, headers: Sequence[str]) -> str:
    """The tail of a missing-column error: the headers found and the closest match.

    Examples
    --------
    >>> missing_column_hint("arm", ["Kanal", "Antal ansøgere"])
    "headers found: 'Kanal', 'Antal ansøgere'; if 'Kanal' holds it, map it in the experiment file: [data.columns] arm = 'Kanal'"
    """
    found = ", ".join(repr(h) for h in headers[:30]) + (", …" if len(headers) > 30 else "")
    hint = f"headers found: {found}"
    closest = closest_header(name, headers)
    if closest is not None:
        hint += (
            f"; if {closest!r} holds it, map it in the experiment file: "
            f"[data.columns] {name} = {closest!r}"
        )
    return hint


def propose_mapping(headers: Sequence[str]) -> dict[str, str]:
    """rekrut's column names and the headers that hold them, by exact name or synonym.

    Each header serves at most one column, and a header that is already a rekrut name keeps it.

    Examples
    --------
    >>> propose_mapping(["Kanal", "Antal ansøgere", "Opslagsdato", "hires", "Noter"])
    {'channel': 'Kanal', 'published': 'Opslagsdato', 'applications': 'Antal ansøgere', 'hires': 'hires'}
    """
    by_key = {_key(h): h for h in headers}
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for name, synonyms in SYNONYMS.items():
        for candidate in (name, *synonyms):
            header = by_key.get(_key(candidate))
            if header is not None and header not in used:
                mapping[name] = header
                used.add(header)
                break
    return mapping
