"""Bad input on the command line: one line on standard error and exit code 2, never a traceback.

Hand-written cases for the errors users met, then a hypothesis fuzz over arguments and files.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rekrut as rk
from rekrut.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of one ``rekrut`` call."""
    capsys.readouterr()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # caveats, not errors; the fuzz looks for errors
            code = main(argv)
    except SystemExit as exc:  # argparse ends with SystemExit
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *parts: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert err.startswith("rekrut"), err
    assert "Traceback" not in err
    for part in parts:
        assert part in err


@pytest.fixture
def experiment(examples: Path, tmp_path: Path) -> Path:
    for suffix in (".toml", ".csv"):
        shutil.copy(examples / f"admin_ordlyd{suffix}", tmp_path / f"admin_ordlyd{suffix}")
    return tmp_path / "admin_ordlyd.toml"


@pytest.mark.parametrize(
    "argv",
    [
        ["power", "--metric", "fillrate", "--baseline", "0.5", "--lift", "0.2"],
        ["power", "{experiment}", "--metric", "fillrate", "--lift", "0.2", "--replicates", "10"],
        ["monitor", "{experiment}", "--metric", "fillrate"],
        ["check", "{experiment}", "--metric", "fillrate", "--replications", "5"],
    ],
)
def test_an_unknown_metric_suggests_the_closest(
    argv: list[str], experiment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.replace("{experiment}", str(experiment)) for a in argv]
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, "unknown metric 'fillrate'; did you mean 'fill_rate'?")


def test_a_report_into_a_missing_folder_is_an_error_and_creates_nothing(
    experiment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing_dir" / "r.html"
    code, _, err = run(["report", str(experiment), "--out", str(out)], capsys)
    assert_one_line_error(code, err, "does not exist; create it first")
    assert not out.parent.exists()


def test_demo_creates_only_its_own_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["demo", "--out", str(tmp_path / "a" / "b")], capsys)
    assert_one_line_error(code, err, "does not exist")
    assert not (tmp_path / "a").exists()


def test_an_unknown_job_category_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["peers", "0751", "--kpis", "example", "--job-category", "sygeplejersker"]
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, "unknown job category 'sygeplejersker'; did you mean")


def test_a_kpi_option_without_kpis_is_an_error_not_ignored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["peers", "0751", "--job-category", "sygeplejerske"], capsys)
    assert_one_line_error(code, err, "--job-category compares KPIs: give them with --kpis")


def test_a_library_warning_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import rekrut.cli

    def warn(args: object) -> int:
        warnings.warn("a caveat\nover two lines", rk.RekrutWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(rekrut.cli, "_cmd_validate", warn)
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["validate", "x.toml"]) == 0
    assert capsys.readouterr().err == "rekrut: warning: a caveat over two lines\n"


def test_argument_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["analyze"], ["nonsense"], ["power", "--lift", "x"], []):
        code, _, err = run(argv, capsys)
        assert_one_line_error(code, err, "error:")


def test_a_data_file_outside_needs_allow_outside(
    experiment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    text = experiment.read_text(encoding="utf-8").replace(
        'data = "admin_ordlyd.csv"', 'data = "../admin_ordlyd.csv"'
    )
    (inner / "e.toml").write_text(text, encoding="utf-8")
    code, _, err = run(["validate", str(inner / "e.toml")], capsys)
    assert_one_line_error(code, err, "outside the experiment's folder", "--allow-outside")
    assert run(["validate", str(inner / "e.toml"), "--allow-outside"], capsys)[0] == 0


def danish_workbook(path: Path) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    rows = [
        ["Opslag-ID", "Kanal", "Opslagsdato", "Antal ansøgere", "Ansatte", "Pris (kr.)"],
        ["P1", "Jobnet", "03-02-2025", "1.200", "1", "0,00 kr."],
        ["P2", "Facebook", "14-02-2025", "35", "0", "4.500,00 kr."],
        ["P3", "Jobnet", "20-03-2025", "8", "1", "0,00 kr."],
        ["P4", "Facebook", "02-05-2025", "41", "2", "3.250,50 kr."],
    ]
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def test_init_writes_an_experiment_that_validates_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = danish_workbook(tmp_path / "opslag.xlsx")
    out = tmp_path / "kanaltest.toml"
    code, stdout, err = run(["init", str(data), "--out", str(out)], capsys)
    assert code == 0, err
    assert "CHECK" in out.read_text(encoding="utf-8")
    assert "control = 'Jobnet'" in stdout
    experiment = rk.load_experiment(out)
    assert experiment.arm_ids == ("Jobnet", "Facebook")
    assert (str(experiment.start), str(experiment.end)) == ("2025-02-03", "2025-05-02")
    assert experiment.data_source is not None
    assert experiment.data_source.columns["applications"] == "Antal ansøgere"
    assert set(experiment.metrics) >= {"applications_per_posting", "fill_rate", "cost_per_hire"}
    postings = rk.summarize(experiment).totals()
    assert postings.loc["Jobnet", "applications"] == 1208
    assert postings.loc["Facebook", "cost_dkk"] == 7750.5
    before = out.read_bytes()
    code, _, err = run(["init", str(data), "--out", str(out)], capsys)
    assert_one_line_error(code, err, "never overwrites")
    assert out.read_bytes() == before


def test_init_names_what_it_cannot_decide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "p.csv"
    data.write_text("Noget;Andet\n1;2\n", encoding="utf-8")
    code, _, err = run(["init", str(data), "--out", str(tmp_path / "e.toml")], capsys)
    assert_one_line_error(code, err, "cannot tell which column holds the arms", "'Noget'")
    assert not (tmp_path / "e.toml").exists()


# --- fuzz -------------------------------------------------------------------------------------

HEADERS = ["applications", "hires", "cost_dkk", "published", "Kanal", "posting_id", "", "arm"]
GOOD_NUMBERS = ["1", "0", "2", "12", "3", "4.500", "2750,50", "1.000.000", "kr. 300"]
NUMBERS = [*GOOD_NUMBERS * 6, "-1", "1,000", "", "x", "nan", "3.5", "12 %"]
CELLS = {
    "arm": ["A", "B"] * 8 + ["a", "C", ""],
    "published": ["01-02-2026", "13-02-2026", "02/01/2026", "2026-02-01", "2031-01-01", "", "x"],
    "posting_id": ["P1", "P2", "P1", ""],
}
EXPERIMENT = (
    'id = "fuzz"\ncontrol = "A"\nmetrics = {metrics}\ndata = "p.csv"\nstart = 2026-01-05\n'
    '[[arms]]\nid = "A"\nchannel = "jobnet"\n[[arms]]\nid = "B"\nchannel = "jobindex"\n'
)


@st.composite
def posting_files(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6, unique=True))
    if draw(st.booleans()):
        headers = ["arm", *[h for h in headers if h != "arm"]]
    if draw(st.integers(0, 9)) == 0:
        headers.append(headers[0])  # now and then a repeated header
    size = draw(st.integers(0, 8))
    columns = [
        draw(st.lists(st.sampled_from(CELLS.get(h, NUMBERS)), min_size=size, max_size=size))
        for h in headers
    ]
    rows = [list(row) for row in zip(*columns, strict=True)] if size else []
    sep = draw(st.sampled_from([",", ";", "\t"]))
    quote = (lambda c: f'"{c}"') if sep == "," else (lambda c: c)
    lines = [sep.join(headers)] + [sep.join(quote(c) for c in row) for row in rows]
    lines += [sep * (len(headers) - 1)] * draw(st.integers(0, 2))  # Excel's empty rows
    text = "\n".join(lines) + "\n"
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])))


ARGUMENTS = st.sampled_from(
    [
        ["validate", "{exp}"],
        ["analyze", "{exp}", "--quiet"],
        ["analyze", "{exp}", "--quiet", "--method", "bayesian", "--seed", "1"],
        ["monitor", "{exp}"],
        ["report", "{exp}", "--out", "{dir}/r.md"],
        ["report", "{exp}", "--out", "{dir}/no/r.md"],
        ["init", "{dir}/p.csv", "--out", "{dir}/new.toml"],
        ["power", "--metric", "{word}", "--baseline", "{number}", "--lift", "{number}"],
        ["power", "--baseline", "{number}", "--postings-per-arm", "{number}"],
        ["peers", "{word}", "--kpis", "example", "--job-category", "{word}"],
        ["simulate", "{exp}", "--postings", "{number}"],
        ["analyze", "{exp}", "--by", "{word}", "--quiet"],
    ]
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    content=posting_files(),
    argv=ARGUMENTS,
    word=st.sampled_from(["fill_rate", "fillrate", "0751", "751", "x", "", "sosu_assistent"]),
    number=st.sampled_from(["0", "-1", "0.3", "5", "abc", "1e9", "nan"]),
    metrics=st.sampled_from(
        ['["applications_per_posting"]', '["cost_per_hire", "fill_rate"]', '["time_to_hire_days"]']
    ),
)
def test_any_bad_input_is_one_line_and_exit_code_2(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    argv: list[str],
    word: str,
    number: str,
    metrics: str,
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "p.csv").write_bytes(content)
    (folder / "e.toml").write_text(EXPERIMENT.format(metrics=metrics), encoding="utf-8")
    values = {"{exp}": str(folder / "e.toml"), "{dir}": str(folder), "{word}": word}
    values["{number}"] = number
    filled = []
    for arg in argv:
        for key, value in values.items():
            arg = arg.replace(key, value)
        filled.append(arg)
    code, _, err = run(filled, capsys)
    if code != 0:
        assert_one_line_error(code, err)
    assert not (folder / "no").exists()


def test_the_fuzz_reaches_a_successful_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fuzz's files are near enough to real ones that some analyses succeed."""
    rows = "arm;applications;hires;cost_dkk\nA;1;0;4.500\nB;3;1;2750,50\nA;2;1;0\nB;0;0;1,000\n"
    (tmp_path / "p.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "e.toml").write_text(
        EXPERIMENT.format(metrics='["cost_per_hire"]'), encoding="utf-8"
    )
    code, out, err = run(["analyze", str(tmp_path / "e.toml"), "--quiet"], capsys)
    assert code == 0, err
    assert pd.Series(["cost_per_hire"]).isin(out.split()).all()


def test_validate_shows_the_notes_on_the_data(
    experiment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = experiment.read_text(encoding="utf-8")
    start = next(line for line in text.splitlines() if line.startswith("start"))
    experiment.write_text(text.replace(start, "start = 2026-03-01"), encoding="utf-8")
    code, out, _ = run(["validate", str(experiment)], capsys)
    assert code == 0
    assert "note: " in out
    assert "outside the experiment's period 2026-03-01" in out
