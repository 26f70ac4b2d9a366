"""Workload (f) of benchmarks/README.md: ``rk.words`` on 100,000 postings and about 20,000
candidate terms, and the parts of it (tokenising, the statistics)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut import stats
from rekrut._terms import term_matrix

POSTINGS = 100_000


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    """100,000 synthetic Danish ads: a job title, five everyday phrases, the planted phrases
    and 30 words of a 6,000-word made-up vocabulary each (about 20,000 terms pass 20 postings)."""
    return rk.simulate_ad_history(POSTINGS, filler_words=6000, filler_per_ad=30, rng=1)


def test_f_words_end_to_end(benchmark: Any, history: pd.DataFrame, measured: list[str]) -> None:
    res = benchmark.pedantic(
        rk.words,
        args=(history,),
        kwargs={"text": "ad_text", "controls": ["job_category", "month"]},
        rounds=3,
        iterations=1,
    )
    start = time.process_time()
    rk.words(history, text="ad_text", controls=["job_category", "month"])
    cpu = time.process_time() - start
    measured.append(
        f"(f) rk.words: {res.postings:,} postings, {res.candidates:,} candidate terms, "
        f"{len(res.table)} in the joint model; one more call took {cpu:.1f} s of CPU time"
    )
    assert res.postings == POSTINGS
    assert res.candidates > 15_000
    assert set(res.table["term"].head(4)) == {
        "fleksible arbejdstider", "mulighed fuldtid", "hjemmearbejde", "weekendvagter"
    }  # fmt: skip


def test_f_words_tokenising(benchmark: Any, history: pd.DataFrame) -> None:
    texts = history["ad_text"].tolist()
    matrix = benchmark.pedantic(term_matrix, args=(texts,), rounds=3, iterations=1)
    assert matrix.matrix.shape[0] == POSTINGS


def test_f_words_score_tests(benchmark: Any, history: pd.DataFrame) -> None:
    """The screening step alone: one robust score test per candidate term."""
    matrix = term_matrix(history["ad_text"].tolist())
    y = history["applications"].to_numpy(dtype=float)
    dense = np.column_stack(
        [np.ones(POSTINGS), pd.get_dummies(history["job_category"], drop_first=True)]
    ).astype(float)
    base = stats.fit_ridge_loglinear(y, dense)
    res = benchmark.pedantic(
        stats.score_test_terms,
        args=(y, base.mean, dense, matrix.matrix),
        kwargs={"scale": 1.0, "alpha": 0.7},
        rounds=3,
        iterations=1,
    )
    assert res.p_value.shape == (matrix.matrix.shape[1],)
