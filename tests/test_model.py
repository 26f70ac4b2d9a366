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


PATH_OR_EXPERIMENT = [
    ("analyze", {}),
    ("summarize", {}),
    ("adjust", {"covariates": ["month"], "metrics": ["applications_per_posting"]}),
    ("simulate", {"postings": 20, "rng": 1}),
    ("power.simulate_power", {"postings": 40, "effects": {}, "replicates": 20, "rng": 1}),
]


@pytest.mark.parametrize(("name", "options"), PATH_OR_EXPERIMENT, ids=lambda v: str(v))
def test_every_function_taking_an_experiment_takes_its_file_too(
    name: str, options: dict[str, object]
) -> None:
    import pandas as pd

    path = "experiments/paedagog_fuldtid.toml"
    function = rk
    for part in name.split("."):
        function = getattr(function, part)
    from_path = function(path, **options)
    from_model = function(rk.load_experiment(path), **options)
    table = getattr(from_path, "table", from_path)
    assert isinstance(table, pd.DataFrame)
    pd.testing.assert_frame_equal(table, getattr(from_model, "table", from_model))


def test_a_wrong_type_for_the_experiment_is_named() -> None:
    with pytest.raises(rk.ExperimentError, match="expected an Experiment or the path"):
        rk.summarize(42)  # type: ignore[arg-type]


SMALL = 'id = "x"\ncontrol = "A"\n{extra}\n[[arms]]\nid = "A"\nchannel = "j"\n\n[[arms]]\nid = "B"\nchannel = "k"\n'


def write_experiment(folder: Path, text: str, *, bom: bool = False) -> Path:
    path = folder / "experiment.toml"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            SMALL.replace('control = "A"', 'kontrol = "A"'),
            r"key kontrol: unknown key 'kontrol'; did you mean 'control'\?",
        ),
        (
            SMALL.replace("[[arms]]", "[[arm]]"),
            r"key arm: unknown key 'arm'; did you mean 'arms'\?",
        ),
        (
            SMALL.replace('channel = "k"', 'chanel = "k"'),
            r"key arms\[2\]\.chanel: .*did you mean 'channel'\? Valid keys here: id, name, name_en, variant, channel, weight",
        ),
        (
            SMALL.format(extra='[data]\npath = "x.csv"\n[data.columns]\naplications = "Ansøgere"'),
            r"unknown column 'aplications'; did you mean 'applications'\?",
        ),
    ],
)
def test_a_misspelt_key_names_the_key_and_the_closest_known_one(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(rk.ExperimentError, match=message):
        rk.load_experiment(write_experiment(tmp_path, text.replace("{extra}", "")))


def test_an_experiment_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = write_experiment(tmp_path, SMALL.format(extra=""), bom=True)
    assert rk.load_experiment(path).id == "x"


@pytest.mark.parametrize("depth", [17, 500, 5000])
def test_absurd_nesting_is_one_line(tmp_path: Path, depth: int) -> None:
    path = write_experiment(tmp_path, "a = " + "[" * depth + "]" * depth)
    with pytest.raises(rk.ExperimentError, match="nest more than 16 levels") as info:
        rk.load_experiment(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("data", ['"../outside.csv"', '"/etc/passwd"', '"link.csv"'])
def test_the_data_file_stays_in_the_experiment_folder(tmp_path: Path, data: str) -> None:
    folder = tmp_path / "experiment"
    folder.mkdir()
    (tmp_path / "outside.csv").write_text("arm,applications\nA,1\nB,2\n", encoding="utf-8")
    (folder / "link.csv").symlink_to(tmp_path / "outside.csv")
    path = write_experiment(folder, SMALL.format(extra=f"data = {data}"))
    with pytest.raises(
        rk.ExperimentError, match=r"key data: the data file .* is outside the experiment's folder"
    ):
        rk.load_experiment(path)
    with pytest.raises(rk.ExperimentError, match="outside"):
        rk.analyze(path)
    assert rk.load_experiment(path, allow_outside=True).data_path is not None


def test_a_data_file_beside_the_experiment_or_below_it_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "p.csv").write_text("arm,applications\nA,1\nB,2\n", encoding="utf-8")
    path = write_experiment(tmp_path, SMALL.format(extra='data = "data/../data/p.csv"'))
    assert rk.summarize(path).arms == ("A", "B")
