"""Words of past job ads: the tokeniser, the log-linear core against statsmodels, planted word
associations found in a synthetic Danish history, a confounder left alone once controlled,
false discoveries within the FDR, and the real LinkedIn postings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import sparse

import rekrut as rk
from rekrut import stats
from rekrut._ad_history import CONFOUNDER, PLANTED
from rekrut._terms import stop_words, term_matrix
from rekrut.errors import DataError

CONTROLS = ["job_category", "month"]


def _term(phrase: str) -> str:
    """How a planted phrase reads in the table: its words less the stop words."""
    stop = stop_words("da")
    return " ".join(word for word in phrase.split() if word not in stop)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return rk.simulate_ad_history(3000, rng=7)


@pytest.fixture(scope="module")
def controlled(history: pd.DataFrame) -> rk.WordsResult:
    return rk.words(history, text="ad_text", controls=CONTROLS)


# --- the tokeniser -----------------------------------------------------------------------------


def test_terms_are_stems_without_stop_words_and_phrases_stop_at_sentence_marks() -> None:
    ads = ["Vi tilbyder fleksible arbejdstider. Deltid", "Deltid og weekendarbejde.",
           "Fleksible arbejdstider!"] * 5  # fmt: skip
    matrix = term_matrix(ads, min_postings=5, max_ngram=3)
    assert {"fleksibl arbejdstid", "deltid weekendarbejd"} <= set(matrix.stems)  # no 'og'
    assert matrix.terms[matrix.stems.index("fleksibl arbejdstid")] == "fleksible arbejdstider"
    assert not any("arbejdstid deltid" in stem for stem in matrix.stems)  # the '.' breaks it
    assert all(not set(term.split()) & stop_words("da") for term in matrix.terms)


def test_terms_every_posting_has_or_few_have_are_not_candidates() -> None:
    ads = ["fuldtid weekend"] * 30 + ["fuldtid hjemmearbejde"] * 4 + ["fuldtid deltid"] * 6
    matrix = term_matrix(ads, min_postings=5, max_ngram=1)
    assert set(matrix.terms) == {"weekend", "deltid"}  # fuldtid: in all; hjemmearbejde: 4


def test_a_word_only_ever_inside_one_phrase_is_one_term_named_by_the_phrase() -> None:
    ads = ["Akutte patienter.", "Rolige vagter."] * 10
    matrix = term_matrix(ads, min_postings=5)
    assert "akutte patienter" in matrix.terms
    assert "akutte" not in matrix.terms
    assert "patienter" not in matrix.terms
    assert matrix.postings_with[matrix.terms.index("akutte patienter")] == 10


# --- the log-linear core against statsmodels ---------------------------------------------------


def _design(seed: int, n: int = 1500) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    category = rng.integers(0, 3, n)
    dense = np.column_stack([np.ones(n), category == 1, category == 2]).astype(float)
    terms = (rng.random((n, 3)) < 0.25).astype(float)
    terms[:, 2] = np.where(category == 2, rng.random(n) < 0.7, terms[:, 2])
    mean = np.exp(1.8 + 0.3 * (category == 1) - 0.5 * (category == 2) + terms @ [0.3, 0, 0])
    y = rng.negative_binomial(1.5, 1.5 / (1.5 + mean)).astype(float)
    return y, dense, terms, np.log(rng.integers(1, 4, n))


def test_unpenalised_fit_equals_statsmodels_poisson_glm_with_hc0() -> None:
    y, dense, terms, offset = _design(1)
    fit = stats.fit_ridge_loglinear(y, dense, sparse.csc_array(terms), offset=offset)
    ref = sm.GLM(y, np.hstack([dense, terms]), family=sm.families.Poisson(), offset=offset).fit(
        cov_type="HC0"
    )
    np.testing.assert_allclose(fit.coef, ref.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit.se, ref.bse, rtol=1e-8)
    np.testing.assert_allclose(fit.dispersion, ref.pearson_chi2 / ref.df_resid, rtol=1e-8)


def test_ridge_fit_equals_statsmodels_fit_regularized() -> None:
    y, dense, terms, _ = _design(2, n=600)
    penalty = 40.0
    fit = stats.fit_ridge_loglinear(y, dense, sparse.csc_array(terms), penalty=penalty)
    # statsmodels minimises -loglike / n + alpha * |b|^2 / 2 (L1_wt = 0)
    alpha = np.r_[np.zeros(3), np.full(3, penalty / len(y))]
    ref = sm.GLM(y, np.hstack([dense, terms]), family=sm.families.Poisson()).fit_regularized(
        alpha=alpha, L1_wt=0.0
    )
    np.testing.assert_allclose(fit.coef, ref.params, atol=2e-5)
    unpenalised = stats.fit_ridge_loglinear(y, dense, sparse.csc_array(terms))
    assert np.all(np.abs(fit.coef[3:]) < np.abs(unpenalised.coef[3:]))


def test_model_variance_with_poisson_working_variance_is_statsmodels_nonrobust() -> None:
    y, dense, terms, _ = _design(3)
    fit = stats.fit_ridge_loglinear(y, dense, sparse.csc_array(terms), scale=1.0, alpha=0.0)
    ref = sm.GLM(y, np.hstack([dense, terms]), family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(fit.se, ref.bse, rtol=1e-8)


def test_score_tests_equal_statsmodels_score_test_one_term_at_a_time() -> None:
    y, dense, terms, _ = _design(4)
    base = stats.fit_ridge_loglinear(y, dense)
    scores = stats.score_test_terms(y, base.mean, dense, sparse.csc_array(terms), scale=1.0)
    ref = sm.GLM(y, dense, family=sm.families.Poisson()).fit()
    for j in range(terms.shape[1]):
        expected = ref.score_test(exog_extra=terms[:, [j]], cov_type="nonrobust")
        np.testing.assert_allclose(scores.z[j] ** 2, expected.statistic, rtol=1e-6)
    # the robust form is within a few percent of statsmodels' (which centres the score's
    # covariance) and projects the controls out: term 2 lives in category 2
    robust = stats.score_test_terms(y, base.mean, dense, sparse.csc_array(terms))
    for j in range(terms.shape[1]):
        expected = ref.score_test(exog_extra=terms[:, [j]], cov_type="HC0")
        np.testing.assert_allclose(robust.z[j] ** 2, expected.statistic, rtol=0.05, atol=0.05)


# --- the synthetic Danish history --------------------------------------------------------------


def test_table_columns_and_order(controlled: rk.WordsResult) -> None:
    assert tuple(controlled.table.columns) == rk._words.WORDS_COLUMNS
    p = controlled.table["p_value"].to_numpy()
    assert np.all(np.diff(p) >= 0)
    assert np.all(controlled.table["q_value"] >= controlled.table["p_value"])
    assert controlled.candidates > 300
    assert len(controlled.table) == 200


def test_planted_terms_are_found_with_intervals_covering_their_ratios(
    controlled: rk.WordsResult,
) -> None:
    table = controlled.table.set_index("term")
    for phrase, ratio in PLANTED.items():
        row = table.loc[_term(phrase)]
        assert row["ci_low"] <= ratio <= row["ci_high"], phrase
        assert row["q_value"] < 0.05, phrase


def test_confounded_phrase_is_flagged_only_without_the_category(
    history: pd.DataFrame, controlled: rk.WordsResult
) -> None:
    phrase = CONFOUNDER[0]
    table = controlled.table.set_index("term")
    # controlled, it is not among the 200 strongest terms, or is there with a clear interval
    assert phrase not in table.index or table.loc[phrase, "q_value"] > 0.5
    # without the category, and without the job title that names it in each ad's first
    # sentence, the phrase takes the category's low applicant numbers
    untitled = history.assign(ad_text=history["ad_text"].str.split(". ", n=1, regex=False).str[1])
    naive = rk.words(untitled, text="ad_text", controls=["month"]).table.set_index("term")
    assert naive.loc[phrase, "q_value"] < 0.001
    assert naive.loc[phrase, "ratio"] < 0.8


def test_no_false_discovery_among_filler_terms(controlled: rk.WordsResult) -> None:
    found = set(controlled.table.loc[controlled.table["q_value"] < 0.05, "term"])
    assert found == {_term(phrase) for phrase in PLANTED}


@pytest.mark.slow
def test_false_discovery_proportion_and_coverage_over_histories() -> None:
    planted = {_term(p): r for p, r in PLANTED.items()}
    fdp, covered, intervals = [], 0, 0
    for seed in range(10):
        res = rk.words(rk.simulate_ad_history(1500, filler_words=200, rng=100 + seed), text="ad_text",
                       controls=CONTROLS, max_terms=100)  # fmt: skip
        table = res.table.set_index("term")
        found = set(table.index[table["q_value"] < 0.1])
        fdp.append(len(found - set(planted)) / max(len(found), 1))
        for term, ratio in planted.items():
            if term in table.index:
                intervals += 1
                covered += table.loc[term, "ci_low"] <= ratio <= table.loc[term, "ci_high"]
    # BH at 0.1 keeps the mean false-discovery proportion below 0.1; coverage 0.95 nominal
    assert np.mean(fdp) <= 0.17
    assert intervals >= 36
    assert covered / intervals >= 0.85


@pytest.mark.slow
def test_histories_with_no_planted_word_give_few_discoveries() -> None:
    with_any = 0
    for seed in range(10):
        history = rk.simulate_ad_history(1500, planted={}, filler_words=200, rng=200 + seed)
        res = rk.words(history, text="ad_text", controls=CONTROLS, max_terms=100)
        with_any += bool((res.table["q_value"] < 0.1).any())
    # under the global null BH at 0.1 makes any discovery with probability <= 0.1
    assert with_any <= 3  # binomial(10, 0.1): P(> 3) = 0.013


def test_shares_and_fill_rate_run_and_find_nothing_where_nothing_was_planted(
    history: pd.DataFrame,
) -> None:
    for metric in ("qualified_share", "fill_rate"):
        res = rk.words(history, text="ad_text", metric=metric, controls=CONTROLS)
        assert res.metric == metric
        assert res.dispersion is None
        assert 0 < res.baseline < 1
        assert (res.table["q_value"] >= 0.05).all(), metric
        assert np.isfinite(res.table[["ratio", "ci_low", "ci_high"]].to_numpy()).all()


def test_a_planted_qualified_share_ratio_is_found_with_its_interval() -> None:
    history = rk.simulate_ad_history(3000, qualified_ratios={"hjemmearbejde": 1.3}, rng=11)
    res = rk.words(history, text="ad_text", metric="qualified_share", controls=CONTROLS)
    top = res.table.iloc[0]
    assert top["term"] == "hjemmearbejde"
    assert top["q_value"] < 0.001
    assert top["ci_low"] <= 1.3 <= top["ci_high"]


def test_suggest_for_a_share_leaves_the_plan_to_simulation(tmp_path: Path) -> None:
    history = rk.simulate_ad_history(3000, qualified_ratios={"hjemmearbejde": 1.3}, rng=11)
    res = rk.words(history, text="ad_text", metric="qualified_share", controls=CONTROLS)
    path = res.suggest("hjemmearbejde", tmp_path / "andel.toml")
    assert rk.load_experiment(path).planned_postings is None
    assert "rekrut power FILE --lift" in path.read_text(encoding="utf-8")


def test_a_polars_table_gives_the_same_table(history: pd.DataFrame) -> None:
    pl = pytest.importorskip("polars")
    small = history.head(800)
    from_polars = rk.words(pl.from_pandas(small), text="ad_text", controls=["job_category"])
    from_pandas = rk.words(small, text="ad_text", controls=["job_category"])
    pd.testing.assert_frame_equal(from_polars.table, from_pandas.table)


def test_hours_per_week_is_a_numeric_control(history: pd.DataFrame) -> None:
    res = rk.words(history, text="ad_text", controls=["job_category", "hours_per_week"])
    assert res.controls == ("job_category", "hours_per_week")
    assert _term("fleksible arbejdstider") in set(res.table["term"].head(4))


def test_json_round_trip_and_notes(controlled: rk.WordsResult) -> None:
    payload = json.loads(controlled.to_json())
    assert payload["table"][0].keys() == set(rk._words.WORDS_COLUMNS)
    assert "association" in payload["notes"][0]["text"]
    assert "sammenhæng" in controlled.note_texts("da")[0]
    assert not any("effe" in text for text in [*controlled.note_texts("da"),
                                              *controlled.note_texts("en")])  # fmt: skip


def test_plot_shows_the_top_terms(controlled: rk.WordsResult) -> None:
    fig = controlled.plot(top=5, lang="da")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == list(reversed(controlled.table["term"].head(5)))
    assert "sammenhæng" in fig.axes[0].get_xlabel()


# --- from a finding to a test ------------------------------------------------------------------


def test_suggest_writes_an_experiment_planned_by_the_power_module(
    controlled: rk.WordsResult, tmp_path: Path
) -> None:
    term = _term("fleksible arbejdstider")
    path = controlled.suggest(term, tmp_path / "test.toml", channel="jobnet")
    experiment = rk.load_experiment(path)
    row = controlled.row(term)
    expected = rk.power.postings_needed(
        "applications_per_posting",
        controlled.baseline,
        lift=row["ci_low"] - 1,
        dispersion=controlled.dispersion,
    )
    assert experiment.design == "randomised"
    assert experiment.arm_ids == ("uden", "med")
    assert experiment.control == "uden"
    assert experiment.planned_postings == expected.postings_per_arm
    assert term in experiment.variant("med").text
    assert "association" in path.read_text(encoding="utf-8")


def test_suggest_refuses_what_it_cannot_plan(controlled: rk.WordsResult, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not in the table"):
        controlled.suggest("ingen sådan sætning", tmp_path / "x.toml")
    unclear = controlled.table[controlled.table["ci_low"] < 1].iloc[-1]["term"]
    with pytest.raises(ValueError, match="give lift="):
        controlled.suggest(unclear, tmp_path / "x.toml")
    assert not (tmp_path / "x.toml").exists()
    assert rk.load_experiment(controlled.suggest(unclear, tmp_path / "y.toml", lift=0.2))


# --- bad input ---------------------------------------------------------------------------------


def test_bad_input_names_row_and_column(history: pd.DataFrame) -> None:
    small = history.head(50).copy()
    with pytest.raises(DataError, match="column ad_txt"):
        rk.words(small, text="ad_txt")
    blank = small.assign(ad_text=small["ad_text"].where(small.index != 4, "  "))
    with pytest.raises(DataError, match="row 6, column ad_text"):
        rk.words(blank, text="ad_text", source="ads.csv")
    unknown = small.assign(applications=small["applications"].astype(float))
    unknown.loc[9, "applications"] = np.nan
    with pytest.raises(DataError, match="row 11, column applications: is blank"):
        rk.words(unknown, text="ad_text")
    broken = small.assign(qualified=small["applications"] + 1)
    with pytest.raises(DataError, match="qualified exceeds applications"):
        rk.words(broken, text="ad_text", metric="qualified_share")
    with pytest.raises(DataError, match="column region"):
        rk.words(small, text="ad_text", controls=["region"])
    with pytest.raises(ValueError, match="metric must be one of"):
        rk.words(small, text="ad_text", metric="cost_per_hire")  # type: ignore[arg-type]


def test_no_candidate_terms_gives_an_empty_table_and_a_note() -> None:
    ads = pd.DataFrame({"ad_text": ["Sygeplejerske søges"] * 30, "applications": range(30)})
    res = rk.words(ads, text="ad_text")
    assert res.candidates == 0
    assert res.table.empty
    assert tuple(res.table.columns) == rk._words.WORDS_COLUMNS
    assert [note.code for note in res.notes] == ["words_association", "words_no_terms"]


# --- real text ---------------------------------------------------------------------------------


def test_linkedin_postings_in_english(real_data: Path) -> None:
    raw = pd.read_csv(real_data / "linkedin_postings_sample.csv")
    known = raw[raw["applies"].notna()].rename(columns={"applies": "applications"})
    res = rk.words(known, text="description", language="en",
                   controls=["formatted_work_type"], min_postings=10)  # fmt: skip
    assert res.postings == 169
    assert res.candidates > 300
    assert not set(res.table["term"]) & {"the", "and", "with"}
    # 169 postings with heavy-tailed applicant counts (one drew 967): no term is clear
    assert res.table["q_value"].min() > 0.5
    assert res.dispersion is not None
    assert res.dispersion > 5
