"""Names of rekrut 0.1 still work for one release: each warns and gives the new name's result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from rekrut import stats


def _same(old: Any, new: Any) -> None:
    assert type(old) is type(new)
    if isinstance(old, np.ndarray):
        np.testing.assert_array_equal(old, new)
    else:
        assert old.to_dict() == new.to_dict()


RENAMED: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = [
    ("adjust_pvalues", "correct_pvalues", ([0.01, 0.04, 0.03],), {"method": "bh"}),
    ("compare_beta_binomial", "bayes_compare_proportions", (30, 100, 45, 100), {}),
    ("compare_gamma_poisson", "bayes_compare_poisson_totals", (240, 30, 300, 30), {}),
    ("compare_counts_overdispersed", "bayes_compare_counts", (20, 160, 2400, 20, 220, 4000), {}),
    (
        "compare_cost_per_outcome",
        "bayes_compare_cost_per_outcome",
        (60_000, 20, 12, 40_000, 20, 14),
        {},
    ),
    ("prob_best_beta", "bayes_prob_best_proportions", ([30, 45, 20], [100, 100, 100]), {"rng": 1}),
    ("prob_best_gamma", "posterior_prob_best_gamma", ([[20.0, 40.0]], [[10.0, 10.0]]), {}),
]


@pytest.mark.parametrize(("old", "new", "args", "kwargs"), RENAMED, ids=[r[0] for r in RENAMED])
def test_old_name_warns_and_matches_the_new_name(
    old: str, new: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated.*use rekrut.stats.{new}"):
        got = getattr(stats, old)(*args, **kwargs)
    _same(got, getattr(stats, new)(*args, **kwargs))
    assert old not in stats.__all__
    assert new in stats.__all__


KEYWORDS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "bayes_compare_proportions",
        {"successes_c": 30, "trials_c": 100, "successes_t": 45, "trials_t": 100},
        {"successes_control": 30, "trials_control": 100, "successes_treatment": 45,
         "trials_treatment": 100},
    ),
    (
        "bayes_compare_poisson_totals",
        {"count_c": 240, "exposure_c": 30, "count_t": 300, "exposure_t": 30},
        {"counts_control": 240, "exposure_control": 30, "counts_treatment": 300,
         "exposure_treatment": 30},
    ),
    (
        "compare_poisson_totals",
        {"count_c": 30, "exposure_c": 54308.7, "count_t": 60, "exposure_t": 51477.5},
        {"counts_control": 30, "exposure_control": 54308.7, "counts_treatment": 60,
         "exposure_treatment": 51477.5},
    ),
    (
        "bayes_compare_counts",
        {"n_c": 20, "sum_c": 160, "sumsq_c": 2400, "n_t": 20, "sum_t": 220, "sumsq_t": 4000},
        {"n_control": 20, "sum_control": 160, "sumsq_control": 2400, "n_treatment": 20,
         "sum_treatment": 220, "sumsq_treatment": 4000},
    ),
    (
        "dispersion_factor",
        {"n_c": 4, "sum_c": 20.0, "sumsq_c": 180.0, "n_t": 4, "sum_t": 28.0, "sumsq_t": 300.0},
        {"n_control": 4, "sum_control": 20.0, "sumsq_control": 180.0, "n_treatment": 4,
         "sum_treatment": 28.0, "sumsq_treatment": 300.0},
    ),
    (
        "bayes_compare_cost_per_outcome",
        {"cost_c": 60_000, "n_c": 20, "outcomes_c": 12, "cost_t": 40_000, "n_t": 20,
         "outcomes_t": 14},
        {"cost_control": 60_000, "n_control": 20, "outcomes_control": 12,
         "cost_treatment": 40_000, "n_treatment": 20, "outcomes_treatment": 14},
    ),
    (
        "bootstrap_ratios",
        {"x_c": [1.0, 2, 3], "y_c": [1.0, 1, 2], "x_t": [2.0, 2, 5], "y_t": [1.0, 2, 2], "rng": 3},
        {"x_control": [1.0, 2, 3], "y_control": [1.0, 1, 2], "x_treatment": [2.0, 2, 5],
         "y_treatment": [1.0, 2, 2], "rng": 3},
    ),
    (
        "compare_time_to_event",
        {"time_c": [30, 45, 60], "event_c": [1, 1, 0], "time_t": [15, 25, 40],
         "event_t": [1, 1, 1], "rng": 1},
        {"time_control": [30, 45, 60], "event_control": [1, 1, 0], "time_treatment": [15, 25, 40],
         "event_treatment": [1, 1, 1], "rng": 1},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "old", "new"), KEYWORDS, ids=[k[0] for k in KEYWORDS])
def test_old_keywords_warn_and_match_the_new_keywords(
    name: str, old: dict[str, Any], new: dict[str, Any]
) -> None:
    func: Callable[..., Any] = getattr(stats, name)
    with pytest.warns(DeprecationWarning, match="keyword '.*_[ct]' is deprecated"):
        got = func(**old)
    _same(got, func(**new))


def test_old_and_new_keyword_together_is_an_error() -> None:
    with pytest.raises(TypeError, match="both 'count_c'"):
        stats.compare_poisson_totals(30, 54308.7, 60, count_c=30, counts_control=30)


UNPACKED: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
    ("wilson_interval", lambda: stats.wilson_interval(3, 10), ("ci_low", "ci_high")),
    (
        "confidence_sequence",
        lambda: stats.confidence_sequence([0.5, 0.3], [0.09, 0.04]),
        ("ci_low", "ci_high"),
    ),
    (
        "clustered_effective_counts",
        lambda: stats.clustered_effective_counts(4, 20.0, 40.0, 200.0, 400.0, 200.0),
        ("successes", "trials", "design_effect"),
    ),
]


@pytest.mark.parametrize(("name", "call", "fields"), UNPACKED, ids=[u[0] for u in UNPACKED])
def test_results_that_were_tuples_still_unpack_with_a_warning(
    name: str, call: Callable[[], Any], fields: tuple[str, ...]
) -> None:
    res = call()
    with pytest.warns(DeprecationWarning, match=f"{name} returned a tuple"):
        values = tuple(res)
    assert len(values) == len(fields)
    for value, field in zip(values, fields, strict=True):
        np.testing.assert_array_equal(value, getattr(res, field))
    assert set(res.to_dict()) == set(fields)
