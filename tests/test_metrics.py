"""The metric catalogue covers design.md's table with both languages and a direction."""

from __future__ import annotations

import pytest

import rekrut as rk

DESIGN_TABLE = {
    "applications_per_posting": ("applications", "postings", "count"),
    "qualified_per_posting": ("qualified", "postings", "count"),
    "click_through_rate": ("clicks", "impressions", "proportion"),
    "apply_rate": ("applications", "clicks", "proportion"),
    "qualified_share": ("qualified", "applications", "proportion"),
    "fill_rate": ("filled", "postings", "proportion"),
    "repost_rate": ("reposted", "postings", "proportion"),
    "retention_12m": ("retained_12m", "hires", "proportion"),
    "cost_per_application": ("cost_dkk", "applications", "ratio"),
    "cost_per_qualified": ("cost_dkk", "qualified", "ratio"),
    "cost_per_hire": ("cost_dkk", "hires", "ratio"),
    "cost_per_retained_hire": ("cost_dkk", "retained_12m", "ratio"),
    "time_to_hire_days": ("days_to_hire", "postings", "duration"),
}


def test_catalogue_matches_the_design() -> None:
    assert set(rk.METRICS) == set(DESIGN_TABLE)
    for metric_id, (num, den, kind) in DESIGN_TABLE.items():
        metric = rk.get_metric(metric_id)
        assert (metric.numerator, metric.denominator, metric.kind) == (num, den, kind)
        assert metric.label_da
        assert metric.label_en != metric.label_da


def test_costs_and_reposts_are_lower_is_better() -> None:
    lower = {m.id for m in rk.METRICS.values() if m.direction == "lower"}
    assert lower == {
        "cost_per_application",
        "cost_per_qualified",
        "cost_per_hire",
        "cost_per_retained_hire",
        "repost_rate",
        "time_to_hire_days",
    }


def test_unknown_metric_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="Known: applications_per_posting"):
        rk.get_metric("applicants")
