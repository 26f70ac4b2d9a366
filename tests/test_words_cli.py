"""``rekrut words``: the table, JSON, a suggested experiment, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rekrut as rk
from rekrut.cli import main


@pytest.fixture(scope="module")
def ads_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("words") / "opslag.csv"
    history = rk.simulate_ad_history(2000, rng=3)
    history.assign(published=history["published"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def test_words_prints_the_table_with_its_caveat(
    ads_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["words", str(ads_csv), "--text", "ad_text", "--control", "job_category",
                 "--control", "month", "--top", "5"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[1].split() == ["term", "postings_with", "ratio", "ci_low",
                                           "ci_high", "p_value", "q_value"]  # fmt: skip
    assert "fleksible arbejdstider" in out
    assert "association" in out


def test_words_json_and_suggest(
    ads_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "forsoeg.toml"
    code = main(["words", str(ads_csv), "--text", "ad_text", "--control", "job_category",
                 "--control", "hours_per_week", "--format", "json", "--top", "3",
                 "--suggest", "fleksible arbejdstider", "--out", str(out_file),
                 "--channel", "jobnet"])  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    assert len(payload["table"]) == 3
    assert payload["controls"] == ["job_category", "hours_per_week"]
    experiment = rk.load_experiment(payload["suggestion"])
    assert experiment.design == "randomised"
    assert experiment.arm("med").channel == "jobnet"
    assert experiment.planned_postings is not None
    assert experiment.planned_postings > 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text", "tekst"], "opslag.csv, column tekst: the text column is missing"),
        (["--text", "ad_text", "--suggest", "x"], "--suggest needs --out"),
        (["--text", "ad_text", "--suggest", "findes ikke", "--out", "x.toml"],
         "term 'findes ikke' is not in the table"),
    ],
)  # fmt: skip
def test_words_bad_input_is_one_line_and_exit_2(
    ads_csv: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main(["words", str(ads_csv), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "x.toml").exists()
