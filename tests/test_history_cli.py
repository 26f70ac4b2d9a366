"""``rekrut analyze`` of an observational design and ``rekrut retention``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rekrut.cli import main

EXPERIMENT = """
id = "historik"
design = "observational"
adjust_for = ["job_category"]
control = "jobnet"
metrics = ["applications_per_posting"]
data = "opslag.csv"

[[arms]]
id = "jobnet"
channel = "jobnet"

[[arms]]
id = "facebook"
channel = "facebook"
"""


@pytest.fixture
def observational(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    category = rng.choice(["sosu", "paedagog"], 400)
    arm = np.where(
        rng.random(400) < np.where(category == "paedagog", 0.8, 0.2), "facebook", "jobnet"
    )
    mean = np.where(category == "paedagog", 14.0, 4.0)
    pd.DataFrame({"posting_id": range(400), "arm": arm, "job_category": category,
                  "applications": rng.poisson(mean)}).to_csv(tmp_path / "opslag.csv", index=False)  # fmt: skip
    path = tmp_path / "historik.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return path


def test_analyze_of_an_observational_design_adjusts_and_says_so(
    observational: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(observational)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Not randomised: associations against 'jobnet', adjusted for job_category"
    )
    assert "Imbalanced covariates" in out
    assert "effect" not in out.lower()
    assert main(["analyze", str(observational), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["design"] == "observational"
    assert payload["table"][0]["ci_low"] < 1 < payload["table"][0]["ci_high"]


def test_analyze_options_that_do_not_apply_to_an_observational_design_are_refused(
    observational: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(observational), "--method", "bayesian"]) == 2
    assert "key design: an observational design" in capsys.readouterr().err


def test_retention_command_prints_the_table_and_writes_the_curve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hires = tmp_path / "ansatte.csv"
    pd.DataFrame({"hire_id": [1, 2, 3, 4], "arm": ["A", "A", "B", "B"],
                  "start_date": ["2024-01-01"] * 4,
                  "end_date": ["2024-03-01", "", "2024-02-01", ""]}).to_csv(hires, index=False)  # fmt: skip
    picture = tmp_path / "kurve.svg"
    code = main(["retention", str(hires), "--as-of", "2025-01-31", "--plot", str(picture)])
    out = capsys.readouterr().out
    assert code == 0
    assert "log-rank" in out
    assert picture.read_text(encoding="utf-8").lstrip().startswith("<")
    assert main(["retention", str(hires), "--as-of", "2025-01-31", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["table"][0]["group"] == "A"


def test_retention_bad_table_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hires = tmp_path / "ansatte.csv"
    pd.DataFrame({"hire_id": [1], "arm": ["A"], "start_date": ["2024-05-01"],
                  "end_date": ["2024-04-01"]}).to_csv(hires, index=False)  # fmt: skip
    assert main(["retention", str(hires), "--as-of", "2025-01-31"]) == 2
    err = capsys.readouterr().err
    assert "ansatte.csv, row 2, column end_date: the end date is before" in err
    assert main(["retention", str(hires)]) == 2
    assert "give as_of" in capsys.readouterr().err
