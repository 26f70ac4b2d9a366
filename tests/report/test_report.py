"""Reports: sections in both languages, local number formats, escaping, atomic writes, a browser."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import rekrut as rk
from rekrut.cli import main
from rekrut.methods import method_label
from rekrut.report import render_report, write_report

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

SECTIONS = {
    "da": [
        "## Beslutning",
        "## Forsøget",
        "## Datakvalitet",
        "## Resultater",
        "## Fra opslag til ansættelse",
        "## Metoder",
    ],
    "en": [
        "## Decision",
        "## The experiment",
        "## Data quality",
        "## Results",
        "## From posting to hire",
        "## Methods",
    ],
}


@pytest.fixture(scope="module")
def demo_result() -> rk.AnalysisResult:
    from rekrut.cli import demo_experiment_path

    return rk.analyze(demo_experiment_path())


@pytest.mark.parametrize("lang", ["da", "en"])
def test_markdown_has_every_section(demo_result: rk.AnalysisResult, lang: str) -> None:
    text = render_report(demo_result, kind="md", lang=lang)  # type: ignore[arg-type]
    positions = [text.index(heading) for heading in SECTIONS[lang]]
    assert positions == sorted(positions)
    label = rk.get_metric("applications_per_posting").label(lang)  # type: ignore[arg-type]
    assert f"### {label}" in text


def test_danish_numbers_dates_and_money(demo_result: rk.AnalysisResult) -> None:
    text = render_report(demo_result, kind="md", lang="da")
    assert "5. januar 2026" in text
    assert "387.000 kr." in text  # the Jobindex spend: 86 postings x 4.500 kr.
    assert "95\u00a0%-konfidensinterval" in text  # a non-breaking space keeps "95 %" together
    english = render_report(demo_result, kind="md", lang="en")
    assert "DKK 387,000" in english
    assert "5 January 2026" in english


def test_free_control_cost_shows_the_arms_cost_on_the_ratio_scale(
    demo_result: rk.AnalysisResult,
) -> None:
    text = render_report(demo_result, kind="md", lang="da")
    section = text[text.index("### Pris pr. ansættelse") :]
    jobindex = section.splitlines()[4]
    assert "| +7.442 kr. |" in jobindex
    # the interval is the arm's own, log-scale: asymmetric around 7.442 and never negative
    low, high = jobindex.split("|")[5].strip().split(" til ")
    as_number = lambda s: float(s.replace(" kr.", "").replace(".", "").replace("−", "-"))  # noqa: E731
    assert 0 < as_number(low) < 7442 < as_number(high)
    assert as_number(high) - 7442 > 7442 - as_number(low)
    assert "0,000" not in text  # p below 0.001 is written "< 0,001"
    assert "&lt; 0,001" in text  # "< 0,001", written safe for Markdown


def test_decision_comes_first_with_cost_rule_and_next_step(demo_result: rk.AnalysisResult) -> None:
    text = render_report(demo_result, kind="md", lang="da")
    assert text.index("## Beslutning") < text.index("## Forsøget")
    decision = text[text.index("## Beslutning") : text.index("## Forsøget")]
    facebook = next(line for line in decision.splitlines() if "Facebook" in line)
    assert "26 % flere ansøgere pr. opslag end Jobnet" in facebook
    assert "justeret p er under 0,05 (Holms metode)" in facebook
    assert "182 kr. pr. kvalificeret ansøger" in facebook
    assert "Næste skridt:" in facebook
    assert "(holm)" not in text
    assert "| Kommune | Aarhus (751) |" in text
    assert "| Faggruppe | Social- og sundhedsassistenter |" in text


def test_bayesian_report_states_probability(demo_result: rk.AnalysisResult) -> None:
    result = rk.analyze(demo_result.experiment, method="bayesian", rng=1)
    text = render_report(result, kind="md", lang="da")
    assert "sandsynligheden for at være bedre er 96 %" in text
    assert (
        "troværdighedsintervallet for forskellen ligger helt over +5 %" in text
    )  # the ROPE rule in words
    assert "troværdighedsintervaller" in text


def _hostile(examples: Path, tmp_path: Path) -> Path:
    source = (examples / "admin_ordlyd.toml").read_text(encoding="utf-8")
    source = source.replace(
        'title = "Mulighed for hjemmearbejde og fleksible arbejdstider"',
        'title = "<script>alert(1)</script> & fleksibel | tid"',
    )
    (tmp_path / "admin_ordlyd.csv").write_bytes((examples / "admin_ordlyd.csv").read_bytes())
    path = tmp_path / "hostile.toml"
    path.write_text(source, encoding="utf-8")
    return path


def test_user_text_is_escaped(examples: Path, tmp_path: Path) -> None:
    result = rk.analyze(_hostile(examples, tmp_path))
    html = render_report(result, kind="html", lang="da")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; fleksibel | tid" in html
    markdown = render_report(result, kind="md", lang="da")
    assert "<script>" not in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; fleksibel \\| tid" in markdown


def test_failed_render_leaves_no_file(
    demo_result: rk.AnalysisResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rekrut.report as report

    target = tmp_path / "rapport.html"
    target.write_text("the previous report", encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(report, "forest_plot", broken)
    with pytest.raises(RuntimeError, match="plotting failed"):
        write_report(demo_result, target)
    assert target.read_text(encoding="utf-8") == "the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.html"]


def test_written_files_get_ordinary_permissions(
    demo_result: rk.AnalysisResult, tmp_path: Path
) -> None:
    # The atomic write goes through a private temporary file; the report itself must be as
    # readable as any new file (0666 less the umask), and an existing file keeps its mode.
    import os

    umask = os.umask(0o022)
    try:
        fresh = write_report(demo_result, tmp_path / "rapport.html")
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "rapport.md"
        kept.write_text("old", encoding="utf-8")
        kept.chmod(0o640)
        write_report(demo_result, kept)
        assert kept.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


def test_danish_notes_name_metrics_and_counts_in_danish(tmp_path: Path) -> None:
    plan = rk.Experiment.model_validate(
        {
            "id": "tal",
            "control": "A",
            "metrics": ["applications_per_posting", "cost_per_hire"],
            "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
        }
    )
    totals = pd.DataFrame(
        {
            "arm": ["A", "B"],
            "postings": [20, 18],
            "applications": [150, 210],
            "hires": [12, 0],
            "cost_dkk": [90000, 54000],
        }
    )
    text = write_report(rk.analyze(plan, totals), tmp_path / "r.md").read_text(encoding="utf-8")
    assert "Pris pr. ansættelse: gruppe B har ingen ansættelser" in text
    assert "cost_per_hire" not in text
    assert "hires" not in text


@pytest.mark.parametrize(
    "options", [{}, {"method": "bayesian"}, {"ratio_interval": "bootstrap", "rng": 1}]
)
def test_methods_appendix_speaks_the_readers_language(
    examples: Path, options: dict[str, object]
) -> None:
    result = rk.analyze(examples / "sosu_kanaltest.toml", **options)  # type: ignore[arg-type]
    danish = render_report(result, kind="md", lang="da").split("## Metoder")[1]
    english = render_report(result, kind="md", lang="en").split("## Methods")[1]
    for phrase in ("delta method", "on postings", "two-proportion", "medians", "resamples",
                   "known cost", "with quasi", " prior\n"):  # fmt: skip
        assert phrase not in danish
    assert any(word in english for word in ("delta method", "beta-binomial"))
    for code in result.table["method"].unique():
        assert method_label(code, "da") in danish
        assert method_label(code, "en") in english


def test_cli_report_and_bad_suffix(
    examples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.md"
    assert (
        main(["report", str(examples / "paedagog_fuldtid.toml"), "--out", str(out), "--lang", "en"])
        == 0
    )
    assert out.read_text(encoding="utf-8").startswith("# Fuldtid i overskriften")
    assert (
        main(["report", str(examples / "paedagog_fuldtid.toml"), "--out", str(tmp_path / "r.pdf")])
        == 2
    )
    assert "must end in .html or .md" in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()


def test_demo_writes_the_danish_report(tmp_path: Path) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    assert {"rapport.html", "rapport.md", "results.json", "results.csv"} <= {
        p.name for p in tmp_path.iterdir()
    }
    assert '<html lang="da">' in (tmp_path / "rapport.html").read_text(encoding="utf-8")
    # every metric of the demo has an answer: no row the director reads is left blank
    results = pd.read_csv(tmp_path / "results.csv")
    for column in ("control_value", "treatment_value", "p_value"):
        blank = results.loc[results[column].isna(), "metric"].tolist()
        assert not blank, (column, blank)
    assert "| – | – | – |" not in (tmp_path / "rapport.md").read_text(encoding="utf-8")
