"""Reading, validation and aggregation of posting tables to arrays shaped groups x arms."""

from rekrut.data._aggregate import Moments
from rekrut.data._looks import cumulative_looks, cumulative_summary
from rekrut.data._postings import COUNT_COLUMNS, PostingData, required_columns, validate_postings
from rekrut.data._summary import (
    SUFFICIENT_COLUMNS,
    Summary,
    load_postings,
    summarize,
    summarize_postings,
)
from rekrut.data._units import UnitColumns, collect_columns, unit_columns

__all__ = [
    "COUNT_COLUMNS",
    "SUFFICIENT_COLUMNS",
    "Moments",
    "PostingData",
    "Summary",
    "UnitColumns",
    "collect_columns",
    "cumulative_looks",
    "cumulative_summary",
    "load_postings",
    "required_columns",
    "summarize",
    "summarize_postings",
    "unit_columns",
    "validate_postings",
]
