"""Validation of posting tables and their aggregation to sufficient statistics."""

from rekrut.data._postings import COUNT_COLUMNS, PostingData, required_columns, validate_postings
from rekrut.data._summary import SUFFICIENT_COLUMNS, Summary, load_postings, summarize

__all__ = [
    "COUNT_COLUMNS",
    "SUFFICIENT_COLUMNS",
    "PostingData",
    "Summary",
    "load_postings",
    "required_columns",
    "summarize",
    "validate_postings",
]
