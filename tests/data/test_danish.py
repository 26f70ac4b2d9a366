"""Danish spreadsheets: the same postings written as HR exports them give exactly the numbers
of the clean CSV; numbers and dates are read the one way a column admits, never guessed."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.io import read_table

DANISH_HEADERS = {
    "posting_id": "Opslag-ID",
    "arm": "Kanal",
    "published": "Opslagsdato",
    "applications": "Antal ansøgere",
    "qualified": "Kvalificerede",
    "hires": "Ansatte",
    "cost_dkk": "Pris (kr.)",
}

EXPERIMENT = """
id = "kanaltest"
control = "jobnet"
metrics = ["applications_per_posting", "qualified_share", "fill_rate", "cost_per_hire"]
start = 2025-02-01
end = 2025-05-31
{data}

[[arms]]
id = "jobnet"
channel = "jobnet"

[[arms]]
id = "jobindex"
channel = "jobindex"
"""

DANISH_DATA = """
[data]
path = "{path}"
date_format = "DD-MM-YYYY"

[data.columns]
posting_id = "Opslag-ID"
arm = "Kanal"
published = "Opslagsdato"
applications = "Antal ansøgere"
qualified = "Kvalificerede"
hires = "Ansatte"
cost_dkk = "Pris (kr.)"
"""


def postings() -> pd.DataFrame:
    """Forty postings with thousands of applicants and kroner, and øre, in February to May."""
    rng = np.random.default_rng(17)
    n = 40
    applications = rng.integers(0, 2500, n)
    return pd.DataFrame(
        {
            "posting_id": [f"P{i:03d}" for i in range(n)],
            "arm": np.where(np.arange(n) % 2 == 0, "jobnet", "jobindex"),
            "published": pd.Timestamp("2025-02-01")
            + pd.to_timedelta(rng.integers(0, 119, n), unit="D"),
            "applications": applications,
            "qualified": (applications * rng.uniform(0, 0.6, n)).astype(int),
            "hires": rng.integers(0, 3, n),
            "cost_dkk": np.round(rng.uniform(0, 12_000, n), 2),
        }
    )


def danish_number(value: float, decimals: int) -> str:
    english = f"{value:,.{decimals}f}"  # 4,500.25
    return english.replace(",", " ").replace(".", ",").replace(" ", ".")


def danish(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    out["published"] = out["published"].dt.strftime("%d-%m-%Y")
    for column in ("applications", "qualified", "hires"):
        out[column] = [danish_number(v, 0) for v in out[column]]
    out["cost_dkk"] = [danish_number(v, 2) + " kr." for v in out["cost_dkk"]]
    return out.rename(columns=DANISH_HEADERS)


def clean_csv(folder: Path) -> Path:
    table = postings()
    table["published"] = table["published"].dt.strftime("%Y-%m-%d")
    path = folder / "clean.csv"
    path.write_text(table.to_csv(index=False), encoding="utf-8")
    return path


def experiment_file(folder: Path, data: str) -> Path:
    path = folder / "experiment.toml"
    path.write_text(EXPERIMENT.format(data=data), encoding="utf-8")
    return path


def analysed(experiment: Path) -> pd.DataFrame:
    return rk.analyze(experiment, rng=1).table


@pytest.fixture
def clean(tmp_path: Path) -> pd.DataFrame:
    clean_csv(tmp_path)
    return analysed(experiment_file(tmp_path, 'data = "clean.csv"'))


def test_a_danish_semicolon_csv_in_windows_1252_gives_the_clean_numbers(
    tmp_path: Path, clean: pd.DataFrame
) -> None:
    rows = danish(postings()).to_csv(index=False, sep=";", lineterminator="\r\n")
    (tmp_path / "opslag.csv").write_bytes((rows + ";;;;;;\r\n;;;;;;\r\n").encode("cp1252"))
    table = analysed(experiment_file(tmp_path, DANISH_DATA.format(path="opslag.csv")))
    pd.testing.assert_frame_equal(table, clean)


def test_a_danish_excel_file_gives_the_clean_numbers(tmp_path: Path, clean: pd.DataFrame) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Opslag"
    table = danish(postings())
    sheet.append(list(table.columns))
    for i, row in enumerate(table.itertuples(index=False)):
        cells = list(row)
        if i % 2:  # half the rows as Excel's own numbers and dates, half as Danish text
            raw = postings().iloc[i]
            cells[2] = raw["published"].date()
            cells[3:6] = [int(raw[c]) for c in ("applications", "qualified", "hires")]
            cells[6] = float(raw["cost_dkk"])
        sheet.append(cells)
    sheet.append([None] * 7)
    workbook.create_sheet("Noter").append(["ikke data"])
    workbook.save(tmp_path / "opslag.xlsx")
    data = DANISH_DATA.format(path="opslag.xlsx").replace(
        'date_format = "DD-MM-YYYY"', 'date_format = "DD-MM-YYYY"\nsheet = "Opslag"'
    )
    pd.testing.assert_frame_equal(analysed(experiment_file(tmp_path, data)), clean)


def ods_file(path: Path, rows: list[list[str]]) -> Path:
    """A minimal OpenDocument spreadsheet (text cells), as LibreOffice writes its structure."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    body = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{cell}</text:p>'
            "</table:table-cell>"
            for cell in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Ark1">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def test_an_opendocument_file_gives_the_clean_numbers(tmp_path: Path, clean: pd.DataFrame) -> None:
    table = danish(postings())
    ods_file(tmp_path / "opslag.ods", [list(table.columns), *table.astype(str).to_numpy().tolist()])
    data = DANISH_DATA.format(path="opslag.ods")
    pd.testing.assert_frame_equal(analysed(experiment_file(tmp_path, data)), clean)


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("utf-16", "\t"), ("cp1252", ";"), ("utf-8", "\t")],
)
def test_every_encoding_and_separator_excel_writes_reads_the_same(
    tmp_path: Path, encoding: str, sep: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(
        f"Kanal{sep}Antal ansøgere\nJobnet{sep}12\nFællesskab{sep}7\n".encode(encoding)
    )
    assert read_table(path).to_dict("list") == {
        "Kanal": ["Jobnet", "Fællesskab"],
        "Antal ansøgere": ["12", "7"],
    }


def test_excel_saved_under_a_csv_name_is_read_as_a_spreadsheet(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active.append(["arm", "applications"])
    workbook.active.append(["A", 3])
    workbook.save(tmp_path / "t.csv")
    assert read_table(tmp_path / "t.csv").to_dict("list") == {"arm": ["A"], "applications": [3]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a;b,c\n1;2,3\n", r"row 1: the header line holds as many ';' and ',' separators"),
        ("arm;arm\nA;B\n", r"row 1, column arm: two columns have this header \(A and B\)"),
        ("arm;;x\nA;3;4\n", r"row 1: column B has values but no header"),
        ("", r"the file is empty"),
    ],
)
def test_a_file_that_cannot_be_read_one_way_is_one_clear_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(rk.DataError, match=message):
        read_table(path)


def test_utf16_without_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("arm,applications\nA,3\n".encode("utf-16-le"))
    with pytest.raises(rk.DataError, match="UTF-16 without a byte-order mark"):
        read_table(path)


EXP = rk.Experiment.model_validate(
    {
        "id": "x",
        "control": "A",
        "metrics": ["applications_per_posting", "cost_per_hire"],
        "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "jobindex"}],
    }
)


def read(cells: dict[str, list[str]], experiment: rk.Experiment = EXP) -> pd.DataFrame:
    table = pd.DataFrame({"arm": ["A", "B"], "hires": ["1", "1"], **cells}, dtype="string")
    frame = rk.validate_postings(experiment, table).frame
    assert frame is not None
    return frame


@pytest.mark.parametrize(
    ("applications", "cost", "expected"),
    [
        (["1.000", "12"], ["4.500", "2750,50"], ([1000, 12], [4500, 2750.5])),
        (["1.000", "12"], ["4.500,00 kr.", "DKK 300"], ([1000, 12], [4500, 300])),
        (["4.500", "12"], ["1.250", "300"], ([4500, 12], [1250, 300])),  # 4.5 is no count
        (["1,000", "12"], ["4,500.00", "300"], ([1000, 12], [4500, 300])),
        (["1 000", "12"], ["4.500,-", "1.000.000"], ([1000, 12], [4500, 1_000_000])),
        (["12", "7"], ["2750,50", "300"], ([12, 7], [2750.5, 300])),
    ],
)
def test_danish_and_english_numbers_read_the_one_way_the_table_admits(
    applications: list[str], cost: list[str], expected: tuple[list[float], list[float]]
) -> None:
    frame = read({"applications": applications, "cost_dkk": cost})
    assert frame["applications"].tolist() == expected[0]
    assert frame["cost_dkk"].tolist() == expected[1]


@pytest.mark.parametrize(
    ("applications", "cost", "message"),
    [
        (["1.000", "12"], ["4.500", "300"], r"'1\.000' could be read as 1 or 1000; declare"),
        (["12", "7"], ["4.500", "1.250"], r"column cost_dkk: '4\.500' and '1\.250' could be"),
        (["12", "7"], ["2750,50", "2,750.50"], r"'2750,50' writes decimals with ',' but"),
        (["4.500", "7"], ["2750.50", "300"], r"applications writes decimals with ',' but"),
    ],
)
def test_a_number_that_could_be_read_two_ways_is_an_error(
    applications: list[str], cost: list[str], message: str
) -> None:
    with pytest.raises(rk.DataError, match=message):
        read({"applications": applications, "cost_dkk": cost})


def test_columns_that_write_decimals_differently_are_an_error() -> None:
    with pytest.raises(rk.DataError, match=r"column cost_dkk writes decimals with ',' but column"):
        read(
            {"applications": ["1", "2"], "cost_dkk": ["2750,50", "3"], "days_to_hire": ["2.5", "3"]}
        )


def with_data(**data: object) -> rk.Experiment:
    return EXP.model_copy(update={"data": rk.DataSource.model_validate(data)})


def test_a_declared_decimal_mark_settles_it() -> None:
    experiment = with_data(path="x.csv", decimal=",")
    frame = read({"applications": ["1.000", "12"], "cost_dkk": ["4.500", "300"]}, experiment)
    assert frame["applications"].tolist() == [1000, 12]
    dot = read(
        {"applications": ["1", "12"], "cost_dkk": ["4.500", "300"]},
        with_data(path="x", decimal="."),
    )
    assert dot["cost_dkk"].tolist() == [4.5, 300]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["2025-02-01", "2025-05-31"], ["2025-02-01", "2025-05-31"]),
        (["01-02-2025", "13-05-2025"], ["2025-02-01", "2025-05-13"]),  # day first: 13
        (["02/01/2025", "05/13/2025"], ["2025-02-01", "2025-05-13"]),  # month first: 13
        (["01.02.2025", "31.05.2025"], ["2025-02-01", "2025-05-31"]),
    ],
)
def test_dates_are_read_when_the_column_admits_one_reading(
    cells: list[str], expected: list[str]
) -> None:
    frame = read({"applications": ["1", "2"], "cost_dkk": ["1", "2"], "published": cells})
    assert frame["published"].dt.strftime("%Y-%m-%d").tolist() == expected


@pytest.mark.parametrize("sep", ["-", ".", "/"])
def test_dates_that_could_be_day_or_month_first_are_never_guessed(sep: str) -> None:
    cells = [f"01{sep}02{sep}2025", f"03{sep}04{sep}2025"]
    with pytest.raises(rk.DataError, match=r"column published: '01.02.2025' and '03.04.2025'"):
        read({"applications": ["1", "2"], "cost_dkk": ["1", "2"], "published": cells})
    declared = read(
        {"applications": ["1", "2"], "cost_dkk": ["1", "2"], "published": cells},
        with_data(path="x.csv", date_format=f"DD{sep}MM{sep}YYYY"),
    )
    assert declared["published"].dt.strftime("%Y-%m-%d").tolist() == ["2025-02-01", "2025-04-03"]


def test_a_date_against_the_declared_format_names_the_row() -> None:
    with pytest.raises(rk.DataError, match=r"row 2, column published: '2025-04-03' does not"):
        read(
            {
                "applications": ["1", "2"],
                "cost_dkk": ["1", "2"],
                "published": ["01-02-2025", "2025-04-03"],
            },
            with_data(path="x.csv", date_format="DD-MM-YYYY"),
        )


def test_a_missing_column_lists_the_headers_and_the_closest(tmp_path: Path) -> None:
    table = danish(postings()).drop(columns=["Pris (kr.)"])
    table.to_csv(tmp_path / "opslag.csv", sep=";", index=False)
    experiment_file(tmp_path, 'data = "opslag.csv"')
    with pytest.raises(rk.DataError, match=r"headers found: 'Opslag-ID', 'Kanal'.*arm = 'Kanal'"):
        rk.analyze(tmp_path / "experiment.toml")
    mapped = DANISH_DATA.format(path="opslag.csv").replace('"Pris (kr.)"', '"Pris"')
    experiment_file(tmp_path, mapped)
    with pytest.raises(rk.DataError, match=r"maps cost_dkk to the header 'Pris'"):
        rk.analyze(tmp_path / "experiment.toml")


def test_an_unknown_arm_suggests_the_closest() -> None:
    with pytest.raises(rk.DataError, match=r"unknown arm 'a '; did you mean 'A'\?"):
        rk.validate_postings(
            EXP, pd.DataFrame({"arm": ["A", "B", "a "], "applications": [1, 2, 3]})
        )


def test_the_old_argument_order_still_works_with_a_warning() -> None:
    table = pd.DataFrame(
        {"arm": ["A", "B"], "applications": [1, 2], "cost_dkk": [1, 2], "hires": [1, 1]}
    )
    with pytest.warns(DeprecationWarning, match=r"validate_postings\(experiment, data\)"):
        old = rk.validate_postings(table, EXP)
    assert old.frame is not None
    assert old.frame.equals(rk.validate_postings(EXP, table).frame)


def note_codes(result: rk.AnalysisResult) -> list[str]:
    return [note.code for note in result.notes]


def test_postings_outside_the_period_or_after_the_export_get_notes(tmp_path: Path) -> None:
    table = postings()
    table.loc[3, "published"] = pd.Timestamp("2025-01-31")  # a day before start
    table.loc[5, "published"] = pd.Timestamp("2031-01-01")
    table["published"] = table["published"].dt.strftime("%Y-%m-%d")
    table.to_csv(tmp_path / "clean.csv", index=False)
    data = '[data]\npath = "clean.csv"\nexported = 2025-06-02'
    result = rk.analyze(experiment_file(tmp_path, data))
    assert note_codes(result)[:2] == ["outside_period", "after_export"]
    outside, late = result.notes[:2]
    assert outside.params == {
        "count": 2,
        "date": "2025-01-31",
        "row": 5,
        "start": "2025-02-01",
        "end": "2025-05-31",
    }
    assert late.params["count"] == 1
    assert late.params["row"] == 7
    assert "uden for forsøgets periode" in result.note_texts("da")[0]


def test_the_same_posting_in_two_arms_gets_a_note(tmp_path: Path) -> None:
    table = postings()
    table.loc[1, "posting_id"] = table.loc[0, "posting_id"]  # rows 0 and 1 are in two arms
    experiment = rk.load_experiment(experiment_file(tmp_path, ""))
    result = rk.analyze(experiment, table, rng=1)
    assert "posting_in_two_arms" in note_codes(result)
    clean = rk.analyze(experiment, postings(), rng=1)
    assert not {"posting_in_two_arms", "outside_period"} & set(note_codes(clean))


def test_the_notes_reach_the_report(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    table = postings()
    table.loc[3, "published"] = pd.Timestamp("2025-01-31")
    result = rk.analyze(rk.load_experiment(experiment_file(tmp_path, "")), table, rng=1)
    path = rk.report.write_report(result, tmp_path / "r.md", lang="da")
    assert "uden for forsøgets periode" in path.read_text(encoding="utf-8")


def test_the_column_mapping_applies_to_parquet_and_polars_too(
    tmp_path: Path, clean: pd.DataFrame
) -> None:
    pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    table = postings().rename(columns=DANISH_HEADERS)
    table.to_parquet(tmp_path / "opslag.parquet")
    data = DANISH_DATA.format(path="opslag.parquet").replace('date_format = "DD-MM-YYYY"', "")
    experiment = experiment_file(tmp_path, data)
    pd.testing.assert_frame_equal(analysed(experiment), clean)
    from_polars = rk.analyze(experiment, pl.from_pandas(table), rng=1).table
    pd.testing.assert_frame_equal(from_polars, clean)
