"""The experiment model: what a valid file looks like and how bad files are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

import rekrut as rk
from rekrut.model import normalize_kommunekode

MINIMAL = """
id = "demo"
title = "Kanaltest"
control = "A"
metrics = ["applications_per_posting", "qualified_share", "cost_per_hire"]
primary_metric = "applications_per_posting"
alpha = 0.05
[[arms]]
id = "A"
channel = "jobnet"
variant = "standard"
[[arms]]
id = "B"
channel = "facebook"
variant = "standard"
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_file_from_the_issue_loads(tmp_path: Path) -> None:
    exp = rk.load_experiment(write(tmp_path, MINIMAL))
    assert exp.control == "A"
    assert [a.id for a in exp.treatments] == ["B"]
    assert [c.id for c in exp.channels] == ["jobnet", "facebook"]
    assert exp.channel("facebook").cost.is_free


def test_dict_and_file_take_the_same_shape(tmp_path: Path) -> None:
    import tomllib

    from_file = rk.load_experiment(write(tmp_path, MINIMAL))
    from_dict = rk.Experiment.model_validate(tomllib.loads(MINIMAL))
    assert from_file.model_dump() == from_dict.model_dump()


def test_randomisation_unit_is_accepted_under_its_long_name(tmp_path: Path) -> None:
    exp = rk.load_experiment(write(tmp_path, 'randomisation_unit = "impression"\n' + MINIMAL))
    assert exp.unit == "impression"
    again = rk.Experiment.model_validate_json(exp.model_dump_json())
    assert again.unit == "impression"
    with pytest.raises(rk.ExperimentError, match="unit"):
        rk.load_experiment(write(tmp_path, 'unit = "visitor"\n' + MINIMAL))


def test_models_are_immutable(tmp_path: Path) -> None:
    exp = rk.load_experiment(write(tmp_path, MINIMAL))
    with pytest.raises(ValueError, match="frozen"):
        exp.alpha = 0.1  # type: ignore[misc]


def test_data_path_is_relative_to_the_file(tmp_path: Path) -> None:
    exp = rk.load_experiment(write(tmp_path, 'data = "postings.csv"\n' + MINIMAL))
    assert exp.data_path == tmp_path / "postings.csv"


def test_primary_metric_is_added_to_metrics_when_missing() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "x",
            "control": "A",
            "metrics": ["fill_rate"],
            "primary_metric": "cost_per_hire",
            "arms": [{"id": "A", "channel": "a"}, {"id": "B", "channel": "b"}],
        }
    )
    assert exp.metrics == ("cost_per_hire", "fill_rate")


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (('control = "A"', 'control = "Z"'), "control", "not one of the arms"),
        (('id = "B"', 'id = "A"'), "arms", "duplicate arm id 'A'"),
        (("alpha = 0.05", 'alpha = "high"'), "alpha", "valid number"),
        (("alpha = 0.05", "alpha = 0.7"), "alpha", "less than 0.5"),
        (('"cost_per_hire"]', '"cost_per_hyre"]'), "metrics", "unknown metric 'cost_per_hyre'"),
        (
            ('variant = "standard"\n[[arms]]', 'variant = "standard"\ncolour = "red"\n[[arms]]'),
            "arms[1].colour",
            "unknown key",
        ),
    ],
)
def test_bad_files_name_the_key(
    tmp_path: Path, change: tuple[str, str], key: str, message: str
) -> None:
    path = write(tmp_path, MINIMAL.replace(*change, 1))
    with pytest.raises(rk.ExperimentError, match=message) as info:
        rk.load_experiment(path)
    assert info.value.file == str(path)
    assert info.value.column == key
    assert str(info.value).startswith(f"{path}, key {key}: ")


def test_missing_control_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(rk.ExperimentError, match="Field required") as info:
        rk.load_experiment(write(tmp_path, MINIMAL.replace('control = "A"\n', "")))
    assert info.value.column == "control"


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(rk.ExperimentError, match="not valid TOML"):
        rk.load_experiment(write(tmp_path, "id = [unclosed"))
    with pytest.raises(rk.ExperimentError, match="file not found"):
        rk.load_experiment(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("raw", "code"), [("0167", "167"), ("167", "167"), (101, "101"), (" 0860 ", "860")]
)
def test_kommunekode_forms(raw: str | int, code: str) -> None:
    assert normalize_kommunekode(raw) == code


@pytest.mark.parametrize("raw", ["16", "12345", "abc", "0099", 1000])
def test_bad_kommunekode(raw: str | int) -> None:
    with pytest.raises(ValueError, match="kommunekode"):
        normalize_kommunekode(raw)


def test_richer_definitions(examples: Path) -> None:
    exp = rk.load_experiment(examples / "sosu_kanaltest.toml")
    assert exp.municipality == "751"
    assert exp.channel("facebook").kind == "social"
    assert exp.channel("facebook").cost.per_click_dkk == 6.5
    admin = rk.load_experiment(examples / "admin_ordlyd.toml")
    assert admin.variant("fleksibel").mentions_remote_work is True


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[0.5, 2.0]", "must exceed 1"),
        ("[2.0, 0.0]", "must be positive"),
        ("[inf, 1]", "finite number"),
    ],
)
def test_a_bad_cost_prior_is_refused_with_its_key(tmp_path: Path, value: str, message: str) -> None:
    """Before, cost_prior = [0.5, 2] loaded and failed deep in the cost model at analysis."""
    path = write(tmp_path, MINIMAL + f"[bayes]\ncost_prior = {value}\n")
    with pytest.raises(rk.ExperimentError, match=message) as info:
        rk.load_experiment(path)
    assert info.value.column.startswith("bayes.cost_prior")  # inf: its element, [1]


def test_cost_prior_from_the_file_reaches_cost_per_hire(tmp_path: Path) -> None:
    import pandas as pd

    from rekrut.stats import bayes_compare_cost_per_outcome

    path = write(tmp_path, MINIMAL + "[bayes]\ncost_prior = [3.0, 1.5]\nprior_shape = 7.0\n")
    exp = rk.load_experiment(path)
    assert exp.bayes.cost_prior == (3.0, 1.5)
    data = pd.DataFrame(
        {
            "posting_id": [f"p{i}" for i in range(8)],
            "arm": ["A"] * 4 + ["B"] * 4,
            "applications": [5, 8, 3, 9, 4, 12, 7, 6],
            "qualified": [2, 3, 1, 4, 2, 5, 3, 2],
            "hires": [1, 0, 1, 1, 0, 1, 2, 1],
            "cost_dkk": [4000.0] * 4 + [2500.0] * 4,
        }
    )
    row = rk.analyze(exp, data, method="bayesian", rng=1).table.query("metric == 'cost_per_hire'")
    ref = bayes_compare_cost_per_outcome(
        16000.0, 4, 3, 10000.0, 4, 4, prior_shape=3.0, prior_rate=1.5
    )
    # prior_shape (7) governs the count rates only, never the cost per outcome
    assert row["control_value"].item() == pytest.approx(float(ref.control_value))
    assert row["treatment_value"].item() == pytest.approx(float(ref.treatment_value))
