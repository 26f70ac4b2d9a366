"""The metric catalogue: every metric rekrut knows, as data.

Each metric is a ratio of sums over the rows of a posting table, ``sum(numerator) /
sum(denominator)``, where the denominator ``"postings"`` counts rows. The analysis layer picks the
statistical method from ``kind`` and from how the data were collected, never from the metric id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rekrut.errors import UnknownNameError, unknown_name

__all__ = ["METRICS", "Metric", "MetricKind", "get_metric"]

MetricKind = Literal["count", "proportion", "ratio", "duration"]
Direction = Literal["higher", "lower"]


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric of the catalogue.

    Attributes
    ----------
    id
        Stable identifier used in experiment files and result tables.
    label_da, label_en
        Labels for Danish and English reports.
    numerator, denominator
        Posting-table columns summed over rows; ``"postings"`` in the denominator counts rows.
    kind
        ``count`` (events per posting, overdispersed), ``proportion`` (a share of the
        denominator), ``ratio`` (a cost divided by a count) or ``duration`` (days to an event,
        right-censored while a posting is open).
    direction
        Whether a higher or a lower value is better.
    unit_da, unit_en
        How a value is read out (``"kr."``/``"DKK"`` for costs, ``"%"`` for proportions).
    """

    id: str
    label_da: str
    label_en: str
    numerator: str
    denominator: str
    kind: MetricKind
    direction: Direction
    unit_da: str = ""
    unit_en: str = ""

    @property
    def per_posting(self) -> bool:
        """True when the denominator is the posting itself (one unit, one trial)."""
        return self.denominator == "postings"

    def label(self, lang: Literal["da", "en"]) -> str:
        """Return the label in ``lang``."""
        return self.label_da if lang == "da" else self.label_en


def _m(*args: str, unit_da: str = "", unit_en: str = "") -> Metric:
    mid, da, en, num, den, kind, direction = args
    return Metric(mid, da, en, num, den, kind, direction, unit_da, unit_en)  # type: ignore[arg-type]


_CATALOGUE: tuple[Metric, ...] = (
    _m(
        "applications_per_posting",
        "Ansøgere pr. opslag",
        "Applications per posting",
        "applications",
        "postings",
        "count",
        "higher",
    ),
    _m(
        "qualified_per_posting",
        "Kvalificerede ansøgere pr. opslag",
        "Qualified applicants per posting",
        "qualified",
        "postings",
        "count",
        "higher",
    ),
    _m(
        "click_through_rate",
        "Klikrate",
        "Click-through rate",
        "clicks",
        "impressions",
        "proportion",
        "higher",
        unit_da="%",
        unit_en="%",
    ),
    _m(
        "apply_rate",
        "Ansøgere pr. klik",
        "Apply rate",
        "applications",
        "clicks",
        "proportion",
        "higher",
        unit_da="%",
        unit_en="%",
    ),
    _m(
        "qualified_share",
        "Andel kvalificerede ansøgere",
        "Qualified share",
        "qualified",
        "applications",
        "proportion",
        "higher",
        unit_da="%",
        unit_en="%",
    ),
    _m(
        "fill_rate",
        "Besættelsesrate (1 − forgæves rekruttering)",
        "Fill rate (1 − failed recruitment)",
        "filled",
        "postings",
        "proportion",
        "higher",
        unit_da="%",
        unit_en="%",
    ),
    _m(
        "repost_rate",
        "Andel genopslag",
        "Repost rate",
        "reposted",
        "postings",
        "proportion",
        "lower",
        unit_da="%",
        unit_en="%",
    ),
    _m(
        "retention_12m",
        "Fastholdelse efter 12 måneder",
        "Retention after 12 months",
        "retained_12m",
        "hires",
        "proportion",
        "higher",
        unit_da="%",
        unit_en="%",
    ),
    _m(
        "cost_per_application",
        "Pris pr. ansøger",
        "Cost per application",
        "cost_dkk",
        "applications",
        "ratio",
        "lower",
        unit_da="kr.",
        unit_en="DKK",
    ),
    _m(
        "cost_per_qualified",
        "Pris pr. kvalificeret ansøger",
        "Cost per qualified applicant",
        "cost_dkk",
        "qualified",
        "ratio",
        "lower",
        unit_da="kr.",
        unit_en="DKK",
    ),
    _m(
        "cost_per_hire",
        "Pris pr. ansættelse",
        "Cost per hire",
        "cost_dkk",
        "hires",
        "ratio",
        "lower",
        unit_da="kr.",
        unit_en="DKK",
    ),
    _m(
        "cost_per_retained_hire",
        "Pris pr. fastholdt ansættelse",
        "Cost per retained hire",
        "cost_dkk",
        "retained_12m",
        "ratio",
        "lower",
        unit_da="kr.",
        unit_en="DKK",
    ),
    _m(
        "time_to_hire_days",
        "Dage til ansættelse",
        "Days to hire",
        "days_to_hire",
        "postings",
        "duration",
        "lower",
        unit_da="dage",
        unit_en="days",
    ),
)

METRICS: dict[str, Metric] = {metric.id: metric for metric in _CATALOGUE}
"""The catalogue by id, in display order."""


def get_metric(metric_id: str) -> Metric:
    """Return the metric ``metric_id``, or raise an ``UnknownNameError`` (a ``KeyError``) that
    suggests the closest id and lists the known ones.

    Examples
    --------
    >>> get_metric("cost_per_hire").direction
    'lower'
    """
    try:
        return METRICS[metric_id]
    except KeyError:
        raise UnknownNameError(unknown_name("metric", metric_id, list(METRICS))) from None
