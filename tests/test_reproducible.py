"""Reproducible by default: the same experiment and data give the same numbers and bytes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.cli import main

DEMO = Path(__file__).resolve().parents[1] / "src" / "rekrut" / "_examples" / "sosu_kanaltest.toml"


@pytest.mark.parametrize(
    "options",
    [
        {"ratio_interval": "bootstrap", "n_resamples": 300},
        {"method": "bayesian"},
        {"method": "randomization", "n_resamples": 300},
    ],
)
def test_two_runs_without_a_seed_agree_and_record_it(options: dict[str, object]) -> None:
    first = rk.analyze(DEMO, **options)  # type: ignore[arg-type]
    second = rk.analyze(DEMO, **options)  # type: ignore[arg-type]
    assert first.to_json() == second.to_json()
    assert first.seed is not None
    assert json.loads(first.to_json())["seed"] == first.seed


def test_the_seed_follows_the_data_and_a_given_seed_wins() -> None:
    exp = rk.load_experiment(DEMO)
    data = pd.read_csv(DEMO.with_suffix(".csv"))
    base = rk.analyze(exp, data, method="bayesian")
    changed = data.assign(applications=data["applications"] + (data.index == 0))
    assert rk.analyze(exp, changed, method="bayesian").seed != base.seed
    given = rk.analyze(exp, data, method="bayesian", rng=11)
    assert given.seed == 11
    again = rk.analyze(exp, data, method="bayesian", rng=np.random.default_rng(11))
    assert again.seed is None
    pd.testing.assert_frame_equal(given.table, again.table)


def test_reports_are_byte_identical_and_name_the_seed(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    paths = []
    for i in range(2):
        path = tmp_path / f"r{i}.html"
        assert main(["report", str(DEMO), "--out", str(path), "--method", "bayesian"]) == 0
        paths.append(path)
    first, second = (p.read_bytes() for p in paths)
    assert first == second
    seed = rk.analyze(DEMO, method="bayesian").seed
    assert f"seed {seed}" in first.decode()


def test_power_by_simulation_repeats_itself() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "p",
            "control": "A",
            "metrics": ["applications_per_posting"],
            "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}],
        }
    )
    effects = {"B": {"applications": 1.3}}
    one = rk.power.simulate_power(exp, postings=60, effects=effects, replicates=40)
    two = rk.power.simulate_power(exp, postings=60, effects=effects, replicates=40)
    pd.testing.assert_frame_equal(one.table, two.table)
    assert one.seed == two.seed == one.to_dict()["seed"]


def test_budget_allocation_repeats_itself_and_records_its_seed() -> None:
    channels = pd.DataFrame(
        {
            "channel": ["jobnet", "linkedin", "facebook"],
            "cost_dkk": [20_000, 90_000, 40_000],
            "postings": [20, 20, 20],
            "hires": [10, 14, 15],
        }
    )
    one = rk.allocate(channels, budget_dkk=100_000, n_draws=2000)
    two = rk.allocate(channels, budget_dkk=100_000, n_draws=2000)
    pd.testing.assert_frame_equal(one.table, two.table)
    assert one.seed is not None
    assert one.to_dict()["seed"] == one.seed
    assert rk.allocate(channels, budget_dkk=100_000, n_draws=2000, rng=3).seed == 3
