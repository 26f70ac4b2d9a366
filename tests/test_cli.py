"""The command line: exit 0 on success, 2 with one line naming file, row and column on bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rekrut.cli import main


@pytest.fixture
def copy_example(examples: Path, tmp_path: Path) -> Path:
    for suffix in (".toml", ".csv"):
        shutil.copy(examples / f"admin_ordlyd{suffix}", tmp_path / f"admin_ordlyd{suffix}")
    return tmp_path / "admin_ordlyd.toml"


def test_validate_ok(copy_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(copy_example)]) == 0
    assert (
        "OK: experiment 'admin-ordlyd-2026' with 2 arms; 140 per-posting rows."
        in capsys.readouterr().out
    )


def test_validate_bad_cell(copy_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = copy_example.with_suffix(".csv")
    lines = data.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[7].split(",")
    cells[header.index("hires")] = "-1"
    lines[7] = ",".join(cells)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", str(copy_example)]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"rekrut: error: {data}, row 8, column hires: must not be negative in 1 row (first: -1)\n"
    )


def test_validate_bad_experiment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.toml"
    path.write_text(
        'id = "x"\ncontrol = "A"\n[[arms]]\nid = "A"\nchannel = "jobnet"\n', encoding="utf-8"
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rekrut: error: {path}, key arms: ")
    assert err.count("\n") == 1


def test_validate_missing_data_file(copy_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(copy_example), "--data", "nope.csv"]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err


def test_simulate_to_stdout(copy_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(copy_example), "--postings", "5", "--seed", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("posting_id,arm,variant,channel")
    assert len(out) == 6


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as info:
        main(["analyze"])
    assert info.value.code == 2


def test_power_by_simulation_json(copy_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    args = ["power", str(copy_example), "--lift", "0.3", "--postings", "120"]
    assert main([*args, "--replicates", "200", "--seed", "1", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    row = payload["table"][0]
    assert row["metric"] == "applications_per_posting"
    assert 0 < row["power"] < 1


def test_power_for_a_metric_without_a_lift_knob(
    copy_example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["power", str(copy_example), "--lift", "0.3", "--metric", "cost_per_hire"]) == 2
    assert "power by simulation can set a lift for" in capsys.readouterr().err


def test_analyze_bayesian_json(copy_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert (
        main(
            [
                "analyze",
                str(copy_example),
                "--method",
                "bayesian",
                "--seed",
                "1",
                "--format",
                "json",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["method"] == "bayesian"
    assert {"prob_better", "decision"} <= set(payload["table"][0])


def test_power_analytic(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert (
        main(
            [
                "power",
                "--metric",
                "fill_rate",
                "--baseline",
                "0.6",
                "--lift",
                "0.15",
                "--format",
                "json",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["postings_per_arm"] > 100
    assert payload["power"] >= 0.8
    assert main(["power", "--baseline", "6", "--metric", "cost_per_hire", "--lift", "0.1"]) == 2
    assert "use simulate_power" in capsys.readouterr().err


def test_monitor_json(copy_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert (
        main(
            [
                "monitor",
                str(copy_example),
                "--metric",
                "applications_per_posting",
                "--format",
                "json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["table"]
    assert len(rows) > 10
    p = [row["p_always_valid"] for row in rows]
    assert p == sorted(p, reverse=True)  # always-valid p-values never rise


def test_monitor_text_with_every_metric(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # early looks have no hires in some arms: open intervals print as inf, without warnings
    assert main(["monitor", str(examples / "sosu_kanaltest.toml")]) == 0
    out = capsys.readouterr().out
    assert "cost_per_hire" in out
    assert "1.797" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "{exp}", "--postings", "0"], "postings must be a whole number"),
        (["power", "{exp}", "--lift", "0.2", "--postings", "0", "--quiet"], "postings must be"),
        (
            ["power", "{exp}", "--lift", "0.2", "--postings", "20", "--replicates", "0"],
            "replicates must be",
        ),
        (["power", "--baseline", "0.6", "--metric", "fill_rate", "--lift", "0.1",
          "--postings-per-arm", "0"], "postings_per_arm must be at least 2"),
    ],
)  # fmt: skip
def test_zero_sizes_are_one_line_errors(
    copy_example: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main([a.replace("{exp}", str(copy_example)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


def test_peers_command(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert (
        main(
            [
                "peers",
                "0159",
                "--k",
                "4",
                "--kpis",
                "example",
                "--job-category",
                "paedagog",
                "--format",
                "json",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["peers"]["peers"]) == 4
    assert payload["comparison"]["municipality"] == "159"
    assert main(["peers", "999"]) == 2
    assert "unknown municipality 999" in capsys.readouterr().err


def test_peers_by_job_category(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["peers", "751", "--kpis", "example", "--period", "2025", "--by", "job_category"]) == 0
    )
    out = capsys.readouterr().out
    for shown in ("job_category", "sosu_assistent", "sygeplejerske"):
        assert shown in out
    assert main(["peers", "751", "--kpis", "example", "--by", "region"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no slice column 'region'" in err


def test_report_with_peer_section(examples: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    assert (
        main(
            [
                "report",
                str(examples / "sosu_kanaltest.toml"),
                "--kpis",
                "example",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "## Sammenligning med sammenlignelige kommuner" in out.read_text(encoding="utf-8")


def test_check_prints_a_table(copy_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", str(copy_example), "--replications", "30", "--seed", "1", "--quiet"]
    assert main([*args, "--metric", "fill_rate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A/A check of 'admin-ordlyd-2026': 30 re-randomisations of 140 postings")
    assert "fill_rate" in out
    assert "coverage_verdict" in out


def test_check_json(copy_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", str(copy_example), "--replications", "20", "--seed", "2", "--quiet"]
    assert main([*args, "--method", "bayesian", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["method"] == "bayesian"
    assert payload["seed"] == 2
    assert {row["verdict"] for row in payload["table"]} <= {"ok", "too_many", "too_few"}
    assert len(payload["table"]) == 5


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--replications", "0"], "replications must be a positive whole number"),
        (["--metric", "cost_per_hire"], "is not one of the experiment's metrics"),
        (["--by", "region"], "column region: the grouping column is missing"),
    ],
)
def test_check_bad_input_is_one_line(
    copy_example: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["check", str(copy_example), "--quiet", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rekrut: error: ")
    assert message in err
    assert err.count("\n") == 1
