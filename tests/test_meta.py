"""rk.meta: pooling lifts from analysis results or a table, and priors borrowed from it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.errors import DataError, InputError

ROOT = Path(__file__).resolve().parents[1]


def _experiment(seed: int) -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": f"forsoeg_{seed}",
            "control": "A",
            "metrics": ["fill_rate"],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )


def _results(count: int = 4) -> list[rk.AnalysisResult]:
    out = []
    for seed in range(count):
        exp = _experiment(seed)
        out.append(rk.analyze(exp, rk.simulate(exp, postings=400, rng=seed)))
    return out


def test_results_are_pooled_on_the_log_scale_of_their_lifts() -> None:
    results = _results()
    meta = rk.meta.combine(results)
    rows = [r.table.iloc[0] for r in results]
    expected = [np.log1p(row["lift"]) for row in rows]
    assert meta.studies["estimate"].tolist() == pytest.approx(expected)
    se = (np.log1p(rows[0]["lift_ci_high"]) - np.log1p(rows[0]["lift_ci_low"])) / (2 * 1.959964)
    assert meta.studies["se"].iloc[0] == pytest.approx(se, rel=1e-5)
    assert meta.studies["study"].tolist() == [f"forsoeg_{i}" for i in range(4)]
    assert meta.metric == "fill_rate"
    assert meta.scale == "log_ratio"
    summary = meta.summary.iloc[0]
    assert summary["lift"] == pytest.approx(np.expm1(meta.result.estimate))
    assert summary["lift_pi_low"] <= summary["lift_ci_low"] <= summary["lift"]
    json.loads(meta.to_json())


def test_a_table_of_estimates_matches_the_core() -> None:
    table = pd.DataFrame({"study": list("abcde"), "estimate": [0.1, 0.3, -0.1, 0.2, 0.05]})
    table["se"] = [0.1, 0.15, 0.08, 0.2, 0.1]
    meta = rk.meta.combine(table, estimator="dl", knapp_hartung=True)
    core = rk.stats.random_effects(
        table["estimate"], table["se"], estimator="dl", knapp_hartung=True
    )
    assert meta.result.estimate == core.estimate
    assert meta.result.se == core.se
    assert meta.studies["weight"].sum() == pytest.approx(1.0)


def test_prior_from_meta_is_the_prediction_distribution() -> None:
    meta = rk.meta.combine(_results())
    prior = rk.prior_from_meta(meta)
    assert prior.mean == meta.result.estimate
    assert prior.sd == pytest.approx(np.sqrt(meta.result.tau2 + meta.result.se**2))
    assert rk.prior_from_meta(meta, inflate=2).sd == pytest.approx(2 * prior.sd)
    with pytest.raises(InputError, match="inflate"):
        rk.prior_from_meta(meta, inflate=0.5)


def test_a_prior_on_differences_is_refused() -> None:
    table = pd.DataFrame({"estimate": [0.1, 0.2], "se": [0.1, 0.1]})
    with pytest.raises(InputError, match="log ratios"):
        rk.prior_from_meta(rk.meta.combine(table, scale="difference"))


def test_results_with_several_arms_need_the_arm_named() -> None:
    result = rk.analyze(ROOT / "experiments" / "sosu_kanaltest.toml")
    with pytest.raises(InputError, match="arm="):
        rk.meta.combine([result, result])
    meta = rk.meta.combine([result, result], arm="facebook")
    assert meta.result.tau2 == 0.0


def test_bad_tables_name_row_and_column() -> None:
    with pytest.raises(DataError, match="row 2, column se"):
        rk.meta.combine(pd.DataFrame({"estimate": [0.1, 0.2], "se": [0.1, -1]}))
    with pytest.raises(DataError, match="column se: the column is missing"):
        rk.meta.combine(pd.DataFrame({"estimate": [0.1, 0.2]}))
    with pytest.raises(InputError, match="at least two"):
        rk.meta.combine(pd.DataFrame({"estimate": [0.1], "se": [0.1]}))


def test_a_file_of_estimates_names_the_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "tidligere.csv"
    path.write_text("study,estimate,se\na,0.1,0.1\nb,0.2,nul\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"tidligere.csv, row 3, column se"):
        rk.meta.read_estimates(path)


def _meta() -> rk.meta.MetaAnalysis:
    table = pd.DataFrame({"estimate": [0.1, 0.2, 0.15], "se": [0.1, 0.1, 0.1]})
    return rk.meta.combine(table)


def test_a_borrowed_prior_pulls_the_lift_and_says_so() -> None:
    exp = _experiment(9)
    data = rk.simulate(exp, postings=120, rng=9)
    plain = rk.analyze(exp, data, method="bayesian", rng=1)
    prior = rk.meta.EffectPrior(mean=np.log(1.3), sd=0.05)
    borrowed = rk.analyze(exp, data, method="bayesian", prior=prior, rng=1)
    before, after = plain.table.iloc[0], borrowed.table.iloc[0]
    # the posterior lies between the data and the prior, and is narrower than both
    assert min(before["lift"], 0.3) < after["lift"] < max(before["lift"], 0.3)
    width = after["lift_ci_high"] - after["lift_ci_low"]
    assert width < before["lift_ci_high"] - before["lift_ci_low"]
    assert after["method"] == "meta_prior"
    assert after["treatment_value"] == pytest.approx(after["control_value"] * (1 + after["lift"]))
    assert after["prob_best"] == pytest.approx(after["prob_better"])
    assert [n.code for n in borrowed.notes][-1] == "borrowed_prior_given"
    learnt = rk.analyze(exp, data, method="bayesian", prior=rk.prior_from_meta(_meta()), rng=1)
    assert [n.code for n in learnt.notes][-1] == "borrowed_prior"
    report = rk.report.render_report(learnt, kind="md", lang="da")
    assert "lånt fra 3 tidligere studier" in report
    assert "ligner dem" in report


def test_a_vague_borrowed_prior_changes_nothing_material() -> None:
    exp = _experiment(10)
    data = rk.simulate(exp, postings=200, rng=10)
    plain = rk.analyze(exp, data, method="bayesian", rng=1).table.iloc[0]
    vague = rk.analyze(
        exp, data, method="bayesian", prior=rk.meta.EffectPrior(0.0, 100.0), rng=1
    ).table.iloc[0]
    assert vague["lift"] == pytest.approx(plain["lift"], abs=1e-6)
    assert vague["prob_better"] == pytest.approx(plain["prob_better"], abs=0.01)


def test_the_experiment_file_borrows_a_prior_from_a_table(tmp_path: Path) -> None:
    for name in ("sosu_kanaltest.toml", "sosu_kanaltest.csv"):
        shutil.copy(ROOT / "experiments" / name, tmp_path / name)
    pd.DataFrame({"study": ["a", "b", "c"], "estimate": [0.1, 0.2, 0.15], "se": [0.1] * 3}).to_csv(
        tmp_path / "tidligere.csv", index=False
    )
    path = tmp_path / "sosu_kanaltest.toml"
    path.write_text(
        path.read_text(encoding="utf-8") + '\n[bayes]\nprior_from = "tidligere.csv"\n'
        if "[bayes]" not in path.read_text(encoding="utf-8")
        else path.read_text(encoding="utf-8").replace(
            "[bayes]", '[bayes]\nprior_from = "tidligere.csv"'
        ),
        encoding="utf-8",
    )
    result = rk.analyze(path, method="bayesian", rng=1)
    primary = result.table[result.table["metric"] == result.experiment.primary_metric]
    assert set(primary["method"]) == {"meta_prior"}
    assert "borrowed_prior" in [n.code for n in result.notes]
    with pytest.raises(ValueError, match="method='bayesian'"):
        rk.analyze(path, prior=rk.meta.EffectPrior(0.0, 1.0))


def test_a_borrowed_prior_for_a_metric_without_a_bayesian_lift_is_refused() -> None:
    exp = _experiment(11)
    data = rk.simulate(exp, postings=80, rng=11)
    prior = rk.meta.EffectPrior(0.1, 0.1, metric="time_to_hire_days")
    with pytest.raises(InputError, match="no lift of 'time_to_hire_days'"):
        rk.analyze(exp, data, method="bayesian", prior=prior)
